/**
 * The persisted state of a migration (a JSON file), so that a crashed migration resumes where it stopped
 * and every CLI command knows the phase.
 *
 * @since 0.1.0
 */
import { readFile, rename, writeFile } from "node:fs/promises"
import { Effect, Schema } from "effect"
import { MigrationStateError } from "./Errors.js"

/**
 * The phases, in order; `rolledBack` can follow any of them.
 *
 * @since 0.1.0
 * @category models
 */
export const Phase = Schema.Literals(["planned", "copied", "syncing", "verified", "cutover", "finalized", "rolledBack"])

/**
 * @since 0.1.0
 * @category models
 */
export type Phase = typeof Phase.Type

const Endpoint = Schema.Struct({ connectString: Schema.String, path: Schema.String })

/**
 * An operation that was started and not yet recorded as done: what `resume` finishes after a crash.
 * `copy` keeps the copy's settings, so the resumed copy refuses and deletes exactly what the first one would.
 *
 * @since 0.1.0
 * @category models
 */
export const Pending = Schema.Struct({
  operation: Schema.Literals(["copy", "sync", "cutover", "rollback"]),
  at: Schema.String,
  copy: Schema.optional(
    Schema.Struct({ overwrite: Schema.Boolean, deleteExtra: Schema.Boolean, maxPaddingSteps: Schema.Int })
  )
})

/**
 * @since 0.1.0
 * @category models
 */
export type Pending = typeof Pending.Type

/**
 * The state file's content.
 *
 * @since 0.1.0
 * @category models
 */
export const MigrationState = Schema.Struct({
  version: Schema.Literal(1),
  source: Endpoint,
  target: Endpoint,
  mode: Schema.Literals(["one-way", "bidirectional"]),
  phase: Phase,
  direction: Schema.Literals(["forward", "reverse"]),
  history: Schema.Array(Schema.Struct({ phase: Phase, at: Schema.String })),
  pending: Schema.optional(Pending),
  lastVerify: Schema.optional(Schema.Struct({ equal: Schema.Boolean, differences: Schema.Int, at: Schema.String }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type MigrationState = typeof MigrationState.Type

const decode = Schema.decodeUnknownEffect(Schema.fromJsonString(MigrationState))

/**
 * Reads the state file; `undefined` when there is none yet.
 *
 * @since 0.1.0
 * @category constructors
 */
export const load = (file: string): Effect.Effect<MigrationState | undefined, MigrationStateError> =>
  Effect.tryPromise({
    try: () => readFile(file, "utf8"),
    catch: (cause) => cause
  }).pipe(
    Effect.matchEffect({
      onFailure: (cause) =>
        typeof cause === "object" && cause !== null && "code" in cause && cause.code === "ENOENT"
          ? Effect.succeed(undefined)
          : Effect.fail(new MigrationStateError({ reason: `cannot read ${file}: ${String(cause)}` })),
      onSuccess: (text) =>
        decode(text).pipe(
          Effect.mapError(
            (error) => new MigrationStateError({ reason: `${file} is not a migration state file: ${error.message}` })
          )
        )
    })
  )

/**
 * Writes the state file atomically (a temporary file renamed over it).
 *
 * @since 0.1.0
 * @category constructors
 */
export const save = (file: string, state: MigrationState): Effect.Effect<void, MigrationStateError> =>
  Effect.tryPromise({
    try: async () => {
      const temporary = `${file}.${process.pid}.tmp`
      await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`)
      await rename(temporary, file)
    },
    catch: (cause) => new MigrationStateError({ reason: `cannot write ${file}: ${String(cause)}` })
  })

/**
 * The state after entering `phase`.
 *
 * @since 0.1.0
 * @category utils
 */
export const enter = (state: MigrationState, phase: Phase, now = new Date()): MigrationState => {
  const { pending: _done, ...rest } = state
  return { ...rest, phase, history: [...state.history, { phase, at: now.toISOString() }] }
}

/**
 * The state with `operation` marked as started (cleared again by {@link enter}).
 *
 * @since 0.1.0
 * @category utils
 */
export const begin = (
  state: MigrationState,
  operation: Pending["operation"],
  copy?: Pending["copy"],
  now = new Date()
): MigrationState => ({
  ...state,
  pending: { operation, at: now.toISOString(), ...(copy === undefined ? {} : { copy }) }
})
