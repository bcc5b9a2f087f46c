/**
 * Launch backoff (Marathon's `RateLimiter`): after consecutive failed launches of an app, the next launch waits
 * `backoffSeconds x backoffFactor^(failures - 1)`, at most `maxLaunchDelaySeconds`; so an app that keeps failing
 * to start is retried ever more slowly, and reported, instead of at full speed forever.
 *
 * @since 0.1.0
 */
import type { AppDefinition } from "../model/AppDefinition.js"

/**
 * The backoff settings of an app.
 *
 * @since 0.1.0
 * @category models
 */
export type BackoffSettings = Pick<AppDefinition, "backoffSeconds" | "backoffFactor" | "maxLaunchDelaySeconds">

/**
 * The delay in ms before the next launch after `consecutiveFailures` failed launches in a row: 0 without
 * failure, then `backoffSeconds x backoffFactor^(n - 1)` capped at `maxLaunchDelaySeconds` (defaults: 1 s,
 * x1.15, 300 s, so 1 s, 1.15 s, 1.32 s, ... reaching 300 s after 42 failures).
 *
 * @since 0.1.0
 * @category backoff
 */
export const launchDelayMs = (app: BackoffSettings, consecutiveFailures: number): number => {
  if (!(consecutiveFailures >= 1)) return 0
  const max = Math.max(0, app.maxLaunchDelaySeconds)
  const seconds =
    Math.max(0, app.backoffSeconds) * Math.max(1, app.backoffFactor) ** (Math.floor(consecutiveFailures) - 1)
  return Math.round(Math.min(Number.isFinite(seconds) ? seconds : max, max) * 1000)
}

/**
 * Where an app stands in its backoff (what `/v2/queue` shows): `delayMs` the current delay, `nextLaunchAt`
 * (ms epoch) when a launch may happen, `timeLeftMs` until then, `delayed` while that is in the future,
 * `overdue` once it has passed (or without failures) so a missing task only waits for a matching offer, and
 * `stuck` once the delay reached a non-zero `maxLaunchDelaySeconds` (the app keeps failing: report it).
 *
 * @since 0.1.0
 * @category models
 */
export interface BackoffState {
  readonly delayMs: number
  readonly nextLaunchAt: number
  readonly timeLeftMs: number
  readonly delayed: boolean
  readonly overdue: boolean
  readonly stuck: boolean
}

/**
 * The backoff state of an app with `failures` consecutive failed launches, the last at `lastFailureAt`
 * (ms epoch), seen at `now`.
 *
 * **Gotchas**: the caller owns the failure count: it adds one per task that fails or is lost before it became
 * healthy (running, when the app has no health checks), and resets it to 0 when a task of the app becomes
 * healthy or a new version is deployed (Marathon resets the delay on every deployment).
 *
 * @since 0.1.0
 * @category backoff
 */
export const backoffState = (
  app: BackoffSettings,
  failures: number,
  lastFailureAt: number | undefined,
  now: number
): BackoffState => {
  const delayMs = launchDelayMs(app, failures)
  const nextLaunchAt = delayMs === 0 || lastFailureAt === undefined ? now : lastFailureAt + delayMs
  const timeLeftMs = Math.max(0, nextLaunchAt - now)
  return {
    delayMs,
    nextLaunchAt,
    timeLeftMs,
    delayed: timeLeftMs > 0,
    overdue: timeLeftMs === 0,
    stuck: failures >= 1 && delayMs > 0 && delayMs >= Math.round(Math.max(0, app.maxLaunchDelaySeconds) * 1000)
  }
}
