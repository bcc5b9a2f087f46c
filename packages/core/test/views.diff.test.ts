import fc from "fast-check"
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

  it("reports nothing and compares no field when the renders share their objects", () => {
    let reads = 0
    const watched = (id: string): RenderedNode => {
      const base = node(id)
      return new Proxy(base, {
        get: (target, key) => {
          reads++
          return target[key as keyof RenderedNode]
        }
      })
    }
    const nodes = [watched("a"), watched("b"), watched("c")]
    const edges = [edge("a", "b"), edge("b", "c")]
    expect(Diff.diff(view(nodes, edges), view([...nodes], [...edges]))).toEqual(Diff.empty)
    expect(reads).toBe(0)
  })

  it("finds changes around insertions and removals, in the order of each list", () => {
    const ids = ["a", "b", "c", "d", "e", "f", "g", "h"]
    const prev = view(
      ids.map((id) => node(id)),
      ids.slice(1).map((id, i) => edge(ids[i]!, id))
    )
    const nodes = [...prev.nodes]
    nodes.splice(1, 0, node("x"), node("y"))
    nodes.splice(5, 1)
    nodes[6] = node("f", { label: "f2" })
    nodes.splice(8, 1)
    nodes.push(node("z"))
    const edges = [...prev.edges]
    edges.splice(0, 1, edge("a", "x"))
    edges[3] = edge("d", "e", 5)
    edges.splice(5, 1)
    const next = view(nodes, edges)
    expect(next.nodes.map((n) => n.id)).toEqual(["a", "x", "y", "b", "c", "e", "f", "g", "z"])
    expect(Diff.diff(prev, next)).toEqual({
      add: [node("x"), node("y"), node("z")],
      update: [node("f", { label: "f2" })],
      remove: ["d", "h"],
      addEdges: [edge("a", "x")],
      updateEdges: [edge("d", "e", 5)],
      removeEdges: ["a->b", "f->g"]
    })
  })

  it("matches items by id whatever their order", () => {
    const prev = view([node("a"), node("b"), node("c")], [edge("a", "b"), edge("b", "c"), edge("c", "a")])
    const next = view(
      [node("c", { stack: 3 }), node("a"), node("d"), node("b")],
      [edge("c", "a", 2), edge("b", "c"), edge("a", "b")]
    )
    expect(Diff.diff(prev, next)).toEqual({
      add: [node("d")],
      update: [node("c", { stack: 3 })],
      remove: [],
      addEdges: [],
      updateEdges: [edge("c", "a", 2)],
      removeEdges: []
    })
  })

  it("agrees with a diff by id maps on random edits and shuffles", () => {
    /** The reference: the same delta computed with one map per side. */
    const reference = (prev: RenderedView, next: RenderedView) => {
      const side = <A extends { readonly id: string }>(
        a: ReadonlyArray<A>,
        b: ReadonlyArray<A>,
        equals: (x: A, y: A) => boolean
      ) => {
        const before = new Map(a.map((x) => [x.id, x]))
        const after = new Map(b.map((x) => [x.id, x]))
        return {
          add: b.filter((x) => !before.has(x.id)),
          update: b.filter((x) => before.has(x.id) && !equals(before.get(x.id)!, x)),
          remove: a.filter((x) => !after.has(x.id)).map((x) => x.id)
        }
      }
      const nodes = side(prev.nodes, next.nodes, Diff.nodeEquals)
      const edges = side(prev.edges, next.edges, Diff.edgeEquals)
      return {
        add: nodes.add,
        update: nodes.update,
        remove: nodes.remove,
        addEdges: edges.add,
        updateEdges: edges.update,
        removeEdges: edges.remove
      }
    }
    const ids = fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 30 })
    const edit = fc.record({
      kept: fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
      changed: fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
      added: fc.uniqueArray(fc.integer({ min: 41, max: 60 }), { maxLength: 8 }),
      at: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
      shuffle: fc.option(fc.array(fc.nat(), { minLength: 30, maxLength: 30 }))
    })
    fc.assert(
      fc.property(ids, edit, (numbers, e) => {
        const prevNodes = numbers.map((n) => node(`n${n}`))
        const prevEdges = numbers.map((n, i) => edge(`n${n}`, `n${numbers[(i + 1) % numbers.length]}`))
        const nextNodes: Array<RenderedNode> = []
        const nextEdges: Array<RenderedEdge> = []
        prevNodes.forEach((n, i) => {
          if (!e.kept[i]) return
          nextNodes.push(e.changed[i] ? node(n.id, { stack: 2 }) : i % 2 === 0 ? n : node(n.id))
          const ed = prevEdges[i]!
          nextEdges.push(e.changed[i] ? edge(ed.source, ed.target, 2) : ed)
        })
        e.added.forEach((n, k) => {
          const at = e.at[k]! % (nextNodes.length + 1)
          nextNodes.splice(at, 0, node(`n${n}`))
          nextEdges.splice(at % (nextEdges.length + 1), 0, edge(`n${n}`, "n0"))
        })
        if (e.shuffle !== null) {
          const swap = <A>(list: Array<A>) => {
            for (let i = list.length - 1; i > 0; i--) {
              const k = e.shuffle![i]! % (i + 1)
              ;[list[i], list[k]] = [list[k]!, list[i]!]
            }
          }
          swap(nextNodes)
          swap(nextEdges)
        }
        const prev = view(prevNodes, prevEdges)
        const next = view(nextNodes, nextEdges)
        expect(Diff.diff(prev, next)).toEqual(reference(prev, next))
        expect(Diff.diff(next, prev)).toEqual(reference(next, prev))
      }),
      { numRuns: 500 }
    )
  })
})
