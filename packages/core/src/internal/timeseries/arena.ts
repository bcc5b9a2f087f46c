/**
 * Fixed-width sample rings kept in pooled typed-array chunks: a series is an integer id, its ring is a run of
 * `slots` values at `(id & mask) * slots` in chunk `id >>> shift`, and its "epoch" is one number, the absolute
 * slot of its newest sample (`floor(timestamp / resolution)`). Slot `s` lives at ring index `s mod slots` and is
 * valid only while `head - slots < s <= head`; moving the head forward blanks (NaN) the slots it skips, so a
 * stale value can never be read back under a newer slot number.
 *
 * Why chunks and not one typed array per series: 300k small typed arrays cost a JS object and a backing-store
 * record each (~200 bytes and GC work per series); one arena that doubles would copy hundreds of MB while it
 * grows. Chunks of ~1 MiB grow without copying and are never returned to the allocator, so a freed id (from the
 * free list) reuses its ring in place.
 *
 * @since 0.1.0
 */

/**
 * How ring values are stored: `float32` halves memory (4 bytes a slot, about 7 significant digits),
 * `float64` keeps every recorded value exactly.
 *
 * @since 0.1.0
 * @category models
 */
export type Precision = "float32" | "float64"

interface Chunk {
  readonly values: Float32Array | Float64Array
  /** Absolute slot of each series' newest sample; `-Infinity` for a fresh id, `NaN` for a free one. */
  readonly heads: Float64Array
}

const CHUNK_TARGET_BYTES = 1 << 20
const MAX_CHUNK_SHIFT = 12

/**
 * `slot mod slots`, non-negative for negative slots too.
 *
 * @since 0.1.0
 * @category math
 */
export const ringIndex = (slot: number, slots: number): number => {
  const r = slot % slots
  return r < 0 ? r + slots : r
}

/**
 * The pooled ring storage; ids are dense integers handed out from a free list, then from a high-water mark.
 *
 * @since 0.1.0
 * @category models
 */
export class RingArena {
  /** Ring length: slots kept per series. */
  readonly slots: number
  readonly bytesPerValue: number
  /** log2 of the number of series per chunk. */
  readonly shift: number
  readonly mask: number
  readonly chunkSeries: number
  private readonly precision: Precision
  private readonly chunks: Array<Chunk> = []
  private free: Int32Array = new Int32Array(256)
  private freeCount = 0
  /** Ids handed out so far (ids below it exist in some chunk); freed ids are reused before it grows. */
  highWater = 0
  /** Ids currently allocated. */
  live = 0

  constructor(slots: number, precision: Precision) {
    this.slots = slots
    this.precision = precision
    this.bytesPerValue = precision === "float32" ? 4 : 8
    const fit = Math.floor(Math.log2(CHUNK_TARGET_BYTES / (slots * this.bytesPerValue)))
    this.shift = Math.max(0, Math.min(MAX_CHUNK_SHIFT, fit))
    this.chunkSeries = 1 << this.shift
    this.mask = this.chunkSeries - 1
  }

  /** Hands out an id whose ring reads as empty; the first `write` blanks it. */
  allocate(): number {
    let id: number
    if (this.freeCount > 0) {
      id = this.free[--this.freeCount]!
    } else {
      id = this.highWater++
      if (id >>> this.shift >= this.chunks.length) this.chunks.push(this.newChunk())
    }
    this.chunks[id >>> this.shift]!.heads[id & this.mask] = Number.NEGATIVE_INFINITY
    this.live++
    return id
  }

  /** Returns an id to the free list. */
  release(id: number): void {
    this.chunks[id >>> this.shift]!.heads[id & this.mask] = Number.NaN
    if (this.freeCount === this.free.length) {
      const grown = new Int32Array(this.free.length * 2)
      grown.set(this.free)
      this.free = grown
    }
    this.free[this.freeCount++] = id
    this.live--
  }

  /**
   * Writes `value` at absolute `slot`, overwriting what the slot held (last write wins). Returns `false`, and
   * writes nothing, when the slot is older than the ring keeps.
   */
  write(id: number, slot: number, value: number): boolean {
    const chunk = this.chunks[id >>> this.shift]!
    const local = id & this.mask
    const n = this.slots
    const base = local * n
    const values = chunk.values
    const head = chunk.heads[local]!
    if (slot > head) {
      const skipped = slot - head - 1
      if (skipped > 0) blank(values, base, n, head + 1, skipped)
      chunk.heads[local] = slot
    } else if (slot <= head - n) {
      return false
    }
    values[base + ringIndex(slot, n)] = value
    return true
  }

  /** Absolute slot of the newest sample of `id` (`-Infinity` before the first write). */
  head(id: number): number {
    return this.chunks[id >>> this.shift]!.heads[id & this.mask]!
  }

  /**
   * Copies the slots `fromSlot..fromSlot + out.length - 1` into `out`, `NaN` where nothing is kept (never
   * written, skipped, or older than the ring).
   */
  read(id: number, fromSlot: number, out: Float64Array): void {
    const chunk = this.chunks[id >>> this.shift]!
    const local = id & this.mask
    const n = this.slots
    const base = local * n
    const head = chunk.heads[local]!
    const lo = Math.max(fromSlot, head - n + 1)
    const hi = Math.min(fromSlot + out.length - 1, head)
    out.fill(Number.NaN)
    for (let s = lo; s <= hi; s++) out[s - fromSlot] = chunk.values[base + ringIndex(s, n)]!
  }

  /** Releases every allocated id whose head is at or before `cutoffSlot`, calling `onRelease` first. */
  sweep(cutoffSlot: number, onRelease: (id: number) => void): number {
    let released = 0
    for (let c = 0; c < this.chunks.length; c++) {
      const heads = this.chunks[c]!.heads
      const first = c << this.shift
      const end = Math.min(this.chunkSeries, this.highWater - first)
      for (let local = 0; local < end; local++) {
        // NaN (free ids) compares false, so free ids are skipped without a flag.
        if (heads[local]! <= cutoffSlot) {
          const id = first + local
          onRelease(id)
          this.release(id)
          released++
        }
      }
    }
    return released
  }

  /** Ids the allocated chunks hold. */
  get capacity(): number {
    return this.chunks.length * this.chunkSeries
  }

  /** Typed-array bytes held: rings, heads and the free list. */
  get bytes(): number {
    return this.chunks.length * this.chunkSeries * (this.slots * this.bytesPerValue + 8) + this.free.byteLength
  }

  /** Bytes one series costs in the arena (its ring and its head). */
  get bytesPerSeries(): number {
    return this.slots * this.bytesPerValue + 8
  }

  private newChunk(): Chunk {
    const length = this.chunkSeries * this.slots
    const values = this.precision === "float32" ? new Float32Array(length) : new Float64Array(length)
    const heads = new Float64Array(this.chunkSeries).fill(Number.NaN)
    return { values, heads }
  }
}

const blank = (values: Float32Array | Float64Array, base: number, n: number, fromSlot: number, count: number) => {
  if (count >= n) {
    values.fill(Number.NaN, base, base + n)
    return
  }
  const start = ringIndex(fromSlot, n)
  const end = start + count
  if (end <= n) {
    values.fill(Number.NaN, base + start, base + end)
  } else {
    values.fill(Number.NaN, base + start, base + n)
    values.fill(Number.NaN, base, base + end - n)
  }
}
