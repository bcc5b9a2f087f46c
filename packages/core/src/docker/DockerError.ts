/**
 * Errors of the shared Docker client.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The engine cannot be used at all: dockerode is not installed, or nothing answers on the socket.
 *
 * @since 0.1.0
 * @category errors
 */
export class DockerUnavailable extends Schema.TaggedError<DockerUnavailable>()("DockerUnavailable", {
  socketPath: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Docker engine unavailable at ${this.socketPath}: ${this.reason}`
  }
}

/**
 * A Docker API call failed. `statusCode` is the engine's HTTP status when it answered (404: no such
 * container or image, 409: conflict, 304: already started/stopped).
 *
 * @since 0.1.0
 * @category errors
 */
export class DockerError extends Schema.TaggedError<DockerError>()("DockerError", {
  operation: Schema.String,
  statusCode: Schema.optional(Schema.Int),
  reason: Schema.String
}) {
  override get message(): string {
    return `Docker ${this.operation} failed${this.statusCode === undefined ? "" : ` (${this.statusCode})`}: ${this.reason}`
  }
}
