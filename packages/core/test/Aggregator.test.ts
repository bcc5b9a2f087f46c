import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as Aggregator from "../src/Aggregator.js"
import { latestFields, makeNode } from "../src/Report.js"
import { container, deltaReport, fullReport } from "./reports.js"

describe("Aggregator", () => {
  it.effect("merges the same node reported by two probes", () =>
    Effect.gen(function* () {
      const { shape } = yield* Aggregator.make()
      const a = makeNode("hosts", "h", { latest: latestFields(1, { os: "linux" }), sets: { ips: ["10.0.0.1"] } })
      const b = makeNode("hosts", "h", { latest: latestFields(2, { os: "linux 6" }), sets: { ips: ["10.0.0.2"] } })
      yield* shape.ingest(fullReport("p1", 0, [a]))
      yield* shape.ingest(fullReport("p2", 0, [b]))
      expect(shape.report.node("h", "hosts")).toEqual(
        makeNode("hosts", "h", { latest: latestFields(2, { os: "linux 6" }), sets: { ips: ["10.0.0.1", "10.0.0.2"] } })
      )
      yield* shape.removeProbe("p2")
      expect(shape.report.node("h", "hosts")).toEqual(a)
      yield* shape.removeProbe("p1")
      expect(shape.report.node("h")).toBeUndefined()
      expect(shape.stats().nodes).toEqual({})
    })
  )

  it.effect("removes a dead container with the next report and bumps the topology generation", () =>
    Effect.gen(function* () {
      const { shape } = yield* Aggregator.make()
      yield* shape.ingest(fullReport("p", 0, [container("a", "web"), container("b", "db")]))
      const generation = shape.report.generation("containers")
      const result = yield* shape.ingest(deltaReport("p", 1, [], [{ topology: "containers", id: "b" }]))
      expect(result).toEqual({ _tag: "Accepted", seq: 1, changed: 1, dropped: 0 })
      expect([...shape.report.nodes("containers").keys()]).toEqual(["a"])
      expect(shape.report.generation("containers")).toBe(generation + 1)
    })
  )

  it.effect("asks for a full report on a gap and keeps what it had", () =>
    Effect.gen(function* () {
      const { shape } = yield* Aggregator.make()
      yield* shape.ingest(fullReport("p", 0, [container("a", "web")]))
      const result = yield* shape.ingest(deltaReport("p", 3, [container("b", "db")]))
      expect(result).toEqual({ _tag: "ResyncRequired", expectedSeq: 1, reason: "delta seq 3 does not follow 0" })
      expect([...shape.report.nodes("containers").keys()]).toEqual(["a"])
      expect(shape.expectedSeq("p")).toBe(1)
      expect(shape.stats().resyncsRequested).toBe(1)
    })
  )

  it.effect("drops nodes over the cap and counts them", () =>
    Effect.gen(function* () {
      const { shape } = yield* Aggregator.make({ maxNodesPerTopology: 2 })
      const result = yield* shape.ingest(
        fullReport("p", 0, [container("a", "1"), container("b", "2"), container("c", "3")])
      )
      expect(result).toEqual({ _tag: "Accepted", seq: 0, changed: 3, dropped: 1 })
      expect(shape.report.nodes("containers").size).toBe(2)
      expect(shape.stats().nodesDropped).toBe(1)
    })
  )

  it.effect("publishes changes and drops stale probes under the sweep loop", () =>
    Effect.gen(function* () {
      const { shape, config } = yield* Aggregator.make({ staleNodeThresholdMs: 1_000 })
      const events = yield* shape.changes.pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
      yield* Effect.yieldNow
      yield* Aggregator.sweepLoop(shape, config)
      yield* shape.ingest(fullReport("p", 0, [container("a", "web")]))
      yield* TestClock.adjust(2_000)
      const collected = yield* Fiber.join(events)
      expect(collected.map((e) => [e._tag, e.probeId, e.topologies])).toEqual([
        ["ProbeAdded", "p", ["containers"]],
        ["ProbeRemoved", "p", ["containers"]]
      ])
      expect(shape.probes()).toEqual([])
      expect(shape.stats().probesExpired).toBe(1)
    })
  )
})
