/**
 * Edge bookkeeping for renderers, built for 100k+ connections per render: node ids are interned to small
 * integers once, connections are counted in per-source maps with integer keys (no string building or
 * hashing per connection), and the resulting edges live in an array behind a `ReadonlyMap` facade that only
 * builds its id index if someone looks an edge up by id (filters and diffs iterate).
 *
 * @since 0.1.0
 */
import type { RenderedEdge } from "../../views/View.js"

/**
 * The id of the edge from `source` to `target`.
 *
 * @since 0.1.0
 * @category internal
 */
export const edgeId = (source: string, target: string): string => `${source}->${target}`

/**
 * The values of a rendering's map as an array, without copying when the map is a {@link ListMap}.
 *
 * @since 0.1.0
 * @category internal
 */
export const valuesOf = <V extends { readonly id: string }>(map: ReadonlyMap<string, V>): ReadonlyArray<V> =>
  map instanceof ListMap ? map.list : Array.from(map.values())

/**
 * Values with ids in an array, exposed as the `ReadonlyMap` a `Rendering` carries. Renderers fill arrays (no
 * hashing of fresh id strings per edge); the id index is built only when someone looks a value up by id,
 * unless the renderer already has one.
 *
 * @since 0.1.0
 * @category internal
 */
export class ListMap<V extends { readonly id: string }> implements ReadonlyMap<string, V> {
  constructor(
    readonly list: ReadonlyArray<V>,
    private index?: ReadonlyMap<string, number>
  ) {}

  get size(): number {
    return this.list.length
  }

  private byId(): ReadonlyMap<string, number> {
    if (this.index === undefined) {
      const index = new Map<string, number>()
      for (let i = 0; i < this.list.length; i++) index.set(this.list[i]!.id, i)
      this.index = index
    }
    return this.index
  }

  get(id: string): V | undefined {
    const i = this.byId().get(id)
    return i === undefined ? undefined : this.list[i]
  }

  has(id: string): boolean {
    return this.byId().has(id)
  }

  forEach(f: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const value of this.list) f.call(thisArg, value, value.id, this)
  }

  entries(): MapIterator<[string, V]> {
    return this.list.map((value): [string, V] => [value.id, value]).values()
  }

  keys(): MapIterator<string> {
    return this.list.map((value) => value.id).values()
  }

  values(): MapIterator<V> {
    return this.list.values()
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries()
  }
}

/**
 * Counts connections between nodes numbered by the renderer (their position in its node list). Pairs are
 * appended to typed arrays and counted by a counting sort on the source and a small sort per source, which
 * costs no allocation per connection and yields edges in a stable order (by source, then target number).
 *
 * @since 0.1.0
 * @category internal
 */
export class EdgeCounter {
  private sources: Int32Array
  private targets: Int32Array
  private n = 0
  private sorted: { readonly starts: Int32Array; readonly targets: Int32Array } | undefined

  /** `ids[i]` is the id of node `i`; more ids may be appended before counting ends. */
  constructor(
    public ids: ReadonlyArray<string>,
    capacity = 1024
  ) {
    this.sources = new Int32Array(Math.max(16, capacity))
    this.targets = new Int32Array(Math.max(16, capacity))
  }

  /** Starts over with new node ids, keeping the arrays when they hold `capacity` (to reuse one counter). */
  reset(ids: ReadonlyArray<string>, capacity = 1024): this {
    this.ids = ids
    this.n = 0
    this.sorted = undefined
    if (this.sources.length < capacity) {
      this.sources = new Int32Array(capacity)
      this.targets = new Int32Array(capacity)
    }
    return this
  }

  /** Adds `count` connections from `source` to `target`; self edges are dropped. */
  add(source: number, target: number, count = 1): void {
    if (source === target) return
    for (let c = 0; c < count; c++) {
      if (this.n === this.sources.length) {
        const sources = new Int32Array(this.n * 2)
        const targets = new Int32Array(this.n * 2)
        sources.set(this.sources)
        targets.set(this.targets)
        this.sources = sources
        this.targets = targets
      }
      this.sources[this.n] = source
      this.targets[this.n] = target
      this.n++
    }
    this.sorted = undefined
  }

  /** Calls `f` with each node number that has an edge, once per edge end. */
  forEachEnd(f: (node: number) => void): void {
    for (let i = 0; i < this.n; i++) {
      f(this.sources[i]!)
      f(this.targets[i]!)
    }
  }

  /** Renumbers nodes: node `i` becomes `mapping[i]` of the new `ids`; edges that become self edges go. */
  renumber(mapping: Int32Array, ids: ReadonlyArray<string>): void {
    let n = 0
    for (let i = 0; i < this.n; i++) {
      const source = mapping[this.sources[i]!]!
      const target = mapping[this.targets[i]!]!
      if (source === target) continue
      this.sources[n] = source
      this.targets[n] = target
      n++
    }
    this.n = n
    this.ids = ids
    this.sorted = undefined
  }

  private sort() {
    if (this.sorted !== undefined) return this.sorted
    const nodes = this.ids.length
    const starts = new Int32Array(nodes + 1)
    for (let i = 0; i < this.n; i++) starts[this.sources[i]! + 1]!++
    for (let i = 0; i < nodes; i++) starts[i + 1]! += starts[i]!
    const next = starts.slice(0, nodes)
    const targets = new Int32Array(this.n)
    for (let i = 0; i < this.n; i++) targets[next[this.sources[i]!]!++] = this.targets[i]!
    for (let s = 0; s < nodes; s++)
      if (starts[s + 1]! - starts[s]! > 1) targets.subarray(starts[s]!, starts[s + 1]!).sort()
    this.sorted = { starts, targets }
    return this.sorted
  }

  /** Calls `f` for every counted edge, by source then target number. */
  forEach(f: (source: number, target: number, count: number) => void): void {
    const { starts, targets } = this.sort()
    for (let s = 0; s + 1 < starts.length; s++) {
      let i = starts[s]!
      const end = starts[s + 1]!
      while (i < end) {
        const target = targets[i]!
        let j = i + 1
        while (j < end && targets[j] === target) j++
        f(s, target, j - i)
        i = j
      }
    }
  }

  /**
   * The counted edges as rendered edges. With a `memo` of the previous render, an edge with the same source,
   * target and count is the previous object; the memo then holds this render's edges.
   */
  edges(memo?: EdgeMemo): ListMap<RenderedEdge> {
    const ids = this.ids
    const { starts, targets } = this.sort()
    const list: Array<RenderedEdge> = []
    const previous = memo?.list ?? []
    const previousRuns = memo?.runs
    const runs = memo === undefined ? undefined : new Map<string, number>()
    for (let s = 0; s + 1 < starts.length; s++) {
      let i = starts[s]!
      const end = starts[s + 1]!
      if (i === end) continue
      const source = ids[s]!
      runs?.set(source, list.length)
      /** Where to look for the next edge in the previous render's run of this source (-1: none). */
      let cursor = previousRuns?.get(source) ?? -1
      while (i < end) {
        const t = targets[i]!
        let j = i + 1
        while (j < end && targets[j] === t) j++
        const connections = j - i
        i = j
        const target = ids[t]!
        let edge: RenderedEdge | undefined
        // Both runs are sorted by target number, and numbers keep their order across renders but for the
        // nodes added or removed in between: look a few edges ahead for the target.
        for (let k = cursor; k >= 0 && k < previous.length && k < cursor + lookahead; k++) {
          const candidate = previous[k]!
          if (candidate.source !== source) break
          if (candidate.target === target) {
            if (candidate.connections === connections) edge = candidate
            cursor = k + 1
            break
          }
        }
        list.push(edge ?? { id: edgeId(source, target), source, target, connections })
      }
    }
    if (memo !== undefined && runs !== undefined) {
      memo.list = list
      memo.runs = runs
    }
    return new ListMap(list)
  }
}

const lookahead = 8

/**
 * The edges of the previous render of a view, by source, for {@link EdgeCounter.edges} to reuse.
 *
 * @since 0.1.0
 * @category internal
 */
export class EdgeMemo {
  list: ReadonlyArray<RenderedEdge> = []
  /** Where each source's edges start in `list` (a render's edges are grouped by source). */
  runs: ReadonlyMap<string, number> = new Map()
}
