import { describe, expect, it } from "@effect/vitest"
import { Statistics } from "@orchestrator/scheduler/rollout"

const { mannWhitney, pnorm, qnorm, percentile, summarize } = Statistics

// Hollander & Wolfe (1973), 69f., the two-sample example of R's `?wilcox.test`: permeability constants at
// term (x) and at 12-26 weeks (y). The help page prints `W = 35, p-value = 0.1272` for the exact one-sided
// test and `p-value = 0.1103` for the large-sample approximation without continuity correction; the two-sided
// p-values are twice those. R prints `difference in location 0.305` with `conf.int = TRUE`.
const hwX = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
const hwY = [1.15, 0.88, 0.9, 0.74, 1.21]

// R's `airquality$Ozone` for May (month 5) and August (month 8), NAs dropped; `?wilcox.test` prints
// `W = 127.5, p-value = 0.0001208` for `wilcox.test(Ozone ~ Month, data = airquality, subset = Month %in% c(5, 8))`
// (ties, so the normal approximation with continuity correction).
const may = [41, 36, 12, 18, 28, 23, 19, 8, 7, 16, 11, 14, 18, 14, 34, 6, 30, 11, 1, 11, 4, 32, 23, 45, 115, 37]
const august = [
  39, 9, 16, 78, 35, 66, 122, 89, 110, 44, 28, 65, 22, 59, 23, 31, 44, 21, 9, 45, 168, 73, 76, 118, 84, 85
]

/** Brute force: the null distribution of W by enumerating every way to give `m` of `m + n` ranks to x. */
const bruteForceCounts = (m: number, n: number): Array<number> => {
  const counts = new Array<number>(m * n + 1).fill(0)
  const choose = (start: number, left: number, sum: number): void => {
    if (left === 0) {
      counts[sum - (m * (m + 1)) / 2]! += 1
      return
    }
    for (let r = start; r <= m + n - left + 1; r++) choose(r + 1, left - 1, sum + r)
  }
  choose(1, m, 0)
  return counts
}

/** R's exact two-sided p-value and interval, computed from the brute-force distribution. */
const bruteForceExact = (x: Array<number>, y: Array<number>, confLevel: number) => {
  const m = x.length
  const n = y.length
  const counts = bruteForceCounts(m, n)
  const total = counts.reduce((a, b) => a + b, 0)
  const cdf = (q: number) => counts.slice(0, Math.floor(q) + 1).reduce((a, b) => a + b, 0) / total
  let w = 0
  for (const xi of x) for (const yj of y) w += xi > yj ? 1 : 0
  const p = w > (m * n) / 2 ? 1 - cdf(w - 1) : cdf(w)
  const alpha = 1 - confLevel
  let qu = 0
  while (cdf(qu) < alpha / 2 - 1e-12) qu++
  if (qu === 0) qu = 1
  const diffs = x.flatMap((xi) => y.map((yj) => xi - yj)).sort((a, b) => a - b)
  return { w, pValue: Math.min(1, 2 * p), lower: diffs[qu - 1]!, upper: diffs[m * n - qu]! }
}

/** R's `wdiff` + `uniroot` done the slow, plain way: bisection on the real line down to 1e-9. */
const bisectionRoot = (x: Array<number>, y: Array<number>, zq: number, correct: boolean): number => {
  const m = x.length
  const n = y.length
  const f = (d: number) => {
    const all = [...x.map((v) => ({ v: v - d, x: true })), ...y.map((v) => ({ v, x: false }))].sort((a, b) => a.v - b.v)
    const ranks = new Array<number>(all.length)
    let ties = 0
    for (let i = 0; i < all.length; ) {
      let j = i
      while (j < all.length && all[j]!.v === all[i]!.v) j++
      for (let k = i; k < j; k++) ranks[k] = (i + 1 + j) / 2
      ties += (j - i) ** 3 - (j - i)
      i = j
    }
    const rankSum = all.reduce((s, e, i) => s + (e.x ? ranks[i]! : 0), 0)
    const dz = rankSum - (m * (m + 1)) / 2 - (m * n) / 2
    const sigma = Math.sqrt(((m * n) / 12) * (m + n + 1 - ties / ((m + n) * (m + n - 1))))
    return (dz - (correct ? Math.sign(dz) * 0.5 : 0)) / sigma - zq
  }
  let lo = Math.min(...x) - Math.max(...y)
  let hi = Math.max(...x) - Math.min(...y)
  if (f(lo) <= 0) return lo
  if (f(hi) >= 0) return hi
  while (hi - lo > 1e-9) {
    const mid = (lo + hi) / 2
    if (f(mid) > 0) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

describe("Statistics.mannWhitney", () => {
  it("matches R's ?wilcox.test Hollander & Wolfe example (exact, no ties)", () => {
    const r = mannWhitney(hwX, hwY, { confLevel: 0.95 })!
    expect(r.method).toBe("exact")
    expect(r.w).toBe(35)
    expect(r.pValue).toBeCloseTo(2 * 0.1272, 3)
    expect(r.estimate).toBeCloseTo(0.305, 10)
    const brute = bruteForceExact(hwX, hwY, 0.95)
    expect([r.lower, r.upper]).toEqual([brute.lower, brute.upper])
    expect(r.pValue).toBeCloseTo(brute.pValue, 12)
  })

  it("matches R's large-sample approximation without continuity correction", () => {
    const r = mannWhitney(hwX, hwY, { exact: false, correct: false })!
    expect(r.method).toBe("normal")
    expect(r.pValue).toBeCloseTo(2 * 0.1103, 3)
  })

  it("matches R's ?wilcox.test airquality example (ties: normal approximation with correction)", () => {
    const r = mannWhitney(may, august)!
    expect(r.method).toBe("normal")
    expect(r.ties).toBe(true)
    expect(r.w).toBe(127.5)
    expect(r.pValue).toBeCloseTo(0.0001208, 7)
  })

  it("finds the normal-approximation interval and estimate where R's root search does (98%)", () => {
    const r = mannWhitney(may, august, { confLevel: 0.98 })!
    const zq = qnorm(0.99)
    expect(r.lower).toBeCloseTo(bisectionRoot(may, august, zq, true), 6)
    expect(r.upper).toBeCloseTo(bisectionRoot(may, august, -zq, true), 6)
    expect(r.estimate).toBeCloseTo(bisectionRoot(may, august, 0, false), 6)
    expect(r.lower).toBeLessThan(r.estimate)
    expect(r.upper).toBeGreaterThan(r.estimate)
  })

  it("agrees with a brute-force permutation count on small samples without ties (98%)", () => {
    const cases: Array<[Array<number>, Array<number>]> = [
      [
        [1.1, 2.3, 3.7, 4.2, 5.9],
        [0.5, 1.7, 2.9, 3.1, 6.4, 7.2]
      ],
      [
        [10, 12, 15, 19, 22, 30, 31],
        [1, 5, 8, 11, 13, 14, 16]
      ],
      [
        [3.5, 8.25, 9.75],
        [1.5, 2.25, 4.5, 6.75]
      ],
      [
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
        [0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95]
      ]
    ]
    for (const [x, y] of cases) {
      const r = mannWhitney(x, y, { confLevel: 0.98 })!
      const brute = bruteForceExact(x, y, 0.98)
      expect(r.method).toBe("exact")
      expect(r.w).toBe(brute.w)
      expect(r.pValue).toBeCloseTo(brute.pValue, 12)
      expect(r.lower).toBe(brute.lower)
      expect(r.upper).toBe(brute.upper)
    }
  })

  it("reports the achieved level when the exact distribution cannot reach the one asked", () => {
    const r = mannWhitney([1, 2], [3, 4], { confLevel: 0.98 })!
    // With 2 vs 2 values the smallest two-sided alpha is 2/6: R warns and reports 1 - 1/3.
    expect(r.confLevel).toBeCloseTo(2 / 3, 12)
    expect([r.lower, r.upper]).toEqual([-3, -1])
  })

  it("uses the normal approximation from 50 values on", () => {
    const x = Array.from({ length: 50 }, (_, i) => i * 1.01)
    const y = Array.from({ length: 50 }, (_, i) => i * 0.99 + 0.003)
    const r = mannWhitney(x, y)!
    expect(r.method).toBe("normal")
    expect(r.lower).toBeCloseTo(bisectionRoot(x, y, qnorm(0.99), true), 6)
    expect(r.upper).toBeCloseTo(bisectionRoot(x, y, -qnorm(0.99), true), 6)
  })

  it("returns undefined for an empty sample or when every value is the same", () => {
    expect(mannWhitney([], [1, 2])).toBeUndefined()
    expect(mannWhitney([2, 2, 2], [2, 2])).toBeUndefined()
  })
})

describe("Statistics helpers", () => {
  it("computes the normal distribution to R's printed digits", () => {
    expect(qnorm(0.99)).toBeCloseTo(2.326347874, 9)
    expect(qnorm(0.975)).toBeCloseTo(1.959963985, 9)
    expect(pnorm(1.96)).toBeCloseTo(0.9750021049, 10)
    expect(pnorm(-3)).toBeCloseTo(0.001349898032, 12)
    expect(pnorm(-8) / 6.22096057427178e-16).toBeCloseTo(1, 8)
  })

  it("computes R's type-7 quantiles and a summary", () => {
    const sorted = [1, 2, 3, 4, 10]
    expect(percentile(sorted, 0.25)).toBe(2)
    expect(percentile(sorted, 0.75)).toBe(4)
    expect(percentile([1, 2, 3, 4], 0.25)).toBe(1.75)
    expect(summarize([4, 1, 3, 2, 10])).toEqual({
      count: 5,
      mean: 4,
      median: 3,
      stdev: Math.sqrt(12.5),
      min: 1,
      max: 10,
      q1: 2,
      q3: 4
    })
  })
})
