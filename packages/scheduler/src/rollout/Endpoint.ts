/**
 * An HTTP endpoint that runs a judgement or an analysis on request and answers JSON an Argo Rollouts `web`
 * metric reads with `jsonPath`, so Argo users can call the judge from their own `AnalysisTemplate`.
 *
 * | route | body / query | answer |
 * | --- | --- | --- |
 * | `POST /api/v1/judge` | a {@link Judge.JudgeRequest}: samples inline, or per metric `prometheus: { address, control, experiment, lookback?, step? }` (two range queries) | `{ result: { score, phase, classification, passed, reason }, groups, metrics }` |
 * | `GET /api/v1/judge` | `?control=1,2&experiment=3,4&direction=increase&name=latency` | same |
 * | `POST /api/v1/analysis` | `{ template: <YAML text or object>, args?: {..}, secretArgs?: {..} }` | `{ result: { phase, successful, message }, metrics }` |
 * | `GET /healthz` | | `{ ok: true }` |
 *
 * ```yaml
 * # in an Argo AnalysisTemplate
 * provider:
 *   web:
 *     url: http://judge.example:8080/api/v1/judge
 *     method: POST
 *     jsonBody: { metrics: [{ name: latency, control: [..], experiment: [..], direction: increase }] }
 *     jsonPath: "{$.result.score}"
 * successCondition: result >= 95
 * ```
 *
 * Bad input is a 400 whose `errors` name each bad field; bodies over `maxBodyBytes` (1 MiB) are a 413; an
 * analysis that runs longer than `maxAnalysisMs` (60 s) is terminated and answered with phase `Error`; more
 * than `maxConcurrentAnalyses` (16) analyses at once are a 503.
 *
 * @since 0.1.0
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { Context, Effect, Layer, Schema, type Scope } from "effect"
import * as Analysis from "./Analysis.js"
import type { RunState } from "./AnalysisState.js"
import * as AnalysisTemplate from "./AnalysisTemplate.js"
import * as Judge from "./Judge.js"
import { fetchSamples, type PrometheusSource, validateSource } from "./internal/judge/prometheusSamples.js"
import { validator } from "./internal/schemaIssues.js"
import type { ProviderOptions } from "./providers/index.js"
import { EndpointError } from "./RolloutError.js"

/**
 * Options of the endpoint.
 *
 * @since 0.1.0
 * @category models
 */
export interface EndpointOptions extends ProviderOptions {
  /** Default 0 (a free port). */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** Largest accepted body. Default 1 MiB. */
  readonly maxBodyBytes?: number
  /** Longest analysis run per request. Default 60,000 ms. */
  readonly maxAnalysisMs?: number
  /** Analyses running at once; more are answered 503. Default 16. */
  readonly maxConcurrentAnalyses?: number
}

/**
 * A listening endpoint.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningEndpoint {
  readonly url: string
  readonly port: number
}

type Answer = { readonly status: number; readonly body: unknown; readonly headers?: Record<string, string> }

class BodyTooLarge {
  constructor(readonly limit: number) {}
}

/**
 * The JSON answer of a judgement (what `POST /api/v1/judge` returns).
 *
 * @since 0.1.0
 * @category encoding
 */
export const judgementBody = (judgement: Judge.Judgement) => ({
  result: {
    score: judgement.score,
    phase: judgement.phase,
    classification: judgement.classification,
    passed: judgement.phase === "Successful",
    reason: judgement.reason
  },
  groups: judgement.groups,
  metrics: judgement.metrics.map((m) => ({ ...m, statistics: finite(m.statistics) }))
})

/**
 * The JSON answer of an analysis run (what `POST /api/v1/analysis` returns).
 *
 * @since 0.1.0
 * @category encoding
 */
export const analysisBody = (state: RunState) => ({
  result: { phase: state.phase, successful: state.phase === "Successful", message: state.message ?? "" },
  dryRunSummary: state.dryRunSummary,
  metrics: state.results.map((r) => ({
    name: r.name,
    phase: r.phase,
    dryRun: r.dryRun,
    message: r.message ?? "",
    count: r.count,
    successful: r.successful,
    failed: r.failed,
    inconclusive: r.inconclusive,
    error: r.error,
    measurements: r.measurements
  }))
})

/** JSON has no NaN or Infinity: they become strings ("NaN", "Infinity"), which jsonPath readers can test. */
const finite = (value: unknown): unknown => {
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value)
  if (Array.isArray(value)) return value.map(finite)
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, finite(v)]))
  }
  return value
}

const parseNumbers = (text: string | null): Array<number> | undefined => {
  if (text === null || text.trim() === "") return undefined
  const values = text.split(",").map((v) => (v.trim().toLowerCase() === "nan" ? NaN : Number(v)))
  return values.some((v, i) => Number.isNaN(v) && text.split(",")[i]!.trim().toLowerCase() !== "nan")
    ? undefined
    : values
}

/**
 * Replaces every metric's `prometheus` source with the samples it reads; a 400 naming the bad fields, or a
 * 502 when Prometheus fails.
 */
const withPrometheusSamples = (request: unknown): Effect.Effect<unknown | Answer> =>
  Effect.gen(function* () {
    const metrics = (request as { metrics?: unknown } | null)?.metrics
    if (!Array.isArray(metrics) || !metrics.some((m) => typeof m === "object" && m !== null && "prometheus" in m)) {
      return request
    }
    const errors = metrics.flatMap((m: Record<string, unknown>, i) => {
      if (typeof m !== "object" || m === null || !("prometheus" in m)) return []
      const checked = validateSource(m.prometheus)
      return "errors" in checked
        ? checked.errors.map((e) => `metrics[${i}].prometheus${e.startsWith("request") ? e.slice(7) : `.${e}`}`)
        : []
    })
    if (errors.length > 0) return { status: 400, body: { error: "invalid judge request", errors } } satisfies Answer
    const filled = yield* Effect.forEach(
      metrics as Array<Record<string, unknown>>,
      (m) => {
        if (typeof m !== "object" || m === null || !("prometheus" in m)) return Effect.succeed(m)
        const { prometheus, ...rest } = m
        return Effect.map(fetchSamples(String(m.name), prometheus as PrometheusSource), (samples) => ({
          ...rest,
          ...samples
        }))
      },
      { concurrency: 8 }
    ).pipe(Effect.result)
    if (filled._tag === "Failure") return { status: 502, body: { error: filled.failure.message } } satisfies Answer
    return { ...(request as object), metrics: filled.success }
  })

const isAnswer = (value: unknown): value is Answer =>
  typeof value === "object" && value !== null && "status" in value && "body" in value

const judgeAnswer = (request: unknown): Answer => {
  const errors = Judge.validateRequest(request)
  if (errors.length > 0) return { status: 400, body: { error: "invalid judge request", errors } }
  const judgement = Judge.judge(request as Judge.JudgeRequest)
  if (judgement.errors.length > 0)
    return { status: 400, body: { error: "invalid judge request", errors: judgement.errors } }
  return { status: 200, body: judgementBody(judgement) }
}

const judgeFromQuery = (query: URLSearchParams): Answer => {
  const control = parseNumbers(query.get("control"))
  const experiment = parseNumbers(query.get("experiment"))
  const errors: Array<string> = []
  if (control === undefined) errors.push("control: must be comma-separated numbers")
  if (experiment === undefined) errors.push("experiment: must be comma-separated numbers")
  if (errors.length > 0) return { status: 400, body: { error: "invalid judge request", errors } }
  const metric: Record<string, unknown> = { name: query.get("name") ?? "metric", control, experiment }
  for (const key of ["direction", "nanStrategy"]) if (query.has(key)) metric[key] = query.get(key)
  if (query.has("tolerance")) metric.tolerance = Number(query.get("tolerance"))
  return judgeAnswer({ metrics: [metric] })
}

/**
 * The body of `POST /api/v1/analysis`: a template (Argo YAML text, or an object) and its args.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AnalysisRequest = Schema.Struct({
  template: Schema.Union([Schema.String, Schema.Record(Schema.String, Schema.Unknown)]),
  args: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  secretArgs: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
})

const validateAnalysis = validator(AnalysisRequest)

const analysisAnswer = (request: unknown, options: EndpointOptions): Effect.Effect<Answer> =>
  Effect.gen(function* () {
    const decoded = validateAnalysis(request)
    if ("errors" in decoded) return { status: 400, body: { error: "invalid analysis request", errors: decoded.errors } }
    const { template, args = {}, secretArgs = {} } = decoded.value
    const templates =
      typeof template === "string"
        ? AnalysisTemplate.parseYaml(template)
        : Effect.map(AnalysisTemplate.fromObject(template), (t) => [t])
    const spec = yield* Effect.flatMap(templates, (list) => AnalysisTemplate.resolve(list, { args, secretArgs })).pipe(
      Effect.result
    )
    if (spec._tag === "Failure") {
      return { status: 400, body: { error: "invalid analysis request", errors: [spec.failure.message] } }
    }
    const limit = options.maxAnalysisMs ?? 60_000
    const state = yield* Effect.scoped(
      Effect.gen(function* () {
        const handle = yield* Analysis.start(spec.success, options)
        return yield* Effect.timeoutOrElse(handle.await, {
          duration: limit,
          orElse: () =>
            Effect.map(
              handle.state,
              (s): RunState => ({ ...s, phase: "Error", message: `analysis did not finish within ${limit} ms` })
            )
        })
      })
    )
    return { status: 200, body: analysisBody(state) }
  })

const readBody = (req: http.IncomingMessage, limit: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        reject(new BodyTooLarge(limit))
        req.removeAllListeners("data")
        req.resume()
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

const routes: Record<string, ReadonlyArray<string>> = {
  "/api/v1/judge": ["GET", "POST"],
  "/api/v1/analysis": ["POST"],
  "/healthz": ["GET"]
}

const handle = async (
  req: http.IncomingMessage,
  options: EndpointOptions,
  running: { count: number }
): Promise<Answer> => {
  const url = new URL(req.url ?? "/", "http://localhost")
  const allowed = routes[url.pathname]
  if (allowed === undefined) return { status: 404, body: { error: `no route ${url.pathname}` } }
  const method = req.method ?? "GET"
  if (!allowed.includes(method)) {
    return {
      status: 405,
      body: { error: `${method} is not allowed on ${url.pathname}` },
      headers: { Allow: allowed.join(", ") }
    }
  }
  if (url.pathname === "/healthz") return { status: 200, body: { ok: true } }
  if (method === "GET") return judgeFromQuery(url.searchParams)
  const limit = options.maxBodyBytes ?? 1024 * 1024
  let text: string
  try {
    text = await readBody(req, limit)
  } catch (e) {
    if (e instanceof BodyTooLarge) return { status: 413, body: { error: `body larger than ${e.limit} bytes` } }
    return { status: 400, body: { error: `cannot read body: ${String(e)}` } }
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return { status: 400, body: { error: `invalid JSON: ${e instanceof Error ? e.message : String(e)}` } }
  }
  if (url.pathname === "/api/v1/judge") {
    const filled = await Effect.runPromise(withPrometheusSamples(json))
    return isAnswer(filled) ? filled : judgeAnswer(filled)
  }
  const most = options.maxConcurrentAnalyses ?? 16
  if (running.count >= most)
    return { status: 503, body: { error: `${most} analyses are already running; retry later` } }
  running.count++
  try {
    return await Effect.runPromise(analysisAnswer(json, options))
  } finally {
    running.count--
  }
}

/**
 * Starts the endpoint in the current scope (it closes with the scope).
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (options: EndpointOptions = {}): Effect.Effect<RunningEndpoint, EndpointError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<RunningEndpoint & { readonly server: http.Server }, EndpointError>((resume) => {
      const running = { count: 0 }
      const server = http.createServer((req, res) => {
        handle(req, options, running)
          .catch((e: unknown): Answer => ({ status: 500, body: { error: String(e) } }))
          .then((answer) => {
            const body = JSON.stringify(answer.body)
            res.writeHead(answer.status, { "Content-Type": "application/json", ...answer.headers })
            res.end(body)
          })
      })
      server.once("error", (e) => resume(Effect.fail(new EndpointError({ reason: e.message }))))
      const host = options.host ?? "127.0.0.1"
      server.listen(options.port ?? 0, host, () => {
        const { port } = server.address() as AddressInfo
        const shown = host.includes(":") ? `[${host}]` : host
        resume(Effect.succeed({ server, port, url: `http://${shown}:${port}` }))
      })
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  ).pipe(Effect.map(({ url, port }) => ({ url, port })))

/**
 * The endpoint as a service, for hosts that assemble layers.
 *
 * @since 0.1.0
 * @category services
 */
export class Endpoint extends Context.Service<Endpoint, RunningEndpoint>()("@orchestrator/scheduler/rollout/Endpoint") {
  /**
   * A layer that listens while it is in use.
   *
   * @since 0.1.0
   * @category layers
   */
  static layer(options: EndpointOptions = {}): Layer.Layer<Endpoint, EndpointError> {
    return Layer.effect(Endpoint, start(options))
  }
}
