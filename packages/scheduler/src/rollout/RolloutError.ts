/**
 * The typed errors of the rollout analyzer. Every message names what was wrong; secret argument values are
 * redacted from messages before an error is built.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * A condition expression that does not parse or cannot be evaluated (`position` is the 0-based offset of
 * the offending token when parsing failed).
 *
 * @since 0.1.0
 * @category errors
 */
export class ExpressionError extends Data.TaggedError("ExpressionError")<{
  readonly expression: string
  readonly reason: string
  readonly position?: number
}> {
  override get message(): string {
    return this.position === undefined
      ? `${this.reason} (in "${this.expression}")`
      : `${this.reason} at position ${this.position} (in "${this.expression}")`
  }
}

/**
 * An invalid analysis template: `metric` (when the problem is in one) and `field` (a path such as
 * `provider.prometheus.query`) say where.
 *
 * @since 0.1.0
 * @category errors
 */
export class TemplateError extends Data.TaggedError("TemplateError")<{
  readonly metric?: string
  readonly field: string
  readonly reason: string
}> {
  override get message(): string {
    return this.metric === undefined
      ? `${this.field}: ${this.reason}`
      : `metric "${this.metric}": ${this.field}: ${this.reason}`
  }
}

/**
 * A metric provider could not take a measurement (unreachable, timed out, non-2xx, unparsable answer).
 * The measurement becomes an `Error` measurement, retried by the analysis.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProviderError extends Data.TaggedError("ProviderError")<{
  readonly provider: string
  readonly metric: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.provider} provider (metric "${this.metric}"): ${this.reason}`
  }
}

/**
 * The traffic-weight setter of a canary failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class WeightError extends Data.TaggedError("WeightError")<{
  readonly weight: number
  readonly reason: string
}> {
  override get message(): string {
    return `setting the canary weight to ${this.weight} failed: ${this.reason}`
  }
}

/**
 * A canary command that does not apply in the canary's current state (`retry` while it runs, `promote`
 * after it finished...).
 *
 * @since 0.1.0
 * @category errors
 */
export class CanaryStateError extends Data.TaggedError("CanaryStateError")<{
  readonly command: string
  readonly phase: string
}> {
  override get message(): string {
    return `cannot ${this.command} a canary that is ${this.phase}`
  }
}

/**
 * The endpoint could not listen (port in use, permission).
 *
 * @since 0.1.0
 * @category errors
 */
export class EndpointError extends Data.TaggedError("EndpointError")<{
  readonly reason: string
}> {
  override get message(): string {
    return `analysis endpoint: ${this.reason}`
  }
}
