/**
 * A task's health as the monitor tracks it, the events it emits, and the pure rules behind them (Marathon's):
 * a check's failures do not count while the task is within its grace period and that check never passed;
 * a success resets the count; `maxConsecutiveFailures` counted failures in a row (0: never) make the task
 * unhealthy, to be killed and replaced. A task is alive when every check's last counted result passed.
 *
 * @since 0.1.0
 */
import type { HealthCheck } from "../model/AppDefinition.js"
import type { CheckResult, ReadinessResult } from "./HealthTarget.js"

/**
 * A task's health: `alive` is `undefined` until every check has a counted result (or one failed);
 * `consecutiveFailures` is the largest count among its checks; `checks` and `readiness` hold the last result
 * of each check, in the order given to `watch` (`undefined`: not run yet); `perCheck` the record of each
 * health check (Marathon's per-check `healthCheckResults`).
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskHealth {
  readonly taskId: string
  readonly alive: boolean | undefined
  readonly ready: boolean
  readonly consecutiveFailures: number
  readonly firstHealthyAt?: number
  readonly lastSuccessAt?: number
  readonly lastFailureAt?: number
  readonly lastFailureCause?: string
  readonly checks: ReadonlyArray<CheckResult | undefined>
  readonly readiness: ReadonlyArray<ReadinessResult | undefined>
  readonly perCheck: ReadonlyArray<CheckState>
}

/**
 * What the monitor reports, each only on a change: `HealthChanged` when `alive` takes a new value (the first
 * verdict included), `ReadyChanged` when readiness does (the first `true` included), `ReadinessChecked` when
 * a readiness check's result differs from its last one (its status, message or preserved response), and
 * `Unhealthy` once per task when a check reached `maxConsecutiveFailures`: kill and replace it.
 *
 * @since 0.1.0
 * @category models
 */
export type HealthEvent =
  | { readonly _tag: "HealthChanged"; readonly taskId: string; readonly alive: boolean; readonly health: TaskHealth }
  | { readonly _tag: "ReadyChanged"; readonly taskId: string; readonly ready: boolean }
  | {
      readonly _tag: "ReadinessChecked"
      readonly taskId: string
      /** The last result of each readiness check (`undefined`: not run yet). */
      readonly results: ReadonlyArray<ReadinessResult | undefined>
    }
  | { readonly _tag: "Unhealthy"; readonly taskId: string; readonly reason: string }

/**
 * The running record of one health check of one task (constant size: no history).
 *
 * @since 0.1.0
 * @category models
 */
export interface CheckState {
  readonly last?: CheckResult
  /** The last counted result passed (`undefined`: none counted yet). */
  readonly alive?: boolean
  readonly consecutiveFailures: number
  readonly firstSuccessAt?: number
  readonly lastSuccessAt?: number
  readonly lastFailureAt?: number
  readonly lastFailureCause?: string
}

/**
 * A check that has not run yet.
 *
 * @since 0.1.0
 * @category constructors
 */
export const initialCheckState: CheckState = { consecutiveFailures: 0 }

/**
 * Whether a failure at `at` is ignored: the check never passed and the task started less than
 * `gracePeriodSeconds` before.
 *
 * @since 0.1.0
 * @category predicates
 */
export const inGracePeriod = (state: CheckState, check: HealthCheck, startedAt: number, at: number): boolean =>
  state.firstSuccessAt === undefined && at < startedAt + check.gracePeriodSeconds * 1000

/**
 * The check's record after `result`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const recordResult = (
  state: CheckState,
  check: HealthCheck,
  startedAt: number,
  result: CheckResult
): CheckState => {
  if (result.healthy) {
    return {
      ...state,
      last: result,
      alive: true,
      consecutiveFailures: 0,
      firstSuccessAt: state.firstSuccessAt ?? result.at,
      lastSuccessAt: result.at
    }
  }
  if (inGracePeriod(state, check, startedAt, result.at)) return { ...state, last: result }
  return {
    ...state,
    last: result,
    alive: false,
    consecutiveFailures: state.consecutiveFailures + 1,
    lastFailureAt: result.at,
    lastFailureCause: result.message
  }
}

/**
 * Whether the check's failures ask for the task to be killed.
 *
 * @since 0.1.0
 * @category predicates
 */
export const reachedMaxFailures = (state: CheckState, check: HealthCheck): boolean =>
  check.maxConsecutiveFailures > 0 && state.consecutiveFailures >= check.maxConsecutiveFailures

/**
 * A task is alive when all its checks are (no checks: alive), dead when one is not, else not known yet.
 *
 * @since 0.1.0
 * @category constructors
 */
export const aliveOf = (states: ReadonlyArray<CheckState>): boolean | undefined => {
  if (states.some((state) => state.alive === false)) return false
  return states.every((state) => state.alive === true) ? true : undefined
}

/**
 * A task is ready when every readiness check's last result is (no checks: ready at once).
 *
 * @since 0.1.0
 * @category constructors
 */
export const readyOf = (results: ReadonlyArray<ReadinessResult | undefined>): boolean =>
  results.every((result) => result?.ready === true)

const latest = (values: ReadonlyArray<number | undefined>): number | undefined =>
  values.reduce<number | undefined>(
    (max, v) => (v !== undefined && (max === undefined || v > max) ? v : max),
    undefined
  )

/**
 * The {@link TaskHealth} of a task from its checks' records.
 *
 * @since 0.1.0
 * @category constructors
 */
export const taskHealthOf = (input: {
  readonly taskId: string
  readonly checks: ReadonlyArray<CheckState>
  readonly readiness: ReadonlyArray<ReadinessResult | undefined>
  readonly firstHealthyAt: number | undefined
}): TaskHealth => {
  const lastSuccessAt = latest(input.checks.map((state) => state.lastSuccessAt))
  const lastFailureAt = latest(input.checks.map((state) => state.lastFailureAt))
  const lastFailureCause = input.checks.find(
    (state) => lastFailureAt !== undefined && state.lastFailureAt === lastFailureAt
  )?.lastFailureCause
  return {
    taskId: input.taskId,
    alive: aliveOf(input.checks),
    ready: readyOf(input.readiness),
    consecutiveFailures: Math.max(0, ...input.checks.map((state) => state.consecutiveFailures)),
    ...(input.firstHealthyAt === undefined ? {} : { firstHealthyAt: input.firstHealthyAt }),
    ...(lastSuccessAt === undefined ? {} : { lastSuccessAt }),
    ...(lastFailureAt === undefined ? {} : { lastFailureAt }),
    ...(lastFailureCause === undefined ? {} : { lastFailureCause }),
    checks: input.checks.map((state) => state.last),
    // copies: the monitor keeps updating its own arrays, a snapshot must not change
    readiness: [...input.readiness],
    perCheck: [...input.checks]
  }
}
