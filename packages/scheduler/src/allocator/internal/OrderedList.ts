/**
 * A sorted sequence kept in small buckets, so moving one element costs two short splices instead of
 * shifting a long array (a role tree's root can hold thousands of roles, and every allocation moves one).
 */

const maxBucket = 64

/** `before(a, b)`: a sorts strictly before b. */
export type Before<T> = (a: T, b: T) => boolean

/** The first index in sorted `b` whose element does not sort before `x`. */
const lowerBound = <T>(b: ReadonlyArray<T>, x: T, before: Before<T>): number => {
  let lo = 0
  let hi = b.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (before(b[mid]!, x)) lo = mid + 1
    else hi = mid
  }
  return lo
}

export class OrderedList<T> {
  private buckets: Array<Array<T>> = []
  private count = 0

  get size(): number {
    return this.count
  }

  /** The elements in order (a copy). */
  toArray(): Array<T> {
    const out: Array<T> = []
    for (const b of this.buckets) for (const x of b) out.push(x)
    return out
  }

  /** Calls `f` on each element in order until it returns true; returns whether it did. */
  some(f: (x: T) => boolean): boolean {
    const buckets = this.buckets
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!
      for (let j = 0; j < b.length; j++) if (f(b[j]!)) return true
    }
    return false
  }

  /** The index of the first bucket whose last element does not sort before `x`. */
  private bucketFor(x: T, before: Before<T>): number {
    const buckets = this.buckets
    let lo = 0
    let hi = buckets.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const b = buckets[mid]!
      if (before(b[b.length - 1]!, x)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Inserts `x` at its position; `before(el, x)` compares a stored element with `x`. */
  insert(x: T, before: Before<T>): void {
    const buckets = this.buckets
    this.count++
    if (buckets.length === 0) {
      buckets.push([x])
      return
    }
    let bi = this.bucketFor(x, before)
    if (bi === buckets.length) bi--
    const b = buckets[bi]!
    b.splice(lowerBound(b, x, before), 0, x)
    if (b.length > maxBucket) buckets.splice(bi + 1, 0, b.splice(maxBucket >>> 1))
  }

  /** Finds `x` by its stored position key (`before` must compare stored keys) and removes it. */
  remove(x: T, before: Before<T>): void {
    const [bi, i] = this.locate(x, before)
    const b = this.buckets[bi]!
    b.splice(i, 1)
    this.count--
    if (b.length === 0) this.buckets.splice(bi, 1)
  }

  /** Whether `x`, stored under its old key, still sits between its neighbours under `beforeNew`. */
  inPlace(x: T, beforeStored: Before<T>, storedBeforeNew: Before<T>, newBeforeStored: Before<T>): boolean {
    const [bi, i] = this.locate(x, beforeStored)
    const b = this.buckets[bi]!
    const prev = i > 0 ? b[i - 1] : bi > 0 ? this.buckets[bi - 1]![this.buckets[bi - 1]!.length - 1] : undefined
    const next = i < b.length - 1 ? b[i + 1] : bi < this.buckets.length - 1 ? this.buckets[bi + 1]![0] : undefined
    return (prev === undefined || storedBeforeNew(prev, x)) && (next === undefined || newBeforeStored(x, next))
  }

  private locate(x: T, before: Before<T>): readonly [number, number] {
    const bi = this.bucketFor(x, before)
    const b = this.buckets[bi]
    if (b !== undefined) {
      const i = lowerBound(b, x, before)
      if (b[i] === x) return [bi, i]
    }
    for (let i = 0; i < this.buckets.length; i++) {
      const j = this.buckets[i]!.indexOf(x)
      if (j >= 0) return [i, j]
    }
    throw new Error("OrderedList: element not found")
  }

  /** Re-sorts everything (after every key changed). */
  resort(compare: (a: T, b: T) => number): void {
    const all = this.toArray().sort(compare)
    this.buckets = []
    for (let i = 0; i < all.length; i += maxBucket >>> 1) this.buckets.push(all.slice(i, i + (maxBucket >>> 1)))
  }
}
