import { Schema } from "effect"
import { MetricSeries } from "../../../NodeDetails.js"
import { ProbeHealth, TopologyNodes } from "../../../Report.js"

// Response bodies of the routes whose answers are built from plain objects: described here so that
// /openapi.json documents every answer, not only the ones decoded from a request.

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** `GET /api/v1/control/probes`. */
export const ControlProbesResponse = Schema.Struct({
  probes: Schema.Array(Schema.String),
  locked: Schema.Boolean.annotate({ description: "state-changing controls are off (exposed without a token)" })
})

/** A node's metric series. */
export const NodeSeriesResponse = Schema.Struct({ nodeId: Schema.String, series: Schema.Array(MetricSeries) })

const SeriesWindow = Schema.Struct({
  metric: Schema.String,
  start: Schema.Finite,
  stepMs: Schema.Finite,
  values: Schema.Array(Schema.NullOr(Schema.Finite)),
  latest: Schema.NullOr(Schema.Finite),
  min: Schema.NullOr(Schema.Finite),
  max: Schema.NullOr(Schema.Finite),
  avg: Schema.NullOr(Schema.Finite)
})

const AgentReportSummary = Schema.Struct({
  timestamp: Schema.Finite,
  nodeCount: Count,
  bytes: Schema.optionalKey(Count),
  seq: Schema.optionalKey(Count),
  kind: Schema.optionalKey(Schema.Literals(["full", "delta"])),
  hostname: Schema.optionalKey(Schema.String)
})

/** `GET /api/v1/query/agents/:agent_id/timeseries`. */
export const AgentSeriesResponse = Schema.Struct({
  agentId: Schema.String,
  agent: Schema.NullOr(Schema.Struct({ latest: AgentReportSummary, series: Schema.Array(SeriesWindow) })),
  nodes: Schema.Record(Schema.String, NodeSeriesResponse)
})

/** `GET /api/v1/query/agents/:agent_id/latest`. */
export const AgentLatestResponse = Schema.Struct({
  probeId: Schema.String,
  hostname: Schema.String,
  seq: Count,
  timestamp: Schema.Finite,
  nodeCount: Count,
  health: Schema.Array(ProbeHealth),
  topologies: Schema.Record(Schema.String, TopologyNodes)
})

/** `GET /api/v1/query/stats`: counters grouped by part of the app; new counters may appear in any group. */
export const StatsResponse = Schema.Struct({
  uptimeMs: Schema.Finite,
  aggregator: Schema.Record(Schema.String, Schema.Unknown),
  agents: Count,
  websocket: Schema.Struct({
    clients: Count,
    subscriptions: Count,
    droppedSlow: Count,
    deltasSent: Count,
    lastFlushMs: Schema.Finite
  }),
  controls: Schema.Struct({ probes: Count, pending: Count, pipes: Count }),
  timeseries: Schema.Record(Schema.String, Schema.Unknown),
  plugins: Schema.Unknown,
  memory: Schema.Record(Schema.String, Schema.Finite)
})
