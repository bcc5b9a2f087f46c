/**
 * Sync observability: Effect metrics (exported in Prometheus text format) and exact lag percentiles.
 *
 * @since 0.1.0
 */
import { Effect, Metric } from "effect"

/**
 * The engine's metrics.
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics = {
  lag: Metric.histogram("zk_migrate_sync_lag_ms", {
    description: "Milliseconds from a write on the winning side (its mtime) to the write on the other side",
    boundaries: [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 5000]
  }),
  queueDepth: Metric.gauge("zk_migrate_sync_queue_depth", { description: "Paths waiting to be synced" }),
  applied: Metric.counter("zk_migrate_sync_applied_total", { description: "Changes written to the other side" }),
  conflicts: Metric.counter("zk_migrate_sync_conflicts_total", { description: "Conflicts decided (bidirectional)" }),
  errors: Metric.counter("zk_migrate_sync_errors_total", { description: "Sync attempts that failed and were retried" }),
  nodesCopied: Metric.counter("zk_migrate_nodes_copied_total", { description: "Nodes created by copy" })
} as const

/**
 * Keeps the last `capacity` lag samples for exact percentiles (the histogram's buckets are coarse).
 *
 * @since 0.1.0
 * @category models
 */
export class LagRecorder {
  private readonly samples: Array<number> = []
  private next = 0
  private total = 0

  constructor(private readonly capacity = 100_000) {}

  /** Records one sample. */
  record(ms: number): void {
    this.total++
    if (this.samples.length < this.capacity) this.samples.push(ms)
    else {
      this.samples[this.next] = ms
      this.next = (this.next + 1) % this.capacity
    }
  }

  /** How many samples were recorded in all. */
  get count(): number {
    return this.total
  }

  /** The `q` quantile (0-1) of the kept samples, `0` without samples. */
  quantile(q: number): number {
    if (this.samples.length === 0) return 0
    const sorted = [...this.samples].sort((a, b) => a - b)
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number
  }

  /** Forgets every sample. */
  reset(): void {
    this.samples.length = 0
    this.next = 0
    this.total = 0
  }
}

const escapeLabel = (value: string): string => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")

/**
 * Every `zk_migrate_*` metric in Prometheus text exposition format.
 *
 * @since 0.1.0
 * @category metrics
 */
export const prometheus: Effect.Effect<string> = Effect.map(Metric.snapshot, (snapshots) => {
  const lines: Array<string> = []
  for (const snapshot of snapshots) {
    if (!snapshot.id.startsWith("zk_migrate_")) continue
    const labels = Object.entries(snapshot.attributes ?? {})
      .map(([k, v]) => `${k}="${escapeLabel(String(v))}"`)
      .join(",")
    const suffix = labels === "" ? "" : `{${labels}}`
    if (snapshot.description !== undefined) lines.push(`# HELP ${snapshot.id} ${snapshot.description}`)
    switch (snapshot.type) {
      case "Counter":
        lines.push(`# TYPE ${snapshot.id} counter`, `${snapshot.id}${suffix} ${snapshot.state.count}`)
        break
      case "Gauge":
        lines.push(`# TYPE ${snapshot.id} gauge`, `${snapshot.id}${suffix} ${snapshot.state.value}`)
        break
      case "Histogram": {
        lines.push(`# TYPE ${snapshot.id} histogram`)
        const bucket = (le: string, count: number) =>
          lines.push(`${snapshot.id}_bucket{${labels === "" ? `le="${le}"` : `${labels},le="${le}"`}} ${count}`)
        for (const [bound, count] of snapshot.state.buckets) if (Number.isFinite(bound)) bucket(String(bound), count)
        bucket("+Inf", snapshot.state.count)
        lines.push(
          `${snapshot.id}_sum${suffix} ${snapshot.state.sum}`,
          `${snapshot.id}_count${suffix} ${snapshot.state.count}`
        )
        break
      }
      default:
        break
    }
  }
  return `${lines.join("\n")}\n`
})
