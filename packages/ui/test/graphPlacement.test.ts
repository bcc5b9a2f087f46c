import { describe, expect, it } from "vitest"
import {
  discRadius,
  hash01,
  type PlacedNode,
  type PlaceItem,
  type Point,
  PositionMemory,
  placeAll,
  placeNew,
  spacing
} from "../app/graph/Placement.js"

const item = (id: string, cluster: string, fields: Partial<PlaceItem> = {}): PlaceItem => ({
  id,
  cluster,
  weight: 1,
  order: id,
  neighbours: [],
  ...fields
})

const cluster = (name: string, count: number) => Array.from({ length: count }, (_, i) => item(`${name}-${i}`, name))

const distance = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y)

const centroid = (points: ReadonlyArray<Point>): Point => ({
  x: points.reduce((s, p) => s + p.x, 0) / points.length,
  y: points.reduce((s, p) => s + p.y, 0) / points.length
})

/** The smallest distance between two points (O(n²): small inputs). */
const closest = (points: ReadonlyArray<Point>) => {
  let min = Number.POSITIVE_INFINITY
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) min = Math.min(min, distance(points[i]!, points[j]!))
  }
  return min
}

describe("Placement: placeAll", () => {
  const items = [...cluster("big", 60), ...cluster("mid", 20), ...cluster("small", 5), item("loner", "own")]
  const placed = placeAll(items)

  it("places every item, the same way every time", () => {
    expect(placed.size).toBe(items.length)
    expect(placeAll([...items].reverse())).toEqual(placed)
  })

  it("keeps nodes a spacing apart, however many clusters of whatever sizes", () => {
    expect(closest([...placed.values()])).toBeGreaterThanOrEqual(spacing * 0.9)
    const many = Array.from({ length: 40 }, (_, k) => cluster(`c${k}`, 2 + ((k * 7) % 29))).flat()
    const groups = Array.from({ length: 6 }, (_, k) => item(`g${k}`, "", { weight: 1 + k }))
    expect(closest([...placeAll([...many, ...groups]).values()])).toBeGreaterThanOrEqual(spacing * 0.9)
  })

  it("fills each cluster's disc around its centre, largest cluster in the middle", () => {
    const points = (name: string) => items.filter((i) => i.cluster === name).map((i) => placed.get(i.id)!)
    for (const [name, count] of [
      ["big", 60],
      ["mid", 20],
      ["small", 5]
    ] as const) {
      const centre = centroid(points(name))
      for (const p of points(name)) expect(distance(p, centre)).toBeLessThanOrEqual(discRadius(count))
    }
    expect(distance(centroid(points("big")), { x: 0, y: 0 })).toBeLessThan(spacing)
    // Discs do not overlap much: each cluster's centre is outside the others' discs.
    expect(distance(centroid(points("big")), centroid(points("mid")))).toBeGreaterThan(discRadius(60))
  })

  it("keeps anchored items where they are asked to be", () => {
    const anchored = placeAll([item("g", "", { anchor: { x: 500, y: -20 } }), item("x", "c")])
    expect(anchored.get("g")).toEqual({ x: 500, y: -20 })
  })
})

describe("Placement: placeNew", () => {
  const first = cluster("a", 30)
  const initial = placeAll([...first, ...cluster("b", 30)])
  const placed = new Map<string, PlacedNode>(
    [...initial].map(([id, p]) => [id, { ...p, cluster: id.startsWith("a") ? "a" : "b" }])
  )
  const centreA = centroid(first.map((i) => initial.get(i.id)!))
  const middle = centroid([...placed.values()])
  const extent = Math.max(...[...placed.values()].map((p) => distance(p, middle)))

  it("returns positions for the new items only (nothing placed moves)", () => {
    const out = placeNew([item("a-new", "a")], placed)
    expect([...out.keys()]).toEqual(["a-new"])
  })

  it("puts a new member on the rim of its cluster, clear of the others", () => {
    const out = placeNew([item("a-new", "a"), item("a-new2", "a")], placed)
    const farthest = Math.max(...first.map((i) => distance(initial.get(i.id)!, centreA)))
    for (const id of ["a-new", "a-new2"]) {
      const p = out.get(id)!
      expect(distance(p, centreA)).toBeLessThanOrEqual(discRadius(32))
      expect(distance(p, centreA)).toBeGreaterThan(farthest - spacing / 2)
    }
    expect(closest([...placed.values(), ...out.values()])).toBeGreaterThan(spacing * 0.5)
  })

  it("puts a node without a cluster next to its placed neighbours", () => {
    const neighbour = placed.get("b-3")!
    const out = placeNew([item("peer", "elsewhere", { neighbours: ["b-3", "gone"] })], placed)
    const p = out.get("peer")!
    expect(distance(p, neighbour)).toBeCloseTo(1.5 * spacing, 5)
  })

  it("packs a new cluster just outside everything drawn", () => {
    const out = placeNew(cluster("c", 10), placed)
    const centreC = centroid([...out.values()])
    expect(distance(centreC, middle)).toBeGreaterThan(extent)
    for (const p of out.values()) for (const q of placed.values()) expect(distance(p, q)).toBeGreaterThan(spacing)
  })

  it("lays out an expanded group's members around where the group was (its seed)", () => {
    const seed = { x: 1000, y: 1000 }
    const out = placeNew(cluster("group:hosts:x", 8), placed, new Map([["group:hosts:x", seed]]))
    for (const p of out.values()) expect(distance(p, seed)).toBeLessThanOrEqual(discRadius(8))
  })

  it("places everything anew when nothing is placed", () => {
    expect(placeNew(first, new Map())).toEqual(placeAll(first))
  })
})

describe("Placement: helpers", () => {
  it("hashes strings to [0, 1) deterministically", () => {
    const values = ["a", "b", "web-1", ""].map(hash01)
    expect(values).toEqual(["a", "b", "web-1", ""].map(hash01))
    for (const v of values) expect(v >= 0 && v < 1).toBe(true)
    expect(new Set(values).size).toBe(4)
  })

  it("remembers positions, dropping the least recently written past its capacity", () => {
    const memory = new PositionMemory(2)
    memory.set("a", { x: 1, y: 1 })
    memory.set("b", { x: 2, y: 2 })
    memory.set("a", { x: 3, y: 3 })
    memory.set("c", { x: 4, y: 4 })
    expect(memory.size).toBe(2)
    expect(memory.get("b")).toBeUndefined()
    expect(memory.get("a")).toEqual({ x: 3, y: 3 })
    expect(memory.get("c")).toEqual({ x: 4, y: 4 })
  })
})
