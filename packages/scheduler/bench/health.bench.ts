/**
 * The health monitor's benchmark (`tsx --conditions=source packages/scheduler/bench/health.bench.ts`):
 *
 * - one-check throughput: `checkOnce` (HTTP, fresh connection each) at 64 in flight, against a baseline of
 *   bare `http.get` calls (same server, same concurrency, fresh connections) in the same run;
 * - 1,000 watched tasks, HTTP checks every 4 s: the mean gap between two checks of one task (target: the
 *   interval), the largest burst of first checks in any 10 ms window (target: far below 1,000: they are
 *   spread), the time to watch them all, the event loop's p99 delay, and the heap each watched task costs.
 *
 * Prints a table and one `bench health <name> key=value ...` line per result.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { Context, Effect, Layer, Schema } from "effect"
import { checkOnce } from "../src/apps/health/checkOnce.js"
import { HealthMonitor } from "../src/apps/health/HealthMonitor.js"
import { HealthCheck } from "../src/apps/model/AppDefinition.js"

const server = http.createServer((_req, res) => {
  res.writeHead(200)
  res.end("ok")
})
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
const port = (server.address() as AddressInfo).port
const intervalSeconds = 4
const check = Schema.decodeUnknownSync(HealthCheck)({
  path: "/health",
  delaySeconds: 0,
  intervalSeconds,
  timeoutSeconds: 5
})
const target = (i: number) => ({
  taskId: `t${i}`,
  host: "127.0.0.1",
  ports: [port],
  agentUrl: "",
  startedAt: Date.now()
})

const bareGet = (): Promise<void> =>
  new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/health", agent: false }, (res) => {
      res.resume()
      res.on("end", () => resolve())
    })
    req.on("error", reject)
  })

/** Runs `once` `total` times with `concurrency` in flight; returns calls per second. */
const throughput = async (once: () => Promise<unknown>, total: number, concurrency: number): Promise<number> => {
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) await once()
    })
  )
  return total / ((performance.now() - start) / 1000)
}

const rows: Array<{ name: string; value: string; baseline: string; ratio: string; target: string }> = []
const lines: Array<string> = []

// warm up both paths
await throughput(bareGet, 500, 32)
await throughput(() => Effect.runPromise(checkOnce(check, target(0))), 500, 32)
const bare = await throughput(bareGet, 4_000, 64)
const single = await throughput(() => Effect.runPromise(checkOnce(check, target(0))), 4_000, 64)
rows.push({
  name: "checkOnce HTTP (64 in flight)",
  value: `${single.toFixed(0)}/s`,
  baseline: `${bare.toFixed(0)}/s bare http.get`,
  ratio: (single / bare).toFixed(2),
  target: "-"
})
lines.push(
  `bench health checkOnce checks_per_s=${single.toFixed(0)} baseline_per_s=${bare.toFixed(0)} ratio=${(single / bare).toFixed(3)}`
)

const tasks = 1_000
const seconds = 2.5 + 2 * intervalSeconds
/** Request times by path: each watched task checks its own path. */
const byPath = new Map<string, Array<number>>()
const perTask = (i: number) => Schema.decodeUnknownSync(HealthCheck)({ ...check, path: `/task/${i}` })
global.gc?.()
const heapBefore = process.memoryUsage().heapUsed
const delay = monitorEventLoopDelay({ resolution: 5 })
const result = await Effect.runPromise(
  Effect.scoped(
    Effect.gen(function* () {
      const context = yield* Layer.build(HealthMonitor.layer)
      const monitor = Context.get(context, HealthMonitor)
      server.on("request", (req: http.IncomingMessage) => {
        const list = byPath.get(req.url ?? "") ?? []
        list.push(performance.now())
        byPath.set(req.url ?? "", list)
      })
      delay.enable()
      const watchedAt = performance.now()
      for (let i = 0; i < tasks; i++) yield* monitor.watch(target(i), [perTask(i)], [])
      const watchMs = performance.now() - watchedAt
      yield* Effect.sleep(seconds * 1000)
      delay.disable()
      global.gc?.()
      const heap = process.memoryUsage().heapUsed - heapBefore
      const alive = (yield* monitor.all).filter((h) => h.alive === true).length
      return { watchMs, heap, alive }
    })
  )
)
const firsts = [...byPath.values()].map((times) => times[0]!)
const buckets = new Map<number, number>()
for (const t of firsts) buckets.set(Math.floor(t / 10), (buckets.get(Math.floor(t / 10)) ?? 0) + 1)
const burst = Math.max(...buckets.values())
const firstSpan = Math.max(...firsts) - Math.min(...firsts)
// gaps between a task's later checks (the first one waits for its turn among 1,000 first checks)
const gaps = [...byPath.values()].flatMap((times) => times.slice(2).map((t, i) => t - times[i + 1]!))
const meanGap = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length / 1000
const sortedGaps = [...gaps].sort((a, b) => a - b)
const p99Gap = sortedGaps[Math.floor(sortedGaps.length * 0.99)]! / 1000
const p99 = delay.percentile(99) / 1e6
rows.push(
  {
    name: `${tasks} tasks, ${intervalSeconds} s interval: gap between checks`,
    value: `${meanGap.toFixed(3)} s (p99 ${p99Gap.toFixed(3)} s)`,
    baseline: `${intervalSeconds} s asked`,
    ratio: (meanGap / intervalSeconds).toFixed(3),
    target: "1 +- 0.05"
  },
  {
    name: "largest burst of first checks",
    value: `${burst} in 10 ms (all in ${(firstSpan / 1000).toFixed(2)} s)`,
    baseline: `${tasks} unspread`,
    ratio: (burst / tasks).toFixed(3),
    target: "< 0.05"
  },
  {
    name: `watch ${tasks} tasks`,
    value: `${result.watchMs.toFixed(0)} ms`,
    baseline: "-",
    ratio: "-",
    target: "-"
  },
  { name: "event loop delay p99", value: `${p99.toFixed(1)} ms`, baseline: "-", ratio: "-", target: "-" },
  {
    name: "heap per watched task",
    value: `${(result.heap / tasks / 1024).toFixed(1)} KB`,
    baseline: "-",
    ratio: "-",
    target: "-"
  }
)
lines.push(
  `bench health monitor tasks=${tasks} interval_s=${intervalSeconds} mean_gap_s=${meanGap.toFixed(3)} p99_gap_s=${p99Gap.toFixed(3)} ratio=${(meanGap / intervalSeconds).toFixed(4)} alive=${result.alive}`,
  `bench health spread first_burst_10ms=${burst} first_span_s=${(firstSpan / 1000).toFixed(2)} ratio=${(burst / tasks).toFixed(4)}`,
  `bench health watch tasks=${tasks} ms=${result.watchMs.toFixed(0)}`,
  `bench health loop delay_p99_ms=${p99.toFixed(2)} heap_per_task_kb=${(result.heap / tasks / 1024).toFixed(2)}`
)
server.close()

console.table(rows)
for (const line of lines) console.log(line)
