/**
 * The Docker collector's state and one run: list containers (one request), inspect only those that are new
 * or changed (cache invalidated by events, or by a state the list disagrees with), read counters from cgroup
 * files (or the stats API as a fallback), and build the nodes. The event stream runs beside it and asks for
 * an early report when a container starts, dies, pauses, is renamed or removed.
 */
import type { Plugin, Report } from "@orchestrator/core"
import { Topology } from "@orchestrator/core"
import { type DockerEngineError, type Engine, makeEngine } from "./engine.js"
import { EventWatcher, type EventWatcherState } from "./events.js"
import {
  type ContainerDetails,
  type ContainerSummary,
  type DockerEvent,
  type ImageSummary,
  readContainerDetails,
  readContainerList,
  readImageList
} from "./model.js"
import { containerNode, imageNode, imageReference, type NodeSettings } from "./nodes.js"
import { inspectSecretValues, secretEnvValues } from "./redact.js"
import { type CgroupFiles, type Counters, locateCgroup, rates, readApiStats, readCgroup } from "./stats.js"

/** Where counters come from: cgroup files when readable (`auto`), only those, only the Engine API, or nowhere. */
export type StatsSource = "auto" | "cgroup" | "api" | "off"

/** The collector's settings, defaults applied. */
export interface CollectorSettings {
  readonly socketPath: string
  readonly redactEnv: boolean
  readonly controls: boolean
  readonly stats: StatsSource
  readonly events: boolean
  readonly procRoot: string
  readonly cgroupRoot: string
  readonly requestTimeoutMs: number
  readonly reconnectInitialMs: number
  readonly reconnectMaxMs: number
  /** How often the image list is read again (it only adds sizes, creation times, tags and labels). */
  readonly imagesRefreshMs: number
  /** The event stream closes after this long without a run (the plugin was dropped); the next run reopens it. */
  readonly idleCloseMs: number
}

/** Counters of the collector, for tests and benchmarks. */
export interface CollectorStats {
  /** Engine requests since start (the event stream's connections included). */
  readonly requests: number
  readonly runs: number
  /** Inspect requests since start. */
  readonly inspects: number
  /** Counter readings from cgroup files and from the stats API, since start. */
  readonly cgroupReadings: number
  readonly apiReadings: number
  readonly events: EventWatcherState
}

interface Entry {
  /** Bumped when an event says the container changed. */
  gen: number
  details: ContainerDetails | undefined
  detailsGen: number
  detailsAt: number
  /** `null`: looked for and not found (use the API); `undefined`: not looked for yet. */
  cgroup: CgroupFiles | null | undefined
  cgroupPid: number
  previous: { readonly source: "cgroup" | "api"; readonly counters: Counters } | undefined
}

/** Actions after which the container's inspect data is stale. */
const changing = new Set([
  "create",
  "start",
  "restart",
  "die",
  "stop",
  "kill",
  "pause",
  "unpause",
  "rename",
  "update",
  "destroy",
  "oom"
])

/** Actions users should see at once. */
const visible = new Set(["create", "start", "die", "pause", "unpause", "rename", "destroy"])

/** Inspect data is read again after this long even without an event. */
const detailsTtlMs = 10 * 60_000

const mapLimit = async <A, B>(items: ReadonlyArray<A>, limit: number, f: (a: A) => Promise<B>): Promise<Array<B>> => {
  const out = new Array<B>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await f(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** The collector's state across runs. */
export class ContainerCollector {
  readonly settings: CollectorSettings
  private readonly engine: Engine
  private readonly entries = new Map<string, Entry>()
  private readonly watcher: EventWatcher
  private images = new Map<string, ImageSummary>()
  private imagesAt = Number.NEGATIVE_INFINITY
  private lastRun = Number.NEGATIVE_INFINITY
  private idleTimer: ReturnType<typeof setInterval> | undefined
  private counters = { runs: 0, inspects: 0, cgroupReadings: 0, apiReadings: 0 }
  /**
   * Per container the last good run inspected, the values of the env variables its secret-env label lists (none:
   * an empty list); a container missing here was not inspected by that run.
   */
  private secretsById: ReadonlyMap<string, ReadonlyArray<string>> = new Map()
  /** Secret values of containers the last run did not inspect, read since by {@link secretsOf} (until the next run). */
  private lateSecrets = new Map<string, ReadonlyArray<string>>()
  /** Container ids this engine does not know (another runtime's containers): not asked about again. */
  private foreign = new Set<string>()
  /** Container ids this engine listed or sent events about: a 404 for one of them means removed, not foreign. */
  private seen = new Set<string>()
  /** The latest `ctx.requestReport`, called when an event deserves an early report. */
  requestReport: (() => void) | undefined

  constructor(settings: CollectorSettings) {
    this.settings = settings
    this.engine = makeEngine(settings.socketPath, { timeoutMs: settings.requestTimeoutMs })
    this.watcher = new EventWatcher({
      engine: this.engine,
      initialMs: settings.reconnectInitialMs,
      maxMs: settings.reconnectMaxMs,
      onEvent: (event) => this.onEvent(event),
      onConnect: (reconnect) => {
        if (!reconnect) return
        // events may have been missed while the stream was down
        for (const entry of this.entries.values()) entry.gen++
        this.requestReport?.()
      }
    })
  }

  /**
   * The secret values of the containers `ids` (those of the processes a report shows), failing closed: a
   * container the last run did not inspect (started since, or its inspect failed) is inspected now, and when
   * that fails too, does not answer within `budgetMs` (inside the report's tagger budget: 20% of the probe's
   * interval, 200 ms at 1 s) or answers 404 for a container this engine listed or reported before (removed since
   * its processes were read), its values are `"unknown"` and the caller hides whatever could hold them. Containers
   * this engine never knew (404: another runtime's) have none.
   */
  async secretsOf(
    ids: Iterable<string>,
    signal?: AbortSignal,
    budgetMs = 250
  ): Promise<ReadonlyMap<string, ReadonlyArray<string> | "unknown">> {
    const deadline = Date.now() + budgetMs
    const out = new Map<string, ReadonlyArray<string> | "unknown">()
    const ask: Array<string> = []
    for (const id of new Set(ids)) {
      const values = this.secretsById.get(id) ?? this.lateSecrets.get(id)
      if (values !== undefined) {
        if (values.length > 0) out.set(id, values)
      } else if (!this.foreign.has(id)) ask.push(id)
    }
    // without runs (the collector disabled) nothing clears these: keep them bounded
    if (this.lateSecrets.size > 4_096) this.lateSecrets.clear()
    await mapLimit(ask, 8, async (id) => {
      const left = deadline - Date.now()
      if (left <= 0) {
        out.set(id, "unknown")
        return
      }
      this.counters.inspects++
      try {
        const values = inspectSecretValues(
          await this.engine.json("GET", `/containers/${encodeURIComponent(id)}/json`, {
            signal,
            timeoutMs: Math.min(left, this.settings.requestTimeoutMs)
          })
        )
        this.lateSecrets.set(id, values)
        if (values.length > 0) out.set(id, values)
      } catch (error) {
        const failure = error as DockerEngineError
        if (failure.status === 404 && !this.seen.has(id)) {
          if (this.foreign.size >= 4_096) this.foreign.clear()
          this.foreign.add(id)
        } else if (failure.reason === "unreachable" && !this.seen.has(id)) {
          // no engine at the socket (a host without Docker, its containers another runtime's) and never one of
          // its containers: nothing to scrub; asked again next time (the engine may come up)
        } else {
          // timed out, or one of this engine's containers that it cannot answer for now or that was removed since
          // its processes were read: values unknown
          out.set(id, "unknown")
        }
      }
    })
    return out
  }

  stats(): CollectorStats {
    return { requests: this.engine.requests(), ...this.counters, events: this.watcher.snapshot() }
  }

  /** Stops the event stream; a later run starts it again. */
  close(): void {
    this.watcher.close()
    if (this.idleTimer !== undefined) clearInterval(this.idleTimer)
    this.idleTimer = undefined
  }

  private onEvent(event: DockerEvent): void {
    if (event.id !== "") this.seen.add(event.id)
    if (!changing.has(event.action)) return
    if (event.action === "destroy") this.entries.delete(event.id)
    else {
      const entry = this.entries.get(event.id)
      if (entry !== undefined) entry.gen++
    }
    if (visible.has(event.action)) this.requestReport?.()
  }

  private startEvents(): void {
    if (!this.settings.events) return
    this.watcher.start()
    if (this.idleTimer === undefined) {
      this.idleTimer = setInterval(
        () => {
          if (performance.now() - this.lastRun > this.settings.idleCloseMs) this.close()
        },
        Math.min(60_000, this.settings.idleCloseMs)
      )
      this.idleTimer.unref()
    }
  }

  /** One run. Never throws: an unreachable engine gives an empty fragment and a `failed` health entry. */
  async collect(
    ctx: Pick<Plugin.CollectorContext<unknown>, "hostId" | "now" | "signal">
  ): Promise<Plugin.ReportFragment> {
    const started = performance.now()
    this.lastRun = started
    this.counters.runs++
    this.startEvents()
    const health: Array<Report.ProbeHealth> = []
    const timestamp = ctx.now
    let summaries: ReadonlyArray<ContainerSummary> | undefined
    try {
      summaries = readContainerList(await this.engine.json("GET", "/containers/json?all=1", { signal: ctx.signal }))
      if (summaries === undefined)
        throw new Error("GET /containers/json: the engine answered something that is not a list")
    } catch (error) {
      health.push({ name: "engine", status: "failed", message: message(error), timestamp })
      this.eventsHealth(health, timestamp)
      return { topologies: {}, health }
    }
    // the engine answers: if the event stream is waiting out its backoff, reconnect now
    this.watcher.kick()

    const listed = new Set<string>()
    for (const summary of summaries) listed.add(summary.id)
    for (const id of this.entries.keys()) if (!listed.has(id)) this.entries.delete(id)

    await this.refreshDetails(summaries, started, ctx.signal)
    await this.refreshImages(summaries, started, ctx.signal)
    const { rates: measured, failures } = await this.measure(summaries, ctx.signal)

    const settings: NodeSettings = {
      hostId: ctx.hostId,
      now: ctx.now,
      redactEnv: this.settings.redactEnv,
      controls: this.settings.controls
    }
    const containers: Record<string, Report.Node> = {}
    const images: Record<string, Report.Node> = {}
    const secrets = new Map<string, ReadonlyArray<string>>()
    for (const summary of summaries) {
      const image = this.images.get(summary.imageId)
      const view = { summary, details: this.entries.get(summary.id)?.details, rates: measured.get(summary.id), image }
      if (view.details !== undefined) secrets.set(summary.id, secretEnvValues(view.details.env, summary.labels))
      containers[summary.id] = containerNode(view, settings)
      if (summary.imageId !== "" && images[summary.imageId] === undefined) {
        images[summary.imageId] = imageNode(summary.imageId, imageReference(view), image, settings)
      }
    }
    this.secretsById = secrets
    this.lateSecrets = new Map()
    if (this.seen.size > 8_192) this.seen.clear()
    for (const summary of summaries) this.seen.add(summary.id)
    health.push({ name: "engine", status: "ok", message: `${summaries.length} containers`, timestamp })
    this.eventsHealth(health, timestamp)
    if (this.settings.stats !== "off") {
      health.push(
        failures.length === 0
          ? { name: "stats", status: "ok", timestamp }
          : {
              name: "stats",
              status: "degraded",
              message: `no counters for ${failures.length} running containers: ${failures[0]}`,
              timestamp
            }
      )
    }
    return {
      topologies: { [Topology.Topologies.containers]: containers, [Topology.Topologies.containerImages]: images },
      health
    }
  }

  private eventsHealth(health: Array<Report.ProbeHealth>, timestamp: number): void {
    if (!this.settings.events) return
    const state = this.watcher.snapshot()
    if (state.connected) health.push({ name: "events", status: "ok", timestamp })
    else if (state.connects === 0 && state.lastError === undefined)
      health.push({ name: "events", status: "ok", message: "connecting", timestamp })
    else
      health.push({
        name: "events",
        status: "degraded",
        message: `the Docker event stream is down (${state.lastError ?? "connecting"}); reconnecting, changes show at the next interval`,
        timestamp
      })
  }

  private entry(id: string): Entry {
    let entry = this.entries.get(id)
    if (entry === undefined) {
      entry = {
        gen: 0,
        details: undefined,
        detailsGen: -1,
        detailsAt: 0,
        cgroup: undefined,
        cgroupPid: 0,
        previous: undefined
      }
      this.entries.set(id, entry)
    }
    return entry
  }

  private async refreshDetails(
    summaries: ReadonlyArray<ContainerSummary>,
    now: number,
    signal: AbortSignal
  ): Promise<void> {
    const stale = summaries.filter((summary) => {
      const entry = this.entry(summary.id)
      return (
        entry.details === undefined ||
        entry.detailsGen !== entry.gen ||
        entry.details.state !== summary.state ||
        now - entry.detailsAt > detailsTtlMs
      )
    })
    await mapLimit(stale, 8, async (summary) => {
      const entry = this.entry(summary.id)
      const gen = entry.gen
      this.counters.inspects++
      try {
        const details = readContainerDetails(
          await this.engine.json("GET", `/containers/${summary.id}/json`, { signal })
        )
        if (details === undefined || this.entries.get(summary.id) !== entry) return
        // recorded against the generation the request started at: an event during it makes the next run ask again
        entry.details = details
        entry.detailsGen = gen
        entry.detailsAt = now
      } catch (error) {
        if ((error as DockerEngineError).status === 404) this.entries.delete(summary.id)
      }
    })
  }

  private async refreshImages(
    summaries: ReadonlyArray<ContainerSummary>,
    now: number,
    signal: AbortSignal
  ): Promise<void> {
    const age = now - this.imagesAt
    const unknown = summaries.some((s) => s.imageId !== "" && !this.images.has(s.imageId))
    if (age < this.settings.imagesRefreshMs && !(unknown && age > 5_000)) return
    this.imagesAt = now
    try {
      const list = readImageList(await this.engine.json("GET", "/images/json", { signal }))
      if (list === undefined) return
      this.images = new Map(list.map((image) => [image.id, image]))
    } catch {
      // images only add detail: keep the last list
    }
  }

  private async measure(
    summaries: ReadonlyArray<ContainerSummary>,
    signal: AbortSignal
  ): Promise<{ readonly rates: Map<string, ReturnType<typeof rates>>; readonly failures: Array<string> }> {
    const out = new Map<string, ReturnType<typeof rates>>()
    const failures: Array<string> = []
    const mode = this.settings.stats
    if (mode === "off") return { rates: out, failures }
    const viaApi: Array<ContainerSummary> = []
    for (const summary of summaries) {
      // a restarting container has no processes (nor cgroup) between attempts
      if (summary.state !== "running" && summary.state !== "paused") continue
      const entry = this.entries.get(summary.id)
      if (entry === undefined) continue
      const hostNetwork = (entry.details?.networkMode ?? summary.networkMode) === "host"
      if (mode !== "api") {
        const pid = entry.details?.pid ?? 0
        if (entry.cgroup === undefined || entry.cgroupPid !== pid) {
          entry.cgroupPid = pid
          entry.cgroup =
            locateCgroup({
              procRoot: this.settings.procRoot,
              cgroupRoot: this.settings.cgroupRoot,
              pid,
              id: summary.id,
              hostNetwork
            }) ?? null
        }
        const counters = entry.cgroup === null ? undefined : readCgroup(entry.cgroup, performance.now())
        if (counters !== undefined) {
          this.counters.cgroupReadings++
          out.set(summary.id, this.advance(entry, "cgroup", counters))
          continue
        }
        // the cgroup went away (the container restarted with a new pid): look again next run
        entry.cgroup = undefined
        if (mode === "cgroup") {
          failures.push(`${summary.name}: no readable cgroup files`)
          continue
        }
      }
      viaApi.push(summary)
    }
    await mapLimit(viaApi, 32, async (summary) => {
      const entry = this.entries.get(summary.id)
      if (entry === undefined) return
      try {
        const json = await this.engine.json("GET", `/containers/${summary.id}/stats?stream=false&one-shot=true`, {
          signal,
          timeoutMs: Math.max(this.settings.requestTimeoutMs, 3_000)
        })
        const hostNetwork = (entry.details?.networkMode ?? summary.networkMode) === "host"
        const counters = readApiStats(json, hostNetwork)
        if (counters === undefined) return
        this.counters.apiReadings++
        out.set(summary.id, this.advance(entry, "api", counters))
      } catch (error) {
        failures.push(`${summary.name}: ${message(error)}`)
      }
    })
    return { rates: out, failures }
  }

  private advance(entry: Entry, source: "cgroup" | "api", counters: Counters): ReturnType<typeof rates> {
    const before = entry.previous?.source === source ? entry.previous.counters : undefined
    entry.previous = { source, counters }
    return rates(before, counters)
  }
}
