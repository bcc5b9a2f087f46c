/**
 * The time-series store: recent metric samples per node and metric, kept at a fixed resolution (15 s by
 * default) for a fixed retention (1 h by default), for sparklines and `/metrics`.
 *
 * The data structure ({@link Store}) is plain and synchronous, so the app can record on its ingest hot path;
 * the {@link TimeSeriesStore} service wraps one store and runs its cleanup loop as a scoped fiber.
 *
 * **Memory** Each series is a ring of `ceil(maxDataAgeMs / resolutionMs)` implicit slots (240 by default) in
 * pooled typed-array chunks, plus one float64 "head" (the absolute slot of its newest sample) that tells live
 * slots from stale ones. With the defaults (`float32`) that is 240 × 4 + 8 = 968 bytes of typed arrays per
 * series (1,928 with `float64`), plus about 110 bytes of index (node maps and back-references, measured with
 * 3 metrics per node): 300,000 series take about 320 MB (`bench/timeseries.bench.ts`). Recording allocates
 * nothing once a series exists.
 *
 * **Gotchas**
 * - A slot keeps the last value written to it (not an average), as Scope's sparklines show the last sample.
 * - With `float32` (the default) values keep about 7 significant digits; reads return the shortest decimal
 *   that maps to the stored float (`12.3` reads `12.3`), and integers up to 16,777,216 are exact.
 * - Series are keyed by node id alone: ids are unique across topologies (see `NodeId`).
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, Schema } from "effect"
import { RingArena } from "./internal/timeseries/arena.js"
import { compareMetrics, labelOf, unitOf } from "./internal/timeseries/metricInfo.js"
import { summarize } from "./internal/timeseries/window.js"
import type { MetricSeries } from "./NodeDetails.js"
import type { Node, Report } from "./Report.js"

const MAX_SLOTS = 100_000

/**
 * The store's configuration. Every field has a default, so `{}` decodes to the defaults.
 *
 * - `resolutionMs`: width of one slot (default 15,000).
 * - `maxDataAgeMs`: retention (default 3,600,000); a ring has `ceil(maxDataAgeMs / resolutionMs)` slots,
 *   at most 100,000.
 * - `cleanupIntervalMs`: how often the service drops expired series (default 60,000).
 * - `maxSeries`: cap on live series (default 1,000,000); new series beyond it are dropped and counted.
 * - `precision`: `float32` (default, half the memory) or `float64` (exact values).
 *
 * @since 0.1.0
 * @category config
 */
export const TimeSeriesOptions = Schema.Struct({
  resolutionMs: Schema.Int.check(Schema.isGreaterThan(0)).pipe(Schema.withDecodingDefaultKey(Effect.succeed(15_000))),
  maxDataAgeMs: Schema.Int.check(Schema.isGreaterThan(0)).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(3_600_000))
  ),
  cleanupIntervalMs: Schema.Int.check(Schema.isGreaterThan(0)).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(60_000))
  ),
  maxSeries: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(1_000_000))
  ),
  precision: Schema.Literals(["float32", "float64"]).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed("float32" as const))
  )
}).check(
  Schema.makeFilter((options) =>
    Math.ceil(options.maxDataAgeMs / options.resolutionMs) <= MAX_SLOTS
      ? undefined
      : { path: ["maxDataAgeMs"], issue: `maxDataAgeMs / resolutionMs must be at most ${MAX_SLOTS} slots` }
  )
)

/**
 * Decoded configuration.
 *
 * @since 0.1.0
 * @category config
 */
export type TimeSeriesOptions = typeof TimeSeriesOptions.Type

/**
 * Configuration as callers write it: every field optional.
 *
 * @since 0.1.0
 * @category config
 */
export type TimeSeriesOptionsInput = typeof TimeSeriesOptions.Encoded

/**
 * The configuration `{}` decodes to.
 *
 * @since 0.1.0
 * @category config
 */
export const defaultOptions: TimeSeriesOptions = Schema.decodeUnknownSync(TimeSeriesOptions)({})

/**
 * How ring values are stored: `float32` (4 bytes a slot, about 7 significant digits) or `float64` (exact).
 *
 * @since 0.1.0
 * @category config
 */
export type Precision = TimeSeriesOptions["precision"]

/**
 * The unit of a metric series (`percent`, `bytes`, `bytes_per_second`, `count`).
 *
 * @since 0.1.0
 * @category models
 */
export type MetricUnit = MetricSeries["unit"]

/**
 * One series over a range of slots: `values[i]` is the slot starting at `start + i * stepMs`, `null` where
 * nothing was recorded (or it is older than the retention); `latest`, `min`, `max`, `avg` are over the
 * non-null values (`null` when there are none). {@link toMetricSeries} turns it into the UI's `MetricSeries`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SeriesWindow {
  readonly metric: string
  /** Start of the first slot, ms since epoch. */
  readonly start: number
  readonly stepMs: number
  readonly values: Array<number | null>
  readonly latest: number | null
  readonly min: number | null
  readonly max: number | null
  readonly avg: number | null
}

/**
 * The time range of a query; both ends are inclusive timestamps (ms).
 *
 * - `to` defaults to the store's clock: the newest timestamp it has seen (a sample, or `cleanup`'s `now`).
 * - `from` defaults to one retention before `to`, and is clamped to it: a window is at most one ring long.
 *
 * @since 0.1.0
 * @category models
 */
export interface QueryOptions {
  readonly from?: number
  readonly to?: number
}

/**
 * What the store keeps about an agent's latest report.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentReportSummary {
  /** The report's timestamp (ms since epoch). */
  readonly timestamp: number
  readonly nodeCount: number
  /** Size of the report body as received. */
  readonly bytes?: number
  readonly seq?: number
  readonly kind?: "full" | "delta"
  readonly hostname?: string
}

/**
 * Names of the per-agent series {@link Store.recordAgentReport} keeps.
 *
 * @since 0.1.0
 * @category constants
 */
export const AgentMetrics = {
  /** Nodes per report (a count). */
  nodes: "nodes",
  /** Report body size (bytes). */
  reportBytes: "report_bytes"
} as const

/**
 * What one `cleanup` did.
 *
 * @since 0.1.0
 * @category models
 */
export interface CleanupResult {
  /** Series whose newest sample fell out of the retention; their slots are free for new series. */
  readonly removedSeries: number
  /** Nodes left without series, forgotten. */
  readonly removedNodes: number
  /** Agents whose latest report fell out of the retention, forgotten with their series. */
  readonly removedAgents: number
  /** New series refused since the previous cleanup because `maxSeries` was reached. */
  readonly droppedSeries: number
}

/**
 * Counters and sizes of a store.
 *
 * @since 0.1.0
 * @category models
 */
export interface TimeSeriesStats {
  /** Live series (node and agent series). */
  readonly series: number
  readonly nodes: number
  readonly agents: number
  readonly maxSeries: number
  /** Slots per ring. */
  readonly slotsPerSeries: number
  /** Series the allocated chunks hold without growing. */
  readonly capacity: number
  /** Ids handed out so far; it stays flat while freed ids are reused. */
  readonly highWater: number
  /** Typed-array bytes held (rings, heads, free list); the index maps come on top. */
  readonly bytes: number
  /** Typed-array bytes of one series (its ring and head). */
  readonly bytesPerSeries: number
  /** New series refused because `maxSeries` was reached, since the store was made (one per refused sample). */
  readonly droppedSeries: number
  /** Samples refused: not finite, or older than the ring keeps. */
  readonly rejectedSamples: number
}

interface Owner {
  readonly key: string
  readonly metrics: Map<string, number>
  readonly index: Map<string, Owner>
}

/**
 * The synchronous time-series store. Make one with {@link make}; every method is O(1) per sample except
 * `cleanup` (a scan of one float64 per series) and queries (one pass over the window).
 *
 * **When to use** Directly on a hot path (ingest), or through the {@link TimeSeriesStore} service, which
 * exposes the same instance as `store` and runs `cleanup` on a timer.
 *
 * @since 0.1.0
 * @category models
 */
export class Store {
  readonly options: TimeSeriesOptions
  /** Slots per ring: `ceil(maxDataAgeMs / resolutionMs)`. */
  readonly slots: number
  private readonly resolutionMs: number
  private readonly arena: RingArena
  private readonly float32: boolean
  private readonly nodes = new Map<string, Owner>()
  private readonly agents = new Map<string, Owner>()
  private readonly summaries = new Map<string, AgentReportSummary>()
  private readonly owners: Array<Owner | undefined> = []
  private readonly metricNames: Array<string | undefined> = []
  private clock = Number.NEGATIVE_INFINITY
  private dropped = 0
  private droppedSinceCleanup = 0
  private rejected = 0

  constructor(options: TimeSeriesOptions) {
    this.options = options
    this.resolutionMs = options.resolutionMs
    this.slots = Math.max(1, Math.ceil(options.maxDataAgeMs / options.resolutionMs))
    this.arena = new RingArena(this.slots, options.precision)
    this.float32 = options.precision === "float32"
  }

  /** The newest timestamp the store has seen (a sample or a `cleanup`), `-Infinity` before any. */
  get now(): number {
    return this.clock
  }

  /**
   * Records one sample; returns whether it was kept. A sample is refused when the value or timestamp is not
   * finite, when it is older than the ring keeps, or when it would start a new series past `maxSeries`.
   */
  record(nodeId: string, metric: string, timestampMs: number, value: number): boolean {
    return this.put(this.nodes.get(nodeId), this.nodes, nodeId, metric, timestampMs, value)
  }

  /** Records the latest sample of each metric of a node (one node lookup for all); returns how many were kept. */
  recordNode(node: Node): number {
    let kept = 0
    const metrics = node.metrics
    let owner = this.nodes.get(node.id)
    for (const metric in metrics) {
      const samples = metrics[metric]!
      const last = samples[samples.length - 1]
      if (last === undefined) continue
      if (this.put(owner, this.nodes, node.id, metric, last[0], last[1])) kept++
      if (owner === undefined) owner = this.nodes.get(node.id)
    }
    return kept
  }

  /** Records the latest sample of each metric of each node; returns how many were kept. */
  recordNodes(nodes: Iterable<Node>): number {
    let kept = 0
    for (const node of nodes) kept += this.recordNode(node)
    return kept
  }

  /** Records the latest sample of each metric of each node of a probe's report; returns how many were kept. */
  recordReport(report: Report): number {
    let kept = 0
    for (const topology in report.topologies) {
      const nodes = report.topologies[topology]!.nodes
      for (const id in nodes) kept += this.recordNode(nodes[id]!)
    }
    return kept
  }

  /**
   * Keeps `summary` as the agent's latest report (unless a newer one is kept already) and records its
   * `nodes` and `report_bytes` series.
   */
  recordAgentReport(agentId: string, summary: AgentReportSummary): void {
    const previous = this.summaries.get(agentId)
    if (previous === undefined || previous.timestamp <= summary.timestamp) this.summaries.set(agentId, summary)
    this.put(this.agents.get(agentId), this.agents, agentId, AgentMetrics.nodes, summary.timestamp, summary.nodeCount)
    if (summary.bytes !== undefined) {
      const owner = this.agents.get(agentId)
      this.put(owner, this.agents, agentId, AgentMetrics.reportBytes, summary.timestamp, summary.bytes)
    }
  }

  /** The agent's latest report summary, or `undefined`. */
  latestForAgent(agentId: string): AgentReportSummary | undefined {
    return this.summaries.get(agentId)
  }

  /** Agents with a kept report summary. */
  agentIds(): Array<string> {
    return Array.from(this.summaries.keys())
  }

  /** One series of a node over a range, or `undefined` when the store has no such series. */
  query(nodeId: string, metric: string, options?: QueryOptions): SeriesWindow | undefined {
    const id = this.nodes.get(nodeId)?.metrics.get(metric)
    return id === undefined ? undefined : this.window(id, metric, options)
  }

  /** Every series of a node over a range, well-known metrics first (`Fields.Metrics` order), then by name. */
  queryNode(nodeId: string, options?: QueryOptions): Array<SeriesWindow> {
    const owner = this.nodes.get(nodeId)
    if (owner === undefined) return []
    return Array.from(owner.metrics.keys())
      .sort(compareMetrics)
      .map((metric) => this.window(owner.metrics.get(metric)!, metric, options))
  }

  /** One per-agent series (see {@link AgentMetrics}), or `undefined`. */
  queryAgent(agentId: string, metric: string, options?: QueryOptions): SeriesWindow | undefined {
    const id = this.agents.get(agentId)?.metrics.get(metric)
    return id === undefined ? undefined : this.window(id, metric, options)
  }

  /** The metric names a node has series for, in display order. */
  metricsOf(nodeId: string): Array<string> {
    const owner = this.nodes.get(nodeId)
    return owner === undefined ? [] : Array.from(owner.metrics.keys()).sort(compareMetrics)
  }

  /**
   * Drops the series whose newest slot is a whole retention or more before `now` (a default query would
   * show them all `null`), frees their slots for reuse, forgets nodes and agents left empty, and advances the
   * store's clock to `now`.
   */
  cleanup(now: number): CleanupResult {
    if (now > this.clock) this.clock = now
    const cutoff = Math.floor(now / this.resolutionMs) - this.slots
    let removedNodes = 0
    const removedSeries = this.arena.sweep(cutoff, (id) => {
      const owner = this.owners[id]!
      owner.metrics.delete(this.metricNames[id]!)
      if (owner.metrics.size === 0) {
        owner.index.delete(owner.key)
        if (owner.index === this.nodes) removedNodes++
      }
      this.owners[id] = undefined
      this.metricNames[id] = undefined
    })
    let removedAgents = 0
    for (const [agentId, summary] of this.summaries) {
      if (Math.floor(summary.timestamp / this.resolutionMs) <= cutoff) {
        this.summaries.delete(agentId)
        removedAgents++
      }
    }
    const droppedSeries = this.droppedSinceCleanup
    this.droppedSinceCleanup = 0
    return { removedSeries, removedNodes, removedAgents, droppedSeries }
  }

  /** Counters and sizes. */
  stats(): TimeSeriesStats {
    return {
      series: this.arena.live,
      nodes: this.nodes.size,
      agents: this.summaries.size,
      maxSeries: this.options.maxSeries,
      slotsPerSeries: this.slots,
      capacity: this.arena.capacity,
      highWater: this.arena.highWater,
      bytes: this.arena.bytes,
      bytesPerSeries: this.arena.bytesPerSeries,
      droppedSeries: this.dropped,
      rejectedSamples: this.rejected
    }
  }

  /** Records into `owner` (`index.get(key)`, looked up by the caller), making the owner and series if needed. */
  private put(
    owner: Owner | undefined,
    index: Map<string, Owner>,
    key: string,
    metric: string,
    timestampMs: number,
    value: number
  ): boolean {
    if (!Number.isFinite(value) || !Number.isFinite(timestampMs)) {
      this.rejected++
      return false
    }
    const slot = Math.floor(timestampMs / this.resolutionMs)
    let id = owner?.metrics.get(metric)
    if (id === undefined) {
      if (slot <= Math.floor(this.clock / this.resolutionMs) - this.slots) {
        this.rejected++
        return false
      }
      if (this.arena.live >= this.options.maxSeries) {
        this.dropped++
        this.droppedSinceCleanup++
        return false
      }
      if (owner === undefined) {
        owner = { key, metrics: new Map(), index }
        index.set(key, owner)
      }
      id = this.arena.allocate()
      owner.metrics.set(metric, id)
      this.owners[id] = owner
      this.metricNames[id] = metric
    }
    if (!this.arena.write(id, slot, value)) {
      this.rejected++
      return false
    }
    if (timestampMs > this.clock) this.clock = timestampMs
    return true
  }

  private window(id: number, metric: string, options: QueryOptions | undefined): SeriesWindow {
    const resolution = this.resolutionMs
    const to = options?.to ?? this.clock
    const toSlot = Number.isFinite(to) ? Math.floor(to / resolution) : this.arena.head(id)
    const oldest = toSlot - this.slots + 1
    const from = options?.from
    const fromSlot =
      from === undefined || !Number.isFinite(from) ? oldest : Math.max(oldest, Math.floor(from / resolution))
    const raw = new Float64Array(Math.max(0, toSlot - fromSlot + 1))
    this.arena.read(id, fromSlot, raw)
    return { metric, start: fromSlot * resolution, stepMs: resolution, ...summarize(raw, this.float32) }
  }
}

/**
 * Makes a store, decoding `options` (defaults for what is missing); throws a `SchemaError` naming the field
 * when an option is invalid.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: TimeSeriesOptionsInput = {}): Store =>
  new Store(Schema.decodeUnknownSync(TimeSeriesOptions)(options))

/**
 * The unit of a metric: `cpu` and `*_percent` are percent, `memory` and `*_bytes` bytes, `*_per_second` bytes
 * per second, anything else a count.
 *
 * @since 0.1.0
 * @category getters
 */
export const metricUnit: (metric: string) => MetricUnit = unitOf

/**
 * A display label for a metric (`cpu` -> `CPU`, `open_files` -> `Open files`).
 *
 * @since 0.1.0
 * @category getters
 */
export const metricLabel: (metric: string) => string = labelOf

/**
 * Turns a query result into the UI's sparkline format, with the label and unit inferred from the metric
 * name unless given.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toMetricSeries = (
  window: SeriesWindow,
  overrides: { readonly label?: string; readonly unit?: MetricUnit } = {}
): MetricSeries => ({
  metric: window.metric,
  label: overrides.label ?? labelOf(window.metric),
  unit: overrides.unit ?? unitOf(window.metric),
  start: window.start,
  stepMs: window.stepMs,
  values: window.values,
  latest: window.latest,
  min: window.min,
  max: window.max,
  avg: window.avg
})

/**
 * The summary {@link Store.recordAgentReport} keeps for a probe's report; `bytes` is the body size as
 * received, when known.
 *
 * @since 0.1.0
 * @category constructors
 */
export const summarizeReport = (report: Report, bytes?: number): AgentReportSummary => {
  let nodeCount = 0
  for (const topology in report.topologies) nodeCount += Object.keys(report.topologies[topology]!.nodes).length
  return {
    timestamp: report.timestamp,
    nodeCount,
    seq: report.seq,
    kind: report.kind,
    hostname: report.hostname,
    ...(bytes === undefined ? {} : { bytes })
  }
}

/**
 * The time-series store as a service: one {@link Store} (exposed as `store` for synchronous use on hot paths)
 * whose `cleanup` runs every `cleanupIntervalMs` in a fiber scoped to the layer. When `maxSeries` refused new
 * series during an interval, the cleanup logs one warning with the count.
 *
 * @since 0.1.0
 * @category services
 */
export class TimeSeriesStore extends Context.Service<
  TimeSeriesStore,
  {
    /** The underlying store, for synchronous calls. */
    readonly store: Store
    readonly record: (nodeId: string, metric: string, timestampMs: number, value: number) => Effect.Effect<boolean>
    readonly recordNode: (node: Node) => Effect.Effect<number>
    readonly recordReport: (report: Report) => Effect.Effect<number>
    readonly recordAgentReport: (agentId: string, summary: AgentReportSummary) => Effect.Effect<void>
    readonly latestForAgent: (agentId: string) => Effect.Effect<AgentReportSummary | undefined>
    readonly query: (nodeId: string, metric: string, options?: QueryOptions) => Effect.Effect<SeriesWindow | undefined>
    readonly queryNode: (nodeId: string, options?: QueryOptions) => Effect.Effect<Array<SeriesWindow>>
    readonly queryAgent: (
      agentId: string,
      metric: string,
      options?: QueryOptions
    ) => Effect.Effect<SeriesWindow | undefined>
    readonly metricsOf: (nodeId: string) => Effect.Effect<Array<string>>
    /** Runs a cleanup at the current `Clock` time (and logs the dropped-series warning, if any). */
    readonly cleanup: Effect.Effect<CleanupResult>
    readonly stats: Effect.Effect<TimeSeriesStats>
  }
>()("@orchestrator/core/TimeSeriesStore") {
  /**
   * A store built from `options` (defaults for what is missing) with its cleanup loop; fails with a
   * `SchemaError` naming the field when an option is invalid.
   *
   * @since 0.1.0
   * @category layers
   */
  static layer(options: TimeSeriesOptionsInput = {}): Layer.Layer<TimeSeriesStore, Schema.SchemaError> {
    return Layer.effect(
      TimeSeriesStore,
      Effect.gen(function* () {
        const decoded = yield* Schema.decodeUnknownEffect(TimeSeriesOptions)(options)
        const service = makeService(new Store(decoded))
        yield* Effect.forkScoped(
          Effect.forever(Effect.andThen(Effect.sleep(Duration.millis(decoded.cleanupIntervalMs)), service.cleanup))
        )
        return service
      })
    )
  }
}

const makeService = (store: Store): TimeSeriesStore["Service"] => {
  const cleanup = Effect.fn("TimeSeriesStore.cleanup")(function* () {
    const now = yield* Clock.currentTimeMillis
    const result = store.cleanup(now)
    if (result.droppedSeries > 0) {
      yield* Effect.logWarning(
        `TimeSeriesStore: maxSeries (${store.options.maxSeries}) reached; dropped ${result.droppedSeries} samples of new series since the last cleanup`
      ).pipe(Effect.annotateLogs({ droppedSeries: result.droppedSeries, maxSeries: store.options.maxSeries }))
    }
    return result
  })
  return TimeSeriesStore.of({
    store,
    record: (nodeId, metric, timestampMs, value) => Effect.sync(() => store.record(nodeId, metric, timestampMs, value)),
    recordNode: (node) => Effect.sync(() => store.recordNode(node)),
    recordReport: (report) => Effect.sync(() => store.recordReport(report)),
    recordAgentReport: (agentId, summary) => Effect.sync(() => store.recordAgentReport(agentId, summary)),
    latestForAgent: (agentId) => Effect.sync(() => store.latestForAgent(agentId)),
    query: (nodeId, metric, options) => Effect.sync(() => store.query(nodeId, metric, options)),
    queryNode: (nodeId, options) => Effect.sync(() => store.queryNode(nodeId, options)),
    queryAgent: (agentId, metric, options) => Effect.sync(() => store.queryAgent(agentId, metric, options)),
    metricsOf: (nodeId) => Effect.sync(() => store.metricsOf(nodeId)),
    cleanup: cleanup(),
    stats: Effect.sync(() => store.stats())
  })
}
