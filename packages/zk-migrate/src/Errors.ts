/**
 * What can go wrong in a migration, as typed errors with the data a caller needs to act on them.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A connection string did not parse (`host:port[,host:port...][/chroot]`).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidConnectString extends Schema.TaggedError<InvalidConnectString>()("InvalidConnectString", {
  input: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid ZooKeeper connection string ${JSON.stringify(this.input)}: ${this.reason}`
  }
}

/**
 * No server of a side accepted a session in time.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unreachable extends Schema.TaggedError<Unreachable>()("Unreachable", {
  side: Schema.String,
  connectString: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.side} ZooKeeper at ${this.connectString} is unreachable: ${this.reason}`
  }
}

/**
 * The server refused a read or write for lack of permission: pass credentials (`--auth digest:user:pw`).
 *
 * @since 0.1.0
 * @category errors
 */
export class AccessDenied extends Schema.TaggedError<AccessDenied>()("AccessDenied", {
  side: Schema.String,
  path: Schema.String,
  operation: Schema.String
}) {
  override get message(): string {
    return `${this.side}: ${this.operation} ${this.path} is not allowed with the given credentials (add --auth scheme:credentials)`
  }
}

/**
 * The path to migrate does not exist on the source.
 *
 * @since 0.1.0
 * @category errors
 */
export class PathNotFound extends Schema.TaggedError<PathNotFound>()("PathNotFound", {
  side: Schema.String,
  path: Schema.String
}) {
  override get message(): string {
    return `${this.side}: ${this.path} does not exist`
  }
}

/**
 * One node that differs between the sides (relative path, `""` for the migrated root).
 *
 * @since 0.1.0
 * @category models
 */
export const Difference = Schema.Struct({
  path: Schema.String,
  kind: Schema.Literals(["missing", "extra", "data", "acl", "kind", "counter"]),
  detail: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export type Difference = typeof Difference.Type

/**
 * The target already holds different data under the path; nothing was written. Pass `overwrite` to replace
 * it (extra nodes on the target are deleted only with `deleteExtra`).
 *
 * @since 0.1.0
 * @category errors
 */
export class TargetDiffers extends Schema.TaggedError<TargetDiffers>()("TargetDiffers", {
  path: Schema.String,
  differences: Schema.Array(Difference),
  total: Schema.Int
}) {
  override get message(): string {
    const shown = this.differences
      .slice(0, 10)
      .map((d) => `  ${d.kind} ${d.path || "/"}: ${d.detail}`)
      .join("\n")
    const more = this.total > 10 ? `\n  ... and ${this.total - 10} more` : ""
    return `the target already holds different data under ${this.path} (${this.total} differences); refusing to overwrite without --overwrite:\n${shown}${more}`
  }
}

/**
 * A ZooKeeper call failed in a way the engine does not retry (bad arguments, a node too large...).
 *
 * @since 0.1.0
 * @category errors
 */
export class ZooKeeperFailed extends Schema.TaggedError<ZooKeeperFailed>()("ZooKeeperFailed", {
  side: Schema.String,
  operation: Schema.String,
  path: Schema.String,
  code: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.side}: ${this.operation} ${this.path} failed: ${this.code}${this.reason === "" ? "" : ` (${this.reason})`}`
  }
}

/**
 * The persisted migration state is missing, unreadable, or does not allow the requested phase.
 *
 * @since 0.1.0
 * @category errors
 */
export class MigrationStateError extends Schema.TaggedError<MigrationStateError>()("MigrationStateError", {
  reason: Schema.String
}) {
  override get message(): string {
    return `migration state: ${this.reason}`
  }
}

/**
 * The metrics/status HTTP server could not listen (address in use, not allowed, bad host).
 *
 * @since 0.1.0
 * @category errors
 */
export class MetricsServerError extends Schema.TaggedError<MetricsServerError>()("MetricsServerError", {
  host: Schema.String,
  port: Schema.Number,
  reason: Schema.String
}) {
  override get message(): string {
    return `metrics server: cannot listen on ${this.host}:${this.port}: ${this.reason}`
  }
}

/**
 * Every error a migration step can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type MigrationError =
  | InvalidConnectString
  | Unreachable
  | AccessDenied
  | PathNotFound
  | TargetDiffers
  | ZooKeeperFailed
  | MigrationStateError
