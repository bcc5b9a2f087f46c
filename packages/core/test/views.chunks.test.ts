import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ChunkedList, chunksOf, EdgeCounter, EdgeMemo } from "../src/internal/views/edges.js"
import { edgeChunks, renderedView } from "../src/internal/views/renderedView.js"
import { jsonPieces } from "../src/internal/views/serialize.js"
import * as BuiltinViews from "../src/views/BuiltinViews.js"
import * as Diff from "../src/views/Diff.js"
import * as Filters from "../src/views/Filters.js"
import type { RenderedEdge, RenderedView, ViewDelta } from "../src/views/View.js"
import * as ViewRegistry from "../src/views/ViewRegistry.js"
import { liveReport } from "./views.fixture.js"

type Pairs = ReadonlyArray<readonly [number, number, number]>

const count = (ids: ReadonlyArray<string>, pairs: Pairs, memo?: EdgeMemo) => {
  const counter = new EdgeCounter(ids)
  for (const [s, t, n] of pairs) counter.add(s, t, n)
  return counter.edges(memo)
}

const view = (edges: ReadonlyMap<string, RenderedEdge> | ReadonlyArray<RenderedEdge>): RenderedView =>
  renderedView("v", [], edges, 0, 0)

/** A delta with its lists sorted by id, to compare deltas whose order may differ. */
const sorted = (delta: ViewDelta) => {
  const byId = <A extends { readonly id: string }>(list: ReadonlyArray<A>) =>
    [...list].sort((a, b) => (a.id < b.id ? -1 : 1))
  return {
    addEdges: byId(delta.addEdges),
    updateEdges: byId(delta.updateEdges),
    removeEdges: [...delta.removeEdges].sort()
  }
}

const ids = Array.from({ length: 60 }, (_, i) => `n${i}`)
const pairs = fc.array(fc.tuple(fc.nat(59), fc.nat(59), fc.integer({ min: 1, max: 3 })), { maxLength: 400 })

describe("chunked edges (what a render of a large view allocates)", () => {
  it("hold the same edges as a render without a memo, and diff like flat arrays, over random renders", () => {
    fc.assert(
      fc.property(fc.array(pairs, { minLength: 2, maxLength: 6 }), (renders) => {
        const memo = new EdgeMemo()
        let before: RenderedView | undefined
        let beforeFlat: RenderedView | undefined
        for (const round of renders) {
          const edges = count(ids, round, memo)
          const plain = [...count(ids, round).values()]
          expect(edges).toBeInstanceOf(ChunkedList)
          expect([...edges.values()]).toEqual(plain)
          const next = view(edges)
          const nextFlat = view([...edges.values()])
          expect(next.edges).toEqual(plain)
          expect(sorted(Diff.diff(before, next))).toEqual(sorted(Diff.diff(beforeFlat, nextFlat)))
          before = next
          beforeFlat = nextFlat
        }
      }),
      { numRuns: 60 }
    )
  })

  it("share every chunk a change does not touch with the previous render", () => {
    const many = Array.from({ length: 2000 }, (_, i) => `s${i}`)
    const round = (extra: number): Pairs => many.map((_, i) => [i, (i * 7 + 1) % many.length, i === 1000 ? extra : 1])
    const memo = new EdgeMemo()
    const first = count(many, round(1), memo) as ChunkedList<RenderedEdge>
    const second = count(many, round(2), memo) as ChunkedList<RenderedEdge>
    expect(first.chunks.length).toBeGreaterThan(100)
    const shared = new Set(first.chunks)
    expect(second.chunks.filter((chunk) => !shared.has(chunk))).toHaveLength(1)
    const delta = Diff.diff(view(first), view(second))
    expect(delta.updateEdges.map((e) => [e.id, e.connections])).toEqual([["s1000->s1001", 2]])
    expect(delta.addEdges).toEqual([])
    expect(delta.removeEdges).toEqual([])
  })
})

describe("rendered views with chunked edges", () => {
  it("serialize, spread and compare like views with a plain edges array, and build it once", () => {
    const edges = count(
      ["a", "b", "c"],
      [
        [0, 1, 1],
        [1, 2, 2]
      ],
      new EdgeMemo()
    )
    const lazy = renderedView("v", [], edges, 3, 9)
    const plain = { view: "v", nodes: [], edges: [...edges.values()], total: 3, renderedAt: 9 }
    expect(JSON.stringify(lazy)).toBe(JSON.stringify(plain))
    expect({ ...lazy }).toEqual(plain)
    expect(lazy.edges).toBe(lazy.edges)
  })

  it("come out of the registry unfiltered for the built-in views, and diff to nothing when nothing changed", () => {
    const live = liveReport()
    const registry = ViewRegistry.make()
    const first = registry.render(live.report, "containers")
    live.bump("hosts")
    const second = registry.render(live.report, "containers")
    if (first._tag !== "Success" || second._tag !== "Success") throw new Error("render failed")
    expect(second.success).not.toBe(first.success)
    expect(Diff.isEmpty(Diff.diff(first.success, second.success))).toBe(true)
    const rendering = BuiltinViews.containers.render(live.report)
    expect(rendering.edges).toBeInstanceOf(ChunkedList)
  })
})

describe("filtered views over chunked edges", () => {
  it("keep the edges Filters.apply keeps, reuse the chunks a filter keeps whole, and diff to nothing unchanged", () => {
    const live = liveReport()
    const registry = ViewRegistry.make()
    for (const filters of [{ status: "running" }, { hidePseudo: true }, { kind: "application" }] as const) {
      const first = registry.render(live.report, "containers", filters)
      const rendering = registry.rendering(live.report, "containers")
      if (first._tag !== "Success" || rendering._tag !== "Success") throw new Error("render failed")
      const plain = Filters.apply(rendering.success, filters, live.report)
      if (plain._tag !== "Success") throw new Error("filter failed")
      expect(first.success.edges).toEqual(plain.success.edges)
      expect(first.success.nodes).toEqual(plain.success.nodes)
    }
    const first = registry.render(live.report, "containers", { status: "running" })
    live.bump("hosts")
    const second = registry.render(live.report, "containers", { status: "running" })
    if (first._tag !== "Success" || second._tag !== "Success") throw new Error("render failed")
    expect(second.success).not.toBe(first.success)
    expect(Diff.isEmpty(Diff.diff(first.success, second.success))).toBe(true)
    // Every chunk of the rendering whose edges all stay is the rendering's own chunk object.
    const rendering = registry.rendering(live.report, "containers")
    if (rendering._tag !== "Success") throw new Error("render failed")
    const source = chunksOf(rendering.success.edges)!
    const filtered = new Set(edgeChunks(second.success)!)
    const keptIds = new Set(second.success.edges.map((e) => e.id))
    const whole = source.filter((chunk) => chunk.every((e) => keptIds.has(e.id)))
    expect(whole.length).toBeGreaterThan(0)
    for (const chunk of whole) expect(filtered.has(chunk)).toBe(true)
  })
})

describe("jsonPieces", () => {
  it("joins to JSON.stringify of the whole message, for any piece size", () => {
    const message = {
      type: "snapshot",
      skipped: undefined,
      view: {
        view: "v",
        nodes: [{ id: "a", labels: { k: 'v"\u2028' } }, undefined, 3],
        edges: [],
        nested: { deep: [1, 2] },
        dated: new Date(0),
        total: 2
      }
    }
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), (size) => {
        const pieces = [...jsonPieces(message, size)]
        expect(pieces.join("")).toBe(JSON.stringify(message))
      })
    )
    fc.assert(
      fc.property(fc.object(), fc.integer({ min: 1, max: 200 }), (value, size) => {
        expect([...jsonPieces({ type: "x", view: value }, size)].join("")).toBe(
          JSON.stringify({ type: "x", view: value })
        )
      }),
      { numRuns: 200 }
    )
  })
})
