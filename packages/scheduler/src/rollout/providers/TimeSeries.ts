/**
 * The time-series provider: reads a metric of the core time-series store (our own metrics, recorded from
 * probe reports) over a trailing window and aggregates it: `latest`, `avg`, `min`, `max`, or `values` (the
 * samples in the window as an array). An empty window is `nil` for the aggregates (`isNil(result)`), `[]`
 * for `values`.
 *
 * @since 0.1.0
 */
import type { TimeSeriesStore } from "@orchestrator/core"
import { Clock, Effect } from "effect"
import type { TimeSeriesSpec } from "../AnalysisTemplate.js"
import { ProviderError } from "../RolloutError.js"

/**
 * Reads `spec` from `store` for `metric`.
 *
 * @since 0.1.0
 * @category providers
 */
export const measure = (
  store: TimeSeriesStore.Store | undefined,
  spec: TimeSeriesSpec,
  metric: string
): Effect.Effect<unknown, ProviderError> =>
  Effect.gen(function* () {
    if (store === undefined) {
      return yield* new ProviderError({
        provider: "timeSeries",
        metric,
        reason: "no time-series store was given to the analysis"
      })
    }
    const now = yield* Clock.currentTimeMillis
    const window = store.query(spec.nodeId, spec.metric, { from: now - spec.windowMs, to: now })
    const values = (window?.values ?? []).filter((v): v is number => v !== null)
    if (spec.aggregate === "values") return values
    if (values.length === 0) return null
    switch (spec.aggregate) {
      case "latest":
        return values[values.length - 1]!
      case "min":
        return Math.min(...values)
      case "max":
        return Math.max(...values)
      default:
        return values.reduce((a, b) => a + b, 0) / values.length
    }
  })
