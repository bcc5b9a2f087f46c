/** Cleaning a judge sample: NaN handling and IQR outlier removal (internal). */
import { percentile } from "../../Statistics.js"

/** A cleaned sample and what was taken out of it. */
export interface CleanedSample {
  readonly values: Array<number>
  readonly removedNaN: number
  readonly removedOutliers: number
}

/** The cleaning settings a metric may carry. */
export interface CleanOptions {
  readonly nanStrategy?: "remove" | "replace"
  readonly nanReplacement?: number
  readonly removeOutliers?: boolean
  readonly outlierFactor?: number
}

/**
 * Removes (or replaces) NaN, null and infinite values, then, when asked, values outside
 * `[Q1 - k*IQR, Q3 + k*IQR]` (Kayenta's IQR detector; k defaults to 3).
 */
export const cleanSample = (raw: ReadonlyArray<number | null>, options: CleanOptions): CleanedSample => {
  const replace = options.nanStrategy === "replace"
  const replacement = options.nanReplacement ?? 0
  const values: Array<number> = []
  let removedNaN = 0
  for (const v of raw) {
    if (typeof v === "number" && Number.isFinite(v)) values.push(v)
    else if (replace) values.push(replacement)
    else removedNaN++
  }
  if (!options.removeOutliers || values.length < 4) return { values, removedNaN, removedOutliers: 0 }
  const sorted = Float64Array.from(values).sort()
  const q1 = percentile(sorted, 0.25)
  const q3 = percentile(sorted, 0.75)
  const k = options.outlierFactor ?? 3
  const low = q1 - k * (q3 - q1)
  const high = q3 + k * (q3 - q1)
  const kept = values.filter((v) => v >= low && v <= high)
  return { values: kept, removedNaN, removedOutliers: values.length - kept.length }
}
