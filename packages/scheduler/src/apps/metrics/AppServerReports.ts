/**
 * The probes' reports as an app server of `@orchestrator/core` holds them (the one `npm start` runs), read over
 * its REST API: the registered probes (`GET /api/v1/agents/list`) and the latest state of each
 * (`GET /api/v1/query/agents/:id/latest`), their `containers` topologies merged. This is how a master in another
 * process feeds the autoscaler with `ProbeReports.sources` (the example master's `--autoscale-app-server`).
 *
 * ```ts
 * const reports = yield* AppServerReports.make({ url: "http://127.0.0.1:8080", token: process.env.APP_TOKEN })
 * AppScheduler.layerMaster({ metricSources: ProbeReports.sources(reports) })
 * ```
 *
 * @since 0.1.0
 */
import { Report } from "@orchestrator/core"
import { Duration, Effect, Schema } from "effect"
import type { Reports } from "./ProbeReports.js"

/**
 * Where the app server is and how often to read it.
 *
 * @since 0.1.0
 * @category models
 */
export interface AppServerReportsOptions {
  /** The app server's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  /** Its `--token`, sent as `Authorization: Bearer`, when it has one. */
  readonly token?: string
  /** One read serves every metric source for this long (also a failed read); default 5,000 ms. */
  readonly maxAgeMs?: number
  /** A request that takes longer fails; default 5,000 ms. */
  readonly timeoutMs?: number
}

/**
 * The app server could not be read (unreachable, an error status, an answer that is not what it serves).
 *
 * @since 0.1.0
 * @category errors
 */
export class AppServerUnavailable extends Schema.TaggedError<AppServerUnavailable>()("AppServerUnavailable", {
  url: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `app server ${this.url} unavailable: ${this.reason}`
  }
}

const AgentList = Schema.Struct({ agents: Schema.Array(Schema.Struct({ agentId: Schema.String })) })
const Latest = Schema.Struct({
  topologies: Schema.Record(Schema.String, Schema.Struct({ nodes: Schema.Record(Schema.String, Schema.Unknown) }))
})
const decodeNode = Schema.decodeUnknownOption(Report.Node)

/**
 * An effect that reads the merged `containers` topology of every probe the app server knows, at most once per
 * `maxAgeMs`. A probe that has not reported yet is skipped, and so is a node that is not a valid report node.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: AppServerReportsOptions): Effect.Effect<Effect.Effect<Reports, AppServerUnavailable>> => {
  const base = options.url.replace(/\/+$/, "")
  const headers: Record<string, string> =
    options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }
  const timeoutMs = options.timeoutMs ?? 5_000
  const unavailable = (reason: string) => new AppServerUnavailable({ url: base, reason })
  /** The JSON of a GET, `undefined` on a 404. */
  const get = (path: string) =>
    Effect.tryPromise({
      try: async (signal) => {
        const response = await fetch(`${base}${path}`, {
          headers,
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
        })
        if (response.status === 404) {
          await response.body?.cancel()
          return undefined
        }
        if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`)
        return (await response.json()) as unknown
      },
      catch: (error) => unavailable(error instanceof Error ? error.message : String(error))
    })
  const decode =
    <S extends Schema.Top>(schema: S, path: string) =>
    (json: unknown) =>
      Schema.decodeUnknownEffect(schema)(json).pipe(
        Effect.mapError((error) => unavailable(`GET ${path}: not what an app server answers (${error.message})`))
      )
  const read = Effect.gen(function* () {
    const list = yield* get("/api/v1/agents/list").pipe(Effect.flatMap(decode(AgentList, "/api/v1/agents/list")))
    const latest = yield* Effect.forEach(
      list.agents,
      ({ agentId }) => get(`/api/v1/query/agents/${encodeURIComponent(agentId)}/latest`),
      { concurrency: 8 }
    )
    const nodes: Record<string, Report.Node> = {}
    for (const json of latest) {
      if (json === undefined) continue
      const state = yield* decode(Latest, "/api/v1/query/agents/:id/latest")(json)
      for (const [id, raw] of Object.entries(state.topologies.containers?.nodes ?? {})) {
        const node = decodeNode(raw)
        if (node._tag === "Some") nodes[id] = node.value
      }
    }
    return { topologies: { containers: { nodes } } } satisfies Reports
  })
  const maxAge = Duration.millis(options.maxAgeMs ?? 5_000)
  return Effect.cachedWithTTL(read, maxAge)
}
