/**
 * The metric providers and their dispatch: a metric's `provider` names which one measures it.
 *
 * @since 0.1.0
 */
import type { TimeSeriesStore } from "@orchestrator/core"
import type { Effect } from "effect"
import type { Metric } from "../AnalysisTemplate.js"
import type { ProviderError } from "../RolloutError.js"
import * as FunctionProvider from "./Function.js"
import * as Prometheus from "./Prometheus.js"
import * as TimeSeries from "./TimeSeries.js"
import * as Web from "./Web.js"

export { FunctionProvider, Prometheus, TimeSeries, Web }

/**
 * What the providers need from the host: registered functions and the time-series store.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProviderOptions {
  /** Functions for `provider: { function: { name } }`. */
  readonly functions?: Readonly<Record<string, FunctionProvider.MetricFunction>>
  /** The store for `provider: { timeSeries: ... }`. */
  readonly timeSeries?: TimeSeriesStore.Store
}

/**
 * Takes one measurement of `metric` with its provider and returns the raw value.
 *
 * @since 0.1.0
 * @category providers
 */
export const measure = (
  metric: Metric,
  args: Readonly<Record<string, string>>,
  options: ProviderOptions
): Effect.Effect<unknown, ProviderError> => {
  const spec = metric.provider
  switch (spec.type) {
    case "prometheus":
      return Prometheus.measure(spec, metric.name)
    case "web":
      return Web.measure(spec, metric.name)
    case "timeSeries":
      return TimeSeries.measure(options.timeSeries, spec, metric.name)
    case "function":
      return FunctionProvider.measure(options.functions ?? {}, spec, metric.name, args)
  }
}
