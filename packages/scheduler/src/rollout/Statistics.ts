/**
 * The statistics behind the judge: the two-sample Wilcoxon rank-sum (Mann-Whitney U) test with the
 * Hodges-Lehmann shift and its confidence interval, computed the way R's
 * `wilcox.test(x, y, conf.int = TRUE)` computes them, plus the descriptive summaries the judge reports.
 *
 * - exact distribution when both samples have fewer than 50 values and there are no ties (R's default);
 * - otherwise the normal approximation with the tie correction and the continuity correction, and the
 *   interval and estimate found as the roots of the standardized statistic in the shift (R's `uniroot`).
 *
 * `x` is the experiment (canary), `y` the control (baseline); the shift is a location of `x` minus `y`.
 *
 * @since 0.1.0
 */
import { cumulative, quantile as exactQuantile } from "./internal/statistics/wilcoxonDistribution.js"
import * as normal from "./internal/statistics/normal.js"
import { median, sortedCopy } from "./internal/statistics/ranks.js"
import { above, pairwiseDifferences, select } from "./internal/statistics/select.js"

/**
 * Options of {@link mannWhitney}; the defaults match R's `wilcox.test` except `confLevel` (the judge's 0.98).
 *
 * @since 0.1.0
 * @category models
 */
export interface MannWhitneyOptions {
  /** Confidence level of the shift's interval, in (0, 1). Default 0.98. */
  readonly confLevel?: number
  /** `true` forces the exact distribution, `false` the normal approximation; default: exact below 50 values each. */
  readonly exact?: boolean
  /** The continuity correction of the normal approximation. Default `true` (as in R). */
  readonly correct?: boolean
}

/**
 * The result of {@link mannWhitney}.
 *
 * @since 0.1.0
 * @category models
 */
export interface MannWhitneyResult {
  /** R's `W`: the rank sum of `x` minus `nx(nx+1)/2`, which is Mann-Whitney's U of `x`. */
  readonly w: number
  /** Two-sided p-value. */
  readonly pValue: number
  /** Hodges-Lehmann estimate of the shift `x - y` ("difference in location"). */
  readonly estimate: number
  /** Lower and upper end of the interval for the shift. */
  readonly lower: number
  readonly upper: number
  /** The confidence level achieved (lower than asked when the exact distribution cannot reach it). */
  readonly confLevel: number
  /** `exact` or `normal` (the normal approximation, with continuity correction when `correct`). */
  readonly method: "exact" | "normal"
  /** True when some values were tied (then the exact method is not used, as in R). */
  readonly ties: boolean
  readonly nx: number
  readonly ny: number
}

/**
 * Two-sided Wilcoxon rank-sum test of `x` against `y` with the shift's estimate and interval. Returns
 * `undefined` when a sample is empty, or when every value of both samples is the same (no interval exists;
 * R stops with an error there).
 *
 * @since 0.1.0
 * @category statistics
 */
export const mannWhitney = (
  x: ReadonlyArray<number>,
  y: ReadonlyArray<number>,
  options: MannWhitneyOptions = {}
): MannWhitneyResult | undefined => {
  const nx = x.length
  const ny = y.length
  if (nx === 0 || ny === 0) return undefined
  const confLevel = options.confLevel ?? 0.98
  const correct = options.correct ?? true
  const alpha = 1 - confLevel
  const at = shiftStatistic(x, y)
  const { w, tieTerm } = at.rankSum(0)
  const ties = tieTerm > 0
  const exact = (options.exact ?? (nx < 50 && ny < 50)) && !ties
  if (exact) {
    const p = w > (nx * ny) / 2 ? 1 - cumulative(w - 1, nx, ny) : cumulative(w, nx, ny)
    const diffs = pairwiseDifferences(x, y)
    let qu = exactQuantile(alpha / 2, nx, ny)
    if (qu === 0) qu = 1
    const ql = nx * ny - qu
    const achievedAlpha = 2 * cumulative(qu - 1, nx, ny)
    const total = nx * ny
    const estimate =
      total % 2 === 1 ? select(diffs, (total - 1) / 2) : (select(diffs, total / 2 - 1) + select(diffs, total / 2)) / 2
    return {
      w,
      pValue: Math.min(2 * p, 1),
      estimate,
      lower: select(diffs, qu - 1),
      upper: select(diffs, ql),
      confLevel: achievedAlpha - alpha > alpha / 2 ? 1 - achievedAlpha : confLevel,
      method: "exact",
      ties,
      nx,
      ny
    }
  }
  const n = nx + ny
  const sigma = Math.sqrt(((nx * ny) / 12) * (n + 1 - tieTerm / (n * (n - 1))))
  if (sigma === 0) return undefined
  const z0 = w - (nx * ny) / 2
  const z = (z0 - (correct ? Math.sign(z0) * 0.5 : 0)) / sigma
  const pValue = Math.min(1, 2 * pnorm(-Math.abs(z)))
  const diffs = pairwiseDifferences(x, y)
  const sigmaBetween = Math.sqrt(((nx * ny) / 12) * (n + 1 - (tieTermOf(x) + tieTermOf(y)) / (n * (n - 1))))
  const range = { low: Math.min(...x) - Math.max(...y), high: Math.max(...x) - Math.min(...y) }
  const zq = qnorm(1 - alpha / 2)
  return {
    w,
    pValue,
    estimate: shiftRoot(diffs, range, (d) => at.standardized(d, false), sigmaBetween, false, 0),
    lower: shiftRoot(diffs, range, (d) => at.standardized(d, correct), sigmaBetween, correct, zq),
    upper: shiftRoot(diffs, range, (d) => at.standardized(d, correct), sigmaBetween, correct, -zq),
    confLevel,
    method: "normal",
    ties,
    nx,
    ny
  }
}

/** `sum(t^3 - t)` over the groups of `t` tied values of one sample. */
const tieTermOf = (values: ReadonlyArray<number>): number => {
  const sorted = Float64Array.from(values).sort()
  let term = 0
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j < sorted.length && sorted[j] === sorted[i]) j++
    const t = j - i
    term += t * t * t - t
    i = j
  }
  return term
}

/**
 * R's `wdiff` without the quantile: the rank-sum statistic of `x - d` against `y` and its standardized form,
 * a non-increasing step function of `d` that changes only at pairwise differences. Computed by merging the
 * sorted `x - d` with the sorted `y` (the same floating-point subtraction R ranks), in linear time.
 */
const shiftStatistic = (x: ReadonlyArray<number>, y: ReadonlyArray<number>) => {
  const nx = x.length
  const ny = y.length
  const n = nx + ny
  const xs = Float64Array.from(x).sort()
  const ys = Float64Array.from(y).sort()
  const rankSum = (d: number): { readonly w: number; readonly tieTerm: number } => {
    let w = 0
    let tieTerm = 0
    let i = 0
    let j = 0
    while (i < nx || j < ny) {
      const v = i < nx && (j >= ny || xs[i]! - d <= ys[j]!) ? xs[i]! - d : ys[j]!
      const yBelow = j
      let cx = 0
      let cy = 0
      while (i < nx && xs[i]! - d === v) {
        i++
        cx++
      }
      while (j < ny && ys[j]! === v) {
        j++
        cy++
      }
      w += cx * yBelow + 0.5 * cx * cy
      const t = cx + cy
      if (t > 1) tieTerm += t * t * t - t
    }
    return { w, tieTerm }
  }
  const cache = new Map<string, number>()
  const standardized = (d: number, correct: boolean): number => {
    const key = `${d}/${correct}`
    const cached = cache.get(key)
    if (cached !== undefined) return cached
    const { w, tieTerm } = rankSum(d)
    const dz = w - (nx * ny) / 2
    const sigma = Math.sqrt(((nx * ny) / 12) * (n + 1 - tieTerm / (n * (n - 1))))
    const value = (dz - (correct ? Math.sign(dz) * 0.5 : 0)) / sigma
    cache.set(key, value)
    return value
  }
  return { rankSum, standardized }
}

/**
 * The shift `d` where `f(d) - zq` changes sign, with R's bounds: the smallest difference when it is already
 * at or below zero there, the largest when it is still at or above zero there.
 *
 * `f` only changes at the pairwise differences, so the root is one of them (R's `uniroot`, with
 * `tol = 1e-4`, lands within 1e-4 of it). Between two neighbouring differences nothing of `x - d` ties with
 * `y`: there the statistic is `(a - mn/2 - correction) / sigma` with `a` the number of differences above
 * `d`, non-decreasing in `a`. With `A` the largest count where that is at or below `zq`, the root is the
 * smallest difference with at most `A` differences above it: the `(mn - A)`-th smallest. When the
 * statistic is exactly `zq` over a whole interval, the interval's midpoint is returned.
 */
const shiftRoot = (
  diffs: Float64Array,
  range: { readonly low: number; readonly high: number },
  f: (d: number) => number,
  sigma: number,
  correct: boolean,
  zq: number
): number => {
  if (f(range.low) - zq <= 0) return range.low
  if (f(range.high) - zq >= 0) return range.high
  const total = diffs.length
  const h = (a: number) => {
    const dz = a - total / 2
    return (dz - (correct ? Math.sign(dz) * 0.5 : 0)) / sigma - zq
  }
  let lo = -1
  let hi = total
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if (h(mid) <= 0) lo = mid
    else hi = mid
  }
  // Every open interval has at least one difference above it: no count at or below zq means the largest.
  if (lo < 1) return range.high
  const root = select(diffs, Math.max(0, total - lo - 1))
  const after = above(diffs, root)
  return h(after.count) === 0 && Number.isFinite(after.next) ? (root + after.next) / 2 : root
}

/**
 * Descriptive statistics of one sample, as the judge reports them.
 *
 * @since 0.1.0
 * @category models
 */
export interface Summary {
  readonly count: number
  readonly mean: number
  readonly median: number
  readonly stdev: number
  readonly min: number
  readonly max: number
  /** 25th and 75th percentiles (R's default type 7). */
  readonly q1: number
  readonly q3: number
}

/**
 * The descriptive statistics of `values` (NaN for an empty sample).
 *
 * @since 0.1.0
 * @category statistics
 */
export const summarize = (values: ReadonlyArray<number>): Summary => {
  const n = values.length
  if (n === 0) return { count: 0, mean: NaN, median: NaN, stdev: NaN, min: NaN, max: NaN, q1: NaN, q3: NaN }
  const sorted = sortedCopy(values)
  let sum = 0
  for (const v of values) sum += v
  const mean = sum / n
  let squares = 0
  for (const v of values) squares += (v - mean) * (v - mean)
  return {
    count: n,
    mean,
    median: median(sorted),
    stdev: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    q1: percentile(sorted, 0.25),
    q3: percentile(sorted, 0.75)
  }
}

/**
 * The `p` quantile of an ascending sample by linear interpolation (R's `quantile(type = 7)`).
 *
 * @since 0.1.0
 * @category statistics
 */
export const percentile = (sorted: ArrayLike<number>, p: number): number => {
  const n = sorted.length
  if (n === 0) return NaN
  const h = (n - 1) * p
  const lo = Math.floor(h)
  const hi = Math.min(lo + 1, n - 1)
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!)
}

/**
 * The common-language effect size: the probability that a random `x` exceeds a random `y` (ties count one
 * half), which is `W / (nx * ny)`.
 *
 * @since 0.1.0
 * @category statistics
 */
export const cles = (result: Pick<MannWhitneyResult, "w" | "nx" | "ny">): number => result.w / (result.nx * result.ny)

/**
 * The standard normal distribution function `P(Z <= z)` (R's `pnorm`), to about 1e-14.
 *
 * @since 0.1.0
 * @category statistics
 */
export const pnorm: (z: number) => number = normal.pnorm

/**
 * The standard normal quantile function (R's `qnorm`), to about 1e-14.
 *
 * @since 0.1.0
 * @category statistics
 */
export const qnorm: (p: number) => number = normal.qnorm
