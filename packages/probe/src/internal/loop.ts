import { Cause, Duration, Effect } from "effect"

/**
 * Runs `body` again and again until interrupted. A failure or defect of one round is logged and the loop goes
 * on after `pauseMs`, so a bug in one round never stops a long-lived loop; interruption ends it.
 */
export const forever = <E, R>(
  name: string,
  body: Effect.Effect<void, E, R>,
  pauseMs = 1_000
): Effect.Effect<never, never, R> =>
  Effect.gen(function* () {
    while (true) {
      yield* body.pipe(
        Effect.catchCause((cause) =>
          Cause.hasInterruptsOnly(cause)
            ? Effect.failCause(cause as Cause.Cause<never>)
            : Effect.logWarning(`probe ${name} loop error`, cause).pipe(
                Effect.andThen(Effect.sleep(Duration.millis(pauseMs)))
              )
        )
      )
    }
  })
