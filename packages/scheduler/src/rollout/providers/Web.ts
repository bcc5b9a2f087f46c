/**
 * The web provider: calls a URL (GET, POST or PUT, with headers and a body), reads the JSON answer and picks
 * the value with `jsonPath` (Argo's Kubernetes-style `{$.data.ok}`; the braces are optional). Without a
 * `jsonPath` the whole JSON document is the result. A non-2xx status, a timeout (default 10 s) or an
 * answer that is not JSON fails the measurement.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { JSONPath } from "jsonpath-plus"
import type { WebSpec } from "../AnalysisTemplate.js"
import { ProviderError } from "../RolloutError.js"
import { request } from "./http.js"

/**
 * Calls the URL of `spec` for `metric` and returns the value conditions see as `result`.
 *
 * @since 0.1.0
 * @category providers
 */
export const measure = (spec: WebSpec, metric: string): Effect.Effect<unknown, ProviderError> =>
  Effect.gen(function* () {
    const fail = (reason: string) => new ProviderError({ provider: "web", metric, reason })
    const answer = yield* request({
      provider: "web",
      metric,
      url: spec.url,
      method: spec.method,
      headers: spec.headers,
      timeoutMs: spec.timeoutMs,
      ...(spec.body === undefined ? {} : { body: spec.body })
    })
    if (answer.status < 200 || answer.status >= 300) {
      return yield* fail(`received non 2xx response code: ${answer.status}`)
    }
    let json: unknown
    try {
      json = JSON.parse(answer.text)
    } catch {
      return yield* fail(`the answer is not JSON: ${answer.text.slice(0, 200)}`)
    }
    if (spec.jsonPath === undefined) return json
    return yield* select(json, spec.jsonPath, fail)
  })

/**
 * Picks a value with a JSONPath (`{$.result.score}` or `$.result.score`): one match gives the value, several
 * an array; no match fails.
 *
 * @since 0.1.0
 * @category providers
 */
export const select = (
  json: unknown,
  path: string,
  fail: (reason: string) => ProviderError
): Effect.Effect<unknown, ProviderError> =>
  Effect.suspend(() => {
    const trimmed = path.trim()
    const expression = trimmed.startsWith("{") && trimmed.endsWith("}") ? trimmed.slice(1, -1).trim() : trimmed
    if (json === null || typeof json !== "object") {
      return expression === "$"
        ? Effect.succeed(json)
        : Effect.fail(fail(`cannot apply jsonPath ${path} to ${JSON.stringify(json)}`))
    }
    let matches: Array<unknown>
    try {
      matches = JSONPath({ path: expression, json, wrap: true, eval: false }) as Array<unknown>
    } catch (e) {
      return Effect.fail(fail(`invalid jsonPath ${path}: ${e instanceof Error ? e.message : String(e)}`))
    }
    if (matches.length === 0) return Effect.fail(fail(`jsonPath ${path} matched nothing`))
    return Effect.succeed(matches.length === 1 ? matches[0] : matches)
  })
