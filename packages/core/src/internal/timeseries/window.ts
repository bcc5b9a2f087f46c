/**
 * Turns raw slot values (NaN for empty) into what a sparkline needs: nullable values and their
 * latest/min/max/avg.
 *
 * @since 0.1.0
 */

/**
 * The nullable values of a window and their statistics (over the non-null values only).
 *
 * @since 0.1.0
 * @category models
 */
export interface Summary {
  readonly values: Array<number | null>
  readonly latest: number | null
  readonly min: number | null
  readonly max: number | null
  readonly avg: number | null
}

/**
 * A short decimal that reads back as the same float32, so a recorded `12.3` reads `12.3` rather than
 * `12.300000190734863`: the value rounded to 6 decimals when that maps back, else the fewest significant
 * digits (6 to 8) that do; integers are already exact.
 *
 * @since 0.1.0
 * @category math
 */
export const tidyFloat32 = (stored: number): number => {
  if (Number.isInteger(stored)) return stored
  // Fast path (no string formatting) for the common case: values with a few decimals.
  const micro = Math.round(stored * 1e6) / 1e6
  if (micro !== 0 && Math.fround(micro) === stored) return micro
  for (let digits = 6; digits <= 8; digits++) {
    const short = Number(stored.toPrecision(digits))
    if (Math.fround(short) === stored) return short
  }
  return stored
}

/**
 * Summarizes raw slot values, tidying each value read from a float32 ring.
 *
 * @since 0.1.0
 * @category constructors
 */
export const summarize = (raw: Float64Array, float32: boolean): Summary => {
  const values: Array<number | null> = []
  let latest: number | null = null
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  let sum = 0
  let count = 0
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!
    if (Number.isNaN(v)) {
      values.push(null)
      continue
    }
    const value = float32 ? tidyFloat32(v) : v
    values.push(value)
    latest = value
    if (value < min) min = value
    if (value > max) max = value
    sum += value
    count++
  }
  return count === 0
    ? { values, latest: null, min: null, max: null, avg: null }
    : { values, latest, min, max, avg: sum / count }
}
