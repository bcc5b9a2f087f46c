/**
 * The time-series store: record samples at 15 s resolution, query windows, see what a slot keeps, clean up,
 * and read the memory figures. Uses the plain synchronous Store; the TimeSeriesStore service wraps the same
 * object and runs cleanup on a timer.
 *
 *   npx tsx --conditions=source docs/examples/timeseries.ts
 */
import { TimeSeriesStore } from "@orchestrator/core"
import { fullReportA } from "./fixture.js"

// 2 minutes of retention at 15 s: rings of 8 slots.
const store = TimeSeriesStore.make({ resolutionMs: 15_000, maxDataAgeMs: 120_000 })
console.log("slots per series", store.slots)

const t0 = Math.floor(Date.now() / 15_000) * 15_000 // the start of a slot
store.record("c0ffee02api", "cpu", t0, 10)
store.record("c0ffee02api", "cpu", t0 + 5_000, 12.3) // same slot: the last write wins
store.record("c0ffee02api", "cpu", t0 + 30_000, 40) // two slots later: one slot stays null
store.record("c0ffee02api", "memory", t0 + 30_000, 420 * 1024 * 1024)

const cpu = store.query("c0ffee02api", "cpu", { from: t0, to: t0 + 45_000 })
console.log("cpu window", cpu)
console.log("as a sparkline", TimeSeriesStore.toMetricSeries(cpu!))
console.log(
  "metricsOf",
  store.metricsOf("c0ffee02api"),
  "units",
  ["cpu", "memory", "network_rx_bytes_per_second", "connections"].map(TimeSeriesStore.metricUnit)
)

// recordReport keeps the latest sample of every metric of every node of a report.
console.log("recordReport kept", store.recordReport(fullReportA(t0 + 30_000)), "samples")

// A sample older than the retention (relative to the newest timestamp seen) is refused.
console.log("too old kept?", store.record("c0ffee02api", "disk_read_bytes_per_second", t0 - 3_600_000, 1))

// Cleanup drops series whose newest sample is a whole retention old.
console.log("cleanup now", store.cleanup(t0 + 45_000))
console.log("cleanup later", store.cleanup(t0 + 30_000 + 120_000 + 15_000))
console.log("stats", store.stats())

// Memory with the defaults (1 h at 15 s = 240 slots, float32).
const defaults = TimeSeriesStore.make()
defaults.record("n", "cpu", Date.now(), 1)
const s = defaults.stats()
console.log(`defaults: ${s.slotsPerSeries} slots, ${s.bytesPerSeries} bytes of typed arrays per series`)
