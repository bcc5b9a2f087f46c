/**
 * What the runtime knows of one task of an app, and how it is shown ({@link AppTask}, Marathon's state
 * names).
 *
 * @since 0.1.0
 */
import type { TaskState } from "../../cluster/Task.js"
import type { TaskBinding } from "../store/StoredState.js"
import type { AppTask, AppTaskState, HealthCheckResult, ReadinessCheckResult } from "./Views.js"

/**
 * Why the scheduler kills a task (a task killed by anyone else counts as a failure for the backoff).
 *
 * @since 0.1.0
 * @category models
 */
export type KillReason = "deployment" | "scale" | "unhealthy" | "user" | "stop" | "orphan"

/**
 * One task of an app.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskRecord {
  readonly taskId: string
  readonly appId: string
  /** The app version it was launched at. */
  readonly version: string
  /** The version whose task spec it runs (the app's `lastConfigChangeAt` then). */
  readonly configVersion: string
  readonly agentId: string
  readonly hostname: string
  /** Where its published ports are reached. */
  host: string
  agentUrl: string
  readonly stagedAt: number
  readonly servicePorts: ReadonlyArray<number>
  readonly portNames: ReadonlyArray<string | undefined>
  state: TaskState
  updatedAt: number
  startedAt: number | undefined
  hostPorts: ReadonlyArray<number>
  containerId: string | undefined
  message: string | undefined
  /** Set once the scheduler decided to kill it. */
  killing: KillReason | undefined
  /** When the last kill was sent (a kill that does not end the task is sent again). */
  killSentAt: number | undefined
  /** `undefined`: no verdict yet. */
  alive: boolean | undefined
  ready: boolean
  health: ReadonlyArray<HealthCheckResult>
  /** The last result of each readiness check that ran (messages and bodies redacted). */
  readiness?: ReadonlyArray<ReadinessCheckResult>
  /** What its stored binding last said of its start, health and readiness ({@link storedKey}). */
  persisted?: string
}

/**
 * The task's binding as stored: which app it runs and, once it ran, its start, health and readiness.
 *
 * @since 0.1.0
 * @category conversions
 */
export const bindingOf = (task: TaskRecord): TaskBinding => ({
  taskId: task.taskId,
  appId: task.appId,
  version: task.version,
  configVersion: task.configVersion,
  agentId: task.agentId,
  host: task.host,
  stagedAt: task.stagedAt,
  ...(task.startedAt === undefined ? {} : { startedAt: task.startedAt }),
  ...(task.alive === undefined ? {} : { alive: task.alive }),
  ...(task.startedAt === undefined ? {} : { ready: task.ready })
})

/**
 * The part of a binding that changes while the task runs (the binding is stored again only when it changes).
 *
 * @since 0.1.0
 * @category conversions
 */
export const storedKey = (binding: Pick<TaskBinding, "startedAt" | "alive" | "ready">): string =>
  `${binding.startedAt ?? ""}/${binding.alive ?? ""}/${binding.ready ?? ""}`

const stateNames: Record<TaskState, AppTaskState> = {
  staging: "TASK_STAGING",
  starting: "TASK_STARTING",
  running: "TASK_RUNNING",
  finished: "TASK_FINISHED",
  failed: "TASK_FAILED",
  killed: "TASK_KILLED",
  lost: "TASK_LOST"
}

/**
 * Marathon's name of a task state.
 *
 * @since 0.1.0
 * @category conversions
 */
export const stateName = (state: TaskState): AppTaskState => stateNames[state]

/**
 * Whether the task serves: running, not being killed, alive and ready.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isServing = (task: TaskRecord): boolean =>
  task.state === "running" && task.killing === undefined && task.alive === true && task.ready

/**
 * The task as the API shows it; `redact` cleans its message.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toAppTask = (task: TaskRecord, redact: (text: string) => string): AppTask => ({
  id: task.taskId,
  appId: task.appId,
  version: task.version,
  agentId: task.agentId,
  host: task.host,
  ports: task.hostPorts,
  servicePorts: task.servicePorts,
  state: task.killing !== undefined && task.state === "running" ? "TASK_KILLING" : stateName(task.state),
  stagedAt: new Date(task.stagedAt).toISOString(),
  ...(task.startedAt === undefined ? {} : { startedAt: new Date(task.startedAt).toISOString() }),
  healthy: task.alive,
  ready: task.ready,
  healthCheckResults: task.health,
  ...(task.readiness === undefined ? {} : { readinessCheckResults: task.readiness }),
  ...(task.message === undefined ? {} : { message: redact(task.message) })
})
