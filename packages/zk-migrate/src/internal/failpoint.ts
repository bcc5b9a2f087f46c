/**
 * Failpoints for crash tests: with `ZK_MIGRATE_FAILPOINT=<name>` in the environment, the process stops at
 * that point (says so on stderr and waits), so a test can `kill -9` it at an exact step of a phase.
 * Without the variable a failpoint costs one environment lookup.
 *
 * @internal
 */
import { Effect } from "effect"

/** Waits forever when the environment names this failpoint. */
export const failpoint = (name: string): Effect.Effect<void> =>
  Effect.suspend(() =>
    process.env.ZK_MIGRATE_FAILPOINT === name
      ? Effect.sync(() => process.stderr.write(`failpoint ${name}: stopped\n`)).pipe(Effect.andThen(Effect.never))
      : Effect.void
  )
