/**
 * The function provider: a measurement computed by a function the library user registers by name
 * (`provider: { function: { name: "errorRate" } }`). It may return a value or a Promise; a throw, a
 * rejection or a timeout (default 30 s, `timeoutSeconds`) is an `Error` measurement.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { FunctionProviderSpec } from "../AnalysisTemplate.js"
import { ProviderError } from "../RolloutError.js"

/**
 * What a metric function receives.
 *
 * @since 0.1.0
 * @category models
 */
export interface FunctionContext {
  /** The metric's name. */
  readonly metric: string
  /** The run's resolved arguments. */
  readonly args: Readonly<Record<string, string>>
  /** Aborted when the measurement times out or the run stops. */
  readonly signal: AbortSignal
}

/**
 * A measurement function: returns the value conditions see as `result`.
 *
 * @since 0.1.0
 * @category models
 */
export type MetricFunction = (context: FunctionContext) => unknown

/**
 * Calls the function `spec.name` of `functions`.
 *
 * @since 0.1.0
 * @category providers
 */
export const measure = (
  functions: Readonly<Record<string, MetricFunction>>,
  spec: FunctionProviderSpec,
  metric: string,
  args: Readonly<Record<string, string>>
): Effect.Effect<unknown, ProviderError> => {
  const fail = (reason: string) => new ProviderError({ provider: "function", metric, reason })
  const fn = Object.hasOwn(functions, spec.name) ? functions[spec.name] : undefined
  if (fn === undefined) {
    const known = Object.keys(functions)
    return Effect.fail(
      fail(`no function "${spec.name}" is registered (registered: ${known.length === 0 ? "none" : known.join(", ")})`)
    )
  }
  const call = Effect.tryPromise({
    try: async (signal) => await fn({ metric, args, signal }),
    catch: (cause) => fail(cause instanceof Error ? cause.message : String(cause))
  })
  return Effect.timeoutOrElse(call, {
    duration: spec.timeoutMs,
    orElse: () => Effect.fail(fail(`no answer within ${spec.timeoutMs} ms`))
  })
}
