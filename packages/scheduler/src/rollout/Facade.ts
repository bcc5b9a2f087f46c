/**
 * The Promise facade of the rollout analyzer, for code that does not use Effect.
 *
 * ```ts
 * import { judge, runAnalysis } from "@orchestrator/scheduler/rollout"
 *
 * const verdict = judge({ metrics: [{ name: "latency", control, experiment, direction: "increase" }] })
 * const run = await runAnalysis({
 *   template: "metrics:\n- name: errors\n  successCondition: result < 0.01\n  provider:\n    function:\n      name: errorRate\n",
 *   functions: { errorRate: async () => 0.002 }
 * })
 * run.phase // "Successful"
 * ```
 *
 * Promises reject only with the library's typed errors (`TemplateError` for a bad template, `EndpointError`
 * when the port is taken, `CanaryStateError` / `WeightError` for canary commands).
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, Scope } from "effect"
import * as Analysis from "./Analysis.js"
import type { RunState } from "./AnalysisState.js"
import * as AnalysisTemplate from "./AnalysisTemplate.js"
import * as ArgoRollout from "./ArgoRollout.js"
import * as Canary from "./Canary.js"
import * as Endpoint from "./Endpoint.js"
import * as Judge from "./Judge.js"
import type { ProviderOptions } from "./providers/index.js"
import { type TemplateError, WeightError } from "./RolloutError.js"

/**
 * An analysis to run: a template (Argo YAML text, a template object, or parsed templates) and its args.
 *
 * @since 0.1.0
 * @category models
 */
export interface AnalysisInput extends AnalysisTemplate.ResolveOptions {
  readonly template: string | object | ReadonlyArray<AnalysisTemplate.Template>
}

/**
 * Options of {@link runAnalysis} and {@link startAnalysis}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunAnalysisOptions extends AnalysisInput, ProviderOptions {
  readonly onUpdate?: (state: RunState) => void
}

/**
 * Judges control and experiment samples (see `Judge.judge`); synchronous and never throws.
 *
 * @since 0.1.0
 * @category facade
 */
export const judge = (request: Judge.JudgeRequest): Judge.Judgement => Judge.judge(request)

const run = async <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  throw Cause.squash(exit.cause)
}

/**
 * Parses and resolves an analysis input into a run spec.
 *
 * @since 0.1.0
 * @category facade
 */
export const resolveAnalysis = (input: AnalysisInput): Effect.Effect<AnalysisTemplate.RunSpec, TemplateError> => {
  const { template } = input
  const templates =
    typeof template === "string"
      ? AnalysisTemplate.parseYaml(template)
      : Array.isArray(template)
        ? Effect.succeed(template as ReadonlyArray<AnalysisTemplate.Template>)
        : Effect.map(AnalysisTemplate.fromObject(template), (t) => [t])
  return Effect.flatMap(templates, (list) => AnalysisTemplate.resolve(list, input))
}

/**
 * Runs an analysis to its end; resolves with the final state, rejects with a `TemplateError`.
 *
 * @since 0.1.0
 * @category facade
 */
export const runAnalysis = (options: RunAnalysisOptions): Promise<RunState> =>
  run(Effect.flatMap(resolveAnalysis(options), (spec) => Analysis.run(spec, options)))

/**
 * A running analysis.
 *
 * @since 0.1.0
 * @category models
 */
export interface AnalysisController {
  readonly state: () => Promise<RunState>
  /** Terminates the run (open-ended metrics end Successful) and resolves with the final state. */
  readonly terminate: () => Promise<RunState>
  readonly done: Promise<RunState>
}

/**
 * Starts an analysis and returns its controls.
 *
 * @since 0.1.0
 * @category facade
 */
export const startAnalysis = async (options: RunAnalysisOptions): Promise<AnalysisController> => {
  const spec = await run(resolveAnalysis(options))
  const scope = await run(Scope.make())
  const handle = await run(Scope.provide(Analysis.start(spec, options), scope))
  const done = run(handle.await).finally(() => run(Scope.close(scope, Exit.void)))
  return {
    state: () => run(handle.state),
    terminate: async () => {
      await run(handle.terminate)
      return done
    },
    done
  }
}

/**
 * A canary step for the facade: analysis steps take an {@link AnalysisInput}.
 *
 * @since 0.1.0
 * @category models
 */
export type CanaryStepInput =
  | { readonly setWeight: number }
  | { readonly pause: { readonly durationMs?: number } }
  | { readonly analysis: AnalysisInput }

/**
 * A canary for the facade.
 *
 * @since 0.1.0
 * @category models
 */
export interface CanaryInput {
  readonly steps: ReadonlyArray<CanaryStepInput>
  readonly background?: AnalysisInput & { readonly startingStep?: number }
}

/**
 * A running canary's controls.
 *
 * @since 0.1.0
 * @category models
 */
export interface CanaryController {
  readonly status: () => Promise<Canary.CanaryStatus>
  readonly promote: () => Promise<void>
  readonly promoteFull: () => Promise<void>
  readonly abort: () => Promise<void>
  readonly retry: () => Promise<void>
  readonly waitFor: (phases: ReadonlyArray<Canary.CanaryPhase>) => Promise<Canary.CanaryStatus>
  /** Stops the driver and its analyses (the weight stays where it is). */
  readonly stop: () => Promise<void>
}

/**
 * Starts a canary over a weight setter (`setWeight` may return a Promise; a rejection aborts the canary).
 *
 * @since 0.1.0
 * @category facade
 */
export const startCanary = async (
  input: CanaryInput,
  setter: { readonly setWeight: (weight: number) => unknown },
  options: Canary.CanaryOptions = {}
): Promise<CanaryController> => {
  const steps: Array<Canary.Step> = []
  for (const step of input.steps) {
    steps.push("analysis" in step ? { analysis: await run(resolveAnalysis(step.analysis)) } : step)
  }
  const background =
    input.background === undefined
      ? undefined
      : {
          spec: await run(resolveAnalysis(input.background)),
          ...(input.background.startingStep === undefined ? {} : { startingStep: input.background.startingStep })
        }
  return launchCanary(background === undefined ? { steps } : { steps, background }, setter, options)
}

/**
 * An Argo Rollouts `Rollout` and the analysis templates it names.
 *
 * @since 0.1.0
 * @category models
 */
export interface ArgoCanaryInput extends AnalysisTemplate.ResolveOptions {
  /** The Rollout (YAML text or object); its `spec.strategy.canary` is used. */
  readonly rollout: string | object
  /** The analysis templates (YAML text, possibly several documents, or parsed templates). */
  readonly templates: string | ReadonlyArray<AnalysisTemplate.Template>
}

/**
 * Starts a canary from an Argo `Rollout`'s canary strategy (see `ArgoRollout.canarySpec`).
 *
 * @since 0.1.0
 * @category facade
 */
export const startArgoCanary = async (
  input: ArgoCanaryInput,
  setter: { readonly setWeight: (weight: number) => unknown },
  options: Canary.CanaryOptions = {}
): Promise<CanaryController> => {
  const templates =
    typeof input.templates === "string" ? await run(AnalysisTemplate.parseYaml(input.templates)) : input.templates
  const spec = await run(ArgoRollout.canarySpec(input.rollout, { ...input, templates }))
  return launchCanary(spec, setter, options)
}

const launchCanary = async (
  spec: Canary.CanarySpec,
  setter: { readonly setWeight: (weight: number) => unknown },
  options: Canary.CanaryOptions
): Promise<CanaryController> => {
  const effectSetter: Canary.WeightSetter = {
    setWeight: (weight) =>
      Effect.tryPromise({
        try: async () => {
          await setter.setWeight(weight)
        },
        catch: (cause) => new WeightError({ weight, reason: cause instanceof Error ? cause.message : String(cause) })
      })
  }
  const scope = await run(Scope.make())
  const canary = await run(Scope.provide(Canary.start(spec, effectSetter, options), scope))
  return {
    status: () => run(canary.status),
    promote: () => run(canary.promote),
    promoteFull: () => run(canary.promoteFull),
    abort: () => run(canary.abort),
    retry: () => run(canary.retry),
    waitFor: (phases) => run(canary.awaitPhase(phases)),
    stop: () => run(Scope.close(scope, Exit.void))
  }
}

/**
 * Starts the HTTP endpoint (see `Endpoint`); `close()` stops it.
 *
 * @since 0.1.0
 * @category facade
 */
export const startEndpoint = async (
  options: Endpoint.EndpointOptions = {}
): Promise<Endpoint.RunningEndpoint & { readonly close: () => Promise<void> }> => {
  const scope = await run(Scope.make())
  try {
    const endpoint = await run(Scope.provide(Endpoint.start(options), scope))
    return { ...endpoint, close: () => run(Scope.close(scope, Exit.void)) }
  } catch (e) {
    await run(Scope.close(scope, Exit.void))
    throw e
  }
}
