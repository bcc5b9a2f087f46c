/**
 * Where nodes go before (and instead of) any force layout: a placement that is already readable, computed in
 * one pass. Nodes of a cluster (a host's containers, an expanded group's members) fill a disc in a sunflower
 * pattern, clusters are packed the same way (largest in the middle), and a node that arrives later goes to the
 * rim of its cluster, next to its neighbours, or with its new cluster outside what is drawn: nothing already
 * placed moves. Pure and deterministic (no randomness: offsets come from hashing ids), so it is tested directly.
 */

/** A point in layout units. */
export interface Point {
  readonly x: number
  readonly y: number
}

/** Distance between neighbouring ordinary nodes, in layout units. */
export const spacing = 10

/** The golden angle: successive items of a sunflower never line up. */
const goldenAngle = Math.PI * (3 - Math.sqrt(5))

/** A node to place. */
export interface PlaceItem {
  readonly id: string
  readonly cluster: string
  /** Its area relative to an ordinary node (1); collapsed groups are bigger. */
  readonly weight: number
  /** Sort key inside its cluster (the label), so similar names sit together. */
  readonly order: string
  /** Ids of the nodes it has edges with. */
  readonly neighbours: ReadonlyArray<string>
  /** Where it should go, if the caller knows (a collapsed group: where its members were). */
  readonly anchor?: Point | undefined
}

/** A node already placed. */
export interface PlacedNode extends Point {
  readonly cluster: string
}

/** A number in [0, 1) from a string (FNV-1a): stable "randomness" for offsets. */
export const hash01 = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) / 4294967296
}

/** The offset of the item at cumulative area `area` (in node units) of a sunflower with angle index `index`. */
const sunflowerOffset = (index: number, area: number, unit: number): Point => {
  const r = unit * Math.sqrt(area)
  const a = index * goldenAngle
  return { x: r * Math.cos(a), y: r * Math.sin(a) }
}

/** The radius of a disc holding `area` node units. */
export const discRadius = (area: number, unit: number = spacing): number => unit * Math.sqrt(area + 0.5) + unit

const compareItems = (a: PlaceItem, b: PlaceItem) =>
  b.weight - a.weight || (a.order < b.order ? -1 : a.order > b.order ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** Lays items out as one sunflower disc around (0, 0), heaviest first; returns the positions and its radius. */
const disc = (
  items: ReadonlyArray<PlaceItem>,
  out: Map<string, Point>,
  centre: Point,
  firstIndex = 0,
  firstArea = 0
) => {
  let area = firstArea
  let index = firstIndex
  for (const item of items) {
    const offset = sunflowerOffset(index, area + item.weight / 2, spacing)
    out.set(item.id, { x: centre.x + offset.x, y: centre.y + offset.y })
    area += item.weight
    index++
  }
  return discRadius(area)
}

/** Groups items by cluster; clusters of one item are pooled in the `""` cluster (one disc of loners). */
const clustersOf = (items: ReadonlyArray<PlaceItem>): Array<{ key: string; items: Array<PlaceItem>; area: number }> => {
  const byKey = new Map<string, Array<PlaceItem>>()
  for (const item of items) {
    const list = byKey.get(item.cluster)
    if (list === undefined) byKey.set(item.cluster, [item])
    else list.push(item)
  }
  const pool: Array<PlaceItem> = []
  const out: Array<{ key: string; items: Array<PlaceItem>; area: number }> = []
  for (const [key, list] of byKey) {
    if (list.length === 1 && key !== "") pool.push(list[0]!)
    else if (key === "") pool.push(...list)
    else out.push({ key, items: list, area: list.reduce((a, i) => a + i.weight, 0) })
  }
  if (pool.length > 0) out.push({ key: "", items: pool, area: pool.reduce((a, i) => a + i.weight, 0) })
  out.sort((a, b) => b.area - a.area || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  for (const cluster of out) cluster.items.sort(compareItems)
  return out
}

/**
 * Packs clusters around `centre`, largest in the middle: each cluster is a sunflower disc, and the discs go
 * round the middle one in rings (a ring takes discs until it is full; its discs are spread evenly), so no two
 * discs overlap. Returns the packing's radius.
 */
const pack = (items: ReadonlyArray<PlaceItem>, out: Map<string, Point>, centre: Point): number => {
  const clusters = clustersOf(items)
  if (clusters.length === 0) return 0
  const gap = spacing
  const radii = clusters.map((cluster) => discRadius(cluster.area))
  disc(clusters[0]!.items, out, centre)
  let extent = radii[0]!
  let next = 1
  while (next < clusters.length) {
    // The ring's radius clears the previous rings and this ring's largest (first) disc.
    const ring = extent + gap + radii[next]!
    const step = (a: number, b: number) => 2 * Math.asin(Math.min(1, (radii[a]! + radii[b]! + gap) / (2 * ring)))
    const members = [next]
    let used = 0
    while (next + members.length < clusters.length) {
      const candidate = next + members.length
      const closing = step(candidate, next)
      if (used + step(members.at(-1)!, candidate) + closing > 2 * Math.PI) break
      used += step(members.at(-1)!, candidate)
      members.push(candidate)
    }
    const total = used + (members.length > 1 ? step(members.at(-1)!, next) : 0)
    const spread = members.length > 1 ? (2 * Math.PI - total) / members.length : 0
    let angle = hash01(clusters[next]!.key) * 2 * Math.PI
    members.forEach((index, k) => {
      if (k > 0) angle += step(members[k - 1]!, index) + spread
      disc(clusters[index]!.items, out, { x: centre.x + ring * Math.cos(angle), y: centre.y + ring * Math.sin(angle) })
    })
    extent = ring + radii[next]!
    next += members.length
  }
  return extent
}

/** Places items when nothing is placed yet: clusters as discs, packed around (0, 0). */
export const placeAll = (items: ReadonlyArray<PlaceItem>): Map<string, Point> => {
  const out = new Map<string, Point>()
  const anchored = items.filter((item) => item.anchor !== undefined)
  for (const item of anchored) out.set(item.id, item.anchor!)
  pack(
    items.filter((item) => item.anchor === undefined),
    out,
    { x: 0, y: 0 }
  )
  return out
}

interface ClusterStats {
  sx: number
  sy: number
  count: number
  area: number
}

/**
 * Places new items among nodes already placed, which do not move. In order of preference, an item goes:
 * to its `anchor`; to the rim of its cluster (continuing the cluster's sunflower); around `seeds[cluster]`
 * (an expanded group's members around where the group was); next to its placed neighbours; or, with the
 * other new items of its new cluster, in a packing just outside everything drawn.
 */
export const placeNew = (
  items: ReadonlyArray<PlaceItem>,
  placed: ReadonlyMap<string, PlacedNode>,
  seeds: ReadonlyMap<string, Point> = new Map()
): Map<string, Point> => {
  if (placed.size === 0 && seeds.size === 0) return placeAll(items)
  const out = new Map<string, Point>()
  const stats = new Map<string, ClusterStats>()
  let cx = 0
  let cy = 0
  for (const node of placed.values()) {
    cx += node.x
    cy += node.y
    let s = stats.get(node.cluster)
    if (s === undefined) {
      s = { sx: 0, sy: 0, count: 0, area: 0 }
      stats.set(node.cluster, s)
    }
    s.sx += node.x
    s.sy += node.y
    s.count++
    s.area++
  }
  const centre = placed.size === 0 ? { x: 0, y: 0 } : { x: cx / placed.size, y: cy / placed.size }
  let extent = 0
  for (const node of placed.values()) extent = Math.max(extent, Math.hypot(node.x - centre.x, node.y - centre.y))

  const sorted = [...items].sort(
    (a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0) || compareItems(a, b)
  )
  const homeless: Array<PlaceItem> = []
  const seeded = new Map<string, { centre: Point; index: number; area: number }>()
  const positionOf = (id: string): Point | undefined => out.get(id) ?? placed.get(id)
  for (const item of sorted) {
    if (item.anchor !== undefined) {
      out.set(item.id, item.anchor)
      continue
    }
    const s = stats.get(item.cluster)
    if (s !== undefined && item.cluster !== "") {
      const at = { x: s.sx / s.count, y: s.sy / s.count }
      const offset = sunflowerOffset(s.count, s.area + item.weight / 2, spacing)
      out.set(item.id, { x: at.x + offset.x, y: at.y + offset.y })
      s.count++
      s.area += item.weight
      continue
    }
    const seed = seeds.get(item.cluster)
    if (seed !== undefined) {
      let state = seeded.get(item.cluster)
      if (state === undefined) {
        state = { centre: seed, index: 0, area: 0 }
        seeded.set(item.cluster, state)
      }
      const offset = sunflowerOffset(state.index, state.area + item.weight / 2, spacing)
      out.set(item.id, { x: state.centre.x + offset.x, y: state.centre.y + offset.y })
      state.index++
      state.area += item.weight
      continue
    }
    let nx = 0
    let ny = 0
    let n = 0
    for (const id of item.neighbours) {
      const p = positionOf(id)
      if (p !== undefined) {
        nx += p.x
        ny += p.y
        n++
      }
    }
    if (n > 0) {
      const angle = hash01(item.id) * 2 * Math.PI
      out.set(item.id, { x: nx / n + 1.5 * spacing * Math.cos(angle), y: ny / n + 1.5 * spacing * Math.sin(angle) })
      continue
    }
    homeless.push(item)
  }
  if (homeless.length > 0) {
    // Pack the new clusters on their own, then move the packing just outside what is drawn.
    const local = new Map<string, Point>()
    const radius = pack(homeless, local, { x: 0, y: 0 })
    const angle = hash01(homeless[0]!.cluster || homeless[0]!.id) * 2 * Math.PI
    const distance = placed.size === 0 ? 0 : extent + radius + 2 * spacing
    const dx = centre.x + distance * Math.cos(angle)
    const dy = centre.y + distance * Math.sin(angle)
    for (const [id, p] of local) out.set(id, { x: p.x + dx, y: p.y + dy })
  }
  return out
}

/**
 * Positions of nodes the graph showed, kept when they leave it (a filter, a collapsed group, another view),
 * so they come back where they were. Least recently written dropped first past `capacity`.
 */
export class PositionMemory {
  private readonly points = new Map<string, Point>()

  constructor(private readonly capacity = 200_000) {}

  get(id: string): Point | undefined {
    return this.points.get(id)
  }

  set(id: string, point: Point): void {
    this.points.delete(id)
    this.points.set(id, point)
    if (this.points.size > this.capacity) this.points.delete(this.points.keys().next().value!)
  }

  get size(): number {
    return this.points.size
  }
}
