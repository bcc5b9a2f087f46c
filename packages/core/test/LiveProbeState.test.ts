import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import * as Aggregator from "../src/Aggregator.js"
import { adopt, applyInPlace, replaceNode } from "../src/internal/aggregator/LiveProbeState.js"
import * as ProbeState from "../src/ProbeState.js"
import { latestFields, makeNode, type Node, type Report } from "../src/Report.js"
import { node } from "./arbitraries.js"
import { deltaReport, fullReport } from "./reports.js"

/** A state as plain data, maps included, to compare two states by value. */
const plain = (state: ProbeState.ProbeState) => ({
  ...state,
  topologies: [...state.topologies].map(([topology, byId]) => [topology, [...byId]] as const)
})

const plainResult = (result: ProbeState.ApplyResult) =>
  result._tag === "ResyncRequired" ? result : { ...result, state: plain(result.state) }

/** One step of a probe's life: a full report, or a delta (with seq relative to the expected one). */
const step = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("full" as const), nodes: fc.array(node(), { maxLength: 3 }) })
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("delta" as const),
      nodes: fc.array(node(), { maxLength: 3 }),
      removed: fc.array(fc.constantFrom("n1", "n2", "n3", "n9"), { maxLength: 2 }),
      // 0: the next seq; -1: a duplicate; 2: a gap.
      skew: fc.constantFrom(0, 0, 0, 0, -1, 2)
    })
  }
)

const proc = (id: string, cpu: number, t: number): Node =>
  makeNode("processes", id, {
    latest: latestFields(t, { name: "web", pid: id }),
    labels: latestFields(1, { app: "web" }),
    sets: { ips: ["10.0.0.1"] },
    metrics: { cpu: [[t, cpu]] },
    parents: { hosts: ["h"], containers: ["c1"] },
    adjacency: ["e1"],
    controls: ["docker.stop"]
  })

describe("LiveProbeState.applyInPlace", () => {
  it("gives the same results and states as ProbeState.apply for any sequence of reports, adopted or not", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), fc.boolean(), (steps, adopted) => {
        let pure: ProbeState.ProbeState | undefined
        let live: ProbeState.ProbeState | undefined
        let seq = 0
        for (const s of steps) {
          const nodes = s.nodes.map((n) => ({ ...n }))
          const report: Report =
            s.kind === "full"
              ? fullReport("p", seq, nodes)
              : deltaReport(
                  "p",
                  (pure?.seq ?? 0) + 1 + s.skew,
                  nodes.filter((n) => !(s.removed as ReadonlyArray<string>).includes(n.id)),
                  s.removed.map((id) => ({ topology: "containers", id }))
                )
          const expected = ProbeState.apply(pure, report)
          // Adopted, the live state writes over the report's objects: it gets a copy of its own.
          const actual = applyInPlace(live, adopted ? adopt(structuredClone(report)) : report)
          expect(plainResult(actual)).toEqual(plainResult(expected))
          if (expected._tag !== "ResyncRequired" && actual._tag !== "ResyncRequired") {
            pure = expected.state
            live = actual.state
            seq = pure.seq + 1
          }
        }
      }),
      { numRuns: 300 }
    )
  })

  it("patches the state's maps in place on the next delta and leaves full reports to ProbeState.apply", () => {
    const first = applyInPlace(undefined, fullReport("p", 0, [proc("a", 1, 10), proc("b", 2, 10)]))
    if (first._tag !== "Applied") throw new Error("expected Applied")
    const maps = first.state.topologies.get("processes")
    const next = applyInPlace(
      first.state,
      deltaReport("p", 1, [proc("a", 5, 20)], [{ topology: "processes", id: "b" }])
    )
    if (next._tag !== "Applied") throw new Error("expected Applied")
    expect(next.state.topologies.get("processes")).toBe(maps)
    expect([...maps!.keys()]).toEqual(["a"])
    expect(next.state.nodeCount).toBe(1)
    expect(next.state.seq).toBe(1)
    const full = applyInPlace(next.state, fullReport("p", 5, [proc("c", 1, 30)]))
    if (full._tag !== "Applied") throw new Error("expected Applied")
    expect(full.state.topologies.get("processes")).not.toBe(maps)
    expect([...maps!.keys()]).toEqual(["a"])
  })
})

describe("LiveProbeState.adopt", () => {
  const applied = (result: ProbeState.ApplyResult) => {
    if (result._tag !== "Applied") throw new Error(`expected Applied, got ${result._tag}`)
    return result.state
  }
  const nodeOf = (state: ProbeState.ProbeState) => state.topologies.get("processes")!.get("a")!

  it("rewrites the objects of reports the app parsed itself, and never those of a caller's report", () => {
    const full = adopt(fullReport("p", 0, [proc("a", 1, 10)]))
    const parsed = full.topologies.processes!.nodes.a!
    const s0 = applied(applyInPlace(undefined, full))
    const s1 = applied(applyInPlace(s0, adopt(deltaReport("p", 1, [proc("a", 2, 20)]))))
    // No copies: the full report's records take the delta's values.
    expect(nodeOf(s1)).toEqual(proc("a", 2, 20))
    expect(nodeOf(s1).latest).toBe(parsed.latest)
    expect(nodeOf(s1).metrics).toBe(parsed.metrics)
    // A caller's delta: its records are copied, and nothing the state held from before is written over again.
    const callers = proc("a", 3, 30)
    const s2 = applied(applyInPlace(s1, deltaReport("p", 2, [callers])))
    expect(nodeOf(s2)).toEqual(callers)
    expect(nodeOf(s2).latest).not.toBe(callers.latest)
    expect(nodeOf(s2).latest).not.toBe(parsed.latest)
    const s3 = applied(applyInPlace(s2, adopt(deltaReport("p", 3, [proc("a", 4, 40)]))))
    expect(nodeOf(s3)).toEqual(proc("a", 4, 40))
    expect(nodeOf(s3).latest).toBe(nodeOf(s2).latest)
    expect(callers).toEqual(proc("a", 3, 30))
    expect(parsed).toEqual(proc("a", 2, 20))
  })
})

describe("LiveProbeState.replaceNode", () => {
  it("makes a new node equal to the new one, sharing the previous node's equal parts, never touching inputs", () => {
    const before = proc("a", 1, 10)
    const next = proc("a", 7, 20)
    const kept = replaceNode(before, next)
    expect(kept).toEqual(next)
    expect(kept).not.toBe(before)
    expect(kept).not.toBe(next)
    expect(kept.parents).toBe(before.parents)
    expect(kept.sets).toBe(before.sets)
    expect(kept.labels).toBe(before.labels)
    expect(kept.adjacency).toBe(before.adjacency)
    expect(kept.controls).toBe(before.controls)
    // The report's objects are the caller's: `latest` and `metrics` are copies the aggregator owns.
    expect(kept.latest).not.toBe(next.latest)
    expect(kept.metrics).not.toBe(next.metrics)
    expect(before).toEqual(proc("a", 1, 10))
    expect(next).toEqual(proc("a", 7, 20))
  })

  it("writes new values over the latest and metrics it made itself when the fields are the same", () => {
    const first = replaceNode(proc("a", 1, 10), proc("a", 2, 20))
    const latest = first.latest
    const metrics = first.metrics
    const sample = first.metrics.cpu![0]
    const next = proc("a", 3, 30)
    const second = replaceNode(first, next)
    expect(second).toEqual(next)
    expect(second).not.toBe(first)
    expect(second.latest).toBe(latest)
    expect(second.latest.name).toBe(latest.name)
    expect(second.metrics).toBe(metrics)
    expect(second.metrics.cpu![0]).toBe(sample)
    expect(next).toEqual(proc("a", 3, 30))
  })

  it("takes new records when the fields differ, and the new node's parts that differ in any way", () => {
    const first = replaceNode(proc("a", 1, 10), proc("a", 2, 20))
    const moved = makeNode("processes", "a", {
      latest: latestFields(30, { name: "web", pid: "a", state: "sleeping" }),
      labels: latestFields(2, { app: "web" }),
      sets: { ips: ["10.0.0.2"] },
      metrics: {
        cpu: [
          [25, 1],
          [30, 2]
        ]
      },
      parents: { hosts: ["h"] },
      adjacency: ["e1", "e2"],
      controls: []
    })
    const second = replaceNode(first, moved)
    expect(second).toEqual(moved)
    expect(second.latest).not.toBe(first.latest)
    expect(second.metrics).not.toBe(first.metrics)
    expect(first).toEqual(proc("a", 2, 20))
    for (const part of ["labels", "sets", "parents", "adjacency", "controls"] as const) {
      expect(second[part]).toBe(moved[part])
    }
    const reordered = makeNode("processes", "a", {
      ...moved,
      latest: latestFields(40, { pid: "a", name: "web", state: "x" })
    })
    const third = replaceNode(second, reordered)
    expect(third.latest).not.toBe(second.latest)
    expect(Object.keys(third.latest)).toEqual(["pid", "name", "state"])
  })

  it.effect("is what the aggregator keeps: the merged report shows each delta's values in long-lived objects", () =>
    Effect.gen(function* () {
      const { shape } = yield* Aggregator.make()
      yield* shape.ingest(fullReport("p", 0, [proc("a", 1, 10)]))
      const held = shape.report.node("a", "processes")!
      yield* shape.ingest(deltaReport("p", 1, [proc("a", 9, 20)]))
      const once = shape.report.node("a", "processes")!
      yield* shape.ingest(deltaReport("p", 2, [proc("a", 4, 30)]))
      const twice = shape.report.node("a", "processes")!
      expect(once).toEqual(proc("a", 4, 30))
      expect(twice).toEqual(proc("a", 4, 30))
      expect(twice).not.toBe(once)
      expect(twice.parents).toBe(held.parents)
      expect(twice.latest).toBe(once.latest)
      expect(shape.probeState("p")!.topologies.get("processes")!.get("a")).toBe(twice)
    })
  )
})
