/**
 * The client's session as it sees it.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The session state the client reports.
 *
 * - `connecting`: before the first session is established.
 * - `connected`: a session is established and the server answers.
 * - `disconnected`: the connection is lost or the server stopped answering; the session may still be alive
 *   and the client is trying to resume it.
 * - `expired`: the session is gone (the server said so, or no server answered for the negotiated session
 *   timeout); its ephemeral nodes and watches are lost. With `reconnectOnExpiry` the client then starts a new
 *   session and reports `connected` again.
 * - `closed`: the layer was released.
 *
 * @since 0.1.0
 * @category models
 */
export const SessionState = Schema.Literals(["connecting", "connected", "disconnected", "expired", "closed"])

/**
 * @since 0.1.0
 * @category models
 */
export type SessionState = typeof SessionState.Type

/**
 * The current session: its id (as servers print it in `cons`, in hex) and negotiated timeout.
 *
 * @since 0.1.0
 * @category models
 */
export const Session = Schema.Struct({
  id: Schema.BigInt,
  timeoutMs: Schema.Int,
  /** Grows by one each time the client starts a new session after an expiry. */
  generation: Schema.Int
})

/**
 * @since 0.1.0
 * @category models
 */
export type Session = typeof Session.Type
