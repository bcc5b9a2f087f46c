/**
 * App benchmark: the app server at Weave Scope's pain point, 1,000 hosts each with 10 containers, 100
 * processes and 200 connections (10,000 containers, 100,000 processes, 200,000 connections, ~610 nodes per
 * full report; see `app/Synthetic.ts`). Every figure is measured against a baseline in the same run:
 *
 * 1. ingest rate: full reports and typical deltas (5% of nodes changed), in-process through
 *    `aggregator.ingest` (JSON.parse + decode + apply; floor: `JSON.parse` alone) and over HTTP with gzip
 *    against the app in a child process (its own CPU time per report; floor: gunzip + `JSON.parse`); then the
 *    app's CPU share while all probes publish a delta every 15 s in real time (not compressed), without and
 *    with a UI client subscribed to the containers view;
 * 2. render time of the containers, hosts and processes views at full scale, cache cold (a delta is ingested
 *    before each run), median of `--runs`; baseline: Scope's approach, re-merging every probe's report into
 *    a fresh merged report per render, and a plain copy of the merged node maps;
 * 3. the app's RSS at full scale (child process); baseline: the heap the parsed reports alone take;
 * 4. WebSocket latency from a probe's POST to the containers-view delta that shows its change, p50/p99, under
 *    the same steady load, with the default 100 ms coalescing window; baseline: the POST round trip.
 *
 * Run: `npm run bench:app` (about 3 minutes on 2 cores), or `npm run bench:app -- --hosts 100` for a quick run.
 * Flags: `--hosts N` (1000), `--runs N` (5), `--steady-seconds S` (20), `--latency-seconds S` (40),
 * `--profile` (CPU profiles of the in-process ingest and containers render and of the app child during the
 * latency phase; prints the top functions by self time and the child's longest event-loop stalls),
 * `--child-flags "<node flags>"` (extra Node/V8 flags for the app child, e.g. heap settings to compare).
 * Results: `docs/benchmarks.md`.
 *
 * @since 0.1.0
 */
import { mkdtempSync } from "node:fs"
import { cpus, loadavg, tmpdir, totalmem } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { gunzipSync, gzipSync } from "node:zlib"
import { createApp } from "../src/App.js"
import type { AppServerConfig } from "../src/AppServerConfig.js"
import { decodeSync, type Report } from "../src/Report.js"
import * as BuiltinViews from "../src/views/BuiltinViews.js"
import * as Diff from "../src/views/Diff.js"
import { LoopbackClient, pool, runSteady, type SteadyResult } from "./app/Load.js"
import * as Naive from "./app/Naive.js"
import { formatHotspots, formatStalls, hotspots, stalls, startProfile } from "./app/Profile.js"
import * as ServerProcess from "./app/ServerProcess.js"
import {
  benchLine,
  type Fields,
  fmt,
  mb,
  measure,
  measureAsync,
  median,
  quantile,
  type Row,
  table,
  verdict
} from "./app/Stats.js"
import { Subscriber } from "./app/Subscriber.js"
import { CONNECTIONS, CONTAINERS, INTERVAL_MS, makeSims, PROCESSES } from "./app/Synthetic.js"

const { values: flags } = parseArgs({
  options: {
    hosts: { type: "string", default: "1000" },
    runs: { type: "string", default: "5" },
    "steady-seconds": { type: "string", default: "20" },
    "latency-seconds": { type: "string", default: "40" },
    profile: { type: "boolean", default: false },
    "child-flags": { type: "string", default: "" }
  }
})

const positive = (name: string, text: string): number => {
  const n = Number(text)
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} expects a positive whole number, got "${text}"`)
    process.exit(2)
  }
  return n
}

const HOSTS = positive("hosts", flags.hosts)
const RUNS = positive("runs", flags.runs)
const STEADY_S = positive("steady-seconds", flags["steady-seconds"])
const LATENCY_S = positive("latency-seconds", flags["latency-seconds"])
const NAIVE_RUNS = Math.min(RUNS, 3)
const VIEWS = ["containers", "hosts", "processes"] as const

const TARGET_CPU_PCT = 25
const TARGET_RENDER_MS = 150
const TARGET_RSS_MB = 1500
const TARGET_P99_MS = 250

/**
 * Defaults except two limits: 1,000 hosts × 200 connections make ~310,000 endpoint nodes, above the default
 * `maxNodesPerTopology` (250,000), and a probe must not expire while the in-process part renders.
 */
const appConfig: Partial<AppServerConfig> = { maxNodesPerTopology: 1_000_000, staleNodeThresholdMs: 3_600_000 }

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

const profileDir = flags.profile ? mkdtempSync(join(tmpdir(), "orchestrator-bench-app-")) : undefined
const profiles: Array<{ title: string; file: string; stalls?: boolean }> = []
const profiled = async <A>(name: string, title: string, f: () => Promise<A>): Promise<A> => {
  if (profileDir === undefined) return f()
  const stop = await startProfile()
  const result = await f()
  const file = join(profileDir, `${name}.cpuprofile`)
  await stop(file)
  profiles.push({ title, file })
  return result
}

const log = (text: string) => console.log(text)
const result = (key: string, fields: Fields) => log(benchLine(key, fields))
const perSecond = (count: number, ms: number) => (count * 1000) / ms
const accepted = (r: { readonly _tag: string }, what: string) => {
  if (r._tag !== "Accepted") throw new Error(`${what} was not accepted: ${JSON.stringify(r)}`)
}

const started = performance.now()
const load0 = loadavg()
log(
  `app bench: ${HOSTS} hosts × ${CONTAINERS} containers × ${PROCESSES} processes × ${CONNECTIONS} connections; ` +
    `${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GB, node ${process.version}, ` +
    `load average ${load0.map((l) => l.toFixed(2)).join(" ")}`
)
if (load0[0]! > cpus().length * 0.75) {
  log(`warning: the machine is busy (load ${load0[0]!.toFixed(2)} on ${cpus().length} cores): wall times will be high`)
}

// Reports: one full report per probe, as JSON text and gzip-compressed.
const sims = makeSims(HOSTS)
let fullBodies = sims.map((s) => JSON.stringify(s.full(Date.now())))
const fullGz = fullBodies.map((b) => gzipSync(b))
const nodesPerReport = sims.reduce((n, s) => n + s.nodeCount, 0) / HOSTS
const avgBytes = fullBodies.reduce((n, b) => n + b.length, 0) / HOSTS
const avgGz = fullGz.reduce((n, b) => n + b.length, 0) / HOSTS
log(
  `full reports: ${fmt(nodesPerReport)} nodes, ${fmt(avgBytes / 1024)} KiB JSON, ` +
    `${fmt(avgGz / 1024)} KiB gzip on average`
)

// 1. Ingest, in-process.
const parseFull = measure(() => {
  for (const body of fullBodies) JSON.parse(body)
})
const gunzipParseFull = measure(() => {
  for (const body of fullGz) JSON.parse(gunzipSync(body).toString("utf8"))
})
const decodeSample = fullBodies.slice(0, Math.min(100, HOSTS)).map((b) => JSON.parse(b) as unknown)
const decodeFull = measure(() => {
  for (const value of decodeSample) decodeSync(value)
})
const decodeMsPerReport = decodeFull.ms / decodeSample.length
decodeSample.length = 0

const app = await createApp({ port: 0, ...appConfig })
const ingestFull = await profiled("inprocess-ingest-full", "in-process ingest of full reports", () =>
  measureAsync(async () => {
    for (const body of fullBodies) accepted(await app.aggregator.ingest(JSON.parse(body)), "full report")
  })
)
const inProcessStats = app.aggregator.stats()
log(`merged report: ${JSON.stringify(inProcessStats.nodes)}, ${inProcessStats.nodesDropped} nodes dropped`)
result("ingest.inprocess.full", {
  reports: HOSTS,
  reports_per_s: perSecond(HOSTS, ingestFull.ms),
  ms_per_report: ingestFull.ms / HOSTS,
  cpu_ms_per_report: ingestFull.cpuMs / HOSTS,
  parse_ms: parseFull.ms / HOSTS,
  decode_ms: decodeMsPerReport,
  floor_parse_per_s: perSecond(HOSTS, parseFull.ms),
  x_floor: ingestFull.ms / parseFull.ms
})

const deltaBodies = sims.map((s) => JSON.stringify(s.delta(Date.now())))
const deltaNodes = deltaBodies.reduce((n, b) => {
  const report = JSON.parse(b) as Report
  for (const t in report.topologies) n += Object.keys(report.topologies[t]!.nodes).length
  return n
}, 0)
const parseDelta = measure(() => {
  for (const body of deltaBodies) JSON.parse(body)
})
const ingestDelta = await measureAsync(async () => {
  for (const body of deltaBodies) accepted(await app.aggregator.ingest(JSON.parse(body)), "delta")
})
result("ingest.inprocess.delta", {
  reports: HOSTS,
  nodes_per_delta: deltaNodes / HOSTS,
  reports_per_s: perSecond(HOSTS, ingestDelta.ms),
  ms_per_report: ingestDelta.ms / HOSTS,
  cpu_ms_per_report: ingestDelta.cpuMs / HOSTS,
  floor_parse_per_s: perSecond(HOSTS, parseDelta.ms),
  x_floor: ingestDelta.ms / parseDelta.ms
})

// 2. Render, cache cold: a delta before each run bumps the generations every view reads.
let bumps = 0
const bump = async () => {
  const sim = sims[bumps++ % HOSTS]!
  accepted(await app.aggregator.ingest(JSON.parse(JSON.stringify(sim.delta(Date.now())))), "delta")
}
const renders = new Map<
  string,
  {
    firstMs: number
    ms: number
    cpuMs: number
    nodes: number
    edges: number
    hitMs: number
    runs: ReadonlyArray<number>
  }
>()
for (const view of VIEWS) {
  // Renders are timed without the ingest's garbage: a full GC first, so the runs do not pay for what the
  // full load left to collect (which made the first runs after the load two to three times slower).
  gc()
  // The first render of a view after the full load builds what later renders keep up to date: reported apart.
  await bump()
  const first = measure(() => app.aggregator.topology(view))
  const run = async () => {
    const wall: Array<number> = []
    const cpu: Array<number> = []
    let nodes = 0
    let edges = 0
    for (let r = 0; r < RUNS; r++) {
      await bump()
      const m = measure(() => app.aggregator.topology(view))
      wall.push(m.ms)
      cpu.push(m.cpuMs)
      nodes = m.value.nodes.length
      edges = m.value.edges.length
    }
    const hit = measure(() => app.aggregator.topology(view))
    return { firstMs: first.ms, ms: median(wall), cpuMs: median(cpu), nodes, edges, hitMs: hit.ms, runs: wall }
  }
  const r =
    view === "containers"
      ? await profiled("inprocess-render-containers", "in-process containers renders after a delta", run)
      : await run()
  renders.set(view, r)
  log(
    `render ${view}: ${r.nodes} nodes, ${r.edges} edges, first ${fmt(r.firstMs)} ms, then median ${fmt(r.ms)} ms ` +
      `(cpu ${fmt(r.cpuMs)} ms); runs ${r.runs.map((ms) => fmt(ms)).join(", ")} ms`
  )
}
// What each WebSocket flush does on top of the render: diff the new containers view against the last one.
// And the whole of a flush in-process: render after a delta, diff, serialize the delta.
gc()
const diffs: Array<number> = []
const flushTimes: Array<number> = []
let diffSize = 0
for (let r = 0; r < RUNS; r++) {
  const before = app.aggregator.topology("containers")
  await bump()
  const rendered = measure(() => app.aggregator.topology("containers"))
  const after = rendered.value
  const d = measure(() => Diff.diff(before, after))
  const text = measure(() => JSON.stringify({ type: "delta", view: "containers", delta: d.value }))
  diffs.push(d.ms)
  flushTimes.push(rendered.ms + d.ms + text.ms)
  diffSize = d.value.update.length + d.value.add.length + d.value.updateEdges.length + d.value.addEdges.length
}
const diffMs = median(diffs)
const flushMs = median(flushTimes)
log(
  `diff of two containers renders (one delta apart): median ${fmt(diffMs)} ms, ${diffSize} changes; ` +
    `whole flush (render + diff + JSON): median ${fmt(flushMs)} ms`
)
result("flush.inprocess", { view: "containers", runs: RUNS, diff_ms: diffMs, flush_ms: flushMs, changes: diffSize })
await app.close()

// Baselines for render: Scope's re-merge of every probe's report per render, and a plain copy of the maps.
gc()
const heapBefore = process.memoryUsage().heapUsed
let parsed = fullBodies.map((b) => JSON.parse(b) as Report)
gc()
const parsedHeapMb = mb(process.memoryUsage().heapUsed - heapBefore)
// The same reports as the app keeps them: Schema-decoded (decoding builds new objects).
const decodedReports = parsed.map((p) => decodeSync(p))
gc()
const decodedHeapMb = mb(process.memoryUsage().heapUsed - heapBefore) - parsedHeapMb
decodedReports.length = 0
const definition = (id: string) => BuiltinViews.all.find((v) => v.id === id)!
const naive = { remerge: [] as Array<number>, copy: [] as Array<number>, views: new Map<string, Array<number>>() }
for (let r = 0; r < NAIVE_RUNS; r++) {
  const merged = measure(() => Naive.remerge(parsed))
  naive.remerge.push(merged.ms)
  naive.copy.push(measure(() => Naive.copyMaps(merged.value)).ms)
  for (const view of VIEWS) {
    if (view !== "containers" && r > 0) continue
    const rendered = measure(() => {
      const rendering = definition(view).render(merged.value)
      return { nodes: Array.from(rendering.nodes.values()), edges: Array.from(rendering.edges.values()) }
    })
    const list = naive.views.get(view) ?? []
    list.push(merged.ms + rendered.ms)
    naive.views.set(view, list)
  }
}
parsed = []
const naiveMs = (view: string) => {
  const own = naive.views.get(view) ?? []
  return own.length > 1 ? median(own) : median(naive.remerge) + (own[0]! - naive.remerge[0]!)
}
const copyMs = median(naive.copy)
for (const view of VIEWS) {
  const r = renders.get(view)!
  result(`render.${view}`, {
    nodes: r.nodes,
    edges: r.edges,
    first_ms: r.firstMs,
    median_ms: r.ms,
    cpu_ms: r.cpuMs,
    cached_ms: r.hitMs,
    runs: RUNS,
    runs_ms: r.runs.map((ms) => fmt(ms)).join(","),
    ...(view === "containers" ? { target_ms: TARGET_RENDER_MS, ok: r.ms < TARGET_RENDER_MS } : {}),
    naive_ms: naiveMs(view),
    x_naive: r.ms / naiveMs(view),
    copy_maps_ms: copyMs
  })
}

// 3-4. The app in a child process, over HTTP.
const childFlags = flags["child-flags"].split(" ").filter((flag) => flag !== "")
if (childFlags.length > 0) log(`app child node flags: ${childFlags.join(" ")}`)
const server = await ServerProcess.start({ config: appConfig, nodeFlags: childFlags })
const client = new LoopbackClient(server.port, 32)
const childSims = makeSims(HOSTS)
const metricsText = async () => (await client.get("/metrics")).body
/** A Prometheus histogram of the app's `/metrics`, for one label set: sum, count and cumulative buckets. */
const histogram = (
  text: string,
  name: string,
  label: string
): { sum: number; count: number; atMost: (le: number) => number } => {
  const find = (suffix: string) => {
    const m = new RegExp(`^${name}_${suffix}\\{${label}\\} ([0-9.e+-]+)$`, "m").exec(text)
    return m === null ? 0 : Number(m[1])
  }
  const buckets = new Map<number, number>()
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{(.*)\\} ([0-9.e+-]+)$`, "gm"))) {
    const le = /le="([^"]+)"/.exec(m[1]!)?.[1]
    if (m[1]!.includes(label) && le !== undefined) buckets.set(Number(le), Number(m[2]))
  }
  return { sum: find("sum"), count: find("count"), atMost: (le) => buckets.get(le) ?? Number.NaN }
}
let httpFull: { ms: number; cpuS: number } | undefined
let httpDelta: { ms: number; cpuS: number } | undefined
type ChildStats = Awaited<ReturnType<ServerProcess.ServerProcess["stats"]>>
let steady: { r: SteadyResult; cpuS: number; ms: number; end: ChildStats } | undefined
let withClient:
  | {
      r: SteadyResult
      cpuS: number
      ms: number
      sub: Subscriber
      renders: number
      rendersOver250: number
      rendersOver1s: number
      renderMs: number
      end: ChildStats
    }
  | undefined
let rss:
  | {
      idle: number
      full: number
      fullAfterGc: number
      heapUsed: number
      heapTotal: number
      external: number
      end: number
      endAfterGc: number
      endHeapUsed: number
      endHeapTotal: number
      endExternal: number
      peak: number
      /** The highest sampled RSS of each phase of the child, with the memory breakdown at that moment. */
      phases: ReadonlyArray<readonly [string, NodeJS.MemoryUsage]>
    }
  | undefined
try {
  const idle = await server.statsAfterGc()
  await pool(HOSTS, 16, async (i) => {
    const sim = childSims[i]!
    const body = JSON.stringify({ agentId: sim.probeId, hostname: sim.host, version: "bench" })
    const answer = await client.post("/api/v1/agents/register", body, false)
    if (answer.status !== 200) throw new Error(`register ${sim.probeId}: ${answer.status} ${answer.body}`)
  })
  const publishAll = (bodies: ReadonlyArray<Buffer>) =>
    pool(HOSTS, 4, async (i) => {
      const answer = await client.publish(bodies[i]!)
      if (answer.status !== 200)
        throw new Error(`report from ${childSims[i]!.probeId}: ${answer.status} ${answer.body}`)
    })

  const s0 = await server.stats()
  const fullWall = await measureAsync(() => publishAll(fullGz))
  const s1 = await server.stats()
  httpFull = { ms: fullWall.ms, cpuS: ServerProcess.cpuSeconds(s0, s1) }
  const afterGc = await server.statsAfterGc()
  log(`app child: ${JSON.stringify(afterGc.nodes)}, ${afterGc.nodesDropped} nodes dropped`)

  const burst = childSims.map((s) => gzipSync(JSON.stringify(s.delta(Date.now()))))
  const s2 = await server.stats()
  const deltaWall = await measureAsync(() => publishAll(burst))
  const s3 = await server.stats()
  httpDelta = { ms: deltaWall.ms, cpuS: ServerProcess.cpuSeconds(s2, s3) }

  const s4 = await server.stats()
  const steadyRun = await measureAsync(() =>
    runSteady({ client, sims: childSims, durationMs: STEADY_S * 1000, intervalMs: INTERVAL_MS })
  )
  const s5 = await server.stats()
  steady = { r: steadyRun.value, cpuS: ServerProcess.cpuSeconds(s4, s5), ms: steadyRun.ms, end: s5 }

  const sub = await Subscriber.connect(server.port, "containers")
  let markers = 0
  const before = histogram(await metricsText(), "orchestrator_render_seconds", 'view="containers"')
  const subscribed = await server.stats()
  if (profileDir !== undefined) await server.profile("")
  const s6 = await server.stats()
  const latencyRun = await measureAsync(() =>
    runSteady({
      client,
      sims: childSims,
      durationMs: LATENCY_S * 1000,
      intervalMs: INTERVAL_MS,
      marker: () => `m${markers++}`,
      onSent: (marker, at) => sub.sent(marker, at)
    })
  )
  await sub.drain(5_000)
  const s7 = await server.stats()
  if (profileDir !== undefined) {
    const file = join(profileDir, "child-latency-phase.cpuprofile")
    await server.profile(file)
    profiles.push({ title: "app child during the latency phase (1 containers subscriber)", file, stalls: true })
  }
  const after = histogram(await metricsText(), "orchestrator_render_seconds", 'view="containers"')
  const renderCount = after.count - before.count
  withClient = {
    r: latencyRun.value,
    cpuS: ServerProcess.cpuSeconds(s6, s7),
    ms: latencyRun.ms,
    sub,
    renders: renderCount,
    rendersOver250: renderCount - (after.atMost(0.25) - before.atMost(0.25)),
    rendersOver1s: renderCount - (after.atMost(1) - before.atMost(1)),
    renderMs: renderCount > 0 ? ((after.sum - before.sum) * 1000) / renderCount : Number.NaN,
    end: s7
  }
  sub.close()
  const end = await server.stats()
  const endAfterGc = await server.statsAfterGc()
  rss = {
    idle: mb(idle.memory.rss),
    full: mb(s1.memory.rss),
    fullAfterGc: mb(afterGc.memory.rss),
    heapUsed: mb(afterGc.memory.heapUsed),
    heapTotal: mb(afterGc.memory.heapTotal),
    external: mb(afterGc.memory.external),
    end: mb(end.memory.rss),
    endAfterGc: mb(endAfterGc.memory.rss),
    endHeapUsed: mb(endAfterGc.memory.heapUsed),
    endHeapTotal: mb(endAfterGc.memory.heapTotal),
    endExternal: mb(endAfterGc.memory.external),
    peak: mb(end.peakRss),
    phases: [
      ["full load", s1.rssMax],
      ["delta burst", s3.rssMax],
      ["steady", s5.rssMax],
      ["subscribe (snapshot)", subscribed.rssMax],
      ["subscribed", s7.rssMax]
    ]
  }
} catch (error) {
  console.error("app child phase failed:", error)
  console.error(server.output().slice(-20).join("\n"))
  process.exitCode = 1
} finally {
  client.close()
  await server.stop()
}
fullBodies = []

const floorFullMs = gunzipParseFull.ms / HOSTS
if (httpFull !== undefined) {
  result("ingest.http.full", {
    reports: HOSTS,
    reports_per_cpu_s: HOSTS / httpFull.cpuS,
    cpu_ms_per_report: (httpFull.cpuS * 1000) / HOSTS,
    wall_reports_per_s: perSecond(HOSTS, httpFull.ms),
    floor_gunzip_parse_per_s: 1000 / floorFullMs,
    x_floor: (httpFull.cpuS * 1000) / HOSTS / floorFullMs
  })
}
const deltaFloorMs = (() => {
  const gz = deltaBodies.map((b) => gzipSync(b))
  return (
    measure(() => {
      for (const body of gz) JSON.parse(gunzipSync(body).toString("utf8"))
    }).ms / HOSTS
  )
})()
const cpuPerDeltaMs = httpDelta === undefined ? Number.NaN : (httpDelta.cpuS * 1000) / HOSTS
const rate = HOSTS / (INTERVAL_MS / 1000)
/** A full report from every probe every 10 minutes, on top of the deltas (CPU % of one core). */
const fullEvery10MinPct = httpFull === undefined ? Number.NaN : (httpFull.cpuS * 1000) / 600 / 10
if (httpDelta !== undefined) {
  result("ingest.http.delta", {
    reports: HOSTS,
    reports_per_cpu_s: HOSTS / httpDelta.cpuS,
    cpu_ms_per_report: cpuPerDeltaMs,
    wall_reports_per_s: perSecond(HOSTS, httpDelta.ms),
    floor_gunzip_parse_per_s: 1000 / deltaFloorMs,
    x_floor: cpuPerDeltaMs / deltaFloorMs
  })
  result("cpu.extrapolated", {
    probes: HOSTS,
    interval_s: INTERVAL_MS / 1000,
    reports_per_s: rate,
    cpu_pct: (cpuPerDeltaMs * rate) / 10,
    full_every_10min_extra_pct: fullEvery10MinPct
  })
}
const pct = (run: { cpuS: number; ms: number }) => (run.cpuS * 100_000) / run.ms
if (steady !== undefined) {
  result("cpu.steady", {
    probes: HOSTS,
    interval_s: INTERVAL_MS / 1000,
    seconds: steady.ms / 1000,
    deltas: steady.r.accepted,
    skipped: steady.r.skipped,
    failed: steady.r.failed + steady.r.resyncs,
    cpu_pct: pct(steady),
    target_pct: TARGET_CPU_PCT,
    ok: pct(steady) < TARGET_CPU_PCT,
    floor_pct: (deltaFloorMs * rate) / 10,
    loop_delay_p99_ms: steady.end.loopDelay.p99,
    loop_delay_max_ms: steady.end.loopDelay.max,
    gc_pause_pct: steady.end.gc.totalMs / steady.ms / 0.01,
    gc_major_max_ms: steady.end.gc.majorMaxMs
  })
}
if (withClient !== undefined) {
  const { sub, r } = withClient
  result("cpu.steady_with_client", {
    probes: HOSTS,
    seconds: withClient.ms / 1000,
    deltas: r.accepted,
    skipped: r.skipped,
    failed: r.failed + r.resyncs,
    cpu_pct: pct(withClient),
    target_pct: TARGET_CPU_PCT,
    ok: pct(withClient) < TARGET_CPU_PCT,
    renders: withClient.renders,
    renders_ms_avg: withClient.renderMs,
    renders_over_250ms: withClient.rendersOver250,
    renders_over_1s: withClient.rendersOver1s,
    diff_ms_inprocess: diffMs,
    loop_delay_p50_ms: withClient.end.loopDelay.p50,
    loop_delay_p99_ms: withClient.end.loopDelay.p99,
    loop_delay_max_ms: withClient.end.loopDelay.max,
    gc_pause_pct: withClient.end.gc.totalMs / withClient.ms / 0.01,
    gc_major: withClient.end.gc.majorCount,
    gc_major_max_ms: withClient.end.gc.majorMaxMs
  })
  result("ws.latency", {
    view: "containers",
    samples: sub.latencies.length,
    lost: sub.outstanding,
    p50_ms: quantile(sub.latencies, 0.5),
    p99_ms: quantile(sub.latencies, 0.99),
    max_ms: quantile(sub.latencies, 1),
    target_p99_ms: TARGET_P99_MS,
    ok: quantile(sub.latencies, 0.99) < TARGET_P99_MS && sub.outstanding === 0,
    post_p50_ms: quantile(r.roundTrips, 0.5),
    post_p99_ms: quantile(r.roundTrips, 0.99),
    ws_deltas: sub.deltas,
    ws_delta_kib_avg: sub.deltas === 0 ? 0 : sub.deltaBytes / sub.deltas / 1024,
    snapshot_ms: sub.snapshotMs,
    snapshot_mib: sub.snapshotBytes / 1024 ** 2
  })
}
if (rss !== undefined) {
  result("rss", {
    hosts: HOSTS,
    idle_mb: rss.idle,
    full_mb: rss.full,
    full_after_gc_mb: rss.fullAfterGc,
    heap_used_mb: rss.heapUsed,
    heap_total_mb: rss.heapTotal,
    external_mb: rss.external,
    end_mb: rss.end,
    end_heap_used_mb: rss.endHeapUsed,
    end_heap_total_mb: rss.endHeapTotal,
    end_external_mb: rss.endExternal,
    peak_mb: rss.peak,
    max_subscribe_mb: mb(rss.phases[3]![1].rss),
    max_subscribed_mb: mb(rss.phases[4]![1].rss),
    target_mb: TARGET_RSS_MB,
    ok: rss.full < TARGET_RSS_MB && rss.peak < TARGET_RSS_MB,
    parsed_reports_heap_mb: parsedHeapMb,
    decoded_reports_heap_mb: decodedHeapMb
  })
}

const wallS = (performance.now() - started) / 1000
const load1 = loadavg()
result("wall", { seconds: wallS, load_start: load0[0]!, load_end: load1[0]! })

const dash = "—"
const rows: Array<Row> = [
  {
    measure: "ingest full report, in-process (parse+decode+apply)",
    value: `${fmt(perSecond(HOSTS, ingestFull.ms))}/s (${fmt(ingestFull.ms / HOSTS)} ms)`,
    target: dash,
    baseline: `JSON.parse ${fmt(perSecond(HOSTS, parseFull.ms))}/s`,
    ratio: fmt(ingestFull.ms / parseFull.ms)
  },
  {
    measure: `ingest delta (${fmt(deltaNodes / HOSTS)} nodes), in-process`,
    value: `${fmt(perSecond(HOSTS, ingestDelta.ms))}/s (${fmt(ingestDelta.ms / HOSTS)} ms)`,
    target: dash,
    baseline: `JSON.parse ${fmt(perSecond(HOSTS, parseDelta.ms))}/s`,
    ratio: fmt(ingestDelta.ms / parseDelta.ms)
  }
]
if (httpFull !== undefined) {
  rows.push({
    measure: "ingest full report, HTTP gzip (app CPU)",
    value: `${fmt(HOSTS / httpFull.cpuS)}/core-s (${fmt((httpFull.cpuS * 1000) / HOSTS)} ms)`,
    target: dash,
    baseline: `gunzip+parse ${fmt(1000 / floorFullMs)}/s`,
    ratio: fmt((httpFull.cpuS * 1000) / HOSTS / floorFullMs)
  })
}
if (httpDelta !== undefined) {
  rows.push({
    measure: "ingest delta, HTTP gzip (app CPU)",
    value: `${fmt(HOSTS / httpDelta.cpuS)}/core-s (${fmt(cpuPerDeltaMs)} ms)`,
    target: dash,
    baseline: `gunzip+parse ${fmt(1000 / deltaFloorMs)}/s`,
    ratio: fmt(cpuPerDeltaMs / deltaFloorMs)
  })
}
if (steady !== undefined) {
  rows.push({
    measure: `app CPU, ${HOSTS} probes every 15 s (${fmt(steady.ms / 1000)} s real time)`,
    value: `${fmt(pct(steady))}% of a core`,
    target: `< ${TARGET_CPU_PCT}% ${verdict(pct(steady), TARGET_CPU_PCT)}`,
    baseline: `gunzip+parse ${fmt((deltaFloorMs * rate) / 10)}%`,
    ratio: fmt(pct(steady) / ((deltaFloorMs * rate) / 10))
  })
}
if (withClient !== undefined) {
  const sub = withClient.sub
  const p99 = quantile(sub.latencies, 0.99)
  const post99 = quantile(withClient.r.roundTrips, 0.99)
  rows.push(
    {
      measure: `app CPU, same + 1 containers subscriber (${fmt(withClient.ms / 1000)} s)`,
      value: `${fmt(pct(withClient))}% of a core`,
      // the issue's CPU target is the ingest's (row above); rendering for a subscriber is shown, not judged
      target: "— (ingest's above)",
      baseline: `gunzip+parse ${fmt((deltaFloorMs * rate) / 10)}%`,
      ratio: fmt(pct(withClient) / ((deltaFloorMs * rate) / 10))
    },
    {
      measure: `WebSocket delta latency p50 / p99 (${sub.latencies.length} samples, ${sub.outstanding} lost)`,
      value: `${fmt(quantile(sub.latencies, 0.5))} / ${fmt(p99)} ms`,
      target: `p99 < ${TARGET_P99_MS} ms ${verdict(sub.outstanding === 0 ? p99 : Number.NaN, TARGET_P99_MS)}`,
      baseline: `POST p99 ${fmt(post99)} ms`,
      ratio: fmt(p99 / post99)
    }
  )
}
for (const view of VIEWS) {
  const r = renders.get(view)!
  rows.push({
    measure: `render ${view} (${r.nodes} nodes, ${r.edges} edges), cold`,
    value: `${fmt(r.ms)} ms (cpu ${fmt(r.cpuMs)})`,
    target: view === "containers" ? `< ${TARGET_RENDER_MS} ms ${verdict(r.ms, TARGET_RENDER_MS)}` : dash,
    baseline: `re-merge+render ${fmt(naiveMs(view))} ms`,
    ratio: fmt(r.ms / naiveMs(view))
  })
}
if (rss !== undefined) {
  rows.push(
    {
      measure: "app RSS after the full load",
      value: `${fmt(rss.full)} MB`,
      target: `< ${TARGET_RSS_MB} MB ${verdict(rss.full, TARGET_RSS_MB)}`,
      baseline: `parsed reports ${fmt(parsedHeapMb)} MB`,
      ratio: fmt(rss.full / parsedHeapMb)
    },
    {
      measure: "app RSS peak (end of the latency phase)",
      value: `${fmt(rss.peak)} MB`,
      target: `< ${TARGET_RSS_MB} MB ${verdict(rss.peak, TARGET_RSS_MB)}`,
      baseline: `parsed reports ${fmt(parsedHeapMb)} MB`,
      ratio: fmt(rss.peak / parsedHeapMb)
    }
  )
}

log("")
log(table(rows))
log("")
log("baselines (same run):")
log(`  JSON.parse / gunzip+JSON.parse of the same bodies: the floor of any ingest path.`)
log(
  `  render: cold = a delta ingested before each run; the first render of each view after the full load is ` +
    `not in the median: ${VIEWS.map((v) => `${v} ${fmt(renders.get(v)!.firstMs)} ms`).join(", ")}`
)
log(
  `  full-report ingest in-process: ${fmt(parseFull.ms / HOSTS)} ms parse + ` +
    `${fmt(decodeMsPerReport)} ms Schema decode + ` +
    `${fmt(ingestFull.ms / HOSTS - parseFull.ms / HOSTS - decodeMsPerReport)} ms apply (by difference)`
)
log(
  `  re-merge+render: every probe's full report merged into fresh maps (a new object per node, mergeNode for shared ` +
    `nodes; ${fmt(median(naive.remerge))} ms) then the same renderer; ` +
    `plain copy of the merged node maps: ${fmt(copyMs)} ms`
)
log(
  `  parsed reports: heap of JSON.parse of all ${HOSTS} full reports, the data without any index ` +
    `(${fmt(parsedHeapMb)} MB; the same reports Schema-decoded: ${fmt(decodedHeapMb)} MB)`
)
if (rss !== undefined) {
  log(
    `  app RSS: idle ${fmt(rss.idle)} MB, after full load ${fmt(rss.full)} MB (${fmt(rss.fullAfterGc)} MB after GC, ` +
      `heap ${fmt(rss.heapUsed)} MB used of ${fmt(rss.heapTotal)} MB, ${fmt(rss.external)} MB external), ` +
      `end ${fmt(rss.end)} MB (${fmt(rss.endAfterGc)} MB after GC, heap ` +
      `${fmt(rss.endHeapUsed)} MB used of ${fmt(rss.endHeapTotal)} MB, ${fmt(rss.endExternal)} MB external), ` +
      `peak ${fmt(rss.peak)} MB`
  )
  log(
    `  app RSS highest by phase (sampled every 50 ms; RSS = heap used / heap total / external + array buffers): ` +
      rss.phases
        .map(
          ([phase, m]) =>
            `${phase} ${fmt(mb(m.rss))} MB = ${fmt(mb(m.heapUsed))} / ${fmt(mb(m.heapTotal))} / ${fmt(mb(m.external))}`
        )
        .join("; ")
  )
}
if (httpDelta !== undefined) {
  log(
    `  CPU from CPU-seconds per delta: ${fmt((cpuPerDeltaMs * rate) / 10)}% at ${fmt(rate)} deltas/s; a full report ` +
      `from each probe every 10 min would add ${fmt(fullEvery10MinPct)}%`
  )
}
if (withClient !== undefined) {
  const { end } = withClient
  log(
    `  subscribed phase: ${withClient.renders} containers renders of ${fmt(withClient.renderMs)} ms on average ` +
      `(${withClient.rendersOver250} over 250 ms, ${withClient.rendersOver1s} over 1 s) ` +
      `(+ ${fmt(diffMs)} ms to diff two renders, measured in-process); event loop delay p50 ` +
      `${fmt(end.loopDelay.p50)} / p99 ${fmt(end.loopDelay.p99)} / max ${fmt(end.loopDelay.max)} ms; GC pauses ` +
      `${fmt(end.gc.totalMs / withClient.ms / 0.01)}% of the time, ${end.gc.majorCount} major up to ` +
      `${fmt(end.gc.majorMaxMs)} ms`
  )
}
log(
  "Weave Scope for context (published, not measured here): at 300 hosts its app took 2.2-2.6 s to render the " +
    "containers view, ~8 s for processes, and used 1.9 GB RSS."
)
for (const { title, file, stalls: withStalls } of profiles) {
  log("")
  log(formatHotspots(`hotspots: ${title} (${file})`, hotspots(file, 15)))
  if (withStalls === true) log(formatStalls("longest event-loop stalls (busy without a break):", stalls(file)))
}
log(`\nwall time ${fmt(wallS)} s (load average ${load0[0]!.toFixed(2)} -> ${load1[0]!.toFixed(2)})`)
