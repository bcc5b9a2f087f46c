import { describe, expect, it } from "vitest"
import { apply } from "../src/ProbeState.js"
import { container, deltaReport, fullReport } from "./reports.js"

describe("ProbeState.apply", () => {
  it("needs a full report before any delta", () => {
    expect(apply(undefined, deltaReport("p", 1, []))).toEqual({
      _tag: "ResyncRequired",
      expectedSeq: null,
      reason: "no full report received from this probe yet"
    })
  })

  it("replaces the state on a full report and names removed nodes", () => {
    const first = apply(undefined, fullReport("p", 0, [container("a", "web"), container("b", "db")]))
    if (first._tag !== "Applied") throw new Error("expected Applied")
    const second = apply(first.state, fullReport("p", 7, [container("a", "web2")]))
    if (second._tag !== "Applied") throw new Error("expected Applied")
    expect(second.state.seq).toBe(7)
    expect(second.state.nodeCount).toBe(1)
    expect(second.changes).toEqual([
      { topology: "containers", id: "a", node: container("a", "web2") },
      { topology: "containers", id: "b", node: undefined }
    ])
  })

  it("patches with the next delta, applying tombstones, without mutating the previous state", () => {
    const first = apply(undefined, fullReport("p", 0, [container("a", "web"), container("b", "db")]))
    if (first._tag !== "Applied") throw new Error("expected Applied")
    const next = apply(
      first.state,
      deltaReport("p", 1, [container("c", "cache")], [{ topology: "containers", id: "b" }])
    )
    if (next._tag !== "Applied") throw new Error("expected Applied")
    expect([...next.state.topologies.get("containers")!.keys()].sort()).toEqual(["a", "c"])
    expect([...first.state.topologies.get("containers")!.keys()].sort()).toEqual(["a", "b"])
    expect(next.changes).toEqual([
      { topology: "containers", id: "b", node: undefined },
      { topology: "containers", id: "c", node: container("c", "cache") }
    ])
  })

  it("treats a repeated delta as a duplicate and a gap as a resync", () => {
    const first = apply(undefined, fullReport("p", 5, [container("a", "web")]))
    if (first._tag !== "Applied") throw new Error("expected Applied")
    expect(apply(first.state, deltaReport("p", 5, []))).toEqual({ _tag: "Duplicate", state: first.state })
    expect(apply(first.state, deltaReport("p", 8, []))).toEqual({
      _tag: "ResyncRequired",
      expectedSeq: 6,
      reason: "delta seq 8 does not follow 5"
    })
  })
})
