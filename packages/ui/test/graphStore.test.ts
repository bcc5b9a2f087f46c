import { describe, expect, it } from "vitest"
import { edgeColor, edgeSize, maxNodeSize, minNodeSize, statusColors } from "../app/graph/Appearance.js"
import { refine } from "../app/graph/Forces.js"
import { GraphStore, nodeLook } from "../app/graph/GraphStore.js"
import { spacing } from "../app/graph/Placement.js"
import { displayNodeOf, parseGrouping, project } from "../app/graph/Projection.js"
import type { RenderedEdge, RenderedNode } from "../app/Protocol.js"
import { edge, hostContainers, node } from "./graphFixtures.js"

const none = parseGrouping("")

/** Syncs a view into a store and runs the layout the store asks for (as the worker would). */
const settle = (store: GraphStore) => {
  for (let job = store.layoutJob(); job !== undefined; job = store.layoutJob()) {
    const xs = job.problem.xs.slice()
    const ys = job.problem.ys.slice()
    refine({ ...job.problem, xs, ys }, { iterations: 60, spacing })
    store.applyLayout(job, xs, ys)
  }
}

const positions = (store: GraphStore) => new Map(store.graph.mapNodes((id, a) => [id, { x: a.x, y: a.y }] as const))

/** Counts the graph events a change emits, by type. */
const events = (store: GraphStore) => {
  const seen: Record<string, number> = {}
  for (const type of [
    "nodeAdded",
    "nodeDropped",
    "nodeAttributesUpdated",
    "edgeAdded",
    "edgeDropped",
    "edgeAttributesUpdated",
    "eachNodeAttributesUpdated"
  ] as const) {
    store.graph.on(type, () => {
      seen[type] = (seen[type] ?? 0) + 1
    })
  }
  return seen
}

const view = () => {
  const a = hostContainers("a", 12)
  const b = hostContainers("b", 8)
  const nodes: Array<RenderedNode> = [...a.nodes, ...b.nodes]
  const edges: Array<RenderedEdge> = [...a.edges, ...b.edges, edge("a-c0", "b-c0", 2)]
  return { nodes, edges }
}

describe("GraphStore: sync", () => {
  it("adds a view's nodes and edges with their look and a placement, all waiting for layout", () => {
    const store = new GraphStore()
    const { nodes, edges } = view()
    const result = store.sync(project(nodes, edges, none, new Set()), "cpu")
    expect(result.added).toHaveLength(20)
    expect(result.touchedEdges).toHaveLength(edges.length)
    expect(store.graph.order).toBe(20)
    expect(store.graph.size).toBe(edges.length)
    expect(store.pendingLayout).toBe(20)
    const a = store.graph.getNodeAttributes("a-c3")
    expect(a).toMatchObject({ label: "a-c3", minor: "a", color: statusColors.healthy, shape: "hexagon", ring: 0 })
    expect(a.size).toBeGreaterThan(minNodeSize)
    expect(a.size).toBeLessThan(maxNodeSize)
    expect(Number.isFinite(a.x) && Number.isFinite(a.y)).toBe(true)
    expect(store.graph.getEdgeAttributes("a-c0->b-c0")).toEqual({ size: edgeSize(2), color: edgeColor, connections: 2 })
  })

  it("changes only what differs: the same view again emits no event", () => {
    const store = new GraphStore()
    const { nodes, edges } = view()
    store.sync(project(nodes, edges, none, new Set()), "cpu")
    const seen = events(store)
    const result = store.sync(project(nodes, edges, none, new Set()), "cpu")
    expect(result).toEqual({ added: [], updated: [], removed: [], touchedEdges: [], removedEdges: 0 })
    expect(seen).toEqual({})
  })

  it("keeps every unchanged node where it was when a delta changes, adds and removes others", () => {
    const store = new GraphStore()
    const { nodes, edges } = view()
    store.sync(project(nodes, edges, none, new Set()), "cpu")
    settle(store)
    const before = positions(store)
    const changed = nodes.map((n) =>
      n.id === "a-c5" ? { ...n, status: "critical" as const, metrics: { cpu: 99 } } : n
    )
    const next = [...changed.filter((n) => n.id !== "b-c7"), node("a-new", { parents: { hosts: ["a"] } })]
    const nextEdges = [...edges.filter((e) => e.target !== "b-c7"), edge("a-new", "a-c0")]
    const seen = events(store)
    const result = store.sync(project(next, nextEdges, none, new Set()), "cpu")
    expect(result.added).toEqual(["a-new"])
    expect(result.updated).toEqual(["a-c5"])
    expect(result.removed).toEqual(["b-c7"])
    expect(seen).toMatchObject({ nodeAdded: 1, nodeDropped: 1, nodeAttributesUpdated: 1, edgeAdded: 1 })
    settle(store)
    const after = positions(store)
    for (const [id, p] of before) if (id !== "b-c7") expect(after.get(id), id).toEqual(p)
    expect(store.graph.getNodeAttribute("a-c5", "color")).toBe(statusColors.critical)
    // The newcomer sits with its host's containers.
    const hostA = nodes.filter((n) => n.id.startsWith("a-")).map((n) => after.get(n.id)!)
    const cx = hostA.reduce((s, p) => s + p.x, 0) / hostA.length
    const cy = hostA.reduce((s, p) => s + p.y, 0) / hostA.length
    const p = after.get("a-new")!
    expect(Math.hypot(p.x - cx, p.y - cy)).toBeLessThan(spacing * 8)
  })

  it("brings a node back where it was (a filter cleared, a view shown again)", () => {
    const store = new GraphStore()
    const { nodes, edges } = view()
    store.sync(project(nodes, edges, none, new Set()), "cpu")
    settle(store)
    const before = positions(store)
    store.sync(project(nodes.slice(0, 3), [], none, new Set()), "cpu")
    expect(store.graph.order).toBe(3)
    store.clear()
    expect(store.graph.order).toBe(0)
    store.sync(project(nodes, edges, none, new Set()), "cpu")
    expect(store.pendingLayout).toBe(0)
    expect(positions(store)).toEqual(before)
  })

  it("collapses members into a group at their centroid, and expands it back to their places", () => {
    const store = new GraphStore()
    const { nodes, edges } = view()
    const byHost = parseGrouping("hosts")
    store.sync(project(nodes, edges, none, new Set()), "cpu")
    settle(store)
    const before = positions(store)
    store.sync(project(nodes, edges, byHost, new Set()), "cpu")
    expect(store.graph.nodes().sort()).toEqual(["group:hosts:a", "group:hosts:b"])
    const group = store.graph.getNodeAttributes("group:hosts:a")
    expect(group).toMatchObject({ kind: "group", members: 12, ring: 2, topology: "" })
    const members = nodes.filter((n) => n.id.startsWith("a-")).map((n) => before.get(n.id)!)
    expect(group.x).toBeCloseTo(members.reduce((s, p) => s + p.x, 0) / members.length, 6)
    expect(store.graph.edges()).toEqual(["group:hosts:a->group:hosts:b"])
    settle(store)
    store.sync(project(nodes, edges, byHost, new Set(["group:hosts:a"])), "cpu")
    for (const n of nodes.filter((x) => x.id.startsWith("a-"))) {
      expect(store.graph.getNodeAttributes(n.id)).toMatchObject(before.get(n.id)!)
    }
  })

  it("sizes nodes by the chosen metric, groups by their member count", () => {
    const low = displayNodeOf(node("low", { metrics: { cpu: 1, memory: 2 ** 20 } }), 0)
    const high = displayNodeOf(node("high", { metrics: { cpu: 150, memory: 2 ** 34 } }), 500)
    expect(nodeLook(low, "cpu").size).toBeLessThan(nodeLook(high, "cpu").size)
    expect(nodeLook(low, "memory").size).toBe(minNodeSize)
    expect(nodeLook(high, "connections").size).toBeGreaterThan(nodeLook(low, "connections").size)
    const store = new GraphStore()
    const { nodes, edges } = view()
    store.sync(project(nodes, edges, none, new Set()), "cpu")
    const cpuSize = store.graph.getNodeAttribute("a-c9", "size")
    const result = store.sync(project(nodes, edges, none, new Set()), "memory")
    expect(result.updated).toHaveLength(20)
    expect(store.graph.getNodeAttribute("a-c9", "size")).not.toBe(cpuSize)
  })
})

describe("GraphStore: patch (deltas without grouping)", () => {
  it("applies a delta in O(change), moving nothing that did not change", () => {
    const store = new GraphStore()
    const { nodes, edges } = view()
    store.sync(project(nodes, edges, none, new Set()), "cpu")
    settle(store)
    const before = positions(store)
    const seen = events(store)
    const updated = displayNodeOf({ ...nodes[2]!, metrics: { cpu: 80 } }, 0)
    const added = displayNodeOf(node("b-new", { parents: { hosts: ["b"] } }), 0)
    const result = store.patch(
      {
        nodes: [updated, added],
        removed: ["a-c11", "unknown"],
        edges: [edge("b-new", "b-c0", 4), edge("a-c0", "b-c0", 9), edge("ghost", "a-c0")],
        removedEdges: ["a-c1->a-c2", "never"]
      },
      "cpu"
    )
    expect(result).toEqual({
      added: ["b-new"],
      updated: ["a-c2"],
      removed: ["a-c11"],
      touchedEdges: ["b-new->b-c0", "a-c0->b-c0"],
      removedEdges: 1
    })
    expect(seen).toMatchObject({ nodeAdded: 1, nodeDropped: 1, nodeAttributesUpdated: 1, edgeAttributesUpdated: 1 })
    expect(store.graph.hasEdge("a-c1->a-c2")).toBe(false)
    expect(store.graph.getEdgeAttribute("a-c0->b-c0", "connections")).toBe(9)
    settle(store)
    const after = positions(store)
    for (const [id, p] of before) if (id !== "a-c11") expect(after.get(id), id).toEqual(p)
  })

  it("resizes nodes by their connections from the graph's edges", () => {
    const store = new GraphStore()
    const { nodes, edges } = view()
    store.sync(project(nodes, edges, none, new Set()), "connections")
    const before = store.graph.getNodeAttribute("b-c3", "size")
    store.patch(
      {
        nodes: [displayNodeOf(nodes.find((n) => n.id === "b-c3")!, 0)],
        removed: [],
        edges: [edge("a-c4", "b-c3", 500)],
        removedEdges: []
      },
      "connections"
    )
    expect(store.graph.getNodeAttribute("b-c3", "size")).toBeGreaterThan(before)
  })
})

describe("GraphStore: layout jobs", () => {
  it("frees every node for a view's first layout, then only what an update adds", () => {
    const store = new GraphStore()
    const { nodes, edges } = view()
    store.sync(project(nodes, edges, none, new Set()), "cpu")
    const first = store.layoutJob()!
    expect(first.initial).toBe(true)
    expect(first.ids).toHaveLength(20)
    expect([...first.problem.pinned].every((p) => p === 0)).toBe(true)
    expect(first.problem.centres).toBeUndefined()
    settle(store)
    expect(store.layoutJob()).toBeUndefined()

    store.patch(
      {
        nodes: [displayNodeOf(node("a-new", { parents: { hosts: ["a"] } }), 0)],
        removed: [],
        edges: [edge("a-new", "a-c1")],
        removedEdges: []
      },
      "cpu"
    )
    const next = store.layoutJob()!
    expect(next.initial).toBe(false)
    const free = next.ids.filter((_, i) => next.problem.pinned[i] === 0)
    expect(free).toEqual(["a-new"])
    expect(next.ids).toContain("a-c1")
    expect(next.problem.centres).toBeDefined()
    expect(next.problem.edges.length).toBeGreaterThanOrEqual(2)
  })

  it("moves only the nodes still waiting, and not one placed again meanwhile", () => {
    const store = new GraphStore()
    const { nodes, edges } = view()
    store.sync(project(nodes, edges, none, new Set()), "cpu")
    const job = store.layoutJob()!
    const xs = job.problem.xs.map((x) => x + 1)
    const ys = job.problem.ys.map((y) => y + 1)
    // Meanwhile one node left and one was placed elsewhere.
    store.sync(
      project(
        nodes.filter((n) => n.id !== "a-c0"),
        edges,
        none,
        new Set()
      ),
      "cpu"
    )
    store.graph.setNodeAttribute("a-c1", "x", 12345)
    const seen = events(store)
    expect(store.applyLayout(job, xs, ys)).toBe(18)
    expect(seen).toEqual({ nodeAttributesUpdated: 18 })
    expect(store.graph.getNodeAttribute("a-c1", "x")).toBe(12345)
    expect(store.pendingLayout).toBe(1)
    store.settle()
    expect(store.pendingLayout).toBe(0)
  })

  it("applies a big layout as one graph event", () => {
    const store = new GraphStore()
    const a = hostContainers("a", 60)
    store.sync(project(a.nodes, a.edges, none, new Set()), "cpu")
    const job = store.layoutJob()!
    const seen = events(store)
    store.applyLayout(
      job,
      job.problem.xs.map((x) => x + 1),
      job.problem.ys
    )
    expect(seen).toEqual({ eachNodeAttributesUpdated: 1 })
  })
})

describe("GraphStore: selection", () => {
  it("marks the selected node and the multi-selection, also nodes added later", () => {
    const store = new GraphStore()
    const { nodes, edges } = view()
    store.sync(project(nodes, edges, none, new Set()), "cpu")
    store.select("a-c1")
    store.mark(new Set(["b-c1", "later"]))
    expect(store.graph.filterNodes((_id, a) => a.selected)).toEqual(["a-c1"])
    expect(store.graph.filterNodes((_id, a) => a.marked)).toEqual(["b-c1"])
    store.select("b-c2")
    store.mark(new Set(["later"]))
    store.sync(project([...nodes, node("later")], edges, none, new Set()), "cpu")
    expect(store.graph.filterNodes((_id, a) => a.selected)).toEqual(["b-c2"])
    expect(store.graph.filterNodes((_id, a) => a.marked)).toEqual(["later"])
    store.select(undefined)
    expect(store.graph.filterNodes((_id, a) => a.selected)).toEqual([])
  })
})
