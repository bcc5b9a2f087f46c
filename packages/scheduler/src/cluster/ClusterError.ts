/**
 * Errors of the cluster (master, agent, containerizer, election): each names what was wrong so that a REST
 * caller gets a clear 4xx and an Effect caller can `catchTag` it.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A request was malformed or asked for something impossible (invalid resources, a negative quota, a task
 * bigger than its offer). `field` is the path of the offending value; nothing was changed.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid ${this.field}: ${this.reason}`
  }
}

/**
 * The request named an agent, framework, offer, task or role that does not exist.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  kind: Schema.Literals(["agent", "framework", "offer", "task", "role"]),
  id: Schema.String
}) {
  override get message(): string {
    return `unknown ${this.kind} ${JSON.stringify(this.id)}`
  }
}

/**
 * The request is valid but conflicts with the current state (a task id already in use, an offer already
 * used, a quota above the cluster's capacity).
 *
 * @since 0.1.0
 * @category errors
 */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", {
  reason: Schema.String
}) {
  override get message(): string {
    return this.reason
  }
}

/**
 * This master is not the leader; `leader` is the leading master's URL when one is known.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotLeader extends Schema.TaggedError<NotLeader>()("NotLeader", {
  leader: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return this.leader === undefined
      ? "this master is not the leader; no leader is known"
      : `not the leader; the leader is ${this.leader}`
  }
}

/**
 * A call to another cluster member (agent -> master, master -> agent) failed or answered with an error.
 *
 * @since 0.1.0
 * @category errors
 */
export class RemoteError extends Schema.TaggedError<RemoteError>()("RemoteError", {
  url: Schema.String,
  status: Schema.optional(Schema.Int),
  reason: Schema.String,
  /** The error tag the other side answered with (`NotFound`, `NotLeader`...). */
  error: Schema.optional(Schema.String),
  /** For a `NotLeader` answer: the leader's URL, when the other side knows it. */
  leader: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `${this.url}${this.status === undefined ? "" : ` answered ${this.status}`}: ${this.reason}`
  }
}

/**
 * The containerizer could not create, start, kill or inspect a task's container.
 *
 * @since 0.1.0
 * @category errors
 */
export class ContainerizerError extends Schema.TaggedError<ContainerizerError>()("ContainerizerError", {
  taskId: Schema.String,
  operation: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `task ${this.taskId}: ${this.operation} failed: ${this.reason}`
  }
}

/**
 * The master could not do what was asked right now (its ZooKeeper store did not answer); retry later.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", {
  reason: Schema.String
}) {
  override get message(): string {
    return `unavailable: ${this.reason}`
  }
}

/**
 * Errors a REST request can end with, each mapped to an HTTP status.
 *
 * @since 0.1.0
 * @category errors
 */
export type RequestError = InvalidRequest | NotFound | Conflict | NotLeader | Unavailable

/**
 * The HTTP status for a request error: 400, 404, 409, 421 (misdirected: ask the leader) or 503.
 *
 * @since 0.1.0
 * @category errors
 */
export const statusOf = (error: RequestError): number => {
  switch (error._tag) {
    case "InvalidRequest":
      return 400
    case "NotFound":
      return 404
    case "Conflict":
      return 409
    case "NotLeader":
      return 421
    case "Unavailable":
      return 503
  }
}
