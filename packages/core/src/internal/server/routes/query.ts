import { AgentLatestResponse, AgentSeriesResponse, NodeSeriesResponse, StatsResponse } from "./responses.js"
import { Schema } from "effect"
import { NodeDetails } from "../../../NodeDetails.js"
import { RenderedNode, RenderedView, ViewFilters, ViewSummary } from "../../../views/View.js"
import type { AppContext } from "../AppContext.js"
import { HttpError, sendJson } from "../HttpError.js"
import type { Route } from "../Router.js"
import { decodeValue } from "./decode.js"

const filterParams = [
  { name: "view", description: "View id (required), e.g. containers; see /api/v1/query/views" },
  { name: "status", description: "running | stopped | all" },
  { name: "kind", description: "application | system | all" },
  { name: "hideUnconnected", description: "true to hide nodes without edges" },
  { name: "hidePseudo", description: "true to hide pseudo nodes (The Internet, unknown peers)" },
  { name: "label", description: "key=value (repeatable; value * matches any)" },
  { name: "search", description: "a search query, e.g. `web cpu > 50%`" }
] as const

/** Reads view filters from query parameters; bad values answer 400 naming the parameter. */
export const filtersFromQuery = (url: URL): ViewFilters => {
  const q = url.searchParams
  const raw: Record<string, unknown> = {}
  for (const key of ["status", "kind", "search"] as const) {
    const value = q.get(key)
    if (value !== null && value !== "") raw[key] = value
  }
  for (const key of ["hideUnconnected", "hidePseudo"] as const) {
    const value = q.get(key)
    if (value === null) continue
    if (value !== "true" && value !== "false") {
      throw new HttpError(400, "bad_query", `query parameter ${key} must be true or false, got "${value}"`)
    }
    raw[key] = value === "true"
  }
  const labels = q.getAll("label")
  if (labels.length > 0) {
    const out: Record<string, string> = {}
    for (const label of labels) {
      const eq = label.search(/[=:]/)
      if (eq <= 0) throw new HttpError(400, "bad_query", `query parameter label must be key=value, got "${label}"`)
      out[label.slice(0, eq)] = label.slice(eq + 1)
    }
    raw.labels = out
  }
  try {
    return decodeValue(ViewFilters, raw)
  } catch (error) {
    throw new HttpError(400, "bad_query", (error as Error).message)
  }
}

const optionalNumber = (url: URL, name: string): number | undefined => {
  const value = url.searchParams.get(name)
  if (value === null || value === "") return undefined
  const n = Number(value)
  if (!Number.isFinite(n)) throw new HttpError(400, "bad_query", `query parameter ${name} must be a number`)
  return n
}

/** Views, nodes, search, time series, per-agent state and stats. */
export const queryRoutes = (app: AppContext): ReadonlyArray<Route> => [
  {
    method: "GET",
    path: "/api/v1/query/views",
    summary: "The views with data, each with its node count",
    tag: "query",
    responseSchema: Schema.Struct({ views: Schema.Array(ViewSummary) }),
    handle: ({ res }) => sendJson(res, 200, { views: app.views.summaries() })
  },
  {
    method: "GET",
    path: "/api/v1/query/topology",
    summary: "One rendered view (nodes and edges) with filters",
    tag: "query",
    query: filterParams,
    responseSchema: RenderedView,
    handle: ({ res, url }) => {
      const view = url.searchParams.get("view")
      if (view === null || view === "") {
        throw new HttpError(400, "bad_query", "query parameter view is required, e.g. ?view=containers", {
          views: app.views.summaries().map((v) => v.id)
        })
      }
      sendJson(res, 200, app.views.render(view, filtersFromQuery(url)))
    }
  },
  {
    method: "GET",
    path: "/api/v1/query/nodes/:topology/:id",
    summary: "A node's details as panels (tables, labels, sparklines, connections, controls)",
    tag: "query",
    responseSchema: NodeDetails,
    handle: async ({ res, params }) => {
      const details = await app.views.details(params.topology!, params.id!)
      if (details === undefined) {
        throw new HttpError(404, "unknown_node", `no node "${params.id}" in topology "${params.topology}"`)
      }
      sendJson(res, 200, details)
    }
  },
  {
    method: "GET",
    path: "/api/v1/query/nodes/:topology/:id/timeseries",
    summary: "A node's metric series (15 s slots) with min/max/avg",
    tag: "query",
    query: [
      { name: "metric", description: "one metric (all when omitted)" },
      { name: "from", description: "ms since epoch" },
      { name: "to", description: "ms since epoch" }
    ],
    responseSchema: NodeSeriesResponse,
    handle: ({ res, params, url }) => {
      if (app.aggregator.report.node(params.id!, params.topology!) === undefined) {
        throw new HttpError(404, "unknown_node", `no node "${params.id}" in topology "${params.topology}"`)
      }
      const metric = url.searchParams.get("metric") ?? undefined
      sendJson(res, 200, app.series.node(params.id!, metric, optionalNumber(url, "from"), optionalNumber(url, "to")))
    }
  },
  {
    method: "GET",
    path: "/api/v1/query/search",
    summary: "Search nodes: free text, key:value, metric comparisons (cpu > 50%, memory > 200MB)",
    tag: "query",
    query: [
      { name: "q", description: "the query" },
      { name: "view", description: "search within one view (default: every view)" },
      { name: "limit", description: "most results (default 100, at most 1000)" }
    ],
    responseSchema: Schema.Struct({ query: Schema.String, nodes: Schema.Array(RenderedNode) }),
    handle: ({ res, url }) => {
      const q = url.searchParams.get("q") ?? ""
      const limit = Math.min(1_000, Math.max(1, optionalNumber(url, "limit") ?? 100))
      sendJson(res, 200, { query: q, nodes: app.views.search(q, url.searchParams.get("view") ?? undefined, limit) })
    }
  },
  {
    method: "GET",
    path: "/api/v1/query/agents/:agent_id/latest",
    summary: "The latest state the app holds for one probe (its nodes after applying fulls and deltas)",
    tag: "query",
    responseSchema: AgentLatestResponse,
    handle: ({ res, params }) => {
      const agentId = params.agent_id!
      const state = app.aggregator.probeState(agentId)
      if (state === undefined) {
        if (!app.agents.has(agentId)) {
          throw new HttpError(404, "unknown_agent", `unknown agent "${agentId}"`, { agentId })
        }
        throw new HttpError(404, "no_report", `agent "${agentId}" has not sent a report yet`)
      }
      const topologies: Record<string, { nodes: Record<string, unknown> }> = {}
      for (const [topology, byId] of state.topologies) topologies[topology] = { nodes: Object.fromEntries(byId) }
      sendJson(res, 200, {
        probeId: state.probeId,
        hostname: state.hostname,
        seq: state.seq,
        timestamp: state.reportTimestamp,
        nodeCount: state.nodeCount,
        health: state.health,
        topologies
      })
    }
  },
  {
    method: "GET",
    path: "/api/v1/query/agents/:agent_id/timeseries",
    summary: "Series of one probe: its report summary over time and its host's metrics (or ?node= one node)",
    tag: "query",
    query: [{ name: "node", description: "a node id reported by this agent" }],
    responseSchema: AgentSeriesResponse,
    handle: ({ res, params, url }) => {
      const agentId = params.agent_id!
      if (!app.agents.has(agentId) && app.aggregator.probeState(agentId) === undefined) {
        throw new HttpError(404, "unknown_agent", `unknown agent "${agentId}"`, { agentId })
      }
      const node = url.searchParams.get("node")
      const state = app.aggregator.probeState(agentId)
      const nodeIds = node !== null ? [node] : [...(state?.topologies.get("hosts")?.keys() ?? [])]
      sendJson(res, 200, {
        agentId,
        agent: app.series.agent(agentId) ?? null,
        nodes: Object.fromEntries(nodeIds.map((id) => [id, app.series.node(id, undefined, undefined, undefined)]))
      })
    }
  },
  {
    method: "GET",
    path: "/api/v1/query/stats",
    summary: "Counters: probes, nodes per topology, reports, WebSocket clients, series, plugins",
    tag: "query",
    responseSchema: StatsResponse,
    handle: ({ res }) =>
      sendJson(res, 200, {
        uptimeMs: Date.now() - app.startedAt,
        aggregator: app.aggregator.stats(),
        agents: app.agents.size,
        websocket: {
          clients: app.clients.size,
          subscriptions: app.clients.groupCount,
          droppedSlow: app.clients.droppedSlow,
          deltasSent: app.clients.deltasSent,
          lastFlushMs: app.clients.lastFlushMs
        },
        controls: app.controls.stats(),
        timeseries: app.series.stats(),
        plugins: app.pluginHealth(),
        memory: process.memoryUsage()
      })
  }
]
