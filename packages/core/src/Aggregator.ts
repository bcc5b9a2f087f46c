/**
 * The aggregator: keeps each probe's latest state (see `ProbeState`), merges the states of all probes into
 * one report, drops probes not heard from for `staleNodeThresholdMs`, and publishes a stream of changes.
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer, PubSub, Schedule, Schema, Stream } from "effect"
import { applyInPlace } from "./internal/aggregator/LiveProbeState.js"
import { MergedStore } from "./internal/aggregator/MergedStore.js"
import type { MergedReport, ProbeSummary } from "./MergedReport.js"
import type * as ProbeState from "./ProbeState.js"
import type { Report } from "./Report.js"

/**
 * Aggregator settings.
 *
 * @since 0.1.0
 * @category models
 */
export const AggregatorOptions = Schema.Struct({
  /** Drop a probe not heard from for this long (default 60 s). */
  staleNodeThresholdMs: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(100)),
  /** At most this many nodes per topology; further nodes are dropped with a warning (default 1,000,000). */
  maxNodesPerTopology: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  /** Samples kept per metric on a merged node (default 120). */
  maxSamples: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
})

/**
 * @since 0.1.0
 * @category models
 */
export type AggregatorOptions = typeof AggregatorOptions.Type

/**
 * Defaults for {@link AggregatorOptions}.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultOptions: AggregatorOptions = {
  staleNodeThresholdMs: 60_000,
  maxNodesPerTopology: 1_000_000,
  maxSamples: 120
}

/**
 * What happened to a report.
 *
 * @since 0.1.0
 * @category models
 */
export type IngestResult =
  | { readonly _tag: "Accepted"; readonly seq: number; readonly changed: number; readonly dropped: number }
  | { readonly _tag: "Duplicate"; readonly seq: number }
  | { readonly _tag: "ResyncRequired"; readonly expectedSeq: number | null; readonly reason: string }

/**
 * A change to the merged report, published after every accepted report and every removed probe.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChangeEvent {
  readonly _tag: "ReportApplied" | "ProbeAdded" | "ProbeRemoved"
  readonly probeId: string
  /** Topologies whose nodes changed. */
  readonly topologies: ReadonlyArray<string>
  readonly at: number
}

/**
 * The aggregator's interface.
 *
 * @since 0.1.0
 * @category models
 */
export interface AggregatorShape {
  /** Applies a decoded report. */
  readonly ingest: (report: Report) => Effect.Effect<IngestResult>
  /** The live merged report (read it synchronously). */
  readonly report: MergedReport
  /** The probes that contribute, with their last report time. */
  readonly probes: () => ReadonlyArray<ProbeSummary>
  /**
   * The state the app holds for one probe. It is live: the next delta from the probe updates it, its node maps
   * and the `latest` and `metrics` of the nodes it replaces in place, so read it synchronously and copy what
   * you keep.
   */
  readonly probeState: (probeId: string) => ProbeState.ProbeState | undefined
  /** The probes that report a node (the ones that can run controls on it). */
  readonly ownersOf: (topology: string, id: string) => ReadonlyArray<string>
  /** The next sequence number the app expects from a probe, or null when it needs a full report. */
  readonly expectedSeq: (probeId: string) => number | null
  /** Forgets a probe and the nodes only it reported. */
  readonly removeProbe: (probeId: string) => Effect.Effect<boolean>
  /** Removes probes not heard from for the stale threshold; returns their ids. */
  readonly sweepStale: Effect.Effect<ReadonlyArray<string>>
  /** Changes to the merged report, from the moment of subscription. */
  readonly changes: Stream.Stream<ChangeEvent>
  /** Counters for `/api/v1/query/stats` and `/metrics`. */
  readonly stats: () => AggregatorStats
}

/**
 * Aggregator counters.
 *
 * @since 0.1.0
 * @category models
 */
export interface AggregatorStats {
  readonly probes: number
  readonly nodes: Readonly<Record<string, number>>
  readonly reportsAccepted: number
  readonly reportsDuplicate: number
  readonly resyncsRequested: number
  readonly nodesDropped: number
  readonly probesExpired: number
}

/**
 * Builds an aggregator. The returned value is used by the service layer and by the Promise facade; the
 * stale sweep loop is started by the layer (see {@link Aggregator.layer}).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function* (options: Partial<AggregatorOptions> = {}) {
  const config: AggregatorOptions = { ...defaultOptions, ...options }
  const store = new MergedStore(config.maxNodesPerTopology, config.maxSamples)
  const pubsub = yield* PubSub.sliding<ChangeEvent>(4096)
  yield* Effect.addFinalizer(() => PubSub.shutdown(pubsub))
  const counters = { accepted: 0, duplicate: 0, resync: 0, expired: 0 }
  let lastDropWarning = 0

  const publish = (event: ChangeEvent) => PubSub.publish(pubsub, event)

  const ingest = (report: Report): Effect.Effect<IngestResult> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const previous = store.state(report.probeId)
      // The store holds each probe's state alone: a delta patches it in place (see `LiveProbeState`).
      const result = applyInPlace(previous, report)
      if (result._tag === "ResyncRequired") {
        counters.resync++
        return Effect.succeed<IngestResult>(result)
      }
      if (result._tag === "Duplicate") {
        counters.duplicate++
        const summary = store.probes.get(report.probeId)
        if (summary !== undefined) store.probes.set(report.probeId, { ...summary, lastSeen: now })
        return Effect.succeed<IngestResult>({ _tag: "Duplicate", seq: result.state.seq })
      }
      counters.accepted++
      const outcome = store.apply(result.state, result.changes, now)
      const warn =
        outcome.dropped > 0 && now - lastDropWarning > 10_000
          ? Effect.logWarning(
              `node cap reached: dropped ${outcome.dropped} nodes from probe ${report.probeId} ` +
                `(maxNodesPerTopology=${config.maxNodesPerTopology}, ${store.droppedTotal} dropped in all)`
            ).pipe(Effect.tap(() => Effect.sync(() => (lastDropWarning = now))))
          : Effect.void
      return warn.pipe(
        Effect.andThen(
          publish({
            _tag: previous === undefined ? "ProbeAdded" : "ReportApplied",
            probeId: report.probeId,
            topologies: [...outcome.topologies],
            at: now
          })
        ),
        Effect.as<IngestResult>({
          _tag: "Accepted",
          seq: report.seq,
          changed: outcome.changed,
          dropped: outcome.dropped
        })
      )
    })

  const removeProbe = (probeId: string): Effect.Effect<boolean> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      if (store.state(probeId) === undefined) return Effect.succeed(false)
      const outcome = store.remove(probeId)
      return publish({ _tag: "ProbeRemoved", probeId, topologies: [...outcome.topologies], at: now }).pipe(
        Effect.as(true)
      )
    })

  const sweepStale: Effect.Effect<ReadonlyArray<string>> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const cutoff = now - config.staleNodeThresholdMs
    const stale = [...store.probes.values()].filter((p) => p.lastSeen < cutoff).map((p) => p.probeId)
    counters.expired += stale.length
    return Effect.forEach(stale, removeProbe).pipe(
      Effect.tap(() =>
        stale.length > 0 ? Effect.logInfo(`dropped ${stale.length} stale probe(s): ${stale.join(", ")}`) : Effect.void
      ),
      Effect.as(stale)
    )
  })

  const shape: AggregatorShape = {
    ingest,
    report: store,
    probes: () => [...store.probes.values()],
    probeState: (probeId) => store.state(probeId),
    ownersOf: (topology, id) => store.ownersOf(topology, id),
    expectedSeq: (probeId) => {
      const state = store.state(probeId)
      return state === undefined ? null : state.seq + 1
    },
    removeProbe,
    sweepStale,
    changes: Stream.fromPubSub(pubsub),
    stats: () => {
      const nodes: Record<string, number> = {}
      for (const [topology, byId] of store.topologies) nodes[topology] = byId.size
      return {
        probes: store.probes.size,
        nodes,
        reportsAccepted: counters.accepted,
        reportsDuplicate: counters.duplicate,
        resyncsRequested: counters.resync,
        nodesDropped: store.droppedTotal,
        probesExpired: counters.expired
      }
    }
  }
  return { shape, config }
})

/**
 * Runs the stale sweep every quarter of the threshold (at most every 5 s), for as long as the scope lives.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sweepLoop = (aggregator: AggregatorShape, config: AggregatorOptions) =>
  aggregator.sweepStale.pipe(
    Effect.catchCause((cause) => Effect.logError("stale sweep failed", cause)),
    Effect.repeat(Schedule.spaced(Math.min(5_000, Math.max(25, config.staleNodeThresholdMs / 4)))),
    Effect.forkScoped
  )

/**
 * The aggregator service.
 *
 * @since 0.1.0
 * @category services
 */
export class Aggregator extends Context.Service<Aggregator, AggregatorShape>()("@orchestrator/core/Aggregator") {
  /**
   * The aggregator with its stale sweep loop running while the layer lives.
   *
   * @since 0.1.0
   * @category layers
   */
  static layer(options: Partial<AggregatorOptions> = {}): Layer.Layer<Aggregator> {
    return Layer.effect(
      Aggregator,
      Effect.gen(function* () {
        const { shape, config } = yield* make(options)
        yield* sweepLoop(shape, config)
        return shape
      })
    )
  }
}
