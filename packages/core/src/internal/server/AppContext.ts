import type { StringInterner } from "../report/compact.js"
import type { Effect } from "effect"
import type { AgentRegistry } from "../../AgentRegistry.js"
import type { AggregatorShape, IngestResult } from "../../Aggregator.js"
import type { AppServerConfig } from "../../AppServerConfig.js"
import type { NodeDetails } from "../../NodeDetails.js"
import type { Report } from "../../Report.js"
import type { RenderedView, ViewFilters, ViewSummary } from "../../views/View.js"
import type { AppMetrics } from "./AppMetrics.js"
import type { Auth } from "./Auth.js"
import type { ClientHub } from "./ClientHub.js"
import type { ControlHub } from "./ControlHub.js"

/** Views as the routes use them. */
export interface ViewsFacade {
  summaries(): ReadonlyArray<ViewSummary>
  /** Throws an `HttpError` 404 for an unknown view. */
  render(view: string, filters: ViewFilters): RenderedView
  /** Details (panels) of one node, or undefined. */
  details(topology: string, id: string): Promise<NodeDetails | undefined>
  /** Throws an `HttpError` 400 for a bad query. */
  search(query: string, view: string | undefined, limit: number): ReadonlyArray<RenderedView["nodes"][number]>
}

/** Time series as the routes use them. */
export interface SeriesFacade {
  /** Series of one node's metrics (all when `metric` is omitted), JSON-ready. */
  node(nodeId: string, metric: string | undefined, from: number | undefined, to: number | undefined): unknown
  /** The agent's latest report summary and its per-agent series, or undefined. */
  agent(agentId: string): unknown
  stats(): Readonly<Record<string, number>>
}

/** Everything a route handler may use. */
export interface AppContext {
  readonly config: AppServerConfig
  readonly aggregator: AggregatorShape
  readonly agents: AgentRegistry
  readonly auth: Auth
  readonly controls: ControlHub
  readonly clients: ClientHub
  readonly metrics: AppMetrics
  readonly views: ViewsFacade
  readonly series: SeriesFacade
  /** Plugin health for stats. */
  readonly pluginHealth: () => unknown
  /** Applies a decoded report: the aggregator, the time-series store and the agent's last-report time. */
  readonly ingest: (report: Report, bytes: number) => Promise<IngestResult>
  /** Runs an Effect on the app's runtime. */
  readonly run: <A>(effect: Effect.Effect<A>) => Promise<A>
  /** Whether anonymous mutation is off because the app is exposed without a token. */
  readonly controlsLocked: boolean
  /** Shares equal strings across the reports the app parses (see internal/report/compact.ts). */
  readonly interner: StringInterner
  readonly startedAt: number
}
