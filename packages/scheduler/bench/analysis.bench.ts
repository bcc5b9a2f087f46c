/**
 * The rollout analyzer's benchmark (`npm run bench:analysis`):
 *
 * - judge throughput: metric pairs judged per second, 50 vs 50 samples, against a baseline of the bare U
 *   statistic (a pairwise count, no p-value, no interval) on the same pairs in the same run;
 * - a 100-metric judgement: median time of a whole `judge` call (target < 50 ms);
 * - a 20-metric analysis run end to end against a real Prometheus (Debian's package, scraping an exporter
 *   this benchmark starts), against a baseline of the same 20 queries fetched directly in parallel.
 *
 * Prints a table and one `bench analysis <name> key=value ...` line per result.
 */
import { Effect } from "effect"
import { Analysis, AnalysisTemplate, Judge } from "../src/rollout/index.js"
import { prometheusAvailable, startPrometheus } from "../test/rollout/prometheus.js"

const sample = (n: number, center: number, seed: number): Array<number> => {
  let state = seed
  return Array.from({ length: n }, () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return center + 20 * (state / 2147483648 - 0.5)
  })
}

const median = (values: Array<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const pairs = Array.from({ length: 200 }, (_, i) => ({
  name: `m${i}`,
  control: sample(50, 100, 2 * i + 1),
  experiment: sample(50, 100 + (i % 4) * 3, 2 * i + 2)
}))

/** The baseline: Mann-Whitney's U by counting pairs, the least any rank test must do. */
const bareU = (x: ReadonlyArray<number>, y: ReadonlyArray<number>): number => {
  let u = 0
  for (const a of x) for (const b of y) u += a > b ? 1 : a === b ? 0.5 : 0
  return u
}

const throughput = (run: () => void, minMs = 1_000): number => {
  let count = 0
  const start = performance.now()
  while (performance.now() - start < minMs) {
    run()
    count += pairs.length
  }
  return count / ((performance.now() - start) / 1000)
}

type Row = { name: string; value: string; baseline: string; ratio: string; target: string }
const rows: Array<Row> = []
const lines: Array<string> = []

// Warm up the JIT on both paths.
for (let i = 0; i < 3; i++) {
  for (const p of pairs) Judge.classify(p)
  for (const p of pairs) bareU(p.experiment, p.control)
}

const judgePerSecond = throughput(() => {
  for (const p of pairs) Judge.classify(p)
})
let sink = 0
const barePerSecond = throughput(() => {
  for (const p of pairs) sink += bareU(p.experiment, p.control)
})
rows.push({
  name: "judge throughput (50 vs 50)",
  value: `${Math.round(judgePerSecond).toLocaleString("en-US")} pairs/s`,
  baseline: `${Math.round(barePerSecond).toLocaleString("en-US")} pairs/s (bare U)`,
  ratio: `${(barePerSecond / judgePerSecond).toFixed(2)}x slower`,
  target: "-"
})
lines.push(
  `bench analysis judge_throughput samples=50x50 pairs_per_s=${Math.round(judgePerSecond)} baseline_bare_u_pairs_per_s=${Math.round(barePerSecond)} ratio=${(barePerSecond / judgePerSecond).toFixed(2)}`
)

const hundred = pairs.slice(0, 100)
const times: Array<number> = []
for (let i = 0; i < 30; i++) {
  const start = performance.now()
  const judgement = Judge.judge({ metrics: hundred })
  times.push(performance.now() - start)
  sink += judgement.score
}
const judgementMs = median(times)
rows.push({
  name: "100-metric judgement",
  value: `${judgementMs.toFixed(2)} ms (median of 30)`,
  baseline: `${((hundred.length / barePerSecond) * 1000).toFixed(2)} ms (bare U x100)`,
  ratio: `${(judgementMs / 50).toFixed(2)} of target`,
  target: judgementMs < 50 ? "< 50 ms: met" : "< 50 ms: MISSED"
})
lines.push(
  `bench analysis judgement metrics=100 samples=50x50 median_ms=${judgementMs.toFixed(2)} p_max_ms=${Math.max(...times).toFixed(2)} target_ms=50 met=${judgementMs < 50}`
)

if (!prometheusAvailable()) {
  console.log("bench analysis: prometheus is not installed (scripts/provision.sh); skipping the end-to-end run")
} else {
  const prometheus = await startPrometheus()
  try {
    for (let i = 0; i < 20; i++) prometheus.set(`bench_latency_seconds{route="r${i}"}`, 0.05 + i / 1000)
    await prometheus.waitForValue("bench_latency_seconds", (values) => values.length === 20)
    const queries = Array.from({ length: 20 }, (_, i) => `bench_latency_seconds{route="r${i}"}`)
    const template = AnalysisTemplate.fromObjectSync({
      metrics: queries.map((query, i) => ({
        name: `latency-r${i}`,
        successCondition: "result[0] < 0.1",
        provider: { prometheus: { address: prometheus.url, query } }
      }))
    })
    if (!("metrics" in template)) throw new Error(template.message)
    const spec = AnalysisTemplate.resolveSync(template)
    if (!("secrets" in spec)) throw new Error(spec.message)
    const runTimes: Array<number> = []
    const fetchTimes: Array<number> = []
    let phase = ""
    for (let i = 0; i < 12; i++) {
      const start = performance.now()
      const final = await Effect.runPromise(Analysis.run(spec))
      runTimes.push(performance.now() - start)
      phase = final.phase
      const fetchStart = performance.now()
      await Promise.all(
        queries.map(async (query) =>
          (await fetch(`${prometheus.url}/api/v1/query?${new URLSearchParams({ query })}`)).json()
        )
      )
      fetchTimes.push(performance.now() - fetchStart)
    }
    const runMs = median(runTimes.slice(2))
    const fetchMs = median(fetchTimes.slice(2))
    rows.push({
      name: "20-metric analysis vs Prometheus",
      value: `${runMs.toFixed(1)} ms (median of 10, ${phase})`,
      baseline: `${fetchMs.toFixed(1)} ms (20 raw fetches)`,
      ratio: `${(runMs / fetchMs).toFixed(2)}x`,
      target: "-"
    })
    lines.push(
      `bench analysis prometheus_run metrics=20 median_ms=${runMs.toFixed(1)} baseline_fetch_ms=${fetchMs.toFixed(1)} ratio=${(runMs / fetchMs).toFixed(2)} phase=${phase}`
    )
  } finally {
    await prometheus.stop()
  }
}

const columns: Array<keyof Row> = ["name", "value", "baseline", "ratio", "target"]
const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)))
const format = (cells: Array<string>) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`
console.log(format(columns))
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`)
for (const row of rows) console.log(format(columns.map((c) => row[c])))
for (const line of lines) console.log(line)
if (sink === Number.MIN_VALUE) console.log("")
