/**
 * The steady stream alone (this allocator, no naive baseline), for profiling:
 * `STREAM_MEASURE=10 node --cpu-prof --import tsx --conditions=source packages/scheduler/bench/allocator/streamOnly.ts`.
 */
import { loadavg } from "node:os"
import { drfStream, steadyStream } from "./steadyStream.js"

const measureSeconds = Number(process.env.STREAM_MEASURE ?? "10")
const r = steadyStream(drfStream, { agents: 5_000, roles: 1_000, warmupSeconds: 20, measureSeconds, tickMs: 10 })
console.log(
  `bench allocator-stream-only decisions=${r.decisions} decisions_per_s=${r.decisionsPerSecond.toFixed(0)} ` +
    `decisions_per_cpu_s=${r.decisionsPerCpuSecond.toFixed(0)} p50_ms=${r.latencyP50Ms.toFixed(2)} ` +
    `p99_ms=${r.latencyP99Ms.toFixed(2)} cpu_util=${(r.cpuUtilization * 100).toFixed(1)} ` +
    `mem_util=${(r.memUtilization * 100).toFixed(1)} load=${loadavg()[0]!.toFixed(1)}`
)
