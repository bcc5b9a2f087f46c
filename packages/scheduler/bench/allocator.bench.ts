/**
 * `npm run bench:allocator`: the allocator's benchmarks, each compared with a baseline measured in the same
 * run.
 *
 * 1. A steady stream of task requests at 5,000 agents x 1,000 roles: placement decisions per second, wall
 *    latency from a resource change to the offer, utilization under a mixed workload (and the naive baseline).
 * 2. The same latency through the `AllocatorService` (event-driven cycles).
 * 3. Mesos' `HierarchicalAllocator_BENCHMARK_Test.DeclineOffers` (agents x frameworks, every offer declined),
 *    time per allocation cycle vs the published Mesos 1.8 figures and vs a naive re-sort-everything DRF.
 *
 * The stream runs first, on a fresh heap (DeclineOffers leaves large heaps behind).
 *
 * `BENCH_QUICK=1` runs smaller sizes (for a smoke run). Runs on one core: everything is single-threaded.
 */
import { declineOffers, drf } from "./allocator/declineOffers.js"
import { naive } from "./allocator/NaiveAllocator.js"
import { serviceLatency } from "./allocator/serviceLatency.js"
import { drfStream, minAllocatable, naiveStream, steadyStream } from "./allocator/steadyStream.js"

const quick = process.env.BENCH_QUICK === "1"
const agentCounts = quick ? [1_000, 5_000] : [1_000, 5_000, 10_000, 20_000]
const frameworkCounts = quick ? [100, 500] : [100, 500, 1_000, 2_000]
const rounds = 5
/** Published Mesos 1.8 figures (seconds per allocation cycle), keyed `agents x frameworks`. */
const mesos: Readonly<Record<string, number>> = { "5000x500": 0.4, "10000x1000": 1.06, "20000x2000": 3.8 }
/** The naive baseline re-sorts every framework for every agent: only run where that stays affordable. */
const naiveBudget = 2_500_000

const mean = (xs: ReadonlyArray<number>) => xs.reduce((s, x) => s + x, 0) / xs.length
const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "-")
const pad = (s: string, n: number) => s.padStart(n)

const load = (await import("node:os")).loadavg()
console.log(
  `# Node ${process.version}, load average ${load.map((x) => x.toFixed(1)).join(" ")} ` +
    "(a loaded machine inflates wall times; CPU-time rates are shown beside them)"
)
const streamAgents = quick ? 1_000 : 5_000
const streamRoles = quick ? 200 : 1_000
console.log(
  `# Steady stream: ${streamAgents} agents x ${streamRoles} roles, mixed workload, simulated time (10 ms ticks), ` +
    `min allocatable ${minAllocatable.join(" | ")}, declines with the 5 s default filter`
)
const stream = (make: typeof drfStream, warmupSeconds: number, measureSeconds: number) =>
  steadyStream(make, { agents: streamAgents, roles: streamRoles, warmupSeconds, measureSeconds, tickMs: 10 })
const ours = stream(drfStream, 20, quick ? 5 : 20)
// The naive baseline is too slow for the same window: a shorter warm-up and measurement (rates compare).
const base = stream(naiveStream, 6, quick ? 1 : 2)
console.log(
  [
    pad("allocator", 9),
    pad("decisions", 9),
    pad("decisions/s", 11),
    pad("per cpu-s", 9),
    pad("p50 ms", 7),
    pad("p99 ms", 7),
    pad("cpu util", 8),
    pad("mem util", 8)
  ].join(" ")
)
for (const [name, r] of [
  ["drf", ours],
  ["naive", base]
] as const)
  console.log(
    [
      pad(name, 9),
      pad(String(r.decisions), 9),
      pad(fmt(r.decisionsPerSecond, 0), 11),
      pad(fmt(r.decisionsPerCpuSecond, 0), 9),
      pad(fmt(r.latencyP50Ms, 2), 7),
      pad(fmt(r.latencyP99Ms, 2), 7),
      pad(`${fmt(r.cpuUtilization * 100)}%`, 8),
      pad(`${fmt(r.memUtilization * 100)}%`, 8)
    ].join(" ")
  )
console.log(`ratio decisions/s drf/naive: ${fmt(ours.decisionsPerSecond / base.decisionsPerSecond, 2)}`)
console.log(
  `bench allocator-stream agents=${streamAgents} roles=${streamRoles} decisions_per_s=${fmt(ours.decisionsPerSecond, 0)} ` +
    `decisions_per_cpu_s=${fmt(ours.decisionsPerCpuSecond, 0)} ` +
    `p50_ms=${fmt(ours.latencyP50Ms, 3)} p99_ms=${fmt(ours.latencyP99Ms, 3)} cpu_util=${fmt(ours.cpuUtilization, 3)} ` +
    `mem_util=${fmt(ours.memUtilization, 3)} naive_decisions_per_s=${fmt(base.decisionsPerSecond, 0)} ` +
    `naive_p99_ms=${fmt(base.latencyP99Ms, 3)} ratio=${fmt(ours.decisionsPerSecond / base.decisionsPerSecond, 2)}`
)

console.log(
  `\n# Resource change -> offer through AllocatorService (event-driven cycles), ${streamAgents} x ${streamRoles}`
)
const latency = await serviceLatency(streamAgents, streamRoles, quick ? 500 : 3_000)
console.log(
  `changes ${latency.changes}: p50 ${fmt(latency.p50Ms, 3)} ms, p99 ${fmt(latency.p99Ms, 3)} ms, max ${fmt(latency.maxMs, 3)} ms`
)
console.log(
  `bench allocator-latency agents=${streamAgents} roles=${streamRoles} changes=${latency.changes} p50_ms=${fmt(latency.p50Ms, 3)} ` +
    `p99_ms=${fmt(latency.p99Ms, 3)} max_ms=${fmt(latency.maxMs, 3)}`
)

console.log(`\n# DeclineOffers: time per allocation cycle (mean of ${rounds} cycles)`)
console.log(
  [
    pad("agents", 7),
    pad("frameworks", 10),
    pad("cycle ms", 9),
    pad("cpu ms", 8),
    pad("max ms", 8),
    pad("naive ms", 9),
    pad("naive/ours", 10),
    pad("mesos ms", 9),
    pad("ours/mesos", 10)
  ].join(" ")
)
const machine: Array<string> = []
for (const agents of agentCounts) {
  for (const frameworks of frameworkCounts) {
    const ours = declineOffers(drf, agents, frameworks, rounds)
    const cycle = mean(ours.cycleMs)
    const cpu = mean(ours.cpuMs)
    const base =
      agents * frameworks <= naiveBudget
        ? mean(declineOffers(() => naive(), agents, frameworks, 2).cycleMs)
        : Number.NaN
    const published = mesos[`${agents}x${frameworks}`]
    const mesosMs = published === undefined ? Number.NaN : published * 1000
    console.log(
      [
        pad(String(agents), 7),
        pad(String(frameworks), 10),
        pad(fmt(cycle), 9),
        pad(fmt(cpu), 8),
        pad(fmt(Math.max(...ours.cycleMs)), 8),
        pad(fmt(base), 9),
        pad(fmt(base / cycle, 2), 10),
        pad(fmt(mesosMs, 0), 9),
        pad(fmt(cycle / mesosMs, 3), 10)
      ].join(" ")
    )
    machine.push(
      `bench allocator agents=${agents} frameworks=${frameworks} cycle_ms=${fmt(cycle, 2)} cpu_ms=${fmt(cpu, 2)} max_ms=${fmt(Math.max(...ours.cycleMs), 2)}` +
        (Number.isFinite(base) ? ` naive_ms=${fmt(base, 2)} naive_ratio=${fmt(base / cycle, 2)}` : "") +
        (Number.isFinite(mesosMs)
          ? ` mesos_ms=${mesosMs} mesos_ratio=${fmt(cycle / mesosMs, 3)} mesos_cpu_ratio=${fmt(cpu / mesosMs, 3)}`
          : "")
    )
  }
}
for (const line of machine) console.log(line)
