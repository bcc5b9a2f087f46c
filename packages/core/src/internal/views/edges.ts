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
  private sortedStarts = new Int32Array(0)
  private sortedTargets = new Int32Array(0)
  private cursors = new Int32Array(0)

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

  /** Sets `used[i]` to 1 for each node number `i` that has an edge. */
  markEnds(used: Uint8Array): void {
    for (let i = 0; i < this.n; i++) {
      used[this.sources[i]!] = 1
      used[this.targets[i]!] = 1
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
    // The sorted arrays are only read until the next reset: reuse their buffers from render to render.
    if (this.sortedStarts.length < nodes + 1) this.sortedStarts = new Int32Array(Math.max(nodes + 1, 1024))
    if (this.sortedTargets.length < this.n) this.sortedTargets = new Int32Array(Math.ceil(this.n * 1.25))
    if (this.cursors.length < nodes) this.cursors = new Int32Array(this.sortedStarts.length)
    const starts = this.sortedStarts.subarray(0, nodes + 1).fill(0)
    const targets = this.sortedTargets.subarray(0, this.n)
    const next = this.cursors
    for (let i = 0; i < this.n; i++) starts[this.sources[i]! + 1]!++
    for (let i = 0; i < nodes; i++) starts[i + 1]! += starts[i]!
    next.set(starts.subarray(0, nodes))
    for (let i = 0; i < this.n; i++) targets[next[this.sources[i]!]!++] = this.targets[i]!
    for (let s = 0; s < nodes; s++) {
      const from = starts[s]!
      const to = starts[s + 1]!
      if (to - from > 32) targets.subarray(from, to).sort()
      else insertionSort(targets, from, to)
    }
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
    // Sized up front: growing a 200k-element array by pushes cost as much as filling it.
    let distinct = 0
    for (let s = 0; s + 1 < starts.length; s++) {
      const end = starts[s + 1]!
      for (let i = starts[s]!; i < end; i++) if (i === starts[s] || targets[i] !== targets[i - 1]) distinct++
    }
    const list: Array<RenderedEdge> = new Array(distinct)
    let n = 0
    if (memo === undefined) {
      this.forEach((s, t, connections) => {
        const source = ids[s]!
        const target = ids[t]!
        list[n++] = { id: edgeId(source, target), source, target, connections }
      })
      list.length = n
      return new ListMap(list)
    }
    // The previous render is read from the memo's flat arrays (targets, counts, run ends) rather than from its
    // edge objects, which are scattered over the heap, and written to typed arrays (no write barrier): a
    // reused edge costs a pointer copy into `list` and no cache miss.
    const previous = memo.list
    const previousIds = memo.ids
    const previousTargets = memo.targets
    const previousCounts = memo.counts
    let nextTargets = memo.spareTargets
    let nextCounts = memo.spareCounts
    if (nextCounts.length < distinct) {
      nextTargets = new Int32Array(Math.ceil(distinct * 1.25))
      nextCounts = new Int32Array(nextTargets.length)
    }
    const render = ++memo.renders
    const numbers = memo.numbers
    let sources = 0
    for (let s = 0; s + 1 < starts.length; s++) {
      let i = starts[s]!
      const end = starts[s + 1]!
      if (i === end) continue
      const source = ids[s]!
      sources++
      let number = numbers.get(source)
      if (number === undefined) {
        number = numbers.size
        numbers.set(source, number)
        memo.room(number)
      }
      /** Where to look for the next edge in the previous render's run of this source, and where that run ends. */
      const ran = memo.runStamps[number] === render - 1
      let cursor = ran ? memo.runStarts[number]! : -1
      const runEnd = ran ? memo.runEnds[number]! : -1
      memo.runStarts[number] = n
      memo.runStamps[number] = render
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
        for (let k = cursor; k >= 0 && k < runEnd && k < cursor + lookahead; k++) {
          if (previousIds[previousTargets[k]!] === target) {
            if (previousCounts[k] === connections) edge = previous[k]!
            cursor = k + 1
            break
          }
        }
        list[n] = edge ?? { id: edgeId(source, target), source, target, connections }
        nextTargets[n] = t
        nextCounts[n] = connections
        n++
      }
      memo.runEnds[number] = n
    }
    list.length = n
    memo.spareTargets = previousTargets
    memo.spareCounts = previousCounts
    memo.list = list
    memo.ids = ids
    memo.targets = nextTargets
    memo.counts = nextCounts
    if (numbers.size > 2 * sources + 1024) memo.forgetDeparted()
    return new ListMap(list)
  }
}

/** Sorts `array[from..to)` in place; for the short runs most sources have, cheaper than a typed-array sort. */
const insertionSort = (array: Int32Array, from: number, to: number): void => {
  for (let i = from + 1; i < to; i++) {
    const x = array[i]!
    let j = i - 1
    while (j >= from && array[j]! > x) {
      array[j + 1] = array[j]!
      j--
    }
    array[j + 1] = x
  }
}

const grow = (array: Int32Array): Int32Array => {
  const next = new Int32Array(Math.max(1024, array.length * 2))
  next.set(array)
  return next
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
  /** The node ids of the render that made `list`. */
  ids: ReadonlyArray<string> = []
  /** The target (index in `ids`) and connection count of each edge of `list`. */
  targets: Int32Array = new Int32Array(0)
  counts: Int32Array = new Int32Array(0)
  /** The arrays of the render before, overwritten by the next one (two sets in turn, no allocation). */
  spareTargets: Int32Array = new Int32Array(0)
  spareCounts: Int32Array = new Int32Array(0)
  /** Renders so far: stamps the runs each one wrote. */
  renders = 0
  /**
   * A number per source id, the same from render to render, so that where each source's run of edges is
   * (a render's edges are grouped by source) lives in typed arrays rather than in a map rebuilt per render.
   */
  numbers = new Map<string, number>()
  /** Per source number: where its run starts and ends in `list`, and the render that wrote them. */
  runStarts: Int32Array = new Int32Array(0)
  runEnds: Int32Array = new Int32Array(0)
  runStamps: Int32Array = new Int32Array(0)

  /** Makes room for source number `number`. */
  room(number: number): void {
    if (number < this.runStarts.length) return
    this.runStarts = grow(this.runStarts)
    this.runEnds = grow(this.runEnds)
    const stamps = new Int32Array(this.runStarts.length).fill(-1)
    stamps.set(this.runStamps)
    this.runStamps = stamps
  }

  /** Renumbers the sources of the last render, forgetting the ids that had no edges in it. */
  forgetDeparted(): void {
    const numbers = new Map<string, number>()
    const starts = new Int32Array(this.runStarts.length)
    const ends = new Int32Array(this.runEnds.length)
    const stamps = new Int32Array(this.runStamps.length).fill(-1)
    for (const [id, number] of this.numbers) {
      if (this.runStamps[number] !== this.renders) continue
      const k = numbers.size
      numbers.set(id, k)
      starts[k] = this.runStarts[number]!
      ends[k] = this.runEnds[number]!
      stamps[k] = this.renders
    }
    this.numbers = numbers
    this.runStarts = starts
    this.runEnds = ends
    this.runStamps = stamps
  }
}
