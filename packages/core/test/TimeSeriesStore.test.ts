import { assert, describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Logger, Schema, Scope } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { MetricSeries } from "../src/NodeDetails.js"
import type { Report } from "../src/Report.js"
import { makeNode } from "../src/Report.js"
import * as TimeSeriesStore from "../src/TimeSeriesStore.js"

const step = 15_000
/** A slot-aligned epoch far from 0, so slot numbers are realistic. */
const T0 = step * 100_000_000
const at = (slot: number, offsetMs = 0) => T0 + slot * step + offsetMs

/** Four 15-second slots: small enough to see wrap-around. */
const small = (options: TimeSeriesStore.TimeSeriesOptionsInput = {}) =>
  TimeSeriesStore.make({ resolutionMs: step, maxDataAgeMs: 4 * step, ...options })

const windowOf = (
  startSlot: number,
  values: Array<number | null>,
  metric = "cpu"
): Omit<TimeSeriesStore.SeriesWindow, "latest" | "min" | "max" | "avg"> => ({
  metric,
  start: at(startSlot),
  stepMs: step,
  values
})

describe("TimeSeriesStore.Store", () => {
  describe("options", () => {
    it("decodes {} to the defaults", () => {
      assert.deepStrictEqual(TimeSeriesStore.defaultOptions, {
        resolutionMs: 15_000,
        maxDataAgeMs: 3_600_000,
        cleanupIntervalMs: 60_000,
        maxSeries: 1_000_000,
        precision: "float32"
      })
      assert.strictEqual(TimeSeriesStore.make().slots, 240)
    })

    it("rounds the ring length up to whole slots", () => {
      assert.strictEqual(TimeSeriesStore.make({ resolutionMs: 15_000, maxDataAgeMs: 50_000 }).slots, 4)
    })

    it("refuses invalid options with the field path", () => {
      expect(() => TimeSeriesStore.make({ resolutionMs: 0 })).toThrow(
        'Expected a value greater than 0\n  at ["resolutionMs"]'
      )
      expect(() => TimeSeriesStore.make({ resolutionMs: 1, maxDataAgeMs: 1_000_000 })).toThrow(
        'maxDataAgeMs / resolutionMs must be at most 100000 slots\n  at ["maxDataAgeMs"]'
      )
    })
  })

  describe("slots", () => {
    it("puts a sample in the slot floor(timestamp / resolution) and ends the window at the newest timestamp", () => {
      const store = small()
      assert.isTrue(store.record("n1", "cpu", at(10, 3_000), 1.5))
      assert.deepStrictEqual(store.query("n1", "cpu"), {
        ...windowOf(7, [null, null, null, 1.5]),
        latest: 1.5,
        min: 1.5,
        max: 1.5,
        avg: 1.5
      })
    })

    it("keeps the last value written to a slot", () => {
      const store = small()
      store.record("n1", "cpu", at(0), 1)
      store.record("n1", "cpu", at(0, 14_999), 2)
      store.record("n1", "cpu", at(0, 5_000), 3)
      assert.deepStrictEqual(store.query("n1", "cpu")?.values, [null, null, null, 3])
    })

    it("wraps around: a ring of 4 keeps the 4 newest slots", () => {
      const store = small()
      for (let slot = 0; slot < 6; slot++) store.record("n1", "cpu", at(slot), slot * 10)
      assert.deepStrictEqual(store.query("n1", "cpu"), {
        ...windowOf(2, [20, 30, 40, 50]),
        latest: 50,
        min: 20,
        max: 50,
        avg: 35
      })
    })

    it("reads skipped slots as null, also after the ring wrapped", () => {
      const store = small()
      store.record("n1", "cpu", at(0), 1)
      store.record("n1", "cpu", at(1), 2)
      store.record("n1", "cpu", at(2), 3)
      store.record("n1", "cpu", at(3), 4)
      store.record("n1", "cpu", at(6), 7)
      assert.deepStrictEqual(store.query("n1", "cpu"), {
        ...windowOf(3, [4, null, null, 7]),
        latest: 7,
        min: 4,
        max: 7,
        avg: 5.5
      })
    })

    it("forgets everything after a gap longer than the ring", () => {
      const store = small()
      for (let slot = 0; slot < 4; slot++) store.record("n1", "cpu", at(slot), slot)
      store.record("n1", "cpu", at(40), 9)
      assert.deepStrictEqual(store.query("n1", "cpu")?.values, [null, null, null, 9])
    })

    it("keeps late samples that are still in the ring and refuses older ones", () => {
      const store = small()
      store.record("n1", "cpu", at(5), 5)
      assert.isTrue(store.record("n1", "cpu", at(3), 3))
      assert.isFalse(store.record("n1", "cpu", at(1), 1))
      assert.isFalse(store.record("n1", "cpu", at(5), Number.NaN))
      assert.isFalse(store.record("n2", "cpu", at(0), 1), "a new series older than the retention")
      assert.deepStrictEqual(store.query("n1", "cpu")?.values, [null, 3, null, 5])
      assert.strictEqual(store.stats().rejectedSamples, 3)
    })
  })

  describe("queries", () => {
    it("computes min, max, avg and latest over the non-null values", () => {
      const store = small()
      store.record("n1", "memory", at(0), -2)
      store.record("n1", "memory", at(2), 8)
      store.record("n1", "memory", at(3), 0.5)
      assert.deepStrictEqual(store.query("n1", "memory"), {
        ...windowOf(0, [-2, null, 8, 0.5], "memory"),
        latest: 0.5,
        min: -2,
        max: 8,
        avg: 6.5 / 3
      })
    })

    it("answers an all-null window with null statistics", () => {
      const store = small()
      store.record("n1", "cpu", at(0), 1)
      store.record("n2", "cpu", at(9), 1)
      assert.deepStrictEqual(store.query("n1", "cpu"), {
        ...windowOf(6, [null, null, null, null]),
        latest: null,
        min: null,
        max: null,
        avg: null
      })
    })

    it("takes from/to as inclusive timestamps and clamps the window to one ring", () => {
      const store = small()
      for (let slot = 0; slot < 8; slot++) store.record("n1", "cpu", at(slot), slot)
      assert.deepStrictEqual(store.query("n1", "cpu", { from: at(5, 1), to: at(6, 2) }), {
        ...windowOf(5, [5, 6]),
        latest: 6,
        min: 5,
        max: 6,
        avg: 5.5
      })
      assert.deepStrictEqual(store.query("n1", "cpu", { to: at(9) })?.values, [6, 7, null, null])
      assert.deepStrictEqual(store.query("n1", "cpu", { from: at(-100), to: at(7) })?.values, [4, 5, 6, 7])
      assert.deepStrictEqual(store.query("n1", "cpu", { from: at(7), to: at(6) })?.values, [])
    })

    it("answers undefined for an unknown series and lists a node's metrics in display order", () => {
      const store = small()
      for (const metric of ["zeta", "connections", "memory", "alpha", "cpu"]) store.record("n1", metric, at(0), 1)
      assert.strictEqual(store.query("n1", "disk_read_bytes_per_second"), undefined)
      assert.strictEqual(store.query("n2", "cpu"), undefined)
      assert.deepStrictEqual(store.metricsOf("n1"), ["cpu", "memory", "connections", "alpha", "zeta"])
      assert.deepStrictEqual(
        store.queryNode("n1").map((w) => w.metric),
        ["cpu", "memory", "connections", "alpha", "zeta"]
      )
      assert.deepStrictEqual(store.metricsOf("n2"), [])
      assert.deepStrictEqual(store.queryNode("n2"), [])
    })

    it("reads float32 values back as the shortest decimal; float64 keeps them exactly", () => {
      const f32 = small()
      const f64 = small({ precision: "float64" })
      const values = [12.3, 0.1, 1 / 3, 16_777_217, 1_234.5]
      values.forEach((v, i) => {
        f32.record("n1", "cpu", at(i), v)
        f64.record("n1", "cpu", at(i), v)
      })
      assert.deepStrictEqual(f32.query("n1", "cpu")?.values, [0.1, 0.33333334, 16_777_216, 1_234.5])
      assert.deepStrictEqual(f64.query("n1", "cpu")?.values, [0.1, 1 / 3, 16_777_217, 1_234.5])
    })

    it("matches a naive model of last-write-per-slot with retention (property)", () => {
      const writes = fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: -1_000, max: 1_000 })), {
        maxLength: 60
      })
      fc.assert(
        fc.property(writes, (samples) => {
          const store = small({ precision: "float64" })
          const model = new Map<number, number>()
          let newest = Number.NEGATIVE_INFINITY
          for (const [slot, value] of samples) {
            const accepted = slot > newest - 4
            assert.strictEqual(store.record("n1", "cpu", at(slot, 7), value), accepted)
            if (accepted) {
              model.set(slot, value)
              newest = Math.max(newest, slot)
            }
          }
          const window = store.query("n1", "cpu")
          if (samples.length === 0) return window === undefined
          const expected = [newest - 3, newest - 2, newest - 1, newest].map((s) => model.get(s) ?? null)
          const present = expected.filter((v): v is number => v !== null)
          assert.deepStrictEqual(window, {
            ...windowOf(newest - 3, expected),
            latest: present.at(-1) ?? null,
            min: present.length === 0 ? null : Math.min(...present),
            max: present.length === 0 ? null : Math.max(...present),
            avg: present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length
          })
          return true
        })
      )
    })
  })

  describe("bulk ingest", () => {
    const report: Report = {
      version: 1,
      probeId: "probe-1",
      hostname: "node-1",
      kind: "full",
      seq: 4,
      timestamp: at(3),
      topologies: {
        hosts: {
          nodes: {
            "node-1": makeNode("hosts", "node-1", {
              metrics: {
                cpu: [
                  [at(1), 10],
                  [at(2), 20],
                  [at(3), 30]
                ],
                memory: [[at(3), 1_024]],
                empty: []
              }
            })
          }
        },
        processes: {
          nodes: {
            "node-1;42": makeNode("processes", "node-1;42", {
              metrics: { network_rx_bytes_per_second: [[at(3), 512]], open_files: [[at(3), 7]] }
            })
          }
        }
      }
    }

    it("records the latest sample of each metric of each node", () => {
      const store = small()
      assert.strictEqual(store.recordReport(report), 4)
      assert.deepStrictEqual(store.query("node-1", "cpu")?.values, [null, null, null, 30])
      assert.deepStrictEqual(store.metricsOf("node-1"), ["cpu", "memory"])
      assert.deepStrictEqual(store.metricsOf("node-1;42"), ["network_rx_bytes_per_second", "open_files"])
      assert.strictEqual(store.recordNodes([makeNode("hosts", "h2", { metrics: { cpu: [[at(3), 1]] } })]), 1)
      assert.strictEqual(store.stats().series, 5)
    })

    it("keeps the latest report per agent with per-agent series", () => {
      const store = small()
      const summary = TimeSeriesStore.summarizeReport(report, 2_048)
      assert.deepStrictEqual(summary, {
        timestamp: at(3),
        nodeCount: 2,
        seq: 4,
        kind: "full",
        hostname: "node-1",
        bytes: 2_048
      })
      store.recordAgentReport("probe-1", { timestamp: at(2), nodeCount: 1, bytes: 1_000 })
      store.recordAgentReport("probe-1", summary)
      store.recordAgentReport("probe-1", { timestamp: at(1), nodeCount: 9 })
      assert.deepStrictEqual(store.latestForAgent("probe-1"), summary)
      assert.strictEqual(store.latestForAgent("probe-2"), undefined)
      assert.deepStrictEqual(store.agentIds(), ["probe-1"])
      assert.deepStrictEqual(store.queryAgent("probe-1", "nodes")?.values, [null, 9, 1, 2])
      assert.deepStrictEqual(store.queryAgent("probe-1", "report_bytes")?.values, [null, null, 1_000, 2_048])
      assert.deepStrictEqual(store.metricsOf("probe-1"), [], "agent series are not node series")
    })
  })

  describe("cleanup", () => {
    it("drops series whose newest slot is a retention old, frees their slots and reuses them", () => {
      const store = small()
      store.record("old", "cpu", at(0), 1)
      store.record("new", "memory", at(0), 3)
      store.recordAgentReport("probe-1", { timestamp: at(0), nodeCount: 1 })
      store.record("new", "cpu", at(5), 2)
      assert.deepStrictEqual(store.query("old", "cpu", { to: at(4) })?.values, [null, null, null, null])
      assert.deepStrictEqual(store.cleanup(at(4)), {
        removedSeries: 3,
        removedNodes: 1,
        removedAgents: 1,
        droppedSeries: 0
      })
      assert.strictEqual(store.query("old", "cpu"), undefined)
      assert.deepStrictEqual(store.metricsOf("new"), ["cpu"])
      assert.strictEqual(store.latestForAgent("probe-1"), undefined)
      const before = store.stats()
      assert.deepStrictEqual([before.series, before.highWater, before.nodes, before.agents], [1, 4, 1, 0])

      store.record("fresh", "cpu", at(6), 4)
      store.record("fresh", "memory", at(6), 5)
      const after = store.stats()
      assert.deepStrictEqual([after.series, after.highWater, after.bytes], [3, 4, before.bytes])
      assert.deepStrictEqual(store.query("fresh", "cpu")?.values, [null, null, null, 4], "no value of the freed ring")
      assert.deepStrictEqual(store.query("fresh", "memory")?.values, [null, null, null, 5])
    })

    it("advances the store's clock so default windows end at now", () => {
      const store = small()
      store.record("n1", "cpu", at(0), 1)
      store.cleanup(at(2))
      assert.strictEqual(store.now, at(2))
      assert.deepStrictEqual(store.query("n1", "cpu")?.values, [null, 1, null, null])
    })
  })

  describe("maxSeries", () => {
    it("drops new series past the cap, keeps recording existing ones and counts the drops", () => {
      const store = small({ maxSeries: 2 })
      assert.isTrue(store.record("a", "cpu", at(0), 1))
      assert.isTrue(store.record("b", "cpu", at(0), 1))
      assert.isFalse(store.record("c", "cpu", at(0), 1))
      assert.isFalse(store.record("a", "memory", at(1), 1))
      assert.isTrue(store.record("a", "cpu", at(1), 2))
      assert.deepStrictEqual(store.metricsOf("c"), [])
      const stats = store.stats()
      assert.deepStrictEqual(
        { series: stats.series, nodes: stats.nodes, droppedSeries: stats.droppedSeries },
        { series: 2, nodes: 2, droppedSeries: 2 }
      )
      assert.strictEqual(store.cleanup(at(1)).droppedSeries, 2)
      assert.strictEqual(store.cleanup(at(1)).droppedSeries, 0, "counted once per cleanup interval")
      assert.strictEqual(store.stats().droppedSeries, 2, "the total stays")
    })
  })

  describe("toMetricSeries", () => {
    it("infers the unit and label from the metric name", () => {
      const cases = [
        ["cpu", "percent", "CPU"],
        ["memory", "bytes", "Memory"],
        ["network_rx_bytes_per_second", "bytes_per_second", "Network in"],
        ["network_tx_bytes_per_second", "bytes_per_second", "Network out"],
        ["disk_read_bytes_per_second", "bytes_per_second", "Disk read"],
        ["disk_write_bytes_per_second", "bytes_per_second", "Disk write"],
        ["connections", "count", "Connections"],
        ["memory_total_bytes", "bytes", "Memory total bytes"],
        ["gpu_percent", "percent", "Gpu percent"],
        ["open_files", "count", "Open files"],
        ["toString", "count", "ToString"]
      ] as const
      assert.deepStrictEqual(
        cases.map(([metric]) => [metric, TimeSeriesStore.metricUnit(metric), TimeSeriesStore.metricLabel(metric)]),
        cases.map((c) => [...c])
      )
    })

    it("turns a query result into a valid MetricSeries", () => {
      const store = small()
      store.record("n1", "network_rx_bytes_per_second", at(2), 4_096)
      store.record("n1", "network_rx_bytes_per_second", at(3), 1_024)
      const series = TimeSeriesStore.toMetricSeries(store.query("n1", "network_rx_bytes_per_second")!)
      const expected = {
        metric: "network_rx_bytes_per_second",
        label: "Network in",
        unit: "bytes_per_second",
        start: at(0),
        stepMs: step,
        values: [null, null, 4_096, 1_024],
        latest: 1_024,
        min: 1_024,
        max: 4_096,
        avg: 2_560
      } as const
      assert.deepStrictEqual(series, expected)
      assert.deepStrictEqual(Schema.decodeUnknownSync(MetricSeries)(series), expected)
      assert.deepStrictEqual(
        TimeSeriesStore.toMetricSeries(store.query("n1", "network_rx_bytes_per_second")!, {
          label: "Received",
          unit: "count"
        }),
        { ...expected, label: "Received", unit: "count" }
      )
    })
  })
})

const captureWarnings = () => {
  const warnings: Array<unknown> = []
  const layer = Logger.layer([
    Logger.make((options) => {
      if (options.logLevel === "Warn") warnings.push(options.message)
    })
  ])
  return { warnings, layer }
}

describe("TimeSeriesStore service", () => {
  const options = { resolutionMs: step, maxDataAgeMs: 4 * step, cleanupIntervalMs: 4 * step }

  it.effect("runs cleanup every cleanupIntervalMs under the clock", () =>
    Effect.gen(function* () {
      const service = yield* TimeSeriesStore.TimeSeriesStore
      yield* service.record("n1", "cpu", 2 * step, 1)
      yield* TestClock.adjust(4 * step)
      assert.deepStrictEqual(yield* service.metricsOf("n1"), ["cpu"], "slot 2 is still in the window at slot 4")
      assert.strictEqual(service.store.now, 4 * step)
      yield* TestClock.adjust(4 * step)
      assert.deepStrictEqual(yield* service.metricsOf("n1"), [])
      const stats = yield* service.stats
      assert.deepStrictEqual([stats.series, stats.nodes, stats.highWater], [0, 0, 1])
    }).pipe(Effect.provide(TimeSeriesStore.TimeSeriesStore.layer(options)))
  )

  it.effect("logs one warning per interval with the count of dropped series samples", () => {
    const { warnings, layer } = captureWarnings()
    return Effect.gen(function* () {
      const service = yield* TimeSeriesStore.TimeSeriesStore
      yield* service.record("a", "cpu", 0, 1)
      yield* service.record("b", "cpu", 0, 1)
      yield* service.record("b", "memory", 0, 1)
      yield* TestClock.adjust(4 * step)
      assert.deepStrictEqual(warnings, [
        ["TimeSeriesStore: maxSeries (1) reached; dropped 2 samples of new series since the last cleanup"]
      ])
      yield* TestClock.adjust(4 * step)
      assert.strictEqual(warnings.length, 1)
      assert.strictEqual((yield* service.stats).droppedSeries, 2)
    }).pipe(
      Effect.provide(TimeSeriesStore.TimeSeriesStore.layer({ ...options, maxSeries: 1 }).pipe(Layer.provide(layer)))
    )
  })

  it.effect("stops the cleanup loop when the layer's scope closes", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(TimeSeriesStore.TimeSeriesStore.layer(options), scope)
      const service = Context.get(context, TimeSeriesStore.TimeSeriesStore)
      yield* TestClock.adjust(4 * step)
      assert.strictEqual(service.store.now, 4 * step)
      yield* Scope.close(scope, Exit.void)
      yield* TestClock.adjust(4 * step)
      assert.strictEqual(service.store.now, 4 * step)
    })
  )

  it.effect("fails to build with a SchemaError naming the field", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.provide(
          Effect.gen(function* () {
            return yield* TimeSeriesStore.TimeSeriesStore
          }),
          TimeSeriesStore.TimeSeriesStore.layer({ maxSeries: -1 })
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? exit.cause : undefined
      expect(String(error)).toContain('at ["maxSeries"]')
    })
  )
})
