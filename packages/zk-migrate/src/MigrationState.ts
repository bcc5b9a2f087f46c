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
export const enter = (state: MigrationState, phase: Phase, now = new Date()): MigrationState => ({
  ...state,
  phase,
  history: [...state.history, { phase, at: now.toISOString() }]
})
