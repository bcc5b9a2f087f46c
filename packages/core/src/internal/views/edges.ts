/**
 * Edge bookkeeping for renderers, built for 100k+ connections per render: node ids are interned to small
 * integers once, connections are counted in per-source maps with integer keys (no string building or
 * hashing per connection), and the resulting edges live in chunks behind a `ReadonlyMap` facade that only
 * builds its id index (or a flat array) if someone asks for one (filters and diffs iterate).
 *
 * Memory: a render of a large view (195k edges) must not allocate in proportion to its size, because every
 * render lives until the next one (the view cache and each WebSocket group hold it), so what it allocates is
 * promoted to the old generation and stays there until a major GC. The edges of a render are therefore kept
 * in chunks of a few sources' runs: a chunk whose edges are all unchanged is the previous render's chunk
 * object, so a render after a delta allocates the list of chunks and the few chunks that changed, and a diff
 * skips shared chunks by identity. The flat array of a `RenderedView` is built only when a caller reads it.
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
  map instanceof ListMap || map instanceof ChunkedList ? map.list : Array.from(map.values())

/**
 * The chunks of a rendering's map when it is a {@link ChunkedList}, else `undefined`.
 *
 * @since 0.1.0
 * @category internal
 */
export const chunksOf = <V extends { readonly id: string }>(
  map: ReadonlyMap<string, V>
): ReadonlyArray<ReadonlyArray<V>> | undefined => (map instanceof ChunkedList ? map.chunks : undefined)

/**
 * Values with ids in immutable chunks, exposed as the `ReadonlyMap` a `Rendering` carries. Consecutive
 * renders share the chunks that did not change (see {@link EdgeCounter.edges}); the flat array and the id
 * index are built on first use only.
 *
 * @since 0.1.0
 * @category internal
 */
export class ChunkedList<V extends { readonly id: string }> implements ReadonlyMap<string, V> {
  private flat: ReadonlyArray<V> | undefined
  private index: Map<string, V> | undefined

  constructor(
    readonly chunks: ReadonlyArray<ReadonlyArray<V>>,
    readonly size: number
  ) {}

  /** All values in order, as one array (built on first use, then kept). */
  get list(): ReadonlyArray<V> {
    if (this.flat === undefined) {
      const flat: Array<V> = new Array(this.size)
      let n = 0
      for (const chunk of this.chunks) for (let i = 0; i < chunk.length; i++) flat[n++] = chunk[i]!
      this.flat = flat
    }
    return this.flat
  }

  private byId(): Map<string, V> {
    if (this.index === undefined) {
      const index = new Map<string, V>()
      for (const chunk of this.chunks) for (const value of chunk) index.set(value.id, value)
      this.index = index
    }
    return this.index
  }

  get(id: string): V | undefined {
    return this.byId().get(id)
  }

  has(id: string): boolean {
    return this.byId().has(id)
  }

  forEach(f: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const chunk of this.chunks) for (const value of chunk) f.call(thisArg, value, value.id, this)
  }

  *entries(): MapIterator<[string, V]> {
    for (const chunk of this.chunks) for (const value of chunk) yield [value.id, value]
  }

  *keys(): MapIterator<string> {
    for (const chunk of this.chunks) for (const value of chunk) yield value.id
  }

  *values(): MapIterator<V> {
    for (const chunk of this.chunks) yield* chunk
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries()
  }
}

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
   * target and count is the previous object, and the edges come in chunks (runs of a few sources) that are
   * the previous render's chunk objects when none of their edges changed; the memo then holds this render.
   */
  edges(memo?: EdgeMemo): ListMap<RenderedEdge> | ChunkedList<RenderedEdge> {
    const ids = this.ids
    const { starts, targets } = this.sort()
    // Sized up front: growing a 200k-element array by pushes cost as much as filling it.
    let distinct = 0
    for (let s = 0; s + 1 < starts.length; s++) {
      const end = starts[s + 1]!
      for (let i = starts[s]!; i < end; i++) if (i === starts[s] || targets[i] !== targets[i - 1]) distinct++
    }
    if (memo === undefined) {
      const list: Array<RenderedEdge> = new Array(distinct)
      let n = 0
      this.forEach((s, t, connections) => {
        const source = ids[s]!
        const target = ids[t]!
        list[n++] = { id: edgeId(source, target), source, target, connections }
      })
      list.length = n
      return new ListMap(list)
    }
    // The previous render is read from the memo's flat arrays (edges, targets, counts, run ends) and this one
    // written to the spare set (two sets in turn: a render allocates none of them once they are big enough).
    // Reading targets and counts from typed arrays rather than from the edge objects, which are scattered
    // over the heap, makes a reused edge cost a pointer copy and no cache miss.
    const previous = memo.list
    const previousIds = memo.ids
    const previousTargets = memo.targets
    const previousCounts = memo.counts
    memo.reserve(distinct)
    const list = memo.spareList
    const nextTargets = memo.spareTargets
    const nextCounts = memo.spareCounts
    const render = ++memo.renders
    const numbers = memo.numbers
    const chunks: Array<ReadonlyArray<RenderedEdge>> = []
    /** Where the open chunk starts in `list`, and the number of its first source. */
    let chunkStart = 0
    let chunkSource = -1
    let sources = 0
    let n = 0
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
      if (chunkSource < 0) chunkSource = number
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
      if ((number & chunkSources) === chunkSources || n - chunkStart >= chunkEdges) {
        chunks.push(memo.chunk(chunkSource, list, chunkStart, n))
        chunkStart = n
        chunkSource = -1
      }
    }
    if (chunkSource >= 0) chunks.push(memo.chunk(chunkSource, list, chunkStart, n))
    // Edges past the end of this render are the render before last's: let them go.
    for (let k = n; k < memo.spareCount; k++) list[k] = undefined
    memo.swap(n, ids)
    if (numbers.size > 2 * sources + 1024) memo.forgetDeparted()
    return new ChunkedList(chunks, n)
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

/** A chunk ends after a source whose number has these bits set (about every 4th source)... */
const chunkSources = 3
/** ...or once it holds this many edges. */
const chunkEdges = 256

/**
 * The edges of the previous render of a view, by source, for {@link EdgeCounter.edges} to reuse.
 *
 * @since 0.1.0
 * @category internal
 */
export class EdgeMemo {
  /** The edges of the last render, in order: its first `count` entries (the array is reused, see `swap`). */
  list: Array<RenderedEdge | undefined> = []
  count = 0
  /** The node ids of the render that made `list`. */
  ids: ReadonlyArray<string> = []
  /** The target (index in `ids`) and connection count of each edge of `list`. */
  targets: Int32Array = new Int32Array(0)
  counts: Int32Array = new Int32Array(0)
  /** The arrays of the render before, overwritten by the next one (two sets in turn, no allocation). */
  spareList: Array<RenderedEdge | undefined> = []
  spareCount = 0
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
  /** Per source number: the chunk of the last render that starts with its run, and that render. */
  chunks: Array<ReadonlyArray<RenderedEdge> | undefined> = []
  chunkStamps: Int32Array = new Int32Array(0)

  /** Makes the spare arrays hold at least `size` edges. */
  reserve(size: number): void {
    if (this.spareTargets.length >= size) return
    const capacity = Math.ceil(size * 1.25)
    this.spareTargets = new Int32Array(capacity)
    this.spareCounts = new Int32Array(capacity)
    const list: Array<RenderedEdge | undefined> = new Array(capacity)
    for (let k = 0; k < capacity; k++) list[k] = undefined
    this.spareList = list
    this.spareCount = 0
  }

  /** Makes the spare arrays hold the render just made (`count` edges over `ids`) and the last one spare. */
  swap(count: number, ids: ReadonlyArray<string>): void {
    const list = this.list
    const targets = this.targets
    const counts = this.counts
    this.list = this.spareList
    this.targets = this.spareTargets
    this.counts = this.spareCounts
    this.spareList = list
    this.spareTargets = targets
    this.spareCounts = counts
    this.spareCount = this.count
    this.count = count
    this.ids = ids
  }

  /**
   * The chunk of `list[from..to)`, which starts with the run of source `source`: the last render's chunk
   * starting with that source when it holds the same edge objects, else a copy.
   */
  chunk(
    source: number,
    list: ReadonlyArray<RenderedEdge | undefined>,
    from: number,
    to: number
  ): ReadonlyArray<RenderedEdge> {
    let chunk = this.chunkStamps[source] === this.renders - 1 ? this.chunks[source] : undefined
    if (chunk !== undefined && chunk.length === to - from) {
      for (let k = 0; k < chunk.length; k++) {
        if (chunk[k] !== list[from + k]) {
          chunk = undefined
          break
        }
      }
    } else chunk = undefined
    chunk ??= list.slice(from, to) as Array<RenderedEdge>
    this.chunks[source] = chunk
    this.chunkStamps[source] = this.renders
    return chunk
  }

  /** Makes room for source number `number`. */
  room(number: number): void {
    if (number < this.runStarts.length) return
    this.runStarts = grow(this.runStarts)
    this.runEnds = grow(this.runEnds)
    const stamps = new Int32Array(this.runStarts.length).fill(-1)
    stamps.set(this.runStamps)
    this.runStamps = stamps
    const chunkStamps = new Int32Array(this.runStarts.length).fill(-1)
    chunkStamps.set(this.chunkStamps)
    this.chunkStamps = chunkStamps
    while (this.chunks.length < this.runStarts.length) this.chunks.push(undefined)
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
    // Chunk boundaries follow source numbers: the next render builds its chunks afresh.
    this.chunks = this.chunks.map(() => undefined)
    this.chunkStamps = new Int32Array(this.chunkStamps.length).fill(-1)
  }
}
