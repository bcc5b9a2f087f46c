import { describe, expect, it } from "vitest"
import { EdgeCounter, EdgeMemo, valuesOf } from "../src/internal/views/edges.js"
import * as BuiltinViews from "../src/views/BuiltinViews.js"
import * as Diff from "../src/views/Diff.js"
import * as ViewRegistry from "../src/views/ViewRegistry.js"
import type { RenderedEdge } from "../src/views/View.js"
import { liveReport } from "./views.fixture.js"

/** Counts `pairs` (source, target, connections) between nodes `ids` and returns the edges, using `memo`. */
const count = (
  ids: ReadonlyArray<string>,
  pairs: ReadonlyArray<readonly [number, number, number]>,
  memo?: EdgeMemo
) => {
  const counter = new EdgeCounter(ids)
  for (const [s, t, n] of pairs) counter.add(s, t, n)
  return [...counter.edges(memo).values()]
}

/** Both renders' edges compared by content, and the edges of `after` that are not objects of `before`. */
const fresh = (before: ReadonlyArray<RenderedEdge>, after: ReadonlyArray<RenderedEdge>) => {
  const old = new Set(before)
  return after.filter((edge) => !old.has(edge)).map((edge) => edge.id)
}

describe("EdgeCounter.edges with a memo (what lets Diff short-cut on identity)", () => {
  it("hands back the previous render's objects for edges whose source, target and count are unchanged", () => {
    const memo = new EdgeMemo()
    const first = count(
      ["a", "b", "c"],
      [
        [0, 1, 1],
        [0, 2, 2],
        [1, 2, 1]
      ],
      memo
    )
    // "x" is inserted before "b": node numbers shift, ids do not.
    const second = count(
      ["a", "x", "b", "c"],
      [
        [0, 2, 1],
        [0, 3, 3],
        [2, 3, 1],
        [1, 3, 1]
      ],
      memo
    )
    expect(second).toEqual(
      count(
        ["a", "x", "b", "c"],
        [
          [0, 2, 1],
          [0, 3, 3],
          [2, 3, 1],
          [1, 3, 1]
        ]
      )
    )
    expect(fresh(first, second)).toEqual(["a->c", "x->c"])
    expect(
      Diff.diff(
        { view: "v", nodes: [], edges: first, total: 0, renderedAt: 0 },
        {
          view: "v",
          nodes: [],
          edges: second,
          total: 0,
          renderedAt: 0
        }
      )
    ).toEqual({ ...Diff.empty, addEdges: [second[2]], updateEdges: [second[1]] })
  })

  it("stays right and bounded while sources come and go", () => {
    const memo = new EdgeMemo()
    let before: ReadonlyArray<RenderedEdge> = []
    for (let round = 0; round < 12; round++) {
      // 500 sources that stay, and 500 that are new every round.
      const ids = [
        ...Array.from({ length: 500 }, (_, i) => `stay-${i}`),
        ...Array.from({ length: 500 }, (_, i) => `r${round}-${i}`),
        "sink"
      ]
      const pairs = ids.slice(0, -1).map((_, i) => [i, ids.length - 1, 1 + (i % 3)] as const)
      const edges = count(ids, pairs, memo)
      expect(edges).toEqual(count(ids, pairs))
      if (round > 0) expect(fresh(before, edges)).toHaveLength(500)
      expect(memo.numbers.size).toBeLessThanOrEqual(2 * 1000 + 1024 + 500)
      before = edges
    }
  })
})

describe("renderTopology across renders", () => {
  it("keeps unchanged pseudo nodes (The Internet, unknown peers, Uncontained) as the same objects", () => {
    const live = liveReport()
    const first = BuiltinViews.containers.render(live.report)
    live.bump("containers")
    const second = BuiltinViews.containers.render(live.report)
    const pseudo = [...first.nodes.values()].filter((node) => node.pseudo)
    expect(pseudo.length).toBeGreaterThan(2)
    for (const node of pseudo) expect(second.nodes.get(node.id)).toBe(node)
    expect([...second.edges.values()]).toEqual([...first.edges.values()])
    expect(fresh([...first.edges.values()], [...second.edges.values()])).toEqual([])
  })
})

describe("ViewRegistry.render without filters (what a WebSocket flush diffs)", () => {
  it("hands back the same view while the topologies it reads are unchanged, built on the rendering's own arrays", () => {
    const live = liveReport()
    const views = ViewRegistry.make()
    const first = views.render(live.report, "containers")
    const again = views.render(live.report, "containers")
    expect(again).toEqual(first)
    if (first._tag !== "Success" || again._tag !== "Success") throw new Error("render failed")
    expect(again.success).toBe(first.success)
    const rendering = views.rendering(live.report, "containers")
    if (rendering._tag !== "Success") throw new Error("render failed")
    expect(first.success.nodes).toBe(valuesOf(rendering.success.nodes))
    expect(first.success.edges).toBe(valuesOf(rendering.success.edges))
    live.bump("hosts")
    const next = views.render(live.report, "containers")
    if (next._tag !== "Success") throw new Error("render failed")
    expect(next.success).not.toBe(first.success)
    expect(Diff.isEmpty(Diff.diff(first.success, next.success))).toBe(true)
  })
})
