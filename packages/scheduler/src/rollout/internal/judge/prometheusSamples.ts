/**
 * Samples for the judge read from Prometheus (internal): a judge request's metric may name a Prometheus and
 * two range queries instead of inline samples, so an Argo `web` metric can ask for a judgement of live data.
 */
import { Effect, Schema } from "effect"
import { validator } from "../schemaIssues.js"
import { parseDuration } from "../template/duration.js"
import * as Prometheus from "../../providers/Prometheus.js"
import type { ProviderError } from "../../RolloutError.js"

const isHttpUrl = (v: string) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol)
const isDuration = (v: string) => (parseDuration(v) ?? 0) > 0

/** A metric's Prometheus source: the two queries, how far back (default `10m`), at which step (default `30s`). */
export const PrometheusSource = Schema.Struct({
  address: Schema.String.check(Schema.makeFilter((v) => (isHttpUrl(v) ? undefined : "must be an http(s) URL"))),
  control: Schema.NonEmptyString,
  experiment: Schema.NonEmptyString,
  lookback: Schema.optionalKey(
    Schema.String.check(Schema.makeFilter((v) => (isDuration(v) ? undefined : 'must be a duration such as "10m"')))
  ),
  step: Schema.optionalKey(
    Schema.String.check(Schema.makeFilter((v) => (isDuration(v) ? undefined : 'must be a duration such as "30s"')))
  ),
  timeoutSeconds: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0)))
})

/** A decoded source. */
export type PrometheusSource = typeof PrometheusSource.Type

/** Checks a source; the decoded source or one line per bad field. */
export const validateSource: (
  value: unknown
) => { readonly value: PrometheusSource } | { readonly errors: Array<string> } = validator(PrometheusSource)

/** Runs both range queries and returns every value of every series, control first. */
export const fetchSamples = (
  metric: string,
  source: PrometheusSource
): Effect.Effect<{ readonly control: Array<number>; readonly experiment: Array<number> }, ProviderError> => {
  const range = {
    startAgoMs: parseDuration(source.lookback ?? "10m")!,
    endAgoMs: 0,
    stepMs: parseDuration(source.step ?? "30s")!
  }
  const query = (q: string) =>
    Effect.map(
      Prometheus.measure(
        {
          type: "prometheus",
          address: source.address,
          query: q,
          timeoutMs: (source.timeoutSeconds ?? 10) * 1000,
          headers: [],
          range
        },
        metric
      ),
      (result) => (Array.isArray(result) ? result.flat(2).filter((v): v is number => typeof v === "number") : [])
    )
  return Effect.map(
    Effect.all([query(source.control), query(source.experiment)], { concurrency: 2 }),
    ([control, experiment]) => ({
      control,
      experiment
    })
  )
}
