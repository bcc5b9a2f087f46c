/**
 * The autoscaler's decision, as Kubernetes' Horizontal Pod Autoscaler computes it: with the per-task metric
 * averaged over the window, `desired = ceil(instances x mean / target)`, nothing when the ratio is within the
 * tolerance of 1, at most one change per cool-down, clamped to `[min, max]`.
 *
 * @since 0.1.0
 */
import type { Autoscale } from "../model/AppDefinition.js"

/**
 * A measurement of the app's metric (per task, e.g. mean CPU % of its tasks) at `at` (ms epoch).
 *
 * @since 0.1.0
 * @category models
 */
export interface Sample {
  readonly at: number
  readonly value: number
}

/**
 * The input of {@link autoscaleDecision}: the app's `instances`, its recent `samples`, when the autoscaler last
 * changed it (`lastChangeAt`, ms epoch) and `now`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AutoscaleInput {
  readonly instances: number
  readonly samples: ReadonlyArray<Sample>
  readonly lastChangeAt?: number
  readonly now: number
}

/**
 * A decision: the new number of instances and why, in words (for events and logs).
 *
 * @since 0.1.0
 * @category models
 */
export interface AutoscaleDecision {
  readonly instances: number
  readonly reason: string
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(2))

/**
 * What the autoscaler should do now, or `undefined` for nothing:
 * - `instances` outside `[min, max]` is brought back to the nearest bound at once (no sample or cool-down
 *   needed; this is also how an app at 0 instances starts again when `min > 0`; with `min = 0` it stays at 0,
 *   since no task reports a metric);
 * - otherwise nothing during `cooldownSeconds` after `lastChangeAt`, nor without a finite sample in the last
 *   `windowSeconds`;
 * - `ratio = mean / target`; nothing when `|ratio - 1| <= tolerance`;
 * - `desired = ceil(instances x ratio)`, at most `2 x instances` (a step at most doubles the app, as HPA's
 *   scale-up limit, so one noisy window cannot multiply it; scale-down is not limited but by `min`), clamped
 *   to `[min, max]`; nothing when that equals `instances`.
 *
 * @since 0.1.0
 * @category autoscaling
 */
export const autoscaleDecision = (spec: Autoscale, input: AutoscaleInput): AutoscaleDecision | undefined => {
  const min = Math.max(0, Math.floor(spec.min))
  const max = Math.max(min, Math.floor(spec.max))
  const instances = Math.max(0, Math.floor(input.instances))
  if (instances < min)
    return { instances: min, reason: `${instances} instance(s) is below the autoscale minimum ${min}` }
  if (instances > max)
    return { instances: max, reason: `${instances} instance(s) is above the autoscale maximum ${max}` }
  if (instances === 0) return undefined
  if (input.lastChangeAt !== undefined && input.now - input.lastChangeAt < spec.cooldownSeconds * 1000) return undefined
  const from = input.now - spec.windowSeconds * 1000
  const window = input.samples.filter((s) => s.at >= from && s.at <= input.now && Number.isFinite(s.value))
  if (window.length === 0) return undefined
  const mean = window.reduce((sum, s) => sum + s.value, 0) / window.length
  const ratio = mean / spec.target
  if (Math.abs(ratio - 1) <= spec.tolerance + 1e-9) return undefined
  const raw = Math.ceil(instances * ratio - 1e-9)
  const limited = Math.min(raw, 2 * instances)
  const desired = Math.min(max, Math.max(min, limited))
  if (desired === instances) return undefined
  const notes = [
    ...(limited < raw ? [`limited to double (${limited})`] : []),
    ...(desired !== limited ? [`clamped to [${min}, ${max}]`] : [])
  ]
  return {
    instances: desired,
    reason:
      `${spec.metric} averaged ${fmt(mean)} over ${fmt(spec.windowSeconds)}s (${window.length} sample(s)), target ${fmt(spec.target)}: ` +
      `ratio ${ratio.toFixed(2)}, ceil(${instances} x ${ratio.toFixed(2)}) = ${raw}` +
      (notes.length > 0 ? `, ${notes.join(", ")}` : "") +
      ` -> ${desired} instance(s)`
  }
}
