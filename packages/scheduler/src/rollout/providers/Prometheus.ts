/**
 * The Prometheus provider: an instant query (`/api/v1/query`) or a range query (`/api/v1/query_range`)
 * against Prometheus' HTTP API, with Argo's result shapes.
 *
 * - a vector gives an array of the sample values (`result[0]`), a scalar or a string its value, a matrix
 *   (range query) an array of series, each an array of values;
 * - `NaN`, `+Inf` and `-Inf` come back as numbers, so `isNaN(result[0])` works;
 * - an empty vector is `[]`: `result[0]` is then an expression error (the measurement is `Error`), as in
 *   Argo; write `len(result) == 0 || result[0] < 0.1` to accept no data;
 * - a non-2xx answer or `status: "error"` fails the measurement with Prometheus' `error` text.
 *
 * @since 0.1.0
 */
import { Clock, Effect } from "effect"
import type { PrometheusSpec } from "../AnalysisTemplate.js"
import { ProviderError } from "../RolloutError.js"
import { request } from "./http.js"

/**
 * Runs the query of `spec` for `metric` and returns the value conditions see as `result`.
 *
 * @since 0.1.0
 * @category providers
 */
export const measure = (spec: PrometheusSpec, metric: string): Effect.Effect<unknown, ProviderError> =>
  Effect.gen(function* () {
    const fail = (reason: string) => new ProviderError({ provider: "prometheus", metric, reason })
    const base = spec.address.replace(/\/+$/, "")
    let url: string
    if (spec.range === undefined) {
      url = `${base}/api/v1/query?${new URLSearchParams({ query: spec.query })}`
    } else {
      const now = yield* Clock.currentTimeMillis
      const params = new URLSearchParams({
        query: spec.query,
        start: String((now - spec.range.startAgoMs) / 1000),
        end: String((now - spec.range.endAgoMs) / 1000),
        step: String(spec.range.stepMs / 1000)
      })
      url = `${base}/api/v1/query_range?${params}`
    }
    const answer = yield* request({
      provider: "prometheus",
      metric,
      url,
      method: "GET",
      headers: spec.headers,
      timeoutMs: spec.timeoutMs
    })
    let body: unknown
    try {
      body = JSON.parse(answer.text)
    } catch {
      return yield* fail(`answer (HTTP ${answer.status}) is not JSON: ${answer.text.slice(0, 200)}`)
    }
    const parsed = body as { status?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } }
    if (answer.status < 200 || answer.status >= 300 || parsed.status !== "success") {
      const reason = typeof parsed.error === "string" ? parsed.error : `status ${String(parsed.status)}`
      return yield* fail(`query failed (HTTP ${answer.status}): ${reason}`)
    }
    const result = parsed.data?.result
    switch (parsed.data?.resultType) {
      case "vector":
        return asArray(result).map((sample) => sampleValue((sample as { value?: unknown }).value))
      case "matrix":
        return asArray(result).map((series) => asArray((series as { values?: unknown }).values).map(sampleValue))
      case "scalar":
        return sampleValue(result)
      case "string":
        return Array.isArray(result) ? String(result[1]) : String(result)
      default:
        return yield* fail(`unexpected resultType ${JSON.stringify(parsed.data?.resultType)}`)
    }
  })

const asArray = (v: unknown): ReadonlyArray<unknown> => (Array.isArray(v) ? v : [])

/** A `[timestamp, "value"]` pair's value as a number (`NaN`, `+Inf`, `-Inf` included). */
const sampleValue = (pair: unknown): number => {
  const text = Array.isArray(pair) ? String(pair[1]) : String(pair)
  if (text === "+Inf" || text === "Inf") return Infinity
  if (text === "-Inf") return -Infinity
  return Number(text)
}
