/** Sorting helpers of the statistics (internal). */

/** An ascending copy. */
export const sortedCopy = (values: ReadonlyArray<number>): Float64Array => Float64Array.from(values).sort()

/** The median of an ascending sample (NaN when empty). */
export const median = (sorted: ArrayLike<number>): number => {
  const n = sorted.length
  if (n === 0) return NaN
  const mid = n >> 1
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
