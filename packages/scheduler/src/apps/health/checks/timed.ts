/**
 * Turning a check's verdict into a {@link CheckResult}: when it ended and how long it took.
 *
 * @since 0.1.0
 */
import { Clock, Effect } from "effect"
import type { CheckResult } from "../HealthTarget.js"

/**
 * A verdict without its timing.
 *
 * @since 0.1.0
 * @category models
 */
export interface Verdict {
  readonly healthy: boolean
  readonly message: string
}

/**
 * Runs `verdict` and stamps it with its duration and end time (from the `Clock`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const timed = (verdict: Effect.Effect<Verdict>): Effect.Effect<CheckResult> =>
  Effect.gen(function* () {
    const startedAt = yield* Clock.currentTimeMillis
    const { healthy, message } = yield* verdict
    const at = yield* Clock.currentTimeMillis
    return { healthy, message, durationMs: at - startedAt, at }
  })
