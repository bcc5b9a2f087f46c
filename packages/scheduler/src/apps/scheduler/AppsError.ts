/**
 * Errors of the app scheduler: each names what was wrong, nothing was changed when one is returned, and the
 * REST API maps them to Marathon's answers (`InvalidApp` 422, `AppNotFound` 404, `DeploymentConflict` 409,
 * `NotLeading` 503, `StoreError` 503).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { InvalidApp } from "../plan/index.js"

export { InvalidApp }

/**
 * No app (or group, deployment, task, version) with this id.
 *
 * @since 0.1.0
 * @category errors
 */
export class AppNotFound extends Schema.TaggedError<AppNotFound>()("AppNotFound", {
  kind: Schema.Literals(["app", "group", "deployment", "task", "version"]),
  id: Schema.String
}) {
  override get message(): string {
    return `unknown ${this.kind} ${JSON.stringify(this.id)}`
  }
}

/**
 * The change touches apps a running deployment already changes; `deploymentIds` are those deployments.
 * Ask again with `force` to cancel them (without rollback) and deploy anyway, as Marathon does.
 *
 * @since 0.1.0
 * @category errors
 */
export class DeploymentConflict extends Schema.TaggedError<DeploymentConflict>()("DeploymentConflict", {
  deploymentIds: Schema.Array(Schema.String),
  apps: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `apps ${this.apps.join(", ")} are locked by deployment(s) ${this.deploymentIds.join(", ")}; use force to override`
  }
}

/**
 * This scheduler does not lead (its master is a standby, or it is not registered yet); `leader` is the
 * leading master's URL when known.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotLeading extends Schema.TaggedError<NotLeading>()("NotLeading", {
  leader: Schema.optionalKey(Schema.String)
}) {
  override get message(): string {
    return this.leader === undefined ? "the app scheduler does not lead" : `the app scheduler leads at ${this.leader}`
  }
}

/**
 * The store (ZooKeeper) could not read or write; `operation` says what was attempted. State is unchanged.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  operation: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `app store: ${this.operation} failed: ${this.reason}`
  }
}

/**
 * Every error an app scheduler call may return.
 *
 * @since 0.1.0
 * @category errors
 */
export type AppsError = InvalidApp | AppNotFound | DeploymentConflict | NotLeading | StoreError
