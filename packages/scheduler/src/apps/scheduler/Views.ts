/**
 * What the app scheduler shows of its state: apps with their task counts, tasks, deployments, the launch
 * queue, the group tree and scheduler info (the `/v2` API serializes these as they are). Secret values never
 * appear here: apps carry only secret references.
 *
 * @since 0.1.0
 */
import type { AppDefinition } from "../model/AppDefinition.js"
import type { DeploymentAction } from "../events/AppEvent.js"

/**
 * The id and version of the deployment a change started (Marathon answers `{ deploymentId, version }`).
 *
 * @since 0.1.0
 * @category models
 */
export interface DeploymentRef {
  readonly deploymentId: string
  readonly version: string
}

/**
 * A task's state in Marathon's names.
 *
 * @since 0.1.0
 * @category models
 */
export type AppTaskState =
  | "TASK_STAGING"
  | "TASK_STARTING"
  | "TASK_RUNNING"
  | "TASK_FINISHED"
  | "TASK_FAILED"
  | "TASK_KILLING"
  | "TASK_KILLED"
  | "TASK_LOST"

/**
 * The result of one health check of a task.
 *
 * @since 0.1.0
 * @category models
 */
export interface HealthCheckResult {
  readonly alive: boolean | undefined
  readonly consecutiveFailures: number
  readonly firstSuccess?: string
  readonly lastSuccess?: string
  readonly lastFailure?: string
  readonly lastFailureCause?: string
}

/**
 * The last result of one readiness check of a task: `lastResponse` (the HTTP status and the body, cut to
 * 1 KB) only when the check asks for `preserveLastResponse`, as Marathon's `readinessCheckResults`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReadinessCheckResult {
  readonly name: string
  readonly taskId: string
  readonly ready: boolean
  readonly message: string
  readonly lastResponse?: { readonly status: number; readonly body: string }
}

/**
 * A task of an app.
 *
 * @since 0.1.0
 * @category models
 */
export interface AppTask {
  readonly id: string
  readonly appId: string
  readonly version: string
  readonly agentId: string
  readonly host: string
  /** Host ports by port index (known once the agent started the container). */
  readonly ports: ReadonlyArray<number>
  readonly servicePorts: ReadonlyArray<number>
  readonly state: AppTaskState
  /** ISO time the task was launched. */
  readonly stagedAt: string
  /** ISO time it was running. */
  readonly startedAt?: string
  /** `undefined`: no verdict yet (or no health checks and not running). */
  readonly healthy: boolean | undefined
  readonly ready: boolean
  readonly healthCheckResults: ReadonlyArray<HealthCheckResult>
  /** The readiness checks' last results (once one ran). */
  readonly readinessCheckResults?: ReadonlyArray<ReadinessCheckResult>
  readonly message?: string
}

/**
 * The last task of an app that failed, as Marathon reports it.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskFailure {
  readonly appId: string
  readonly taskId: string
  readonly host: string
  readonly state: AppTaskState
  readonly message: string
  readonly timestamp: string
  readonly version: string
}

/**
 * An app that fails to start (its failing mark): it stays from the first failed launch until a task of the
 * app runs healthy (or the app is changed or its delay reset), across scheduler restarts; `delayed` tells
 * whether launches wait right now (until `delayedUntil`), `stuck` that the delay reached
 * `maxLaunchDelaySeconds`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Backoff {
  /** ISO time of the next launch. */
  readonly delayedUntil: string
  readonly consecutiveFailures: number
  readonly delayMs: number
  readonly delayed: boolean
  readonly stuck: boolean
}

/**
 * An app with its counts: the definition (with `version`), tasks by state and health, the deployments that
 * change it, the last failure and the launch backoff.
 *
 * @since 0.1.0
 * @category models
 */
export interface AppStatus {
  readonly app: AppDefinition
  readonly version: string
  readonly tasksStaged: number
  readonly tasksRunning: number
  readonly tasksHealthy: number
  readonly tasksUnhealthy: number
  /** Tasks being killed (drained, then killed): not counted in the other counts. */
  readonly tasksKilling: number
  /** Assigned service ports, by port index (`appPortsOf`); 0: the port has none (`requirePorts`). */
  readonly servicePorts: ReadonlyArray<number>
  readonly deployments: ReadonlyArray<{ readonly id: string }>
  readonly lastTaskFailure?: TaskFailure
  /** Present while the app is marked failing to start (see {@link Backoff}). */
  readonly backoff?: Backoff
}

/**
 * A deployment in progress.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeploymentView {
  readonly id: string
  readonly version: string
  readonly affectedApps: ReadonlyArray<string>
  readonly steps: ReadonlyArray<{ readonly actions: ReadonlyArray<DeploymentAction> }>
  /** 1-based, as Marathon. */
  readonly currentStep: number
  readonly totalSteps: number
  readonly currentActions: ReadonlyArray<
    DeploymentAction & {
      readonly readinessCheckResults: ReadonlyArray<
        { readonly taskId: string; readonly ready: boolean } & Partial<ReadinessCheckResult>
      >
    }
  >
  /** Whether this deployment rolls back a failed one. */
  readonly rollback: boolean
  readonly startedAt: string
  readonly deadline: string
}

/**
 * An app waiting for tasks to launch (Marathon's `/v2/queue`).
 *
 * @since 0.1.0
 * @category models
 */
export interface QueueEntry {
  readonly app: { readonly id: string; readonly version: string }
  /** Tasks still to launch. */
  readonly count: number
  readonly delay: { readonly timeLeftSeconds: number; readonly overdue: boolean }
  /** ISO time since the app waits. */
  readonly since: string
  /** Why the last offers did not fit (resource or constraint reasons), newest last. */
  readonly lastUnusedOffers: ReadonlyArray<{ readonly agentId: string; readonly reason: string }>
  /** While the app is marked failing: its failed launches in a row and the last one. */
  readonly consecutiveFailures?: number
  readonly lastTaskFailure?: TaskFailure
}

/**
 * The group tree.
 *
 * @since 0.1.0
 * @category models
 */
export interface GroupStatus {
  readonly id: string
  readonly apps: ReadonlyArray<AppStatus>
  readonly groups: ReadonlyArray<GroupStatus>
  readonly dependencies: ReadonlyArray<string>
  readonly version?: string
}

/**
 * About the scheduler (Marathon's `/v2/info`).
 *
 * @since 0.1.0
 * @category models
 */
export interface SchedulerInfo {
  readonly name: string
  readonly version: string
  readonly frameworkId: string | undefined
  readonly leader: string | undefined
  readonly elected: boolean
  readonly role: string
  readonly servicePortRange: { readonly begin: number; readonly end: number }
  readonly eventSeq: number
}
