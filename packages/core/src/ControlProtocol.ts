/**
 * The control channel between the app and each probe. A probe holds a WebSocket to the app
 * (`GET /api/v1/probe/ws?agent_id=…`); the app sends control requests and pipe input, the probe answers with
 * results and pipe output. Streams (logs, exec/attach terminals) are pipes with ids that UI clients attach to
 * through the app's client WebSocket.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A request to run a control on one node.
 *
 * @since 0.1.0
 * @category models
 */
export const ControlRequest = Schema.Struct({
  /** Unique per request; the result carries it back. */
  id: Schema.String,
  nodeId: Schema.String,
  topology: Schema.String,
  /** The control id, e.g. `docker.stop`. */
  action: Schema.String,
  args: Schema.Record(Schema.String, Schema.Unknown)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ControlRequest = typeof ControlRequest.Type

/**
 * The outcome of a control request. `pipeId` is set when the control opened a stream.
 *
 * @since 0.1.0
 * @category models
 */
export const ControlResult = Schema.Struct({
  id: Schema.String,
  ok: Schema.Boolean,
  result: Schema.optionalKey(Schema.Unknown),
  error: Schema.optionalKey(Schema.String),
  pipeId: Schema.optionalKey(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ControlResult = typeof ControlResult.Type

/**
 * Bytes through a pipe, base64-encoded.
 *
 * @since 0.1.0
 * @category models
 */
export const PipeData = Schema.Struct({ pipeId: Schema.String, data: Schema.String })

/**
 * Messages the app sends to a probe.
 *
 * @since 0.1.0
 * @category models
 */
export const AppToProbe = Schema.Union([
  Schema.Struct({ type: Schema.Literal("control"), request: ControlRequest }),
  Schema.Struct({ type: Schema.Literal("pipe.input"), ...PipeData.fields }),
  Schema.Struct({
    type: Schema.Literal("pipe.resize"),
    pipeId: Schema.String,
    cols: Schema.Int,
    rows: Schema.Int
  }),
  Schema.Struct({ type: Schema.Literal("pipe.close"), pipeId: Schema.String })
])

/**
 * @since 0.1.0
 * @category models
 */
export type AppToProbe = typeof AppToProbe.Type

/**
 * Messages a probe sends to the app.
 *
 * @since 0.1.0
 * @category models
 */
export const ProbeToApp = Schema.Union([
  Schema.Struct({ type: Schema.Literal("control.result"), result: ControlResult }),
  Schema.Struct({ type: Schema.Literal("pipe.output"), ...PipeData.fields }),
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
export type ProbeToApp = typeof ProbeToApp.Type

/**
 * `POST /api/v1/control` body: one action on one or many nodes (bulk).
 *
 * @since 0.1.0
 * @category models
 */
export const ControlCall = Schema.Struct({
  action: Schema.String,
  targets: Schema.Array(
    Schema.Struct({ probeId: Schema.String, nodeId: Schema.String, topology: Schema.String })
  ).check(Schema.isMinLength(1), Schema.isMaxLength(500)),
  args: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown))
})

/**
 * @since 0.1.0
 * @category models
 */
export type ControlCall = typeof ControlCall.Type
