/**
 * The probe: every interval it runs the registered collectors (each within a budget: one that hangs or
 * throws shows in the report's `health` and the others go on), runs the taggers, and hands the result to
 * the {@link Publisher}; meanwhile the control channel answers control requests.
 *
 * ```
 * collectors (PluginRegistry.runCollectors) -> taggers -> Snapshot -> Publisher (ReportBuilder, gzip, backoff)
 *                                        controls <- ControlChannel (WebSocket) <- app
 * ```
 *
 * **Timing**
 *
 * The loop ticks at the report interval, or faster when a collector declares a shorter `intervalMs`: on those
 * extra ticks only such fast collectors run, and their fragments (metric samples included) are merged into
 * the next report. Collectors with a longer `intervalMs` are served from the registry's cache in between.
 * A change of interval from the app's agent config takes effect at once, without a restart.
 *
 * **Collectors enabled by the agent config**
 *
 * The app's agent config may disable collectors by hook id, collector name or plugin name (see
 * `ProbeConfig.collectorEnabled`). This applies to plugins registered through the probe (`plugins` and the
 * host collector); their health then reads `disabled`.
 *
 * @since 0.1.0
 */
import * as os from "node:os"
import { Merge, type NodeDetails, type Plugin, PluginRegistry, type Report } from "@orchestrator/core"
import { Cause, Clock, Context, Duration, Effect, Latch, Layer, PubSub, Stream } from "effect"
import * as ControlChannel from "./ControlChannel.js"
import * as BuiltinPlugins from "./BuiltinPlugins.js"
import { forever } from "./internal/loop.js"
import * as ProbeConfig from "./ProbeConfig.js"
import { Publisher, type PublisherEvent, type PublisherStats } from "./Publisher.js"
import * as Publishers from "./Publisher.js"
import type { Snapshot } from "./ReportBuilder.js"

/**
 * The version the probe reports at registration.
 *
 * @since 0.1.0
 * @category constants
 */
export const version = "0.1.0"

/** The least time between a report and an early one that a collector asked for. */
const earlyReportGapMs = 1_000

/**
 * A plugin to register, alone or with its options.
 *
 * @since 0.1.0
 * @category models
 */
export type PluginEntry = Plugin.AnyPlugin | readonly [plugin: Plugin.AnyPlugin, options: unknown]

/**
 * Everything a probe can be given: its settings (see `ProbeConfig`; all optional, `appUrl` defaults to
 * `http://127.0.0.1:8080`) and its plugins.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProbeOptions extends Partial<ProbeConfig.ProbeConfig> {
  /** Plugins to register besides the host collector. */
  readonly plugins?: ReadonlyArray<PluginEntry>
  /**
   * The built-in collectors and controls (host, process, network, Docker, Kubernetes; see `BuiltinPlugins`):
   * `true` (default) picks them from the settings (`processes`, `docker`, `kubernetes`, `conntrack`...),
   * `false` runs only `plugins`, a selection overrides the settings per plugin (`{ docker: false }`).
   */
  readonly builtins?: boolean | BuiltinPlugins.Selection
  /** Options of the control channel (timeouts, limits). */
  readonly controlChannel?: Pick<
    ControlChannel.ControlChannelOptions,
    "connectTimeoutMs" | "pingIntervalMs" | "maxConcurrentControls" | "maxPipes"
  >
}

/**
 * Collection counters.
 *
 * @since 0.1.0
 * @category models
 */
export interface CollectionStats {
  /** Collector runs (ticks). */
  readonly runs: number
  /** Reports handed to the publisher. */
  readonly reports: number
  readonly lastDurationMs: number | undefined
  /** Nodes in the last report, over all topologies. */
  readonly lastNodes: number
  /** Hooks whose last health was not `ok`. */
  readonly unhealthy: ReadonlyArray<Report.ProbeHealth>
}

/**
 * Everything the probe counts.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProbeStats {
  readonly probeId: string
  readonly hostId: string
  readonly settings: ProbeConfig.Effective
  readonly collection: CollectionStats
  readonly publisher: PublisherStats
  readonly controls: ControlChannel.ControlChannelStats
}

/**
 * What the probe reports as it goes: the publisher's events plus one per report collected.
 *
 * @since 0.1.0
 * @category models
 */
export type ProbeEvent =
  | PublisherEvent
  | {
      readonly _tag: "Collected"
      readonly nodes: number
      readonly durationMs: number
      readonly health: ReadonlyArray<Report.ProbeHealth>
    }

/**
 * The probe service.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProbeShape {
  /** The agent id reports carry. */
  readonly probeId: () => string
  /** The host id (the `hosts` node id). */
  readonly hostId: string
  /** Runs the collectors and taggers once, now, and returns what they saw (not published). */
  readonly collect: Effect.Effect<Snapshot>
  /** The last collection handed to the publisher. */
  readonly latest: () => Snapshot | undefined
  readonly stats: () => ProbeStats
  /** Events from now on. */
  readonly events: Stream.Stream<ProbeEvent>
  /** Waits until everything collected so far was published. */
  readonly flush: Effect.Effect<void>
}

/**
 * The probe service.
 *
 * @since 0.1.0
 * @category services
 */
export class Probe extends Context.Service<Probe, ProbeShape>()("@orchestrator/probe/Probe") {
  /**
   * A complete probe: its own plugin registry (with the host collector and `plugins`), publisher and control
   * channel. Fails with a `ConfigError` for bad settings and a `PluginError` for a plugin that does not
   * register.
   *
   * @since 0.1.0
   * @category layers
   */
  static layer(
    options: ProbeOptions = {}
  ): Layer.Layer<Probe | Publisher | PluginRegistry.PluginRegistry, ProbeConfig.ConfigError | Plugin.PluginError> {
    // `layerWith` builds a new layer value per probe: the shared `PluginRegistry.layer` is memoized, so a probe
    // in the same layer graph as an app server (which uses it) would otherwise share the app's registry.
    return Probe.layerWithRegistry(options).pipe(Layer.provideMerge(PluginRegistry.PluginRegistry.layerWith({})))
  }

  /**
   * A probe using the plugin registry in context (plugins registered there by the host also run; the
   * agent config can only disable collectors registered through the probe).
   *
   * @since 0.1.0
   * @category layers
   */
  static layerWithRegistry(
    options: ProbeOptions = {}
  ): Layer.Layer<Probe | Publisher, ProbeConfig.ConfigError | Plugin.PluginError, PluginRegistry.PluginRegistry> {
    return Layer.unwrap(
      Effect.map(validate(options), (config) => {
        const hostname = config.hostname ?? os.hostname()
        const probeId = config.probeId ?? hostname
        const publisher = Layer.effect(
          Publisher,
          Effect.gen(function* () {
            const registry = yield* PluginRegistry.PluginRegistry
            return yield* Publishers.make({
              config,
              probeId,
              hostname,
              version,
              collectors: () => registry.collectors().map((hook) => hook.id),
              controls: () => describeControls(registry)
            })
          })
        )
        return Layer.effect(Probe, make(config, options, hostname)).pipe(Layer.provideMerge(publisher))
      })
    )
  }

  /**
   * The probe without its dependencies, for tests that provide their own `Publisher`.
   *
   * @since 0.1.0
   * @category layers
   */
  static layerNoDeps(
    options: ProbeOptions = {}
  ): Layer.Layer<Probe, ProbeConfig.ConfigError | Plugin.PluginError, Publisher | PluginRegistry.PluginRegistry> {
    return Layer.unwrap(
      Effect.map(validate(options), (config) =>
        Layer.effect(Probe, make(config, options, config.hostname ?? os.hostname()))
      )
    )
  }
}

const validate = (options: ProbeOptions): Effect.Effect<ProbeConfig.ProbeConfig, ProbeConfig.ConfigError> =>
  Effect.suspend(() => {
    const { plugins: _plugins, builtins: _builtins, controlChannel: _channel, ...settings } = options
    const config = ProbeConfig.make(settings)
    return config instanceof ProbeConfig.ConfigError ? Effect.fail(config) : Effect.succeed(config)
  })

/**
 * A probe of this host for embedding in another process (the app server host): the host collector and
 * `plugins`, publishing to `appUrl`. It exposes no service and never fails: settings that do not validate
 * are a defect. Its agent id defaults to `app@<hostname>`, so a standalone probe on the same host (agent id
 * `<hostname>`) does not collide with it; both report the same `hosts` node, which the app merges.
 *
 * ```ts
 * const probe = Layer.unwrap(
 *   Effect.gen(function* () {
 *     const server = yield* AppServer.AppServer
 *     return Probe.layerEmbedded({ appUrl: server.url, ...(token !== undefined ? { token } : {}) })
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerEmbedded = (options: ProbeOptions & { readonly appUrl: string }): Layer.Layer<never> =>
  Layer.effectDiscard(
    Layer.build(Probe.layer({ probeId: `app@${options.hostname ?? os.hostname()}`, ...options }))
  ).pipe(Layer.orDie)

const describeControls = (
  registry: PluginRegistry.PluginRegistryService
): ReadonlyArray<NodeDetails.ControlDescription> => {
  const out: Array<NodeDetails.ControlDescription> = []
  for (const health of registry.health()) {
    if (health.kind !== "control") continue
    const control = registry.control(health.name)?.hook
    if (control === undefined) continue
    out.push({
      id: control.id,
      label: control.label,
      permission: control.permission,
      ...(control.icon !== undefined ? { icon: control.icon } : {}),
      ...(control.confirm !== undefined ? { confirm: control.confirm } : {}),
      ...(control.stream !== undefined ? { stream: control.stream } : {})
    })
  }
  return out
}

const countNodes = (topologies: Merge.NodesByTopology): number => {
  let n = 0
  for (const topology in topologies) for (const _ in topologies[topology]!) n++
  return n
}

/** The smallest tick any collector asks for. */
const minTickMs = 100

const make = Effect.fnUntraced(function* (config: ProbeConfig.ProbeConfig, options: ProbeOptions, hostname: string) {
  const registry = yield* PluginRegistry.PluginRegistry
  const publisher = yield* Publisher
  const hostId = hostname
  let settings = yield* publisher.settings
  /** Whether the current tick runs every collector (a report tick) or only fast ones. */
  let reportTick = true

  /** Collectors this probe registered, by hook id, to gate them on the agent config and the tick. */
  const gated = new Map<string, { readonly plugin: string; readonly collector: string }>()
  const gate = (plugin: Plugin.AnyPlugin): Plugin.AnyPlugin => {
    if (plugin.collectors === undefined || plugin.collectors.length === 0) return plugin
    return {
      ...plugin,
      collectors: plugin.collectors.map((collector) => {
        gated.set(`${plugin.name}/collector/${collector.name}`, { plugin: plugin.name, collector: collector.name })
        return {
          ...collector,
          collect: (ctx: Plugin.CollectorContext<unknown>) => {
            if (!ProbeConfig.collectorEnabled(settings, plugin.name, collector.name)) return { topologies: {} }
            const isFast = collector.intervalMs !== undefined && collector.intervalMs < settings.intervalMs
            if (!reportTick && !isFast) return { topologies: {} }
            return collector.collect(ctx)
          }
        }
      })
    }
  }

  const builtins =
    options.builtins === false
      ? []
      : BuiltinPlugins.entries({
          processes: config.processes,
          docker: config.docker,
          kubernetes: config.kubernetes,
          conntrack: config.conntrack,
          controlsEnabled: config.controlsEnabled,
          ...(config.procRoot !== undefined ? { procRoot: config.procRoot } : {}),
          ...(config.dockerSocket !== undefined ? { dockerSocket: config.dockerSocket } : {}),
          ...(config.kubeconfig !== undefined ? { kubeconfig: config.kubeconfig } : {}),
          hostname: hostId,
          ...(options.builtins === true || options.builtins === undefined ? {} : options.builtins)
        })
  const entries: Array<PluginEntry> = [...builtins, ...(options.plugins ?? [])]
  for (const entry of entries) {
    const [plugin, pluginOptions] = Array.isArray(entry)
      ? (entry as readonly [Plugin.AnyPlugin, unknown])
      : [entry as Plugin.AnyPlugin, undefined]
    yield* registry.registerScoped(gate(plugin), pluginOptions)
  }

  let latest: Snapshot | undefined
  const collection = {
    runs: 0,
    reports: 0,
    lastDurationMs: undefined as number | undefined,
    lastNodes: 0,
    unhealthy: [] as ReadonlyArray<Report.ProbeHealth>
  }

  const refusal = (): string | undefined =>
    !config.controlsEnabled
      ? "controls are disabled on this probe (--no-controls)"
      : !settings.controlsEnabled
        ? "controls are disabled by the app's agent config for this probe"
        : undefined

  const channel = yield* ControlChannel.make({
    appUrl: config.appUrl,
    ...(config.token !== undefined ? { token: config.token } : {}),
    agentId: publisher.agentId,
    hostId,
    registry,
    ready: publisher.awaitRegistered,
    refusal,
    lookup: (topology, id) => latest?.topologies[topology]?.[id],
    backoffInitialMs: config.backoffInitialMs,
    backoffMaxMs: config.backoffMaxMs,
    ...options.controlChannel
  })

  const ownHealth = (now: number): ReadonlyArray<Report.ProbeHealth> => {
    const p = publisher.stats()
    const c = channel.stats()
    const publishing: Report.ProbeHealth =
      p.lastError !== undefined && (p.lastPublishedAt === undefined || p.lastError.at > p.lastPublishedAt)
        ? { name: "probe/publisher", status: "degraded", message: p.lastError.message, timestamp: now }
        : { name: "probe/publisher", status: "ok", timestamp: now }
    const reason = refusal()
    const controls: Report.ProbeHealth =
      reason !== undefined
        ? { name: "probe/controls", status: "disabled", message: reason, timestamp: now }
        : c.connected
          ? { name: "probe/controls", status: "ok", timestamp: now }
          : {
              name: "probe/controls",
              status: "degraded",
              message: `control channel not connected${c.lastError !== undefined ? `: ${c.lastError}` : ""}`,
              timestamp: now
            }
    return [publishing, controls]
  }

  /** Marks collectors disabled by the agent config as such in their health entries. */
  const adjustHealth = (health: ReadonlyArray<Report.ProbeHealth>): ReadonlyArray<Report.ProbeHealth> =>
    health.map((entry) => {
      const hook = gated.get(entry.name)
      if (hook === undefined || ProbeConfig.collectorEnabled(settings, hook.plugin, hook.collector)) return entry
      return {
        name: entry.name,
        status: "disabled",
        message: "disabled by the app's agent config",
        timestamp: entry.timestamp
      }
    })

  const context = () => ({ hostId, probeId: publisher.agentId(), requestReport })
  const budget = () => config.collectBudgetMs ?? Math.max(50, Math.floor(settings.intervalMs * 0.6))

  /** Runs collectors (all on a report tick, fast ones otherwise). */
  const runCollectors = (all: boolean) =>
    Effect.suspend(() => {
      reportTick = all
      return registry.runCollectors(context(), all ? budget() : Math.max(50, Math.floor(tickMs() * 0.8)))
    })

  const finish = (topologies: Merge.NodesByTopology, health: ReadonlyArray<Report.ProbeHealth>, startedAt: number) =>
    Effect.gen(function* () {
      const tagged = yield* registry.runTaggers(
        { topologies },
        context(),
        Math.max(50, Math.floor(settings.intervalMs * 0.2))
      )
      const now = yield* Clock.currentTimeMillis
      const snapshot: Snapshot = {
        timestamp: startedAt,
        topologies: tagged.topologies,
        health: [...adjustHealth(health), ...tagged.health, ...ownHealth(now)]
      }
      return snapshot
    })

  const collect = Effect.gen(function* () {
    const start = yield* Clock.currentTimeMillis
    const collected = yield* runCollectors(true)
    return yield* finish(collected.topologies, collected.health, start)
  })

  /** The tick: the report interval, or the shortest `intervalMs` of a fast collector. */
  const tickMs = (): number => {
    let tick = settings.intervalMs
    for (const hook of registry.collectors()) {
      const interval = hook.hook.intervalMs
      if (interval !== undefined && interval < tick) tick = Math.max(minTickMs, interval)
    }
    return tick
  }

  const collectedEvents = yield* PubSub.sliding<ProbeEvent>(64)
  const wake = yield* Latch.make(false)
  yield* Stream.runForEach(publisher.settingsChanges, (next) =>
    Effect.gen(function* () {
      const changed = next.intervalMs !== settings.intervalMs
      settings = next
      if (changed) yield* wake.open
    })
  ).pipe(Effect.forkScoped)

  let nextReport = yield* Clock.currentTimeMillis
  let lastReportAt = Number.NEGATIVE_INFINITY
  let pending: Merge.NodesByTopology | undefined
  let reportRequested = false
  /** A collector saw a change worth showing now: report at once, but at most one early report per second. */
  function requestReport(): void {
    if (reportRequested) return
    reportRequested = true
    wake.openUnsafe()
  }

  /** One tick: run collectors; on a report tick, tag, hand the report to the publisher; then sleep. */
  const tick = Effect.gen(function* () {
    const start = yield* Clock.currentTimeMillis
    const isReport = start >= nextReport
    if (isReport) {
      nextReport = start + settings.intervalMs
      lastReportAt = start
    }
    yield* Effect.gen(function* () {
      const collected = yield* runCollectors(isReport)
      collection.runs++
      const topologies: Merge.NodesByTopology =
        pending === undefined ? collected.topologies : Merge.mergeNodesByTopology(pending, collected.topologies)
      if (!isReport) {
        pending = topologies
        return
      }
      pending = undefined
      const snapshot = yield* finish(topologies, collected.health, start)
      latest = snapshot
      yield* publisher.offer(snapshot)
      const end = yield* Clock.currentTimeMillis
      collection.reports++
      collection.lastDurationMs = end - start
      collection.lastNodes = countNodes(snapshot.topologies)
      collection.unhealthy = snapshot.health.filter((h) => h.status !== "ok")
      yield* PubSub.publish(collectedEvents, {
        _tag: "Collected",
        nodes: collection.lastNodes,
        durationMs: end - start,
        health: snapshot.health
      })
      yield* Effect.logDebug(`probe collected ${collection.lastNodes} nodes in ${end - start} ms`)
    }).pipe(
      // Whatever went wrong, the next tick comes on time.
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.failCause(cause as Cause.Cause<never>)
          : Effect.logWarning("probe collection failed", cause)
      )
    )
    const now = yield* Clock.currentTimeMillis
    /** Moves the next report forward when a collector asked for one (at most one early report a second). */
    const takeRequest = (at: number): void => {
      if (!reportRequested) return
      reportRequested = false
      nextReport = Math.min(nextReport, Math.max(at, lastReportAt + earlyReportGapMs))
    }
    wake.closeUnsafe()
    takeRequest(now)
    const next = Math.min(start + tickMs(), nextReport)
    if (next > now) yield* Effect.raceFirst(Effect.sleep(Duration.millis(next - now)), wake.await)
    if (wake.isOpen()) {
      nextReport = Math.min(nextReport, start + settings.intervalMs)
      const woken = yield* Clock.currentTimeMillis
      takeRequest(woken)
      // Woken early for a requested report: wait for its slot rather than run the collectors twice.
      if (nextReport > woken && nextReport < start + tickMs()) yield* Effect.sleep(Duration.millis(nextReport - woken))
    }
  })

  yield* forever("collection", tick).pipe(Effect.forkScoped)

  const events: Stream.Stream<ProbeEvent> = Stream.merge(publisher.events, Stream.fromPubSub(collectedEvents))

  return Probe.of({
    probeId: publisher.agentId,
    hostId,
    collect,
    latest: () => latest,
    stats: () => ({
      probeId: publisher.agentId(),
      hostId,
      settings,
      collection: { ...collection },
      publisher: publisher.stats(),
      controls: channel.stats()
    }),
    events,
    flush: publisher.flush
  })
})
