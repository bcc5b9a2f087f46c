import { describe, expect, it } from "vitest"
import * as Diff from "../src/views/Diff.js"
import type { RenderedEdge, RenderedNode, RenderedView } from "../src/views/View.js"

const node = (id: string, fields: Partial<RenderedNode> = {}): RenderedNode => ({
  id,
  topology: "containers",
  label: id,
  labelMinor: "host-a",
  rank: "nginx",
  shape: "hexagon",
  status: "healthy",
  pseudo: false,
  stack: 1,
  parents: { hosts: ["host-a"] },
  labels: { app: id },
  metrics: { cpu: 1 },
  members: [id],
  ...fields
})
const edge = (source: string, target: string, connections = 1): RenderedEdge => ({
  id: `${source}->${target}`,
  source,
  target,
  connections
})
const view = (nodes: Array<RenderedNode>, edges: Array<RenderedEdge>): RenderedView => ({
  view: "containers",
  nodes,
  edges,
  total: nodes.length,
  renderedAt: 0
})

describe("Diff.diff", () => {
  it("adds everything for a new subscriber", () => {
    const next = view([node("a"), node("b")], [edge("a", "b")])
    expect(Diff.diff(undefined, next)).toEqual({
      add: next.nodes,
      update: [],
      remove: [],
      addEdges: next.edges,
      updateEdges: [],
      removeEdges: []
    })
  })

  it("reports nothing between equal renders, even when they are different objects", () => {
    const a = view([node("a"), node("b")], [edge("a", "b")])
    const b = view([node("a"), node("b")], [edge("a", "b")])
    expect(Diff.diff(a, b)).toEqual(Diff.empty)
    expect(Diff.isEmpty(Diff.diff(a, b))).toBe(true)
    expect(Diff.diff(a, a)).toEqual(Diff.empty)
  })

  it("adds, updates only nodes whose content changed, and removes", () => {
    const prev = view([node("a"), node("b"), node("c")], [edge("a", "b"), edge("b", "c", 2)])
    const changed = node("b", { metrics: { cpu: 2 } })
    const next = view([node("a"), changed, node("d")], [edge("a", "b", 3), edge("a", "d")])
    expect(Diff.diff(prev, next)).toEqual({
      add: [node("d")],
      update: [changed],
      remove: ["c"],
      addEdges: [edge("a", "d")],
      updateEdges: [edge("a", "b", 3)],
      removeEdges: ["b->c"]
    })
    expect(Diff.isEmpty(Diff.diff(prev, next))).toBe(false)
  })

  it("compares every field of a node", () => {
    const base = node("a")
    const variants: Array<Partial<RenderedNode>> = [
      { label: "x" },
      { labelMinor: "x" },
      { rank: "x" },
      { shape: "circle" },
      { status: "warning" },
      { topology: "x" },
      { pseudo: true },
      { stack: 2 },
      { metrics: { cpu: 1, memory: 2 } },
      { metrics: {} },
      { metrics: { memory: 1 } },
      { labels: { app: "b" } },
      { labels: {} },
      { members: ["a", "b"] },
      { members: ["b"] },
      { parents: { hosts: ["host-b"] } },
      { parents: { hosts: ["host-a"], containers: ["c"] } },
      { parents: { hosts: ["host-a", "host-b"] } }
    ]
    expect(variants.map((v) => Diff.nodeEquals(base, node("a", v)))).toEqual(variants.map(() => false))
    expect(Diff.nodeEquals(base, node("a"))).toBe(true)
    expect(Diff.edgeEquals(edge("a", "b"), edge("a", "b"))).toBe(true)
    expect(Diff.edgeEquals(edge("a", "b"), edge("a", "b", 2))).toBe(false)
  })
})
