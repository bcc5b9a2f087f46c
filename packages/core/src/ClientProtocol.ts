/**
 * The WebSocket protocol between the app and its clients (the UI, or any tool) at `GET /api/v1/ws`.
 * A client subscribes to a view with filters and gets a full snapshot, then deltas as reports arrive. It
 * may also attach to control pipes (logs, terminals). Both sides decode with these Schemas.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { RenderedView, ViewDelta, ViewFilters } from "./views/View.js"

/**
 * Messages a client sends.
 *
 * @since 0.1.0
 * @category models
 */
export const ClientMessage = Schema.Union([
  Schema.Struct({ type: Schema.Literal("subscribe"), view: Schema.String, filters: Schema.optionalKey(ViewFilters) }),
  Schema.Struct({ type: Schema.Literal("unsubscribe") }),
  Schema.Struct({ type: Schema.Literal("ping"), id: Schema.optionalKey(Schema.String) }),
  Schema.Struct({ type: Schema.Literal("pipe.attach"), pipeId: Schema.String }),
  Schema.Struct({ type: Schema.Literal("pipe.input"), pipeId: Schema.String, data: Schema.String }),
  Schema.Struct({ type: Schema.Literal("pipe.resize"), pipeId: Schema.String, cols: Schema.Int, rows: Schema.Int }),
  Schema.Struct({ type: Schema.Literal("pipe.close"), pipeId: Schema.String })
])

/**
 * @since 0.1.0
 * @category models
 */
export type ClientMessage = typeof ClientMessage.Type

/**
 * Messages the app sends to a client.
 *
 * @since 0.1.0
 * @category models
 */
export const ServerMessage = Schema.Union([
  Schema.Struct({ type: Schema.Literal("snapshot"), view: RenderedView }),
  Schema.Struct({
    type: Schema.Literal("delta"),
    view: Schema.String,
    renderedAt: Schema.Finite,
    delta: ViewDelta
  }),
  Schema.Struct({ type: Schema.Literal("pong"), id: Schema.optionalKey(Schema.String) }),
  Schema.Struct({
    type: Schema.Literal("error"),
    code: Schema.String,
    message: Schema.String,
    /** Where a rejected search query went wrong (0-based character index), for `bad_search`. */
    position: Schema.optionalKey(Schema.Int)
  }),
  Schema.Struct({ type: Schema.Literal("pipe.output"), pipeId: Schema.String, data: Schema.String }),
  Schema.Struct({
    type: Schema.Literal("pipe.closed"),
    pipeId: Schema.String,
    reason: Schema.optionalKey(Schema.String)
  })
])

/**
 * @since 0.1.0
 * @category models
 */
export type ServerMessage = typeof ServerMessage.Type

/**
 * Decodes a client message, failing with a `SchemaError` that names the field path.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeClientMessage = Schema.decodeUnknownExit(ClientMessage)
