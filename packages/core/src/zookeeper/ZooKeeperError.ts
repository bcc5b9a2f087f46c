/**
 * Errors of the shared ZooKeeper client.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * ZooKeeper's error code names (as the server and the Java client spell them). `OPERATION_TIMEOUT` is also
 * what this client reports when a call gets no answer within `operationTimeoutMs`.
 *
 * @since 0.1.0
 * @category models
 */
export const ErrorCode = Schema.Literals([
  "SYSTEM_ERROR",
  "RUNTIME_INCONSISTENCY",
  "DATA_INCONSISTENCY",
  "CONNECTION_LOSS",
  "MARSHALLING_ERROR",
  "UNIMPLEMENTED",
  "OPERATION_TIMEOUT",
  "BAD_ARGUMENTS",
  "API_ERROR",
  "NO_NODE",
  "NO_AUTH",
  "BAD_VERSION",
  "NO_CHILDREN_FOR_EPHEMERALS",
  "NODE_EXISTS",
  "NOT_EMPTY",
  "SESSION_EXPIRED",
  "INVALID_CALLBACK",
  "INVALID_ACL",
  "AUTH_FAILED"
])

/**
 * @since 0.1.0
 * @category models
 */
export type ErrorCode = typeof ErrorCode.Type

const connectionCodes: ReadonlySet<ErrorCode> = new Set(["CONNECTION_LOSS", "OPERATION_TIMEOUT", "SESSION_EXPIRED"])

/**
 * A ZooKeeper call failed. `code` says why (`NO_NODE`, `NODE_EXISTS`, `BAD_VERSION`, `NOT_EMPTY`...),
 * `operation` and `path` say which call.
 *
 * **Gotchas**: `CONNECTION_LOSS` and `OPERATION_TIMEOUT` mean the outcome is unknown (a write may have been
 * applied); `SESSION_EXPIRED` means ephemeral nodes of the old session are gone. `isConnectionError` is true
 * for those three; retry reads freely, writes only when they are idempotent or versioned.
 *
 * @since 0.1.0
 * @category errors
 */
export class ZooKeeperError extends Schema.TaggedError<ZooKeeperError>()("ZooKeeperError", {
  code: ErrorCode,
  operation: Schema.String,
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `ZooKeeper ${this.operation} ${this.path} failed: ${this.code}${this.reason === "" ? "" : ` (${this.reason})`}`
  }

  /** Whether the failure is about the connection or session rather than the request. */
  get isConnectionError(): boolean {
    return connectionCodes.has(this.code)
  }
}

/**
 * The client could not be set up: node-zookeeper-client is not installed, or no server of the connect
 * string accepted a session within `connectTimeoutMs`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ZooKeeperUnavailable extends Schema.TaggedError<ZooKeeperUnavailable>()("ZooKeeperUnavailable", {
  connectString: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `ZooKeeper unavailable at ${this.connectString}: ${this.reason}`
  }
}
