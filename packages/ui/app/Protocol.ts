/**
 * The wire types the UI reads and writes, taken from `@orchestrator/core` as types only (the Schemas stay on
 * the server; nothing from `effect` is bundled). One definition per boundary: if the API changes, this file
 * stops compiling.
 */
import type { ClientProtocol, ControlProtocol, NodeDetails as Details, View } from "@orchestrator/core"

/** A node as a view draws it. */
export type RenderedNode = View.RenderedNode
/** A directed edge between two rendered nodes. */
export type RenderedEdge = View.RenderedEdge
/** A rendered view: nodes and edges after filters. */
export type RenderedView = View.RenderedView
/** The change between two renderings of a view. */
export type ViewDelta = View.ViewDelta
/** Filters a subscription may apply. */
export type ViewFilters = View.ViewFilters
/** A view's list entry: id, label, node count. */
export type ViewSummary = View.ViewSummary
/** Health shown as a node's colour. */
export type NodeStatus = View.NodeStatus
/** A node's details: panels rendered generically by type. */
export type NodeDetails = Details.NodeDetails
/** One panel of a node's details. */
export type Panel = Details.Panel
/** The panel of one `type`. */
export type PanelOf<T extends Panel["type"]> = Extract<Panel, { readonly type: T }>
/** One metric with its recent samples. */
export type MetricSeries = Details.MetricSeries
/** A control the user can run on a node. */
export type ControlDescription = Details.ControlDescription
/** `POST /api/v1/control` body. */
export type ControlCall = ControlProtocol.ControlCall
/** The outcome of one control request. */
export type ControlResult = ControlProtocol.ControlResult

/** `POST /api/v1/control` answer: one result per target. */
export interface ControlCallResponse {
  readonly results: ReadonlyArray<{
    readonly probeId: string
    readonly nodeId: string
    readonly topology: string
    readonly result: ControlResult
  }>
}

/** `GET /api/v1/auth/session` answer. */
export interface SessionState {
  readonly authRequired: boolean
  readonly authenticated: boolean
}

/** Messages a client sends over `/api/v1/ws`. */
export type ClientMessage = ClientProtocol.ClientMessage

/** Messages the app sends over `/api/v1/ws`. */
export type ServerMessage = ClientProtocol.ServerMessage
