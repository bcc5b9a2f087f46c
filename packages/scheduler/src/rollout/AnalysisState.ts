/**
 * The pure state machine of an analysis run, with Argo Rollouts' semantics (their `analysis/analysis.go`
 * and `utils/evaluate`, re-implemented): which metrics are due, how a measurement's value becomes a phase,
 * how measurements update the counters, how a metric and the run are assessed, and when to look again.
 * Time is an argument (ms), so every transition is tested without waiting. {@link Analysis} drives it.
 *
 * **Measurement phase** ({@link measurementPhase}): with both conditions, failure wins over success and
 * neither true is `Inconclusive`; with only `successCondition`, not successful is `Failed`; with only
 * `failureCondition`, not failed is `Successful`; with none, `Successful` (Argo's code; its docs are vaguer).
 * An expression or provider error is `Error`.
 *
 * **Metric phase** ({@link assessMetric}), in this order: `Failed` when failed > failureLimit (unless -1),
 * `Inconclusive` when inconclusive > inconclusiveLimit, `Error` when consecutive errors >
 * consecutiveErrorLimit; then `Successful` when consecutiveSuccessLimit (> 0) consecutive successes were seen,
 * or when `count` measurements were taken (errors are not counted; with a consecutiveSuccessLimit the count
 * ends `Inconclusive` when a failureLimit also applies, else `Failed`); a metric without a count is
 * `Successful` once the run terminates. Limits trip when strictly exceeded: `failureLimit: 2` tolerates
 * two failures and fails on the third (Argo's docs once said otherwise; the code is followed).
 *
 * **Run phase** ({@link assess}): `Running` until every metric is completed, then the worst metric phase
 * (Successful < Running < Pending < Inconclusive < Error < Failed) over the metrics that are not dry-run.
 * A non-dry-run metric that ends `Failed`, `Error` or `Inconclusive`, or a terminate request, makes the
 * run terminate: no new measurements, open-ended metrics become `Successful`.
 *
 * @since 0.1.0
 */
import type { Metric, RunSpec } from "./AnalysisTemplate.js"
import * as Expression from "./Expression.js"
import { isCompleted, isWorse, type Phase } from "./Phase.js"
import { ExpressionError } from "./RolloutError.js"

/**
 * Argo's retry interval after an `Error` measurement (or the metric's interval when that is shorter).
 *
 * @since 0.1.0
 * @category constants
 */
export const errorRetryIntervalMs = 10_000

/**
 * One measurement.
 *
 * @since 0.1.0
 * @category models
 */
export interface Measurement {
  readonly phase: Phase
  readonly startedAt: number
  readonly finishedAt: number
  /** The value as text (`[0.99]` for a Prometheus vector). */
  readonly value?: string
  readonly message?: string
}

/**
 * A metric's counters and its last measurements.
 *
 * @since 0.1.0
 * @category models
 */
export interface MetricResult {
  readonly name: string
  readonly phase: Phase
  readonly message?: string
  readonly dryRun: boolean
  readonly measurements: ReadonlyArray<Measurement>
  /** Measurements that were not errors. */
  readonly count: number
  readonly successful: number
  readonly failed: number
  readonly inconclusive: number
  readonly error: number
  readonly consecutiveError: number
  readonly consecutiveSuccess: number
}

/**
 * The state of a run.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunState {
  readonly startedAt: number
  readonly terminate: boolean
  readonly phase: Phase
  readonly message?: string
  readonly results: ReadonlyArray<MetricResult>
  /** Counts over the dry-run metrics' phases, as Argo's `dryRunSummary`. */
  readonly dryRunSummary: {
    readonly count: number
    readonly successful: number
    readonly failed: number
    readonly inconclusive: number
    readonly error: number
  }
}

/**
 * A run that has not measured anything yet.
 *
 * @since 0.1.0
 * @category constructors
 */
export const initial = (spec: RunSpec, now: number): RunState => ({
  startedAt: now,
  terminate: false,
  phase: "Pending",
  results: spec.metrics.map((m) => ({
    name: m.name,
    phase: "Pending",
    dryRun: m.dryRun,
    measurements: [],
    count: 0,
    successful: 0,
    failed: 0,
    inconclusive: 0,
    error: 0,
    consecutiveError: 0,
    consecutiveSuccess: 0
  })),
  dryRunSummary: { count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0 }
})

/**
 * Whether the run is terminating: asked to, or a non-dry-run metric ended Failed, Error or Inconclusive.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isTerminating = (state: RunState): boolean =>
  state.terminate ||
  state.results.some((r) => !r.dryRun && (r.phase === "Failed" || r.phase === "Error" || r.phase === "Inconclusive"))

/**
 * The metrics to measure at `now` (Argo's `generateMetricTasks`).
 *
 * @since 0.1.0
 * @category transitions
 */
export const dueMetrics = (spec: RunSpec, state: RunState, now: number): Array<Metric> => {
  if (isTerminating(state)) return []
  return spec.metrics.filter((metric, i) => {
    const at = dueAt(metric, state.results[i]!, state.startedAt)
    return at !== undefined && now >= at
  })
}

/** When `metric` is next due, or `undefined` when it is completed or needs no further measurement. */
const dueAt = (metric: Metric, result: MetricResult, startedAt: number): number | undefined => {
  if (isCompleted(result.phase)) return undefined
  const last = result.measurements[result.measurements.length - 1]
  if (last === undefined) return startedAt + (metric.initialDelayMs ?? 0)
  if (metric.count !== undefined && result.count >= metric.count) return undefined
  if (last.phase === "Error") {
    return last.finishedAt + Math.min(errorRetryIntervalMs, metric.intervalMs ?? errorRetryIntervalMs)
  }
  return metric.intervalMs === undefined ? undefined : last.finishedAt + metric.intervalMs
}

/**
 * When the run should be looked at again (the earliest due time of its open metrics), or `undefined`.
 *
 * @since 0.1.0
 * @category transitions
 */
export const nextDueAt = (spec: RunSpec, state: RunState): number | undefined => {
  if (isTerminating(state)) return undefined
  let next: number | undefined
  spec.metrics.forEach((metric, i) => {
    const at = dueAt(metric, state.results[i]!, state.startedAt)
    if (at !== undefined && (next === undefined || at < next)) next = at
  })
  return next
}

/**
 * The phase of a measurement from the value the provider returned (Argo's `EvaluateResult`).
 *
 * @since 0.1.0
 * @category transitions
 */
export const measurementPhase = (
  metric: Pick<Metric, "successCondition" | "failureCondition">,
  value: unknown
): { readonly phase: Phase; readonly message?: string } => {
  const evaluate = (compiled: Expression.Compiled | undefined) =>
    compiled === undefined ? undefined : Expression.condition(compiled, value)
  const success = evaluate(metric.successCondition)
  if (success instanceof ExpressionError) return { phase: "Error", message: success.message }
  const failure = evaluate(metric.failureCondition)
  if (failure instanceof ExpressionError) return { phase: "Error", message: failure.message }
  if (success === undefined && failure === undefined) return { phase: "Successful" }
  const failed = failure ?? !success
  const succeeded = success ?? !failure
  if (failed) return { phase: "Failed" }
  return succeeded ? { phase: "Successful" } : { phase: "Inconclusive" }
}

/**
 * A metric result with one more completed measurement: counters updated, history trimmed to `retention`.
 *
 * @since 0.1.0
 * @category transitions
 */
export const record = (result: MetricResult, measurement: Measurement, retention: number): MetricResult => {
  const measurements = [...result.measurements, measurement].slice(-Math.max(1, retention))
  const base = { ...result, measurements }
  switch (measurement.phase) {
    case "Successful":
      return {
        ...base,
        successful: result.successful + 1,
        count: result.count + 1,
        consecutiveError: 0,
        consecutiveSuccess: result.consecutiveSuccess + 1
      }
    case "Failed":
      return { ...base, failed: result.failed + 1, count: result.count + 1, consecutiveError: 0, consecutiveSuccess: 0 }
    case "Inconclusive":
      return {
        ...base,
        inconclusive: result.inconclusive + 1,
        count: result.count + 1,
        consecutiveError: 0,
        consecutiveSuccess: 0
      }
    case "Error":
      return { ...base, error: result.error + 1, consecutiveError: result.consecutiveError + 1, consecutiveSuccess: 0 }
    default:
      return base
  }
}

/**
 * A metric's phase from its counters (Argo's `assessMetricStatus`), with the reason.
 *
 * @since 0.1.0
 * @category transitions
 */
export const assessMetric = (
  metric: Metric,
  result: MetricResult,
  terminating: boolean
): { readonly phase: Phase; readonly reason?: string } => {
  if (isCompleted(result.phase)) return { phase: result.phase }
  if (result.measurements.length === 0) {
    return terminating ? { phase: "Successful", reason: "run terminated" } : { phase: "Pending" }
  }
  if (metric.failureLimit >= 0 && result.failed > metric.failureLimit) {
    return { phase: "Failed", reason: `failed (${result.failed}) > failureLimit (${metric.failureLimit})` }
  }
  if (result.inconclusive > metric.inconclusiveLimit) {
    return {
      phase: "Inconclusive",
      reason: `inconclusive (${result.inconclusive}) > inconclusiveLimit (${metric.inconclusiveLimit})`
    }
  }
  if (result.consecutiveError > metric.consecutiveErrorLimit) {
    return {
      phase: "Error",
      reason: `consecutiveErrors (${result.consecutiveError}) > consecutiveErrorLimit (${metric.consecutiveErrorLimit})`
    }
  }
  const successLimit = metric.consecutiveSuccessLimit
  if (successLimit > 0 && result.consecutiveSuccess >= successLimit) {
    return {
      phase: "Successful",
      reason: `consecutiveSuccess (${result.consecutiveSuccess}) >= consecutiveSuccessLimit (${successLimit})`
    }
  }
  if (metric.count !== undefined && result.count >= metric.count) {
    if (successLimit > 0) {
      return metric.failureLimit >= 0
        ? {
            phase: "Inconclusive",
            reason: `count (${metric.count}) reached before consecutiveSuccessLimit (${successLimit}) or failureLimit (${metric.failureLimit})`
          }
        : {
            phase: "Failed",
            reason: `count (${metric.count}) reached before consecutiveSuccessLimit (${successLimit})`
          }
    }
    return { phase: "Successful", reason: `count (${metric.count}) reached` }
  }
  return terminating ? { phase: "Successful", reason: "run terminated" } : { phase: "Running" }
}

/**
 * Assesses every metric and the run (Argo's `assessRunStatus`). When this assessment makes the run
 * terminate (a metric just failed), it assesses once more at once, as Argo's next reconcile (queued by the
 * status change) would, so open-ended metrics end `Successful` in the same step.
 *
 * @since 0.1.0
 * @category transitions
 */
export const assess = (spec: RunSpec, state: RunState): RunState => {
  const once = assessOnce(spec, state)
  return !isTerminating(state) && isTerminating(once) ? assessOnce(spec, once) : once
}

const assessOnce = (spec: RunSpec, state: RunState): RunState => {
  const terminating = isTerminating(state)
  let everythingCompleted = true
  let worstPhase: Phase | undefined
  let worstMessage: string | undefined
  const summary = { count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0 }
  const results = state.results.map((result, i) => {
    const metric = spec.metrics[i]!
    const { phase, reason } = assessMetric(metric, result, terminating)
    const last = result.measurements[result.measurements.length - 1]
    const updated: MetricResult =
      phase === result.phase
        ? result
        : {
            ...result,
            phase,
            ...(reason === undefined && last?.message === undefined ? {} : { message: last?.message ?? reason! })
          }
    if (!isCompleted(phase)) {
      everythingCompleted = false
      return updated
    }
    if (result.dryRun) {
      summary.count++
      if (phase === "Successful") summary.successful++
      else if (phase === "Failed") summary.failed++
      else if (phase === "Inconclusive") summary.inconclusive++
      else summary.error++
      return updated
    }
    if (worstPhase === undefined || isWorse(worstPhase, phase)) {
      worstPhase = phase
      const why = reason ?? updated.message
      worstMessage =
        phase === "Successful"
          ? undefined
          : `metric "${metric.name}" assessed ${phase}${why === undefined ? "" : ` due to ${why}`}`
    }
    return updated
  })
  const phase: Phase = !everythingCompleted ? "Running" : (worstPhase ?? "Successful")
  const message = phase === "Running" ? undefined : (worstMessage ?? (state.terminate ? "run terminated" : undefined))
  const { message: _previous, ...rest } = state
  const next: RunState = { ...rest, phase, results, dryRunSummary: summary }
  return message === undefined ? next : { ...next, message }
}

/**
 * Formats a provider's value as the measurement's text (numbers plain, arrays `[a,b]`, objects as JSON).
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatValue = (value: unknown): string => {
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : String(value)
  if (typeof value === "string") return value
  if (value === null || value === undefined) return "<nil>"
  if (Array.isArray(value)) return `[${value.map(formatValue).join(",")}]`
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
