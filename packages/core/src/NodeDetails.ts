/**
 * Node details as data: a node's details are a list of panels that the UI renders generically, so plugins
 * add panels without UI changes. The same Schema is used by the app (encoder) and the UI (decoder).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A key/value table (metadata, environment, ports...).
 *
 * @since 0.1.0
 * @category models
 */
export const TablePanel = Schema.Struct({
  type: Schema.Literal("table"),
  id: Schema.String,
  title: Schema.String,
  rows: Schema.Array(Schema.Struct({ key: Schema.String, label: Schema.String, value: Schema.String }))
})

/**
 * A set of labels (`key=value`).
 *
 * @since 0.1.0
 * @category models
 */
export const LabelsPanel = Schema.Struct({
  type: Schema.Literal("labels"),
  id: Schema.String,
  title: Schema.String,
  labels: Schema.Record(Schema.String, Schema.String)
})

/**
 * One metric with its recent samples, for a sparkline.
 *
 * @since 0.1.0
 * @category models
 */
export const MetricSeries = Schema.Struct({
  metric: Schema.String,
  label: Schema.String,
  unit: Schema.Literals(["percent", "bytes", "bytes_per_second", "count"]),
  /** Start of the first slot, ms since epoch. */
  start: Schema.Finite,
  /** Width of one slot in ms (15,000 by default). */
  stepMs: Schema.Finite,
  /** One value per slot, `null` where nothing was recorded. */
  values: Schema.Array(Schema.NullOr(Schema.Finite)),
  latest: Schema.NullOr(Schema.Finite),
  min: Schema.NullOr(Schema.Finite),
  max: Schema.NullOr(Schema.Finite),
  avg: Schema.NullOr(Schema.Finite)
})

/**
 * @since 0.1.0
 * @category models
 */
export type MetricSeries = typeof MetricSeries.Type

/**
 * Metric sparklines.
 *
 * @since 0.1.0
 * @category models
 */
export const MetricsPanel = Schema.Struct({
  type: Schema.Literal("metrics"),
  id: Schema.String,
  title: Schema.String,
  metrics: Schema.Array(MetricSeries)
})

/**
 * Nodes this node is connected to or related to (parents, children, peers); each row is clickable.
 *
 * @since 0.1.0
 * @category models
 */
export const ConnectionsPanel = Schema.Struct({
  type: Schema.Literal("connections"),
  id: Schema.String,
  title: Schema.String,
  rows: Schema.Array(
    Schema.Struct({
      nodeId: Schema.String,
      topology: Schema.String,
      label: Schema.String,
      detail: Schema.optionalKey(Schema.String),
      direction: Schema.optionalKey(Schema.Literals(["inbound", "outbound", "parent", "child"]))
    })
  )
})

/**
 * A control the user can run on the node.
 *
 * @since 0.1.0
 * @category models
 */
export const ControlDescription = Schema.Struct({
  id: Schema.String,
  label: Schema.String,
  icon: Schema.optionalKey(Schema.String),
  /** Ask before running (destructive controls). */
  confirm: Schema.optionalKey(Schema.Boolean),
  /** The control opens a stream (logs, terminal) instead of returning a result. */
  stream: Schema.optionalKey(Schema.Literals(["logs", "terminal"])),
  /** The permission name a role needs to run it. */
  permission: Schema.optionalKey(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ControlDescription = typeof ControlDescription.Type

/**
 * The controls available on the node.
 *
 * @since 0.1.0
 * @category models
 */
export const ControlsPanel = Schema.Struct({
  type: Schema.Literal("controls"),
  id: Schema.String,
  title: Schema.String,
  /** Which probe executes the controls. */
  probeId: Schema.String,
  controls: Schema.Array(ControlDescription)
})

/**
 * One panel of a node's details.
 *
 * @since 0.1.0
 * @category models
 */
export const Panel = Schema.Union([TablePanel, LabelsPanel, MetricsPanel, ConnectionsPanel, ControlsPanel])

/**
 * @since 0.1.0
 * @category models
 */
export type Panel = typeof Panel.Type

/**
 * A node's details: what `GET /api/v1/query/nodes/:topology/:id` returns.
 *
 * @since 0.1.0
 * @category models
 */
export const NodeDetails = Schema.Struct({
  id: Schema.String,
  topology: Schema.String,
  label: Schema.String,
  labelMinor: Schema.String,
  panels: Schema.Array(Panel)
})

/**
 * @since 0.1.0
 * @category models
 */
export type NodeDetails = typeof NodeDetails.Type
