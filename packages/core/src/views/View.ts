/**
 * The contract of a topology view: what a renderer produces from the merged report, shared by the app's
 * REST/WebSocket API and the UI as Schemas.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { MergedReport } from "../MergedReport.js"

/**
 * Health shown as a node's colour.
 *
 * @since 0.1.0
 * @category models
 */
export const NodeStatus = Schema.Literals(["healthy", "warning", "critical", "stopped", "unknown"])

/**
 * @since 0.1.0
 * @category models
 */
export type NodeStatus = typeof NodeStatus.Type

/**
 * A node as a view draws it.
 *
 * @since 0.1.0
 * @category models
 */
export const RenderedNode = Schema.Struct({
  id: Schema.String,
  /** The topology of the underlying node (`processes`, `containers`...), or `pseudo`. */
  topology: Schema.String,
  label: Schema.String,
  labelMinor: Schema.String,
  /** A grouping key for layout (e.g. the image of a container). */
  rank: Schema.String,
  shape: Schema.Literals(["circle", "hexagon", "square", "heptagon", "triangle", "cloud"]),
  status: NodeStatus,
  /** A pseudo node stands for traffic to or from outside (The Internet, Inbound, Outbound, unknown peers). */
  pseudo: Schema.Boolean,
  /** How many underlying nodes this one stands for (groupings such as processes-by-name). */
  stack: Schema.Int,
  /** Parent ids per topology: `{ hosts: ["node-1"], containers: ["9f1c…"] }`. */
  parents: Schema.Record(Schema.String, Schema.Array(Schema.String)),
  labels: Schema.Record(Schema.String, Schema.String),
  /** Latest metric values (cpu percent, memory bytes...), for sizing and search. */
  metrics: Schema.Record(Schema.String, Schema.Finite),
  /** Ids of the underlying report nodes, for details and controls. */
  members: Schema.Array(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type RenderedNode = typeof RenderedNode.Type

/**
 * A directed edge between two rendered nodes, from the side that opened connections to the side that
 * accepted them.
 *
 * @since 0.1.0
 * @category models
 */
export const RenderedEdge = Schema.Struct({
  id: Schema.String,
  source: Schema.String,
  target: Schema.String,
  /** How many endpoint-level connections the edge stands for. */
  connections: Schema.Int
})

/**
 * @since 0.1.0
 * @category models
 */
export type RenderedEdge = typeof RenderedEdge.Type

/**
 * Filters a client may apply to a view. Omitted fields do not filter.
 *
 * @since 0.1.0
 * @category models
 */
export const ViewFilters = Schema.Struct({
  /** Keep running, stopped or all nodes (default all). */
  status: Schema.optionalKey(Schema.Literals(["running", "stopped", "all"])),
  /** Keep application nodes, system nodes or both (default both). */
  kind: Schema.optionalKey(Schema.Literals(["application", "system", "all"])),
  /** Hide nodes with no edges (default false). */
  hideUnconnected: Schema.optionalKey(Schema.Boolean),
  /** Keep nodes that carry all of these labels (`value` `*` matches any value). */
  labels: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  /** A search query (see `Search`); nodes that do not match are removed. */
  search: Schema.optionalKey(Schema.String),
  /** Hide pseudo nodes (default false). */
  hidePseudo: Schema.optionalKey(Schema.Boolean)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ViewFilters = typeof ViewFilters.Type

/**
 * A rendered view: nodes and edges after filters.
 *
 * @since 0.1.0
 * @category models
 */
export const RenderedView = Schema.Struct({
  view: Schema.String,
  nodes: Schema.Array(RenderedNode),
  edges: Schema.Array(RenderedEdge),
  /** Nodes before filters were applied. */
  total: Schema.Int,
  renderedAt: Schema.Finite
})

/**
 * @since 0.1.0
 * @category models
 */
export type RenderedView = typeof RenderedView.Type

/**
 * What a renderer returns: nodes and edges keyed by id, before filters.
 *
 * @since 0.1.0
 * @category models
 */
export interface Rendering {
  readonly nodes: ReadonlyMap<string, RenderedNode>
  readonly edges: ReadonlyMap<string, RenderedEdge>
}

/**
 * A topology view: maps the merged report to nodes and edges. Built-in views and plugin views share this
 * shape.
 *
 * @since 0.1.0
 * @category models
 */
export interface ViewDefinition {
  /** The view id used by the API (`containers`, `processes-by-name`...). */
  readonly id: string
  readonly label: string
  /** Topologies the view reads; the view is re-rendered only when one of them changes. */
  readonly reads: ReadonlyArray<string>
  /** The topology whose node count the view list shows. */
  readonly countTopology: string
  /** Lower comes first in the UI's list. */
  readonly rank: number
  render(report: MergedReport): Rendering
}

/**
 * The list entry for a view: id, label and how many nodes it has.
 *
 * @since 0.1.0
 * @category models
 */
export const ViewSummary = Schema.Struct({
  id: Schema.String,
  label: Schema.String,
  count: Schema.Int
})

/**
 * @since 0.1.0
 * @category models
 */
export type ViewSummary = typeof ViewSummary.Type

/**
 * The change between two renderings of a view, sent over the WebSocket.
 *
 * @since 0.1.0
 * @category models
 */
export const ViewDelta = Schema.Struct({
  add: Schema.Array(RenderedNode),
  update: Schema.Array(RenderedNode),
  remove: Schema.Array(Schema.String),
  addEdges: Schema.Array(RenderedEdge),
  updateEdges: Schema.Array(RenderedEdge),
  removeEdges: Schema.Array(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ViewDelta = typeof ViewDelta.Type
