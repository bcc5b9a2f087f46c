/**
 * A canary driver with Argo Rollouts' canary-step semantics, over any traffic-weight setter.
 *
 * Steps: `setWeight` (send that percentage of traffic to the canary), `pause` (for a duration, or until
 * promoted), `analysis` (an inline analysis run: `Successful` goes on, `Failed`/`Error` abort,
 * `Inconclusive` pauses until promoted). A background analysis may run from `startingStep` to the end; it
 * aborts the canary when it fails and pauses it when it is inconclusive, and is terminated (open-ended
 * metrics end `Successful`) when the last step is done. After the last step the weight goes to 100 and the
 * canary is `Healthy`. Commands: `promote` (skip the current pause or analysis, or leave an inconclusive
 * pause), `promoteFull` (weight 100 now, skipping the rest), `abort` (weight 0, `Degraded`), `retry` (start
 * again from the first step after an abort).
 *
 * ```ts
 * const canary = yield* Canary.start({ steps: [{ setWeight: 20 }, { pause: { durationMs: 60_000 } }, { analysis: spec }] }, setter)
 * yield* canary.awaitPhase(["Healthy", "Degraded"])
 * ```
 *
 * @since 0.1.0
 */
import { Deferred, Effect, Exit, Fiber, Ref, Scope, Semaphore } from "effect"
import * as Analysis from "./Analysis.js"
import type { RunSpec } from "./AnalysisTemplate.js"
import type { Phase } from "./Phase.js"
import type { ProviderOptions } from "./providers/index.js"
import { CanaryStateError, type WeightError } from "./RolloutError.js"

/**
 * Sets the share of traffic (0-100) the canary gets. A load balancer implements it; tests record weights.
 *
 * @since 0.1.0
 * @category models
 */
export interface WeightSetter {
  readonly setWeight: (weight: number) => Effect.Effect<void, WeightError>
}

/**
 * One canary step.
 *
 * @since 0.1.0
 * @category models
 */
export type Step =
  | { readonly setWeight: number }
  | { readonly pause: { readonly durationMs?: number } }
  | { readonly analysis: RunSpec }

/**
 * The canary: its steps and an optional background analysis.
 *
 * @since 0.1.0
 * @category models
 */
export interface CanarySpec {
  readonly steps: ReadonlyArray<Step>
  readonly background?: { readonly spec: RunSpec; readonly startingStep?: number }
}

/**
 * `Progressing` while steps run, `Paused` at a pause or after an inconclusive analysis, `Healthy` when
 * fully promoted, `Degraded` after an abort.
 *
 * @since 0.1.0
 * @category models
 */
export type CanaryPhase = "Progressing" | "Paused" | "Healthy" | "Degraded"

/**
 * The result of an analysis the canary ran.
 *
 * @since 0.1.0
 * @category models
 */
export interface AnalysisRecord {
  readonly kind: "step" | "background"
  readonly step: number
  readonly phase: Phase
  readonly message?: string
}

/**
 * Where the canary is.
 *
 * @since 0.1.0
 * @category models
 */
export interface CanaryStatus {
  readonly phase: CanaryPhase
  /** The current step (the number of steps once done). */
  readonly stepIndex: number
  readonly weight: number
  readonly pauseReason?: "CanaryPauseStep" | "InconclusiveAnalysis"
  readonly message?: string
  readonly analyses: ReadonlyArray<AnalysisRecord>
}

/**
 * A running canary.
 *
 * @since 0.1.0
 * @category models
 */
export interface Canary {
  readonly status: Effect.Effect<CanaryStatus>
  readonly promote: Effect.Effect<void, CanaryStateError>
  readonly promoteFull: Effect.Effect<void, CanaryStateError | WeightError>
  readonly abort: Effect.Effect<void, CanaryStateError | WeightError>
  readonly retry: Effect.Effect<void, CanaryStateError>
  /** Waits until the canary is in one of `phases` and returns its status. */
  readonly awaitPhase: (phases: ReadonlyArray<CanaryPhase>) => Effect.Effect<CanaryStatus>
}

/**
 * Options of a canary: the providers' needs and a listener for status changes.
 *
 * @since 0.1.0
 * @category models
 */
export interface CanaryOptions extends ProviderOptions {
  readonly onChange?: (status: CanaryStatus) => void
}

type Waiter = { readonly phases: ReadonlyArray<CanaryPhase>; readonly deferred: Deferred.Deferred<CanaryStatus> }

/**
 * Starts a canary in the current scope (it stops with the scope) and returns its controls.
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (
  spec: CanarySpec,
  setter: WeightSetter,
  options: CanaryOptions = {}
): Effect.Effect<Canary, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const mutex = yield* Semaphore.make(1)
    const statusRef = yield* Ref.make<CanaryStatus>({ phase: "Progressing", stepIndex: 0, weight: 0, analyses: [] })
    const waiters = yield* Ref.make<ReadonlyArray<Waiter>>([])
    const promoted = yield* Ref.make(yield* Deferred.make<void>())
    const stepping = yield* Ref.make<Fiber.Fiber<void> | undefined>(undefined)
    const background = yield* Ref.make<{ scope: Scope.Closeable; handle: Analysis.RunHandle } | undefined>(undefined)

    const setStatus = (f: (s: CanaryStatus) => CanaryStatus) =>
      Effect.gen(function* () {
        const next = yield* Ref.updateAndGet(statusRef, f)
        options.onChange?.(next)
        const all = yield* Ref.get(waiters)
        const ready = all.filter((w) => w.phases.includes(next.phase))
        if (ready.length > 0) {
          yield* Ref.set(
            waiters,
            all.filter((w) => !ready.includes(w))
          )
          for (const w of ready) yield* Deferred.succeed(w.deferred, next)
        }
      })
    const withoutPause = ({ pauseReason: _r, ...s }: CanaryStatus): CanaryStatus => s
    const record = (entry: AnalysisRecord) => setStatus((s) => ({ ...s, analyses: [...s.analyses, entry] }))
    const applyWeight = (weight: number) =>
      Effect.andThen(
        setter.setWeight(weight),
        setStatus((s) => ({ ...s, weight }))
      )
    const freshPromotion = Effect.flatMap(Deferred.make<void>(), (d) => Effect.as(Ref.set(promoted, d), d))

    const stopBackground = (terminate: boolean) =>
      Effect.gen(function* () {
        const current = yield* Ref.get(background)
        if (current === undefined) return
        yield* Ref.set(background, undefined)
        if (terminate) {
          yield* current.handle.terminate
          const final = yield* current.handle.await
          yield* record({
            kind: "background",
            step: (yield* Ref.get(statusRef)).stepIndex,
            phase: final.phase,
            ...msg(final.message)
          })
        }
        yield* Scope.close(current.scope, Exit.void)
      })

    const interruptStepping = Effect.gen(function* () {
      const fiber = yield* Ref.getAndSet(stepping, undefined)
      if (fiber !== undefined) yield* Fiber.interrupt(fiber)
    })

    /** Abort: weight 0, analyses stopped, Degraded. The caller holds the mutex. */
    const abortCore = (message: string, interrupt: boolean) =>
      Effect.gen(function* () {
        if (interrupt) yield* interruptStepping
        yield* stopBackground(false)
        const result = yield* Effect.exit(applyWeight(0))
        yield* setStatus((s) => ({
          ...withoutPause(s),
          phase: "Degraded",
          message: Exit.isFailure(result) ? `${message}; and setting weight 0 failed` : message
        }))
        return result
      })

    const waitForPromotion = Effect.flatMap(freshPromotion, Deferred.await)

    const startBackground = (index: number) =>
      Effect.gen(function* () {
        const bg = spec.background
        if (bg === undefined || (bg.startingStep ?? 0) !== index || (yield* Ref.get(background)) !== undefined) return
        const bgScope = yield* Scope.make()
        const handle = yield* Scope.provide(Analysis.start(bg.spec, options), bgScope)
        yield* Ref.set(background, { scope: bgScope, handle })
        const watch = Effect.gen(function* () {
          const final = yield* handle.await
          if (final.phase === "Successful" || (yield* Ref.get(background))?.handle !== handle) return
          yield* mutex.withPermit(
            Effect.gen(function* () {
              if ((yield* Ref.get(background))?.handle !== handle) return
              yield* record({
                kind: "background",
                step: (yield* Ref.get(statusRef)).stepIndex,
                phase: final.phase,
                ...msg(final.message)
              })
              if (final.phase === "Inconclusive") {
                yield* interruptStepping
                yield* Ref.set(background, undefined)
                yield* setStatus((s) => ({
                  ...s,
                  phase: "Paused",
                  pauseReason: "InconclusiveAnalysis",
                  message: final.message ?? "background analysis inconclusive"
                }))
                const resume = yield* freshPromotion
                yield* Effect.forkIn(scope)(
                  Effect.andThen(
                    Deferred.await(resume),
                    mutex.withPermit(Effect.flatMap(Ref.get(statusRef), (s) => launch(s.stepIndex)))
                  )
                )
              } else {
                yield* Ref.set(background, undefined)
                yield* abortCore(`background analysis ${final.phase}: ${final.message ?? ""}`.trim(), true)
              }
            })
          )
        })
        yield* Effect.forkIn(scope)(watch)
      })

    const runSteps = (from: number): Effect.Effect<void> =>
      Effect.gen(function* () {
        for (let index = from; index < spec.steps.length; index++) {
          yield* setStatus((s) => ({ ...withoutPause(s), phase: "Progressing", stepIndex: index }))
          yield* startBackground(index)
          const step = spec.steps[index]!
          if ("setWeight" in step) {
            if (!(Number.isFinite(step.setWeight) && step.setWeight >= 0 && step.setWeight <= 100)) {
              yield* mutex.withPermit(abortCore(`setWeight ${step.setWeight} is outside 0-100`, false))
              return
            }
            const result = yield* Effect.exit(applyWeight(step.setWeight))
            if (Exit.isFailure(result)) {
              yield* mutex.withPermit(abortCore(`setWeight ${step.setWeight} failed`, false))
              return
            }
          } else if ("pause" in step) {
            yield* setStatus((s) => ({ ...s, phase: "Paused", pauseReason: "CanaryPauseStep" }))
            const promotion = waitForPromotion
            yield* step.pause.durationMs === undefined
              ? promotion
              : Effect.raceFirst(promotion, Effect.sleep(step.pause.durationMs))
          } else {
            const outcome = yield* Effect.scoped(
              Effect.gen(function* () {
                const promotion = yield* freshPromotion
                const handle = yield* Analysis.start(step.analysis, options)
                return yield* Effect.raceFirst(
                  Effect.map(handle.await, (final) => ({ skipped: false as const, final })),
                  Effect.as(Deferred.await(promotion), { skipped: true as const })
                )
              })
            )
            if (outcome.skipped) continue
            const { final } = outcome
            yield* record({ kind: "step", step: index, phase: final.phase, ...msg(final.message) })
            if (final.phase === "Failed" || final.phase === "Error") {
              yield* mutex.withPermit(
                abortCore(`analysis at step ${index} ${final.phase}: ${final.message ?? ""}`.trim(), false)
              )
              return
            }
            if (final.phase === "Inconclusive") {
              yield* setStatus((s) => ({
                ...s,
                phase: "Paused",
                pauseReason: "InconclusiveAnalysis",
                message: final.message ?? "analysis inconclusive"
              }))
              yield* waitForPromotion
            }
          }
        }
        yield* mutex.withPermit(complete(`all ${spec.steps.length} steps done`))
      })

    const complete = (message: string) =>
      Effect.gen(function* () {
        yield* stopBackground(true)
        yield* applyWeight(100)
        yield* setStatus((s) => ({ ...withoutPause(s), phase: "Healthy", stepIndex: spec.steps.length, message }))
      }).pipe(Effect.catch((error) => abortCore(`full promotion failed: ${error.message}`, false)))

    const launch = (from: number) =>
      Effect.gen(function* () {
        const fiber = yield* Effect.forkIn(scope)(runSteps(from))
        yield* Ref.set(stepping, fiber)
      })

    const requirePhase = (command: string, allowed: ReadonlyArray<CanaryPhase>) =>
      Effect.flatMap(Ref.get(statusRef), (s) =>
        allowed.includes(s.phase) ? Effect.succeed(s) : Effect.fail(new CanaryStateError({ command, phase: s.phase }))
      )

    yield* launch(0)
    return {
      status: Ref.get(statusRef),
      promote: mutex.withPermit(
        Effect.andThen(
          requirePhase("promote", ["Progressing", "Paused"]),
          Effect.flatMap(Ref.get(promoted), (d) => Deferred.succeed(d, undefined))
        )
      ),
      promoteFull: mutex.withPermit(
        Effect.gen(function* () {
          yield* requirePhase("promoteFull", ["Progressing", "Paused", "Degraded"])
          yield* interruptStepping
          yield* stopBackground(false)
          const result = yield* Effect.exit(applyWeight(100))
          if (Exit.isFailure(result)) {
            yield* abortCore("full promotion failed", false)
            return yield* result
          }
          yield* setStatus((s) => ({
            ...withoutPause(s),
            phase: "Healthy",
            stepIndex: spec.steps.length,
            message: "promoted fully"
          }))
        })
      ),
      abort: mutex.withPermit(
        Effect.gen(function* () {
          yield* requirePhase("abort", ["Progressing", "Paused"])
          const result = yield* abortCore("aborted by request", true)
          if (Exit.isFailure(result)) return yield* result
        })
      ),
      retry: mutex.withPermit(
        Effect.gen(function* () {
          yield* requirePhase("retry", ["Degraded"])
          yield* setStatus((s) => ({ ...withoutPause(s), phase: "Progressing", stepIndex: 0, message: "retrying" }))
          yield* launch(0)
        })
      ),
      awaitPhase: (phases) =>
        Effect.gen(function* () {
          const deferred = yield* Deferred.make<CanaryStatus>()
          yield* Ref.update(waiters, (all) => [...all, { phases, deferred }])
          const current = yield* Ref.get(statusRef)
          if (phases.includes(current.phase)) {
            yield* Ref.update(waiters, (all) => all.filter((w) => w.deferred !== deferred))
            return current
          }
          return yield* Deferred.await(deferred)
        })
    }
  })

const msg = (message: string | undefined): { message?: string } => (message === undefined ? {} : { message })
