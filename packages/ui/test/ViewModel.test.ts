import { describe, expect, it } from "vitest"
import type { RenderedNode } from "../app/Protocol.js"
import { sortRows, ViewModel } from "../app/ViewModel.js"
import { edge, node } from "./graphFixtures.js"

const emptyDelta = { add: [], update: [], remove: [], addEdges: [], updateEdges: [], removeEdges: [] }

describe("ViewModel", () => {
  it("counts inbound and outbound connections per node from the edges", () => {
    const model = new ViewModel()
    model.reset({
      view: "containers",
      nodes: [node("web"), node("db"), node("cache")],
      edges: [edge("web", "db", 3), edge("web", "cache", 1), edge("cache", "db", 2)],
      total: 3,
      renderedAt: 1
    })
    expect(model.rows().map((r) => [r.node.id, r.inbound, r.outbound])).toEqual([
      ["web", 0, 4],
      ["db", 5, 0],
      ["cache", 1, 2]
    ])
  })

  it("applies a delta: adds, updates and removes nodes and edges, and reports what changed", () => {
    const model = new ViewModel()
    model.reset({
      view: "containers",
      nodes: [node("web"), node("db")],
      edges: [edge("web", "db", 1)],
      total: 2,
      renderedAt: 1
    })
    const change = model.apply(
      {
        ...emptyDelta,
        add: [node("cache")],
        update: [node("web", { status: "warning" })],
        remove: ["db"],
        addEdges: [edge("web", "cache", 2)],
        removeEdges: ["web->db"]
      },
      2
    )
    expect(change).toEqual({ added: ["cache"], updated: ["web"], removed: ["db"] })
    expect(model.renderedAt).toBe(2)
    expect([...model.nodes.values()].map((n) => [n.id, n.status])).toEqual([
      ["web", "warning"],
      ["cache", "healthy"]
    ])
    expect([...model.edges.values()]).toEqual([edge("web", "cache", 2)])
  })
})

describe("sortRows", () => {
  const rows = [
    { node: node("b", { status: "stopped", metrics: { cpu: 5 } }), inbound: 1, outbound: 0 },
    { node: node("a", { status: "critical" }), inbound: 0, outbound: 2 },
    { node: node("c", { status: "healthy", metrics: { cpu: 50 } }), inbound: 3, outbound: 1 }
  ]
  const ids = (sorted: ReadonlyArray<{ node: RenderedNode }>) => sorted.map((r) => r.node.id)

  it("sorts by label, either direction", () => {
    expect(ids(sortRows(rows, "label", "asc"))).toEqual(["a", "b", "c"])
    expect(ids(sortRows(rows, "label", "desc"))).toEqual(["c", "b", "a"])
  })

  it("puts the worst status first when ascending", () => {
    expect(ids(sortRows(rows, "status", "asc"))).toEqual(["a", "c", "b"])
  })

  it("keeps nodes without the metric last in both directions", () => {
    expect(ids(sortRows(rows, "cpu", "desc"))).toEqual(["c", "b", "a"])
    expect(ids(sortRows(rows, "cpu", "asc"))).toEqual(["b", "c", "a"])
  })

  it("sorts by connection counts", () => {
    expect(ids(sortRows(rows, "inbound", "desc"))).toEqual(["c", "b", "a"])
    expect(ids(sortRows(rows, "outbound", "desc"))).toEqual(["a", "c", "b"])
  })

  it("sorts by detail, breaking ties by label and then by id", () => {
    const hosted = [
      { node: node("z", { label: "web", labelMinor: "node-b" }), inbound: 0, outbound: 0 },
      { node: node("y", { label: "web", labelMinor: "node-a" }), inbound: 0, outbound: 0 },
      { node: node("x", { label: "web", labelMinor: "node-a" }), inbound: 0, outbound: 0 },
      { node: node("w", { label: "api", labelMinor: "node-a" }), inbound: 0, outbound: 0 }
    ]
    expect(ids(sortRows(hosted, "labelMinor", "asc"))).toEqual(["w", "x", "y", "z"])
    expect(ids(sortRows(hosted, "labelMinor", "desc"))).toEqual(["z", "w", "x", "y"])
  })

  it("compares labels with numbers naturally", () => {
    const numbered = ["web-10", "web-2", "web-1"].map((id) => ({ node: node(id), inbound: 0, outbound: 0 }))
    expect(ids(sortRows(numbered, "label", "asc"))).toEqual(["web-1", "web-2", "web-10"])
  })
})
