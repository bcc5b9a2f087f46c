/**
 * Running an analysis: the {@link AnalysisState} machine driven by the `Clock`, with the providers at the
 * edge. Each round measures the metrics that are due (in parallel, each within its provider's timeout),
 * assesses the run, and sleeps until the next metric is due or a terminate request arrives.
 *
 * ```ts
 * const program = Effect.gen(function* () {
 *   const analyzer = yield* Analyzer
 *   const spec = yield* AnalysisTemplate.resolve(templates, { args: { service: "checkout" } })
 *   const final = yield* analyzer.run(spec)
 *   final.phase // "Successful" | "Failed" | "Error" | "Inconclusive"
 * }).pipe(Effect.provide(Analyzer.layer({ functions: { errorRate: () => 0.01 } })))
 * ```
 *
 * **Gotchas**: a run never throws: provider failures, timeouts and expression errors become `Error`
 * measurements (retried after 10 s, or the metric's interval when shorter). Secret values are redacted
 * from every measurement's value and message. Under a `TestClock` the whole run is deterministic.
 *
 * @since 0.1.0
 */
import { Cause, Clock, Context, Deferred, Effect, Layer, type Scope, type Stream, SubscriptionRef } from "effect"
import * as State from "./AnalysisState.js"
import type { Metric, RunSpec } from "./AnalysisTemplate.js"
import { redact } from "./internal/template/resolveArgs.js"
import { isCompleted } from "./Phase.js"
import { measure, type ProviderOptions } from "./providers/index.js"

/**
 * Options of a run: the providers' needs and a listener for every new state.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunOptions extends ProviderOptions {
  /** Called after every round with the new state (synchronously; keep it cheap). */
  readonly onUpdate?: (state: State.RunState) => void
}

/**
 * A run in progress.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunHandle {
  /** The current state. */
  readonly state: Effect.Effect<State.RunState>
  /** Asks the run to stop: open-ended metrics end `Successful`, no new measurements are taken. */
  readonly terminate: Effect.Effect<void>
  /** Waits for the final state. */
  readonly await: Effect.Effect<State.RunState>
  /** The current state, then every new one (ends never: take what you need, or interrupt). */
  readonly changes: Stream.Stream<State.RunState>
}

/**
 * Takes one measurement of `metric` and turns it into a completed {@link State.Measurement}.
 *
 * @since 0.1.0
 * @category running
 */
export const takeMeasurement = (
  metric: Metric,
  spec: RunSpec,
  options: ProviderOptions
): Effect.Effect<State.Measurement> =>
  Effect.gen(function* () {
    const startedAt = yield* Clock.currentTimeMillis
    const outcome = yield* Effect.match(measure(metric, spec.args, options), {
      onFailure: (error) => ({ phase: "Error" as const, message: error.message }),
      onSuccess: (value) => ({ ...State.measurementPhase(metric, value), value: State.formatValue(value) })
    })
    const finishedAt = yield* Clock.currentTimeMillis
    const clean = (text: string) => redact(text, spec.secrets)
    return {
      phase: outcome.phase,
      startedAt,
      finishedAt,
      ...("value" in outcome && outcome.value !== undefined ? { value: clean(outcome.value) } : {}),
      ...(outcome.message === undefined ? {} : { message: clean(outcome.message) })
    }
  })

/**
 * Starts a run in the current scope and returns its handle; the run stops with the scope.
 *
 * @since 0.1.0
 * @category running
 */
export const start = (spec: RunSpec, options: RunOptions = {}): Effect.Effect<RunHandle, never, Scope.Scope> =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const stateRef = yield* SubscriptionRef.make(State.initial(spec, now))
    const wake = yield* Deferred.make<void>()
    const done = yield* Deferred.make<State.RunState>()
    const round = Effect.gen(function* () {
      const at = yield* Clock.currentTimeMillis
      const due = State.dueMetrics(spec, yield* SubscriptionRef.get(stateRef), at)
      const measurements = yield* Effect.forEach(due, (metric) => takeMeasurement(metric, spec, options), {
        concurrency: "unbounded"
      })
      const next = yield* SubscriptionRef.updateAndGet(stateRef, (state) => {
        const results = state.results.map((result) => {
          const index = due.findIndex((m) => m.name === result.name)
          return index === -1 ? result : State.record(result, measurements[index]!, due[index]!.retention)
        })
        return State.assess(spec, { ...state, results })
      })
      options.onUpdate?.(next)
      return next
    })
    const loop = Effect.gen(function* () {
      for (;;) {
        const state = yield* round
        if (isCompleted(state.phase)) return state
        const dueAt = State.nextDueAt(spec, state)
        const now = yield* Clock.currentTimeMillis
        const sleep = dueAt === undefined ? Effect.never : Effect.sleep(Math.max(0, dueAt - now))
        yield* Effect.raceFirst(sleep, Deferred.await(wake))
      }
    })
    // A defect (a bug, or a provider value that breaks formatting) ends the run as Error instead of leaving
    // `await` waiting forever.
    const guarded = Effect.catchCause(loop, (cause) =>
      SubscriptionRef.updateAndGet(stateRef, (state) => ({
        ...state,
        phase: "Error" as const,
        message: redact(`analysis stopped: ${Cause.pretty(cause).split("\n")[0]}`, spec.secrets)
      }))
    )
    yield* Effect.forkScoped(Effect.flatMap(guarded, (final) => Deferred.succeed(done, final)))
    return {
      state: SubscriptionRef.get(stateRef),
      changes: SubscriptionRef.changes(stateRef),
      terminate: Effect.andThen(
        SubscriptionRef.update(stateRef, (state) => ({ ...state, terminate: true })),
        Deferred.succeed(wake, undefined)
      ),
      await: Deferred.await(done)
    }
  })

/**
 * Runs an analysis to its end and returns the final state.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (spec: RunSpec, options: RunOptions = {}): Effect.Effect<State.RunState> =>
  Effect.scoped(Effect.flatMap(start(spec, options), (handle) => handle.await))

/**
 * The analysis service: runs resolved specs with the providers given to its layer.
 *
 * @since 0.1.0
 * @category services
 */
export class Analyzer extends Context.Service<
  Analyzer,
  {
    readonly run: (spec: RunSpec, onUpdate?: (state: State.RunState) => void) => Effect.Effect<State.RunState>
    readonly start: (
      spec: RunSpec,
      onUpdate?: (state: State.RunState) => void
    ) => Effect.Effect<RunHandle, never, Scope.Scope>
  }
>()("@orchestrator/scheduler/rollout/Analyzer") {
  /**
   * An analyzer whose runs use `options` (registered functions, the time-series store).
   *
   * @since 0.1.0
   * @category layers
   */
  static layer(options: ProviderOptions = {}): Layer.Layer<Analyzer> {
    const withUpdate = (onUpdate: ((state: State.RunState) => void) | undefined): RunOptions =>
      onUpdate === undefined ? options : { ...options, onUpdate }
    return Layer.succeed(Analyzer)({
      run: (spec, onUpdate) => run(spec, withUpdate(onUpdate)),
      start: (spec, onUpdate) => start(spec, withUpdate(onUpdate))
    })
  }
}
