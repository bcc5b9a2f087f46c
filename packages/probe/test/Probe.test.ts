import { Fields, Plugin, PluginRegistry, Report } from "@orchestrator/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Stream, SubscriptionRef } from "effect"
import { TestClock } from "effect/testing"
import { Probe } from "../src/Probe.js"
import type * as ProbeConfig from "../src/ProbeConfig.js"
import { Publisher, type PublisherStats } from "../src/Publisher.js"
import type { Snapshot } from "../src/ReportBuilder.js"

const baseSettings: ProbeConfig.Effective = {
  intervalMs: 1_000,
  fullReportEvery: 10,
  controlsEnabled: true,
  collectors: {},
  configVersion: 0
}

/** A publisher that keeps what it is offered and never talks to an app. */
const recordingPublisher = (
  settings: SubscriptionRef.SubscriptionRef<ProbeConfig.Effective>,
  offered: Array<Snapshot>
) =>
  Layer.succeed(Publisher, {
    agentId: () => "probe-1",
    offer: (snapshot) => Effect.sync(() => void offered.push(snapshot)),
    settings: SubscriptionRef.get(settings),
    settingsChanges: SubscriptionRef.changes(settings),
    awaitRegistered: Effect.never,
    isRegistered: () => false,
    stats: () => ({}) as PublisherStats,
    events: Stream.empty,
    flush: Effect.void
  })

const withProbe = <A, E>(
  options: Parameters<typeof Probe.layerNoDeps>[0],
  body: (ctx: {
    readonly offered: Array<Snapshot>
    readonly settings: SubscriptionRef.SubscriptionRef<ProbeConfig.Effective>
    readonly probe: Probe["Service"]
  }) => Effect.Effect<A, E>,
  initial: ProbeConfig.Effective = baseSettings
) =>
  Effect.gen(function* () {
    const offered: Array<Snapshot> = []
    const settings = yield* SubscriptionRef.make(initial)
    const layer = Probe.layerNoDeps({ hostname: "node-1", ...options }).pipe(
      Layer.provide(Layer.mergeAll(recordingPublisher(settings, offered), PluginRegistry.PluginRegistry.layer))
    )
    return yield* Effect.gen(function* () {
      const probe = yield* Probe
      return yield* body({ offered, settings, probe })
    }).pipe(Effect.provide(layer))
  })

const counter = (name: string, intervalMs?: number) => {
  let runs = 0
  return Plugin.definePlugin({
    name,
    version: "1.0.0",
    apiVersion: 1,
    collectors: [
      {
        name,
        ...(intervalMs !== undefined ? { intervalMs } : {}),
        collect: (ctx) => {
          runs++
          return {
            topologies: {
              hosts: {
                [ctx.hostId]: Report.makeNode("hosts", ctx.hostId, {
                  latest: Report.latestFields(ctx.now, { [`${name}_runs`]: runs }),
                  metrics: { [`${name}_runs`]: [[ctx.now, runs]] }
                })
              }
            }
          }
        }
      }
    ]
  })
}

const failing = Plugin.definePlugin({
  name: "bad",
  version: "1.0.0",
  apiVersion: 1,
  collectors: [
    {
      name: "throws",
      collect: () => {
        throw new Error("boom")
      }
    },
    { name: "hangs", timeoutMs: 200, collect: () => new Promise<never>(() => {}) }
  ]
})

const healthOf = (snapshot: Snapshot, name: string) => snapshot.health.find((h) => h.name === name)

describe("Probe", () => {
  it.live("reports a collector that throws or hangs in health, and the host collector still reports", () =>
    withProbe({ plugins: [failing], builtins: { processes: false, docker: false, kubernetes: false } }, ({ probe }) =>
      Effect.gen(function* () {
        const started = Date.now()
        const snapshot = yield* probe.collect
        expect(Date.now() - started).toBeLessThan(2_000)
        const host = snapshot.topologies.hosts!["node-1"]!
        expect(Report.latest(host, Fields.Latest.cpuCores)).toBeDefined()
        expect(healthOf(snapshot, "host/collector/host")).toMatchObject({ status: "ok" })
        expect(healthOf(snapshot, "bad/collector/throws")).toMatchObject({
          status: "failed",
          message: expect.stringMatching(/boom/)
        })
        expect(healthOf(snapshot, "bad/collector/hangs")).toMatchObject({
          status: "failed",
          message: expect.stringMatching(/200 ?ms/)
        })
        expect(healthOf(snapshot, "probe/controls")).toMatchObject({ status: "degraded" })
      })
    )
  )

  it.effect("collects and offers a report every interval (TestClock)", () =>
    withProbe({ builtins: false, plugins: [counter("ticks")] }, ({ offered }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust(0)
        expect(offered).toHaveLength(1)
        yield* TestClock.adjust(999)
        expect(offered).toHaveLength(1)
        yield* TestClock.adjust(1)
        expect(offered).toHaveLength(2)
        yield* TestClock.adjust(3_000)
        expect(offered).toHaveLength(5)
        expect(offered.map((s) => s.timestamp)).toEqual([0, 1_000, 2_000, 3_000, 4_000])
        expect(Report.latest(offered[4]!.topologies.hosts!["node-1"]!, "ticks_runs")).toBe("5")
      })
    )
  )

  it.effect("runs a collector with a shorter intervalMs on its own cadence and folds its samples into the report", () =>
    withProbe({ builtins: false, plugins: [counter("slow"), counter("fast", 250)] }, ({ offered }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust(0)
        yield* TestClock.adjust(1_000)
        expect(offered).toHaveLength(2)
        const node = offered[1]!.topologies.hosts!["node-1"]!
        // Between the two reports the fast collector ran at 250, 500, 750 and 1000; the slow one only at 1000.
        expect(node.metrics.fast_runs).toEqual([
          [250, 2],
          [500, 3],
          [750, 4],
          [1_000, 5]
        ])
        expect(node.metrics.slow_runs).toEqual([[1_000, 2]])
      })
    )
  )

  it.effect("applies a new interval from the agent config at once, without a restart", () =>
    withProbe({ builtins: false, plugins: [counter("ticks")] }, ({ offered, settings }) =>
      Effect.gen(function* () {
        yield* TestClock.adjust(0)
        yield* SubscriptionRef.set(settings, { ...baseSettings, intervalMs: 60_000, configVersion: 2 })
        yield* TestClock.adjust(1_000)
        const afterSlowdown = offered.length
        yield* TestClock.adjust(30_000)
        expect(offered.length).toBe(afterSlowdown)
        yield* SubscriptionRef.set(settings, { ...baseSettings, intervalMs: 500, configVersion: 3 })
        yield* TestClock.adjust(0)
        const before = offered.length
        yield* TestClock.adjust(2_000)
        expect(offered.length - before).toBe(4)
      })
    )
  )

  it.effect("skips collectors the agent config disables and marks them disabled in health", () =>
    withProbe(
      { builtins: false, plugins: [counter("ticks"), counter("other")] },
      ({ offered }) =>
        Effect.gen(function* () {
          yield* TestClock.adjust(0)
          const snapshot = offered[0]!
          expect(Report.latest(snapshot.topologies.hosts!["node-1"]!, "ticks_runs")).toBeUndefined()
          expect(Report.latest(snapshot.topologies.hosts!["node-1"]!, "other_runs")).toBe("1")
          expect(healthOf(snapshot, "ticks/collector/ticks")).toEqual({
            name: "ticks/collector/ticks",
            status: "disabled",
            message: "disabled by the app's agent config",
            timestamp: 0
          })
        }),
      { ...baseSettings, collectors: { ticks: { enabled: false } }, configVersion: 2 }
    )
  )

  it.effect("reports early when a collector asks for it, at most one early report a second", () => {
    let request: (() => void) | undefined
    const watcher = Plugin.definePlugin({
      name: "watcher",
      version: "1.0.0",
      apiVersion: 1,
      collectors: [
        {
          name: "watcher",
          collect: (ctx) => {
            request = ctx.requestReport
            return { topologies: {} }
          }
        }
      ]
    })
    return withProbe(
      { builtins: false, plugins: [watcher] },
      ({ offered }) =>
        Effect.gen(function* () {
          yield* TestClock.adjust(0)
          expect(offered).toHaveLength(1)
          expect(request).toBeDefined()
          // 5 s after the first report: the request is served at once.
          yield* TestClock.adjust(5_000)
          request!()
          request!()
          yield* TestClock.adjust(0)
          expect(offered.map((s) => s.timestamp)).toEqual([0, 5_000])
          // 200 ms after that report: served one second after it, not before.
          yield* TestClock.adjust(200)
          request!()
          yield* TestClock.adjust(700)
          expect(offered).toHaveLength(2)
          yield* TestClock.adjust(100)
          expect(offered.map((s) => s.timestamp)).toEqual([0, 5_000, 6_000])
          // The regular cadence goes on from the last report.
          yield* TestClock.adjust(60_000)
          expect(offered[3]!.timestamp).toBe(66_000)
        }),
      { ...baseSettings, intervalMs: 60_000 }
    )
  })
})
