/**
 * Time-series store benchmark: 1,000 hosts × 100 processes × 3 metrics = 300,000 series, one sample per
 * series per 15-second slot for 240 slots (one hour), against two baselines measured in the same run:
 * a naive `Map<string, Array<{ t, v }>>` and one small Float32Array ring object per series.
 *
 * Each variant runs in its own Node process (so heap, external memory and RSS are its own), with
 * `--expose-gc` to measure retained memory after a full GC.
 *
 * Run: `npx tsx packages/core/bench/timeseries.bench.ts` (about 2 minutes, most of it the naive baseline, which
 * holds ~7 GB; `BENCH_VARIANTS=arena-f32,arena-f64,small-arrays-f32` skips it).
 * Env: `BENCH_HOSTS` (1000), `BENCH_PROCESSES` (100), `BENCH_ITERATIONS` (240), `BENCH_VARIANTS` (comma list).
 *
 * @since 0.1.0
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as TimeSeriesStore from "../src/TimeSeriesStore.js"

const STEP = 15_000
const SLOTS = 240
const T0 = 1_750_000_000_000
const METRICS = ["cpu", "memory", "network_rx_bytes_per_second"] as const

interface Result {
  readonly variant: string
  readonly series: number
  readonly iterations: number
  /** First pass (creates the series), ns per sample. */
  readonly createNs: number
  /** Median of the other passes, ns per sample. */
  readonly recordNs: number
  /** Mean over all passes, ns per sample. */
  readonly meanNs: number
  readonly bytesPerSeries: number
  readonly heapMb: number
  readonly externalMb: number
  readonly rssMb: number
  readonly queryUs: number
  readonly cleanupMs: number
}

/** What each variant implements: record one sample, read a node's sparklines, drop expired series. */
interface Candidate {
  record(nodeId: string, metric: string, t: number, v: number): void
  queryNode(nodeId: string, to: number): unknown
  cleanup(now: number): void
}

const naive = (): Candidate => {
  const series = new Map<string, Array<{ t: number; v: number }>>()
  const maxAge = STEP * SLOTS
  return {
    record(nodeId, metric, t, v) {
      const key = `${nodeId}|${metric}`
      let samples = series.get(key)
      if (samples === undefined) {
        samples = []
        series.set(key, samples)
      }
      samples.push({ t, v })
      while (samples.length > 0 && samples[0]!.t <= t - maxAge) samples.shift()
    },
    queryNode(nodeId, to) {
      const toSlot = Math.floor(to / STEP)
      return METRICS.map((metric) => {
        const values = new Array<number | null>(SLOTS).fill(null)
        for (const { t, v } of series.get(`${nodeId}|${metric}`) ?? []) {
          const i = Math.floor(t / STEP) - (toSlot - SLOTS + 1)
          if (i >= 0 && i < SLOTS) values[i] = v
        }
        return values
      })
    },
    cleanup(now) {
      for (const [key, samples] of series) {
        if (samples.length === 0 || samples[samples.length - 1]!.t <= now - maxAge) series.delete(key)
      }
    }
  }
}

/** The alternative to the pooled arena: one Float32Array ring (and one object) per series. */
const smallArrays = (): Candidate => {
  interface Ring {
    head: number
    readonly values: Float32Array
  }
  const nodes = new Map<string, Map<string, Ring>>()
  return {
    record(nodeId, metric, t, v) {
      let metrics = nodes.get(nodeId)
      if (metrics === undefined) {
        metrics = new Map()
        nodes.set(nodeId, metrics)
      }
      let ring = metrics.get(metric)
      if (ring === undefined) {
        ring = { head: Number.NEGATIVE_INFINITY, values: new Float32Array(SLOTS).fill(Number.NaN) }
        metrics.set(metric, ring)
      }
      const slot = Math.floor(t / STEP)
      if (slot > ring.head) {
        for (let s = Math.max(ring.head + 1, slot - SLOTS + 1); s < slot; s++) ring.values[s % SLOTS] = Number.NaN
        ring.head = slot
      } else if (slot <= ring.head - SLOTS) return
      ring.values[slot % SLOTS] = v
    },
    queryNode(nodeId, to) {
      const toSlot = Math.floor(to / STEP)
      return Array.from(nodes.get(nodeId)?.values() ?? [], (ring) => {
        const values: Array<number | null> = []
        for (let s = toSlot - SLOTS + 1; s <= toSlot; s++) {
          const v = s <= ring.head && s > ring.head - SLOTS ? ring.values[s % SLOTS]! : Number.NaN
          values.push(Number.isNaN(v) ? null : v)
        }
        return values
      })
    },
    cleanup(now) {
      const cutoff = Math.floor(now / STEP) - SLOTS
      for (const [nodeId, metrics] of nodes) {
        for (const [metric, ring] of metrics) if (ring.head <= cutoff) metrics.delete(metric)
        if (metrics.size === 0) nodes.delete(nodeId)
      }
    }
  }
}

const arena = (precision: TimeSeriesStore.Precision): Candidate => {
  const store = TimeSeriesStore.make({ resolutionMs: STEP, maxDataAgeMs: STEP * SLOTS, precision })
  return {
    record: (nodeId, metric, t, v) => store.record(nodeId, metric, t, v),
    queryNode: (nodeId, to) => store.queryNode(nodeId, { to }),
    cleanup: (now) => store.cleanup(now)
  }
}

const candidates: Record<string, () => Candidate> = {
  "naive-map": naive,
  "small-arrays-f32": smallArrays,
  "arena-f32": () => arena("float32"),
  "arena-f64": () => arena("float64")
}

const envInt = (name: string, fallback: number) => {
  const value = Number(process.env[name])
  return Number.isInteger(value) && value > 0 ? value : fallback
}

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect !== undefined) {
    collect()
    collect()
  }
}

const retained = () => {
  gc()
  const m = process.memoryUsage()
  // `external` includes `arrayBuffers` (the typed arrays).
  return { heap: m.heapUsed, external: m.external, rss: m.rss }
}

const runVariant = (name: string): Result => {
  const make = candidates[name]
  if (make === undefined) throw new Error(`unknown variant ${name}`)
  const hosts = envInt("BENCH_HOSTS", 1_000)
  const processes = envInt("BENCH_PROCESSES", 100)
  const iterations = envInt("BENCH_ITERATIONS", SLOTS)
  const nodeIds: Array<string> = []
  for (let h = 0; h < hosts; h++) for (let p = 0; p < processes; p++) nodeIds.push(`host-${h};${1_000 + p}`)
  const phases = nodeIds.map((_, i) => (i * 7_919) % STEP)
  const before = retained()
  const candidate = make()
  const perIteration: Array<number> = []
  for (let k = 0; k < iterations; k++) {
    const base = T0 + k * STEP
    const started = process.hrtime.bigint()
    for (let i = 0; i < nodeIds.length; i++) {
      const nodeId = nodeIds[i]!
      const t = base + phases[i]!
      candidate.record(nodeId, "cpu", t, ((i + k) % 400) * 0.25)
      candidate.record(nodeId, "memory", t, 1_048_576 * ((i % 512) + 1) + k * 4_096)
      candidate.record(nodeId, "network_rx_bytes_per_second", t, (i * 31 + k * 17) % 100_000)
    }
    perIteration.push(Number(process.hrtime.bigint() - started) / (nodeIds.length * METRICS.length))
  }
  const after = retained()
  const series = nodeIds.length * METRICS.length
  // The first pass creates every series; the median of the others is steady-state recording, robust to a
  // busy machine.
  const steady = perIteration.slice(1).sort((a, b) => a - b)
  const now = T0 + iterations * STEP
  const queries = 1_000
  for (let q = 0; q < queries; q++) candidate.queryNode(nodeIds[(q * 89) % nodeIds.length]!, now)
  const queryStarted = process.hrtime.bigint()
  for (let q = 0; q < queries; q++) candidate.queryNode(nodeIds[(q * 97) % nodeIds.length]!, now)
  const queryUs = Number(process.hrtime.bigint() - queryStarted) / queries / 1_000
  const cleanupStarted = process.hrtime.bigint()
  candidate.cleanup(now)
  const cleanupMs = Number(process.hrtime.bigint() - cleanupStarted) / 1e6
  const bytes = after.heap - before.heap + (after.external - before.external)
  return {
    variant: name,
    series,
    iterations,
    createNs: perIteration[0] ?? 0,
    recordNs: steady[Math.floor(steady.length / 2)] ?? perIteration[0] ?? 0,
    meanNs: perIteration.reduce((a, b) => a + b, 0) / Math.max(1, perIteration.length),
    bytesPerSeries: bytes / series,
    heapMb: (after.heap - before.heap) / 2 ** 20,
    externalMb: (after.external - before.external) / 2 ** 20,
    rssMb: after.rss / 2 ** 20,
    queryUs,
    cleanupMs
  }
}

const parent = () => {
  const file = fileURLToPath(import.meta.url)
  const variants = (process.env.BENCH_VARIANTS ?? Object.keys(candidates).join(",")).split(",")
  const results: Array<Result> = []
  for (const variant of variants) {
    const child = spawnSync(
      process.execPath,
      ["--expose-gc", "--max-old-space-size=16384", "--import", "tsx", file, variant],
      { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 }
    )
    const line = child.stdout.trim().split("\n").at(-1) ?? ""
    if (child.status !== 0 || !line.startsWith("{")) {
      console.error(`bench timeseries variant=${variant} failed (status ${child.status})`)
      continue
    }
    results.push(JSON.parse(line) as Result)
  }
  const baseline = results.find((r) => r.variant === "naive-map")
  const ratio = (value: number, base: number | undefined) =>
    base === undefined ? "-" : `${(value / base).toFixed(3)}x`
  console.table(
    results.map((r) => ({
      variant: r.variant,
      series: r.series,
      slots: r.iterations,
      "create ns": r.createNs.toFixed(1),
      "record ns (median)": r.recordNs.toFixed(1),
      "record ns (mean)": r.meanNs.toFixed(1),
      "bytes/series": Math.round(r.bytesPerSeries),
      "heap MB": r.heapMb.toFixed(1),
      "typed MB": r.externalMb.toFixed(1),
      "rss MB": Math.round(r.rssMb),
      "queryNode µs": r.queryUs.toFixed(1),
      "cleanup ms": r.cleanupMs.toFixed(1),
      "record vs naive": ratio(r.recordNs, baseline?.recordNs),
      "memory vs naive": ratio(r.bytesPerSeries, baseline?.bytesPerSeries)
    }))
  )
  for (const r of results) {
    const name = r.variant === "arena-f32" ? "timeseries" : `timeseries-${r.variant}`
    console.log(
      `bench ${name} series=${r.series} slots=${r.iterations} bytes_per_series=${Math.round(r.bytesPerSeries)} ` +
        `record_ns=${r.recordNs.toFixed(1)} create_ns=${r.createNs.toFixed(1)} rss_mb=${Math.round(r.rssMb)} query_node_us=${r.queryUs.toFixed(1)} ` +
        `cleanup_ms=${r.cleanupMs.toFixed(1)} record_ratio=${ratio(r.recordNs, baseline?.recordNs)} ` +
        `memory_ratio=${ratio(r.bytesPerSeries, baseline?.bytesPerSeries)}`
    )
  }
}

const variant = process.argv[2]
if (variant === undefined) parent()
else console.log(JSON.stringify(runVariant(variant)))
