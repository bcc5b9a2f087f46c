import { Merge, ProbeState, Report } from "@orchestrator/core"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as ReportBuilder from "../src/ReportBuilder.js"

const identity = { probeId: "p1", hostname: "node-1" }

const container = (id: string, name: string, t = 1_000, cpu?: number): Report.Node =>
  Report.makeNode("containers", id, {
    latest: Report.latestFields(t, { docker_container_name: name }),
    ...(cpu !== undefined ? { metrics: { cpu: [[t, cpu]] } } : {})
  })

const host = (t = 1_000) => Report.makeNode("hosts", "node-1", { latest: Report.latestFields(t, { name: "node-1" }) })

const snapshot = (nodes: ReadonlyArray<Report.Node>, timestamp = 1_000): ReportBuilder.Snapshot => {
  const topologies: Record<string, Record<string, Report.Node>> = {}
  for (const node of nodes) topologies[node.topology] = { ...topologies[node.topology], [node.id]: node }
  return { timestamp, topologies, health: [] }
}

/** Builds, "sends" (accepts) and returns the report. */
const publish = (state: ReportBuilder.BuilderState, snap: ReportBuilder.Snapshot) => {
  const built = ReportBuilder.build(state, identity, snap, 1_000)
  return { built, report: built.report, state: ReportBuilder.accepted(state, built) }
}

describe("ReportBuilder", () => {
  it("sends a full report first, with every node, seq 0", () => {
    const { report } = publish(ReportBuilder.initial(), snapshot([host(), container("a", "web")]))
    expect(report).toEqual({
      version: 1,
      probeId: "p1",
      hostname: "node-1",
      kind: "full",
      seq: 0,
      timestamp: 1_000,
      intervalMs: 1_000,
      topologies: {
        hosts: { nodes: { "node-1": host() } },
        containers: { nodes: { a: container("a", "web") } }
      },
      health: []
    })
  })

  it("sends in a delta only the nodes that changed since the last accepted report, and tombstones", () => {
    const first = publish(ReportBuilder.initial(), snapshot([host(), container("a", "web"), container("b", "db")]))
    // Only timestamps changed on the host and on "a": not a change. "b" is renamed, "c" is new, nothing gone yet.
    const second = publish(
      first.state,
      snapshot(
        [host(2_000), container("a", "web", 2_000), container("b", "db2", 2_000), container("c", "cache", 2_000)],
        2_000
      )
    )
    expect(second.report.kind).toBe("delta")
    expect(second.report.seq).toBe(1)
    expect(second.report.topologies).toEqual({
      containers: { nodes: { b: container("b", "db2", 2_000), c: container("c", "cache", 2_000) } }
    })
    const third = publish(second.state, snapshot([host(3_000), container("c", "cache", 3_000)], 3_000))
    expect(third.report).toMatchObject({ kind: "delta", seq: 2 })
    expect(third.report.topologies).toEqual({ containers: { nodes: {}, removed: ["a", "b"] } })
    expect(third.built.removed).toBe(2)
  })

  it("tombstones every node of a topology that disappeared entirely", () => {
    const first = publish(ReportBuilder.initial(), snapshot([host(), container("a", "web")]))
    const second = publish(first.state, snapshot([host()]))
    expect(second.report.topologies).toEqual({ containers: { nodes: {}, removed: ["a"] } })
  })

  it("treats a new metric sample as a change", () => {
    const first = publish(ReportBuilder.initial(), snapshot([container("a", "web", 1_000, 5)]))
    const second = publish(first.state, snapshot([container("a", "web", 2_000, 5)], 2_000))
    expect(Object.keys(second.report.topologies.containers!.nodes)).toEqual(["a"])
  })

  it("sends a full report every fullReportEvery publishes", () => {
    let state = ReportBuilder.initial({ fullReportEvery: 3 })
    const kinds: Array<string> = []
    for (let i = 0; i < 7; i++) {
      const step = publish(state, snapshot([host(i)], i))
      kinds.push(`${step.report.kind}:${step.report.seq}`)
      state = step.state
    }
    expect(kinds).toEqual(["full:0", "delta:1", "delta:2", "full:3", "delta:4", "delta:5", "full:6"])
    let always = ReportBuilder.initial({ fullReportEvery: 1 })
    for (let i = 0; i < 3; i++) {
      const step = publish(always, snapshot([host(i)], i))
      expect(step.report.kind).toBe("full")
      always = step.state
    }
  })

  it("makes the next report full after a resync or an unknown outcome, keeping seq growing", () => {
    const first = publish(ReportBuilder.initial(), snapshot([host(), container("a", "web")]))
    const lost = ReportBuilder.build(first.state, identity, snapshot([host(), container("a", "web2")]))
    expect(lost.report).toMatchObject({ kind: "delta", seq: 1 })
    const after = ReportBuilder.resync(first.state, lost)
    const next = ReportBuilder.build(after, identity, snapshot([host(), container("a", "web2")]))
    expect(next.report).toMatchObject({ kind: "full", seq: 2 })
    expect(Object.keys(next.report.topologies.containers!.nodes)).toEqual(["a"])
  })

  it("rebuilds the same seq against the same baseline when a report was certainly not delivered", () => {
    const first = publish(ReportBuilder.initial(), snapshot([host(), container("a", "web")]))
    const attempt = ReportBuilder.build(first.state, identity, snapshot([host(), container("a", "web2")]))
    const retried = ReportBuilder.build(
      ReportBuilder.notDelivered(first.state),
      identity,
      snapshot([host(), container("a", "web3")])
    )
    expect(attempt.report.seq).toBe(1)
    expect(retried.report).toMatchObject({ kind: "delta", seq: 1 })
    expect(retried.report.topologies).toEqual({ containers: { nodes: { a: container("a", "web3") } } })
  })

  it("folds queued snapshots into the newest, keeping older metric samples of nodes that still exist", () => {
    const folded = ReportBuilder.coalesce([
      snapshot([container("a", "web", 1_000, 1), container("b", "db", 1_000, 9)], 1_000),
      snapshot([container("a", "web", 2_000, 2)], 2_000),
      snapshot([container("a", "web-renamed", 3_000, 3)], 3_000)
    ])
    expect(folded).toEqual({
      timestamp: 3_000,
      topologies: {
        containers: {
          a: {
            ...container("a", "web-renamed", 3_000),
            metrics: {
              cpu: [
                [1_000, 1],
                [2_000, 2],
                [3_000, 3]
              ]
            }
          }
        }
      },
      health: []
    })
    expect(ReportBuilder.coalesce([])).toBeUndefined()
  })

  it("keeps the app's state equal to the probe's for any sequence of snapshots, outcomes and resyncs", () => {
    const names = ["a", "b", "c", "d", "e"]
    const arbSnapshot = fc
      .subarray(names)
      .chain((ids) =>
        fc.tuple(...ids.map((id) => fc.tuple(fc.constant(id), fc.constantFrom("web", "db", "cache"), fc.nat(3))))
      )
      .map((entries) => entries.map(([id, name, cpu]) => container(id, name, 1_000, cpu)))
    const arbStep = fc.record({
      nodes: arbSnapshot,
      outcome: fc.constantFrom("accepted", "accepted", "accepted", "notDelivered", "lost", "resync")
    })
    fc.assert(
      fc.property(
        fc.array(arbStep, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 5 }),
        (steps, every) => {
          let state = ReportBuilder.initial({ fullReportEvery: every })
          let app: ProbeState.ProbeState | undefined
          let expected: ReadonlyArray<Report.Node> | undefined
          for (const step of steps) {
            const built = ReportBuilder.build(state, identity, snapshot(step.nodes))
            if (step.outcome === "notDelivered") {
              state = ReportBuilder.notDelivered(state)
              continue
            }
            // "lost": the app applied it but the probe never heard back; "resync": the app refused it.
            const applied = step.outcome === "resync" ? undefined : ProbeState.apply(app, built.report)
            if (applied?._tag === "Applied") app = applied.state
            if (step.outcome === "accepted" && applied?._tag === "Applied") {
              state = ReportBuilder.accepted(state, built)
              expected = step.nodes
            } else {
              state = ReportBuilder.resync(state, built)
              if (applied?._tag === "Applied") expected = step.nodes
            }
          }
          if (expected === undefined || app === undefined) return
          const held = [...(app.topologies.get("containers")?.values() ?? [])].map((n) => ({
            id: n.id,
            name: n.latest.docker_container_name?.value,
            metrics: n.metrics
          }))
          const want = expected.map((n) => ({
            id: n.id,
            name: n.latest.docker_container_name?.value,
            metrics: n.metrics
          }))
          expect(held.sort((x, y) => x.id.localeCompare(y.id))).toEqual(want.sort((x, y) => x.id.localeCompare(y.id)))
        }
      )
    )
  })

  it("fingerprints ignore latest-value timestamps but not values, sets or samples", () => {
    const base = container("a", "web", 1_000, 1)
    expect(ReportBuilder.fingerprint(container("a", "web", 1_000))).toBe(
      ReportBuilder.fingerprint(container("a", "web", 5_000))
    )
    expect(ReportBuilder.fingerprint(container("a", "web", 5_000, 1))).not.toBe(ReportBuilder.fingerprint(base))
    expect(ReportBuilder.fingerprint(Merge.canonicalNode(base))).toBe(ReportBuilder.fingerprint(base))
    expect(ReportBuilder.fingerprint(container("a", "db", 1_000, 1))).not.toBe(ReportBuilder.fingerprint(base))
    expect(ReportBuilder.fingerprint({ ...base, sets: { ips: ["10.0.0.1"] } })).not.toBe(
      ReportBuilder.fingerprint(base)
    )
  })
})
