/**
 * The phases of measurements, metrics and analysis runs (Argo Rollouts' `AnalysisPhase`).
 *
 * @since 0.1.0
 */

/**
 * A phase. `Pending` and `Running` are not completed; the other four are.
 *
 * @since 0.1.0
 * @category models
 */
export type Phase = "Pending" | "Running" | "Successful" | "Inconclusive" | "Error" | "Failed"

/**
 * The phases from best to worst, as Argo's `analysisutil.IsWorse` orders them. Only completed phases are
 * ever compared (a run completes when every metric has), so the place of `Pending` and `Running` never
 * decides a run's phase.
 *
 * @since 0.1.0
 * @category constants
 */
export const order: ReadonlyArray<Phase> = ["Successful", "Running", "Pending", "Inconclusive", "Error", "Failed"]

/**
 * Whether `phase` is completed (Successful, Inconclusive, Error or Failed).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isCompleted = (phase: Phase): boolean => phase !== "Pending" && phase !== "Running"

/**
 * Whether `candidate` is worse than `current`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isWorse = (current: Phase, candidate: Phase): boolean => order.indexOf(candidate) > order.indexOf(current)

/**
 * The worst of some phases (`Successful` for none).
 *
 * @since 0.1.0
 * @category combinators
 */
export const worst = (phases: Iterable<Phase>): Phase => {
  let result: Phase = "Successful"
  for (const phase of phases) if (isWorse(result, phase)) result = phase
  return result
}
