/**
 * The failure policy of one hook: after `maxConsecutiveFailures` failures in a row the hook is disabled for a
 * backoff period that doubles (by `backoffFactor`) every time it trips again, up to `backoffMaxMs`. When the
 * period ends the hook runs again; one more failure disables it again at once, a success resets everything.
 */
import type { HookHealth, HookKind } from "../../Plugin.js"

/** The settings of the failure policy. */
export interface FailurePolicy {
  readonly maxConsecutiveFailures: number
  readonly backoffInitialMs: number
  readonly backoffMaxMs: number
  readonly backoffFactor: number
}

/** The mutable state of one hook. */
export interface HookState {
  status: HookHealth["status"]
  message: string | undefined
  durationMs: number | undefined
  lastRun: number | undefined
  runs: number
  failures: number
  consecutiveFailures: number
  /** How many times the hook was disabled since its last success. */
  trips: number
  disabledUntil: number | undefined
}

/** A fresh state: the hook never ran. */
export const initialState = (): HookState => ({
  status: "idle",
  message: undefined,
  durationMs: undefined,
  lastRun: undefined,
  runs: 0,
  failures: 0,
  consecutiveFailures: 0,
  trips: 0,
  disabledUntil: undefined
})

/** Whether the hook is in its backoff period at `now`. */
export const isDisabled = (state: HookState, now: number): boolean =>
  state.disabledUntil !== undefined && now < state.disabledUntil

/** Records a run that produced a result; `problems` makes it `degraded`. */
export const recordSuccess = (state: HookState, now: number, durationMs: number, problems?: string): void => {
  state.runs++
  state.lastRun = now
  state.durationMs = durationMs
  state.consecutiveFailures = 0
  state.trips = 0
  state.disabledUntil = undefined
  state.status = problems === undefined ? "ok" : "degraded"
  state.message = problems
}

/** The backoff after the hook tripped `trips` times in a row. */
export const backoffMs = (policy: FailurePolicy, trips: number): number =>
  Math.min(policy.backoffInitialMs * policy.backoffFactor ** Math.max(0, trips - 1), policy.backoffMaxMs)

/**
 * Records a failed run. When `canDisable` and the hook failed too often, it is disabled; the returned value
 * says whether that happened on this failure.
 */
export const recordFailure = (
  state: HookState,
  policy: FailurePolicy,
  now: number,
  durationMs: number,
  message: string,
  canDisable: boolean
): boolean => {
  state.runs++
  state.failures++
  state.consecutiveFailures++
  state.lastRun = now
  state.durationMs = durationMs
  const trip = canDisable && (state.trips > 0 || state.consecutiveFailures >= policy.maxConsecutiveFailures)
  if (!trip) {
    state.status = "failed"
    state.message = message
    return false
  }
  state.trips++
  const until = now + backoffMs(policy, state.trips)
  state.disabledUntil = until
  state.status = "disabled"
  state.message = `disabled after ${state.consecutiveFailures} consecutive failures, retrying at ${new Date(until).toISOString()}; last error: ${message}`
  return true
}

/** The health entry of a hook. */
export const toHealth = (id: string, plugin: string, kind: HookKind, name: string, state: HookState): HookHealth => ({
  id,
  plugin,
  kind,
  name,
  status: state.status,
  ...(state.message !== undefined ? { message: state.message } : {}),
  ...(state.durationMs !== undefined ? { durationMs: state.durationMs } : {}),
  ...(state.lastRun !== undefined ? { lastRun: state.lastRun } : {}),
  runs: state.runs,
  failures: state.failures,
  consecutiveFailures: state.consecutiveFailures,
  ...(state.disabledUntil !== undefined ? { disabledUntil: state.disabledUntil } : {})
})
