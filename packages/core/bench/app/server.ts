/**
 * The app server as a child process of the app benchmark, so its CPU time and memory are its own. Started by
 * `ServerProcess.start` as `node --expose-gc --import tsx server.ts '<config json>'`; it calls `createApp`
 * on 127.0.0.1 with a free port and talks to the parent over the IPC channel:
 *
 * - it sends `{ type: "ready", port, pid }` once it listens;
 * - it answers `{ type: "stats", id }` (and `{ type: "gc", id }`, after a full GC) with its CPU time,
 *   memory, aggregator counters, and its event-loop delay, GC pauses and highest sampled RSS since the
 *   previous answer;
 * - `{ type: "profile", id, file }` starts a CPU profile of the child, or, when one runs, stops it and writes
 *   it to `file`; either way it answers with stats;
 * - on `{ type: "exit" }`, or when the parent goes away, it closes the app and exits.
 *
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import { monitorEventLoopDelay, type PerformanceEntry, PerformanceObserver } from "node:perf_hooks"
import { createApp } from "../../src/App.js"
import type { AppServerConfig } from "../../src/AppServerConfig.js"
import { startProfile } from "./Profile.js"

/** What the child reports about itself. */
export interface ChildStats {
  readonly type: "stats"
  readonly id: number
  /** `process.cpuUsage()`: microseconds of user and system CPU, all threads. */
  readonly cpu: { readonly user: number; readonly system: number }
  readonly memory: NodeJS.MemoryUsage
  /** Peak resident set size (VmHWM) in bytes. */
  readonly peakRss: number
  readonly probes: number
  readonly nodes: Readonly<Record<string, number>>
  readonly nodesDropped: number
  /** Since the previous stats: how late timers fired (ms), i.e. how long the event loop was blocked. */
  readonly loopDelay: { readonly p50: number; readonly p99: number; readonly max: number }
  /** Since the previous stats: GC pauses (ms), all kinds and the major (mark-compact) ones. */
  readonly gc: {
    readonly count: number
    readonly totalMs: number
    readonly majorCount: number
    readonly majorMaxMs: number
  }
  /** Since the previous stats: the highest RSS sampled (every 50 ms) and the memory breakdown at that moment. */
  readonly rssMax: NodeJS.MemoryUsage
}

/** Messages from the parent. */
export type ParentMessage =
  | { readonly type: "stats" | "gc"; readonly id: number }
  | { readonly type: "profile"; readonly id: number; readonly file: string }
  | { readonly type: "exit" }

const peakRss = (): number => {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))
  return match === null ? 0 : Number(match[1]) * 1024
}

const LOOP_RESOLUTION_MS = 10
const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
loop.enable()
const pauses = { count: 0, totalMs: 0, majorCount: 0, majorMaxMs: 0 }
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    pauses.count++
    pauses.totalMs += entry.duration
    // NODE_PERFORMANCE_GC_MAJOR
    if ((entry as PerformanceEntry & { readonly detail?: { readonly kind?: number } }).detail?.kind === 4) {
      pauses.majorCount++
      pauses.majorMaxMs = Math.max(pauses.majorMaxMs, entry.duration)
    }
  }
}).observe({ entryTypes: ["gc"] })

/** The highest RSS since the last stats, sampled: VmHWM says how high RSS went, this says with what. */
let rssMax = process.memoryUsage()
setInterval(() => {
  if (process.memoryUsage.rss() > rssMax.rss) rssMax = process.memoryUsage()
}, 50).unref()

const config = JSON.parse(process.argv[2] ?? "{}") as Partial<AppServerConfig>
const app = await createApp({ ...config, host: "127.0.0.1", port: 0 })

const send = (message: object) => {
  if (process.connected) process.send?.(message)
}

const stats = (id: number): ChildStats => {
  const aggregator = app.aggregator.stats()
  return {
    type: "stats",
    id,
    cpu: process.cpuUsage(),
    memory: process.memoryUsage(),
    peakRss: peakRss(),
    probes: aggregator.probes,
    nodes: aggregator.nodes,
    nodesDropped: aggregator.nodesDropped,
    loopDelay: (() => {
      // The histogram samples every `resolution` ms and includes it: subtract it to get the delay.
      const late = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS)
      const out = { p50: late(loop.percentile(50)), p99: late(loop.percentile(99)), max: late(loop.max) }
      loop.reset()
      return out
    })(),
    gc: (() => {
      const out = { ...pauses }
      pauses.count = 0
      pauses.totalMs = 0
      pauses.majorCount = 0
      pauses.majorMaxMs = 0
      return out
    })(),
    rssMax: (() => {
      const out = rssMax
      rssMax = process.memoryUsage()
      return out.rss >= rssMax.rss ? out : rssMax
    })()
  }
}

let stopProfile: ((file: string) => Promise<void>) | undefined
const profile = async (id: number, file: string) => {
  if (stopProfile === undefined) stopProfile = await startProfile()
  else {
    await stopProfile(file)
    stopProfile = undefined
  }
  send(stats(id))
}

let closing = false
const shutdown = async () => {
  if (closing) return
  closing = true
  const force = setTimeout(() => process.exit(1), 10_000)
  force.unref()
  await app.close().catch(() => undefined)
  process.exit(0)
}

process.on("message", (message: ParentMessage) => {
  switch (message.type) {
    case "stats":
      return send(stats(message.id))
    case "gc":
      ;(globalThis as { gc?: () => void }).gc?.()
      return send(stats(message.id))
    case "profile":
      return void profile(message.id, message.file)
    case "exit":
      return void shutdown()
  }
})
process.on("disconnect", () => void shutdown())
process.on("SIGTERM", () => void shutdown())

send({ type: "ready", port: app.port, pid: process.pid })
