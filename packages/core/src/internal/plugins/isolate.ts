/**
 * Runs one hook call in isolation: whatever it returns (value, Promise, Effect) becomes an Effect that runs
 * on its own fiber, so a hook that ignores interruption (an uninterruptible effect, a promise that never
 * settles) cannot hold the caller past the timeout. On timeout the hook's `AbortSignal` is aborted and its
 * fiber interrupted in the background. Every outcome is returned as a value; nothing escapes.
 */
import { Cause, Clock, type Context, Effect, Exit, Fiber, Option, Predicate } from "effect"
import type { HookKind, PluginLogger } from "../../Plugin.js"

/** The parts of a hook context that the isolation layer provides. */
export interface IsolatedContext {
  readonly plugin: string
  readonly hook: string
  readonly now: number
  readonly signal: AbortSignal
  readonly logger: PluginLogger
}

/** What a hook run produced. */
export type Outcome =
  | { readonly _tag: "Success"; readonly value: unknown; readonly durationMs: number }
  | {
      readonly _tag: "Failure"
      readonly reason: "failed" | "timeout"
      readonly message: string
      readonly cause: unknown
      readonly durationMs: number
    }

/** What to run. */
export interface IsolatedRun {
  readonly plugin: string
  readonly kind: HookKind
  readonly name: string
  readonly id: string
  readonly timeoutMs: number
  readonly call: (ctx: IsolatedContext) => unknown
}

/** Normalises a hook's return value into an Effect. */
export const toEffect = (value: unknown): Effect.Effect<unknown, unknown> => {
  // Hooks are typed to need no services; an untyped one that does dies with a missing-service defect.
  if (Effect.isEffect(value)) return value as Effect.Effect<unknown, unknown>
  if (Predicate.isPromiseLike(value)) return Effect.tryPromise({ try: () => value, catch: (error) => error })
  return Effect.succeed(value)
}

/** A message for whatever a hook threw, rejected or failed with. */
export const errorMessage = (error: unknown): string => {
  if (error instanceof Error) return error.message === "" ? error.name : error.message
  if (typeof error === "string") return error
  if (Predicate.hasProperty(error, "message") && typeof error.message === "string") return error.message
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

/** Describes a failed hook's cause: the first failure or defect, or the interruption. */
const describeCause = (cause: Cause.Cause<unknown>): { readonly message: string; readonly error: unknown } => {
  for (const reason of cause.reasons) {
    if (Cause.isFailReason(reason)) return { message: errorMessage(reason.error), error: reason.error }
    if (Cause.isDieReason(reason)) return { message: errorMessage(reason.defect), error: reason.defect }
  }
  return { message: "interrupted", error: undefined }
}

/** The label of a hook in messages: `collector "containers" of plugin "docker"`. */
export const hookLabel = (kind: HookKind, name: string, plugin: string): string =>
  `${kind} "${name}" of plugin "${plugin}"`

const makeLogger = (services: Context.Context<never>, plugin: string, hook: string): PluginLogger => {
  const log =
    (level: (...message: ReadonlyArray<unknown>) => Effect.Effect<void>) =>
    (message: string, ...rest: ReadonlyArray<unknown>): void =>
      Effect.runSyncWith(services)(level(message, ...rest).pipe(Effect.annotateLogs({ plugin, hook })))
  return {
    debug: log(Effect.logDebug),
    info: log(Effect.logInfo),
    warn: log(Effect.logWarning),
    error: log(Effect.logError)
  }
}

/** Runs one hook call with a timeout, on its own fiber; never fails. */
export const runIsolated = Effect.fnUntraced(function* (run: IsolatedRun): Effect.fn.Return<Outcome> {
  const services = yield* Effect.context<never>()
  const clock = yield* Clock.Clock
  const start = clock.currentTimeMillisUnsafe()
  const controller = new AbortController()
  const ctx: IsolatedContext = {
    plugin: run.plugin,
    hook: run.name,
    now: start,
    signal: controller.signal,
    logger: makeLogger(services, run.plugin, run.id)
  }
  const fiber = yield* Effect.forkDetach(
    Effect.suspend(() => toEffect(run.call(ctx))).pipe(Effect.annotateLogs({ plugin: run.plugin, hook: run.id }))
  )
  const stop = (reason: string) => {
    controller.abort(new Error(reason))
    fiber.interruptUnsafe()
  }
  const exit = yield* Fiber.await(fiber).pipe(
    Effect.timeoutOption(run.timeoutMs),
    Effect.onInterrupt(() => Effect.sync(() => stop(`${hookLabel(run.kind, run.name, run.plugin)} was interrupted`)))
  )
  const durationMs = clock.currentTimeMillisUnsafe() - start
  const label = hookLabel(run.kind, run.name, run.plugin)
  if (Option.isNone(exit)) {
    const message = `${label} timed out after ${run.timeoutMs} ms`
    stop(message)
    return { _tag: "Failure", reason: "timeout", message, cause: undefined, durationMs }
  }
  if (Exit.isSuccess(exit.value)) return { _tag: "Success", value: exit.value.value, durationMs }
  const { error, message } = describeCause(exit.value.cause)
  return { _tag: "Failure", reason: "failed", message: `${label} failed: ${message}`, cause: error, durationMs }
})
