/** Order statistics without a full sort (internal): the pairwise differences of two samples are many. */

/** Every `x[i] - y[j]`, unsorted. */
export const pairwiseDifferences = (x: ReadonlyArray<number>, y: ReadonlyArray<number>): Float64Array => {
  const out = new Float64Array(x.length * y.length)
  let k = 0
  for (const xi of x) for (const yj of y) out[k++] = xi - yj
  return out
}

/**
 * The `k`-th smallest value (0-based) of `values` by quickselect (median-of-three pivots). Reorders
 * `values` in place; calling it again on the same array for another `k` stays correct.
 */
export const select = (values: Float64Array, k: number): number => {
  let lo = 0
  let hi = values.length - 1
  while (hi > lo) {
    const mid = (lo + hi) >> 1
    const a = values[lo]!
    const b = values[mid]!
    const c = values[hi]!
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c))
    let i = lo
    let j = hi
    while (i <= j) {
      while (values[i]! < pivot) i++
      while (values[j]! > pivot) j--
      if (i <= j) {
        const t = values[i]!
        values[i] = values[j]!
        values[j] = t
        i++
        j--
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return values[k]!
  }
  return values[k]!
}

/** How many values are greater than `v`, and the smallest of them (Infinity when none). */
export const above = (values: Float64Array, v: number): { readonly count: number; readonly next: number } => {
  let count = 0
  let next = Infinity
  for (const value of values) {
    if (value > v) {
      count++
      if (value < next) next = value
    }
  }
  return { count, next }
}
