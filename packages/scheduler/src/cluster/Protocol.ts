/**
 * The wire formats between agents, frameworks and the master (JSON bodies of the REST API), defined once and
 * used by both sides.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Resources } from "./Resources.js"
import { Id, TaskSpec, TaskStatus } from "./Task.js"

/**
 * Declared agent attributes (`rack:r1`, `zone:a`), used by frameworks for constraints.
 *
 * @since 0.1.0
 * @category models
 */
export const Attributes = Schema.Record(Schema.String, Schema.String)

/**
 * An agent registering (or re-registering after a restart or a master failover) with its total resources and
 * the tasks it runs now, so the master can reconcile.
 *
 * @since 0.1.0
 * @category models
 */
export const AgentRegistration = Schema.Struct({
  agentId: Id,
  hostname: Schema.String.check(Schema.isMinLength(1)),
  /** Where the master reaches the agent's API, e.g. `http://10.0.0.5:5051`. */
  url: Schema.String.check(Schema.isMinLength(1)),
  attributes: Attributes,
  resources: Resources,
  tasks: Schema.Array(TaskStatus)
})

/**
 * @since 0.1.0
 * @category models
 */
export type AgentRegistration = typeof AgentRegistration.Type

/**
 * An agent as the master lists it.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentView {
  readonly agentId: string
  readonly hostname: string
  readonly url: string
  readonly attributes: Readonly<Record<string, string>>
  readonly resources: Resources
  readonly used: Resources
  readonly registeredAt: number
  readonly lastHeartbeatAt: number
  readonly active: boolean
}

/**
 * A framework (a client scheduler) registering in a role; give `frameworkId` to re-register.
 *
 * @since 0.1.0
 * @category models
 */
export const FrameworkRegistration = Schema.Struct({
  frameworkId: Schema.optionalKey(Id),
  name: Schema.String.check(Schema.isMinLength(1)),
  role: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type FrameworkRegistration = typeof FrameworkRegistration.Type

/**
 * A registered framework.
 *
 * @since 0.1.0
 * @category models
 */
export const FrameworkInfo = Schema.Struct({
  frameworkId: Id,
  name: Schema.String,
  role: Schema.String,
  registeredAt: Schema.Finite
})

/**
 * @since 0.1.0
 * @category models
 */
export type FrameworkInfo = typeof FrameworkInfo.Type

/**
 * A role's settings: its fair-share weight and quota (`guarantee`: served first; `limit`: hard cap).
 *
 * @since 0.1.0
 * @category models
 */
export const RoleConfig = Schema.Struct({
  weight: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0))),
  guarantee: Schema.optionalKey(Resources),
  limit: Schema.optionalKey(Resources)
})

/**
 * @since 0.1.0
 * @category models
 */
export type RoleConfig = typeof RoleConfig.Type

/**
 * Resources of one agent offered to one framework.
 *
 * @since 0.1.0
 * @category models
 */
export const Offer = Schema.Struct({
  offerId: Schema.String,
  frameworkId: Schema.String,
  agentId: Schema.String,
  hostname: Schema.String,
  attributes: Attributes,
  resources: Resources,
  /** The amounts of `resources.reserved` (reserved for the framework's role or a parent role), summed up. */
  reserved: Schema.optionalKey(Resources),
  createdAt: Schema.Finite
})

/**
 * @since 0.1.0
 * @category models
 */
export type Offer = typeof Offer.Type

/**
 * A page of a framework's status feed: the changes after the asked sequence number, and the number to ask
 * from next.
 *
 * @since 0.1.0
 * @category models
 */
export const StatusUpdates = Schema.Struct({
  seq: Schema.Int,
  updates: Schema.Array(TaskStatus)
})

/**
 * @since 0.1.0
 * @category models
 */
export type StatusUpdates = typeof StatusUpdates.Type

/**
 * A framework accepting an offer with the tasks to launch from it (none: the offer is declined).
 *
 * @since 0.1.0
 * @category models
 */
export const AcceptOffer = Schema.Struct({
  offerId: Schema.String,
  tasks: Schema.Array(TaskSpec)
})

/**
 * @since 0.1.0
 * @category models
 */
export type AcceptOffer = typeof AcceptOffer.Type

/**
 * A framework declining an offer; the agent's resources are not offered to it again for `refuseSeconds`
 * (default 5).
 *
 * @since 0.1.0
 * @category models
 */
export const DeclineOffer = Schema.Struct({
  offerId: Schema.String,
  refuseSeconds: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type DeclineOffer = typeof DeclineOffer.Type

/**
 * The master asking an agent to launch a task.
 *
 * @since 0.1.0
 * @category models
 */
export const LaunchTask = Schema.Struct({
  frameworkId: Id,
  task: TaskSpec
})

/**
 * @since 0.1.0
 * @category models
 */
export type LaunchTask = typeof LaunchTask.Type

/**
 * A framework asking for the current state of its tasks (all of them when `taskIds` is missing).
 *
 * @since 0.1.0
 * @category models
 */
export const Reconcile = Schema.Struct({
  taskIds: Schema.optionalKey(Schema.Array(Schema.String))
})

/**
 * A dynamic reservation: resources of one agent set aside for a role (offered only to its frameworks).
 *
 * @since 0.1.0
 * @category models
 */
export const Reservation = Schema.Struct({
  role: Schema.String.check(Schema.isMinLength(1)),
  resources: Resources
})

/**
 * @since 0.1.0
 * @category models
 */
export type Reservation = typeof Reservation.Type

/**
 * What the leading master publishes in its election znode, so agents and frameworks can find it.
 *
 * @since 0.1.0
 * @category models
 */
export const MasterInfo = Schema.Struct({
  id: Schema.String,
  url: Schema.String,
  hostname: Schema.String,
  pid: Schema.Int
})

/**
 * @since 0.1.0
 * @category models
 */
export type MasterInfo = typeof MasterInfo.Type

/**
 * The body of every error answer: the error's tag and message, plus where the leader is for `NotLeader`.
 *
 * @since 0.1.0
 * @category models
 */
export const ErrorBody = Schema.Struct({
  error: Schema.String,
  message: Schema.String,
  leader: Schema.optionalKey(Schema.String)
})

/**
 * The most output an exec answer carries: its last 4 KB (stdout and stderr interleaved).
 *
 * @since 0.1.0
 * @category constants
 */
export const maxExecOutputBytes = 4_096

/**
 * Running a command in a task's container (`POST /api/v1/tasks/:taskId/exec` on its agent): `command` is an
 * argv (no shell unless it asks for one: `["sh", "-c", "..."]`); it is killed after `timeoutMs` (default
 * 30,000).
 *
 * @since 0.1.0
 * @category models
 */
export const ExecRequest = Schema.Struct({
  command: Schema.Array(Schema.String).check(Schema.isMinLength(1)),
  timeoutMs: Schema.optionalKey(
    Schema.Int.check(Schema.isGreaterThanOrEqualTo(1), Schema.isLessThanOrEqualTo(3_600_000))
  )
})

/**
 * @since 0.1.0
 * @category models
 */
export type ExecRequest = typeof ExecRequest.Type

/**
 * How an exec ended: its exit code and the last {@link maxExecOutputBytes} of its output. A command still
 * running at its timeout is killed and answers `timedOut: true` with exit code 124 (as `timeout(1)`).
 *
 * @since 0.1.0
 * @category models
 */
export const ExecResult = Schema.Struct({
  exitCode: Schema.Int,
  output: Schema.String,
  timedOut: Schema.optionalKey(Schema.Boolean)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ExecResult = typeof ExecResult.Type
