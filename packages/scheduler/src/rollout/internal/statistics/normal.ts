/** The standard normal distribution function and its inverse, to about 1e-14 (internal). */

const SQRT2 = Math.SQRT2
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI)

/** erfc(x) for x >= 0: a Maclaurin series below 2.5, Lentz's continued fraction above. */
const erfcPositive = (x: number): number => {
  if (x < 2.5) {
    let term = x
    let sum = x
    const x2 = x * x
    for (let k = 1; k < 200; k++) {
      term *= -x2 / k
      const add = term / (2 * k + 1)
      sum += add
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break
    }
    return 1 - TWO_OVER_SQRT_PI * sum
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
  const tiny = 1e-300
  let f = x
  let c = x
  let d = 0
  for (let k = 1; k < 500; k++) {
    const a = k / 2
    d = x + a * d
    d = d === 0 ? tiny : 1 / d
    c = x + a / c
    if (c === 0) c = tiny
    const delta = c * d
    f *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f
}

/** P(Z <= z) for a standard normal Z. */
export const pnorm = (z: number): number => {
  if (Number.isNaN(z)) return NaN
  const t = Math.abs(z) / SQRT2
  const upper = 0.5 * erfcPositive(t)
  return z >= 0 ? 1 - upper : upper
}

/** The density of the standard normal. */
const dnorm = (z: number): number => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI)

/** The quantile function of the standard normal (Acklam's approximation, refined by two Halley steps). */
export const qnorm = (p: number): number => {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239
  ]
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783
  ]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const low = 0.02425
  let x: number
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p))
    x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
  } else if (p <= 1 - low) {
    const q = p - 0.5
    const r = q * q
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p))
    x =
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
  }
  for (let i = 0; i < 2; i++) {
    const e = pnorm(x) - p
    const u = e / dnorm(x)
    x = x - u / (1 + (x * u) / 2)
  }
  return x
}
