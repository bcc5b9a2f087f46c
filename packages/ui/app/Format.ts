/** Number formatting for the table and the panels. Pure. */
import type { MetricSeries } from "./Protocol.js"

const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]

/** `1536` -> `1.5 KiB`. */
export const formatBytes = (bytes: number): string => {
  let value = Math.abs(bytes)
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2
  return `${bytes < 0 ? "-" : ""}${value.toFixed(digits)} ${units[unit]}`
}

/** `12.345` -> `12.3%`; whole percents from 100 up, two decimals below 1 (but `0%` for zero). */
export const formatPercent = (percent: number): string => {
  const abs = Math.abs(percent)
  return `${abs >= 100 || percent === 0 ? percent.toFixed(0) : abs >= 1 ? percent.toFixed(1) : percent.toFixed(2)}%`
}

/** `12345` -> `12,345`. */
export const formatCount = (count: number): string =>
  Number.isInteger(count) ? count.toLocaleString("en-US") : count.toLocaleString("en-US", { maximumFractionDigits: 2 })

/** A metric value in its unit; `null` or `undefined` reads as an en dash. */
export const formatMetric = (value: number | null | undefined, unit: MetricSeries["unit"]): string => {
  if (value === null || value === undefined) return "–"
  switch (unit) {
    case "percent":
      return formatPercent(value)
    case "bytes":
      return formatBytes(value)
    case "bytes_per_second":
      return `${formatBytes(value)}/s`
    case "count":
      return formatCount(value)
  }
}
