/**
 * The judge's input as Schemas: the metrics with their control and experiment samples and settings. The
 * same Schema is the wire format of `POST /api/v1/judge`, so decoding is the validation, and every problem
 * names its field (`metrics[0].control: Expected array`).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { validator } from "./internal/schemaIssues.js"

/**
 * The most control × experiment pairs one metric may have (the test looks at every pairwise difference):
 * 4,000,000, e.g. 2,000 vs 2,000 samples.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxPairs = 4_000_000

const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * Which change of the metric is bad: `increase` (latency, errors), `decrease` (throughput) or `either`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Direction = Schema.Literals(["increase", "decrease", "either"])

/**
 * @since 0.1.0
 * @category models
 */
export type Direction = typeof Direction.Type

/**
 * The effect-size gate: a significant shift only counts when the effect is also large enough. `meanRatio`
 * is `mean(experiment) / mean(control)` (Kayenta's default, gates default 1.0 = off); `cles` is the
 * probability that an experiment value exceeds a control value (gates default 0.5 = off). A `High` needs
 * an effect at or above `allowedIncrease`, a `Low` at or below `allowedDecrease`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const EffectSize = Schema.Struct({
  measure: Schema.Literals(["meanRatio", "cles"]),
  allowedIncrease: Schema.optionalKey(Schema.Finite),
  allowedDecrease: Schema.optionalKey(Schema.Finite)
})

/**
 * @since 0.1.0
 * @category models
 */
export type EffectSize = typeof EffectSize.Type

/**
 * One metric to judge.
 *
 * - `group` (default `"default"`) groups metrics for scoring;
 * - `control`, `experiment`: the samples (`null` stands for NaN in JSON);
 * - `direction` (default `either`): which change is bad;
 * - `nanStrategy`: `remove` (default) or `replace` with `nanReplacement` (default 0);
 * - `removeOutliers`: drop values outside `[Q1 - k IQR, Q3 + k IQR]`, k = `outlierFactor` (default 3);
 * - `critical`: a failing critical metric fails the whole judgement; `mustHaveData`: no data fails;
 * - `tolerance` (default 0.25): the band around zero as a fraction of the shift estimate;
 * - `effectSize`: the gate above; `varianceCheck`: also compare the spread (see `Judge`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const MetricInput = Schema.Struct({
  name: Schema.NonEmptyString,
  group: Schema.optionalKey(Schema.String),
  control: Schema.Array(Schema.NullOr(Schema.Number)),
  experiment: Schema.Array(Schema.NullOr(Schema.Number)),
  direction: Schema.optionalKey(Direction),
  nanStrategy: Schema.optionalKey(Schema.Literals(["remove", "replace"])),
  nanReplacement: Schema.optionalKey(Schema.Finite),
  removeOutliers: Schema.optionalKey(Schema.Boolean),
  outlierFactor: Schema.optionalKey(NonNegative),
  critical: Schema.optionalKey(Schema.Boolean),
  mustHaveData: Schema.optionalKey(Schema.Boolean),
  tolerance: Schema.optionalKey(NonNegative),
  effectSize: Schema.optionalKey(EffectSize),
  varianceCheck: Schema.optionalKey(
    Schema.Union([
      Schema.Boolean,
      Schema.Struct({ maxSpreadRatio: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0))) })
    ])
  )
}).check(
  Schema.makeFilter((metric) => {
    const pairs = metric.control.length * metric.experiment.length
    return pairs <= maxPairs
      ? undefined
      : { path: [], issue: `control × experiment has ${pairs} pairs, more than ${maxPairs}` }
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type MetricInput = typeof MetricInput.Type

/**
 * Score thresholds (0-100): at or above `pass` is Successful, at or above `marginal` Inconclusive.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Thresholds = Schema.Struct({ pass: Schema.Finite, marginal: Schema.Finite }).check(
  Schema.makeFilter((t) =>
    t.marginal <= t.pass ? undefined : { path: ["marginal"], issue: "must not exceed thresholds.pass" }
  )
)

/**
 * A judge request: the metrics; `thresholds` (default pass 95, marginal 75); `groupWeights` (relative,
 * equal when absent; every group then needs one); `confLevel` of the shift's interval (default 0.98).
 *
 * @since 0.1.0
 * @category schemas
 */
export const JudgeRequest = Schema.Struct({
  metrics: Schema.Array(MetricInput),
  thresholds: Schema.optionalKey(Thresholds),
  groupWeights: Schema.optionalKey(Schema.Record(Schema.String, NonNegative)),
  confLevel: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0), Schema.isLessThan(1)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type JudgeRequest = typeof JudgeRequest.Type

/**
 * The settings of a judge request besides its metrics.
 *
 * @since 0.1.0
 * @category models
 */
export type JudgeOptions = Omit<JudgeRequest, "metrics">

const validate = validator(JudgeRequest)

/**
 * Checks an untrusted judge request against {@link JudgeRequest}; returns one line per problem naming the
 * field (`metrics[0].control: Expected array`). Empty when the request is valid.
 *
 * @since 0.1.0
 * @category validation
 */
export const validateRequest = (request: unknown): Array<string> => {
  const result = validate(request)
  return "errors" in result ? result.errors : []
}
