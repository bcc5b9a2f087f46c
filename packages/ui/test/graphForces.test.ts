import { describe, expect, it } from "vitest"
import { type LayoutProblem, refine } from "../app/graph/Forces.js"

const problem = (
  points: ReadonlyArray<readonly [number, number]>,
  fields: Partial<Omit<LayoutProblem, "xs" | "ys">> = {}
): LayoutProblem => ({
  xs: Float64Array.from(points, (p) => p[0]),
  ys: Float64Array.from(points, (p) => p[1]),
  radius: fields.radius ?? new Float64Array(points.length).fill(5),
  pinned: fields.pinned ?? new Uint8Array(points.length),
  cluster: fields.cluster ?? new Int32Array(points.length).fill(-1),
  edges: fields.edges ?? new Uint32Array(0),
  ...(fields.centres === undefined ? {} : { centres: fields.centres })
})

const dist = (p: LayoutProblem, i: number, j: number) => Math.hypot(p.xs[i]! - p.xs[j]!, p.ys[i]! - p.ys[j]!)

describe("Forces: refine", () => {
  it("pushes overlapping nodes apart, even from the same spot", () => {
    const p = problem([
      [0, 0],
      [0, 0],
      [1, 0]
    ])
    refine(p, { iterations: 100, spacing: 10 })
    expect(dist(p, 0, 1)).toBeGreaterThanOrEqual(10)
    expect(dist(p, 0, 2)).toBeGreaterThanOrEqual(10)
    expect(dist(p, 1, 2)).toBeGreaterThanOrEqual(10)
  })

  it("never moves pinned nodes, and moves free ones out of their way", () => {
    const p = problem(
      [
        [0, 0],
        [2, 0],
        [200, 0]
      ],
      { pinned: Uint8Array.from([1, 0, 1]), edges: Uint32Array.from([1, 2]) }
    )
    refine(p, { iterations: 100, spacing: 10 })
    expect([p.xs[0], p.ys[0], p.xs[2], p.ys[2]]).toEqual([0, 0, 200, 0])
    expect(dist(p, 0, 1)).toBeGreaterThanOrEqual(10)
    // The edge pulled it towards its peer.
    expect(p.xs[1]).toBeGreaterThan(100)
  })

  it("pulls connected nodes together, down to a comfortable length", () => {
    const p = problem(
      [
        [0, 0],
        [300, 0]
      ],
      { edges: Uint32Array.from([0, 1]) }
    )
    refine(p, { iterations: 200, spacing: 10 })
    expect(dist(p, 0, 1)).toBeLessThan(40)
    expect(dist(p, 0, 1)).toBeGreaterThanOrEqual(10)
  })

  it("pulls a stray node back to its cluster, towards fixed centres when given", () => {
    const p = problem(
      [
        [500, 0],
        [0, 0]
      ],
      {
        cluster: Int32Array.from([0, 0]),
        pinned: Uint8Array.from([0, 1]),
        centres: { xs: Float64Array.from([0]), ys: Float64Array.from([0]), radius: Float64Array.from([30]) }
      }
    )
    refine(p, { iterations: 200, spacing: 10 })
    expect(Math.hypot(p.xs[0]!, p.ys[0]!)).toBeLessThanOrEqual(31)
  })

  it("stops early when nothing moves, and when there is nothing to move", () => {
    const settled = problem([
      [0, 0],
      [50, 0]
    ])
    expect(refine(settled, { iterations: 100, spacing: 10 })).toEqual({ iterations: 1, lastMove: 0 })
    const pinned = problem([[0, 0]], { pinned: Uint8Array.from([1]) })
    expect(refine(pinned, { iterations: 100, spacing: 10 })).toEqual({ iterations: 0, lastMove: 0 })
    expect(refine(problem([]), { iterations: 100, spacing: 10 }).iterations).toBe(0)
  })

  it("keeps to its time budget", () => {
    const n = 3000
    const p = problem(
      Array.from({ length: n }, (_, i) => [(i % 7) * 0.5, Math.floor(i / 7) * 0.5] as const),
      { edges: Uint32Array.from({ length: 2 * n }, (_, k) => (k * 7919) % n) }
    )
    const started = performance.now()
    const result = refine(p, { iterations: 100_000, budgetMs: 40, spacing: 10 })
    expect(result.iterations).toBeLessThan(100_000)
    expect(performance.now() - started).toBeLessThan(1_000)
  })

  it("gives the same layout every time", () => {
    const make = () =>
      problem(
        Array.from({ length: 50 }, (_, i) => [i % 5, Math.floor(i / 5)] as const),
        { edges: Uint32Array.from([0, 10, 3, 40, 7, 21]), cluster: Int32Array.from({ length: 50 }, (_, i) => i % 3) }
      )
    const a = make()
    const b = make()
    refine(a, { iterations: 80, spacing: 10 })
    refine(b, { iterations: 80, spacing: 10 })
    expect(a.xs).toEqual(b.xs)
    expect(a.ys).toEqual(b.ys)
  })
})
