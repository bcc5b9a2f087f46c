/**
 * The exact null distribution of the rank-sum statistic W (internal): R's `pwilcox` and `qwilcox`.
 * `counts[k]` is the number of ways to pick `m` of the ranks `1..m+n` whose sum is `k + m(m+1)/2`.
 */

const cache = new Map<string, Float64Array>()

/** Cumulative probabilities `P(W <= k)` for `k = 0..mn`, cached per `(m, n)`. */
const distribution = (m: number, n: number): Float64Array => {
  const key = `${m},${n}`
  const cached = cache.get(key)
  if (cached !== undefined) return cached
  const maxU = m * n
  // ways[j][s]: subsets of size j (of the ranks seen so far) with U-sum s, where U = rank sum - j(j+1)/2.
  // Adding rank r to a subset of size j-1 raises its U by r - j.
  const ways: Array<Float64Array> = []
  for (let j = 0; j <= m; j++) ways.push(new Float64Array(maxU + 1))
  ways[0]![0] = 1
  for (let r = 1; r <= m + n; r++) {
    for (let j = Math.min(m, r); j >= 1; j--) {
      const shift = r - j
      if (shift > n) continue
      const target = ways[j]!
      const source = ways[j - 1]!
      for (let s = maxU; s >= shift; s--) {
        const add = source[s - shift]!
        if (add !== 0) target[s] = target[s]! + add
      }
    }
  }
  const counts = ways[m]!
  let total = 0
  for (const c of counts) total += c
  const cumulative = new Float64Array(maxU + 1)
  let running = 0
  for (let k = 0; k <= maxU; k++) {
    running += counts[k]!
    cumulative[k] = running / total
  }
  if (cache.size > 256) cache.clear()
  cache.set(key, cumulative)
  return cumulative
}

/** `P(W <= q)` (R's `pwilcox(q, m, n)`). */
export const cumulative = (q: number, m: number, n: number): number => {
  const k = Math.floor(q + 1e-7)
  if (k < 0) return 0
  if (k >= m * n) return 1
  return distribution(m, n)[k]!
}

/** The smallest `q` with `P(W <= q) >= p` (R's `qwilcox(p, m, n)`, which shaves 10 machine epsilons off `p`). */
export const quantile = (p: number, m: number, n: number): number => {
  const cdf = distribution(m, n)
  const target = p - 10 * Number.EPSILON
  for (let q = 0; q < cdf.length; q++) if (cdf[q]! >= target) return q
  return m * n
}
