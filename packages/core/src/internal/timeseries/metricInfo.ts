/**
 * Units, labels and display order inferred from metric names, so a sparkline needs nothing but the name.
 *
 * @since 0.1.0
 */
import { Metrics } from "../../Fields.js"
import type { MetricSeries } from "../../NodeDetails.js"

/**
 * The unit of a metric series, as the UI's sparkline panel knows it.
 *
 * @since 0.1.0
 * @category models
 */
export type MetricUnit = MetricSeries["unit"]

const knownLabels: ReadonlyMap<string, string> = new Map([
  [Metrics.cpu, "CPU"],
  [Metrics.memory, "Memory"],
  [Metrics.networkRx, "Network in"],
  [Metrics.networkTx, "Network out"],
  [Metrics.diskRead, "Disk read"],
  [Metrics.diskWrite, "Disk write"],
  [Metrics.connections, "Connections"],
  ["nodes", "Nodes per report"],
  ["report_bytes", "Report size"]
])

const order: ReadonlyMap<string, number> = new Map(Object.values(Metrics).map((name, i) => [name, i]))

/**
 * The unit of a metric: `cpu` and `*_percent` are percent, `memory` and `*_bytes` bytes, `*_per_second` bytes
 * per second, anything else a count.
 *
 * @since 0.1.0
 * @category getters
 */
export const unitOf = (metric: string): MetricUnit => {
  if (metric === Metrics.cpu || metric.endsWith("_percent")) return "percent"
  if (metric.endsWith("_per_second")) return "bytes_per_second"
  if (metric === Metrics.memory || metric.endsWith("_bytes")) return "bytes"
  return "count"
}

/**
 * A human label: a fixed one for the well-known metrics, else the name with spaces and a capital
 * (`open_files` -> `Open files`).
 *
 * @since 0.1.0
 * @category getters
 */
export const labelOf = (metric: string): string => {
  const known = knownLabels.get(metric)
  if (known !== undefined) return known
  const words = metric.replace(/[_.-]+/g, " ").trim()
  return words.length === 0 ? metric : words.charAt(0).toUpperCase() + words.slice(1)
}

/**
 * Orders metric names for display: the well-known ones in `Fields.Metrics` order, then the rest by name.
 *
 * @since 0.1.0
 * @category ordering
 */
export const compareMetrics = (a: string, b: string): number => {
  const ia = order.get(a) ?? Number.MAX_SAFE_INTEGER
  const ib = order.get(b) ?? Number.MAX_SAFE_INTEGER
  if (ia !== ib) return ia - ib
  return a < b ? -1 : a > b ? 1 : 0
}
