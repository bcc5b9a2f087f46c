/**
 * Tasks: what a framework asks to run ({@link TaskSpec}), the states a task goes through and the status the
 * agent reports ({@link TaskStatus}). The same schemas are the wire format between framework, master and agent.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Resources } from "./Resources.js"

/**
 * A task's state. `staging`: the master sent it to the agent; `starting`: the agent is creating its container;
 * `running`; then one terminal state: `finished` (exit code 0), `failed` (non-zero exit, or the container could
 * not start), `killed` (on request), `lost` (its agent went away, or the container vanished).
 *
 * @since 0.1.0
 * @category models
 */
export const TaskState = Schema.Literals(["staging", "starting", "running", "finished", "failed", "killed", "lost"])

/**
 * @since 0.1.0
 * @category models
 */
export type TaskState = typeof TaskState.Type

const terminal: ReadonlySet<TaskState> = new Set(["finished", "failed", "killed", "lost"])

/**
 * Whether a state is final (the task's resources are free again).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isTerminal = (state: TaskState): boolean => terminal.has(state)

/**
 * Ids of tasks, agents and frameworks: letters, digits, `.`, `_`, `-`, at most 128 characters (they become
 * Docker labels, container names and znode names).
 *
 * @since 0.1.0
 * @category models
 */
export const Id = Schema.String.check(
  Schema.makeFilter(
    (id) =>
      /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id) || "expects letters, digits, '.', '_' or '-' (1-128 characters)"
  )
)

/**
 * What a framework asks an agent to run: a container `image` with its `command`, `env`, the `resources` it
 * takes from an offer (cpus -> CPU shares and quota, mem in MB -> memory limit, ports -> host ports), the
 * container ports to publish on those host ports (in order), and a pids limit.
 *
 * @since 0.1.0
 * @category models
 */
export const TaskSpec = Schema.Struct({
  taskId: Id,
  name: Schema.optionalKey(Schema.String),
  image: Schema.String.check(Schema.isMinLength(1)),
  command: Schema.optionalKey(Schema.Array(Schema.String)),
  env: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  labels: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  resources: Resources,
  containerPorts: Schema.optionalKey(
    Schema.Array(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1), Schema.isLessThanOrEqualTo(65_535)))
  ),
  pidsLimit: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type TaskSpec = typeof TaskSpec.Type

/**
 * A task's current status as the agent (or, for `staging` and `lost`, the master) reports it.
 *
 * @since 0.1.0
 * @category models
 */
export const TaskStatus = Schema.Struct({
  taskId: Id,
  frameworkId: Id,
  agentId: Id,
  state: TaskState,
  resources: Resources,
  /** Why it is in this state, for people. */
  message: Schema.optionalKey(Schema.String),
  exitCode: Schema.optionalKey(Schema.Int),
  containerId: Schema.optionalKey(Schema.String),
  /** Host port for each of the spec's `containerPorts`. */
  hostPorts: Schema.optionalKey(Schema.Array(Schema.Int)),
  /** Milliseconds since the Unix epoch. */
  updatedAt: Schema.Finite
})

/**
 * @since 0.1.0
 * @category models
 */
export type TaskStatus = typeof TaskStatus.Type
