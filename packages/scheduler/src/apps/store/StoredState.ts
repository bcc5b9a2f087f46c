/**
 * What the app scheduler stores so that a restarted (or newly elected) scheduler continues where the last
 * one stopped: apps (with `lastConfigChangeAt`, the version whose task spec their tasks must run), their
 * version history, groups with their dependencies, deployments with their progress, which task belongs to
 * which app, the framework id, and how far event numbers went. The JSON of each entry is one of these schemas.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { AppDefinition } from "../model/AppDefinition.js"

/**
 * An app as stored: the current definition (with `version`) and the version whose task spec it runs
 * (a scale keeps it; a change of the task spec or a restart moves it).
 *
 * @since 0.1.0
 * @category models
 */
export const StoredApp = Schema.Struct({
  app: AppDefinition,
  lastConfigChangeAt: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export type StoredApp = typeof StoredApp.Type

/**
 * A group as stored (Marathon's group record): its absolute id, its own dependencies (absolute ids; the apps
 * in it and in its subgroups inherit them), and the version of the change that put it. Groups that only exist
 * because an app id names them have no record.
 *
 * @since 0.1.0
 * @category models
 */
export const StoredGroup = Schema.Struct({
  id: Schema.String,
  dependencies: Schema.Array(Schema.String),
  version: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export type StoredGroup = typeof StoredGroup.Type

const Action = Schema.Struct({
  action: Schema.Literals(["StartApplication", "ScaleApplication", "RestartApplication", "StopApplication"]),
  app: Schema.String
})

/**
 * A deployment and its progress: ordered steps of actions (`currentStep` is the 0-based step running), the
 * apps before (`original`, `null` for an app it creates) and after (`target`, `null` for one it removes), and
 * the group records it puts or removes as they were before (`originalGroups`, `null` for a record it
 * creates; absent in deployments stored by older versions, whose rollback then restores apps only).
 *
 * @since 0.1.0
 * @category models
 */
export const StoredDeployment = Schema.Struct({
  id: Schema.String,
  version: Schema.String,
  rollback: Schema.Boolean,
  startedAt: Schema.Finite,
  deadline: Schema.Finite,
  steps: Schema.Array(Schema.Array(Action)),
  currentStep: Schema.Int,
  original: Schema.Record(Schema.String, Schema.NullOr(StoredApp)),
  target: Schema.Record(Schema.String, Schema.NullOr(StoredApp)),
  originalGroups: Schema.optionalKey(Schema.Record(Schema.String, Schema.NullOr(StoredGroup)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type StoredDeployment = typeof StoredDeployment.Type

/**
 * Which app (and which of its versions) a task was launched for, and where; once it ran, when it started and
 * its last health verdict and readiness (rewritten only when they change), so that a restarted scheduler
 * serves a task that was healthy at once instead of waiting for its first check. Bindings stored by older
 * versions have none of the three: their tasks wait for a first check.
 *
 * @since 0.1.0
 * @category models
 */
export const TaskBinding = Schema.Struct({
  taskId: Schema.String,
  appId: Schema.String,
  version: Schema.String,
  configVersion: Schema.String,
  agentId: Schema.String,
  host: Schema.String,
  stagedAt: Schema.Finite,
  /** When it started running (ms epoch). */
  startedAt: Schema.optionalKey(Schema.Finite),
  /** Its last health verdict (absent: none yet). */
  alive: Schema.optionalKey(Schema.Boolean),
  /** Whether its readiness checks passed. */
  ready: Schema.optionalKey(Schema.Boolean)
})

/**
 * @since 0.1.0
 * @category models
 */
export type TaskBinding = typeof TaskBinding.Type

/**
 * A lost task that still holds its app's instance (`unreachableStrategy`): until `until` (ms epoch), or without
 * it (`"disabled"`) until its agent is listed again.
 *
 * @since 0.1.0
 * @category models
 */
export const StoredUnreachableTask = Schema.Struct({
  taskId: Schema.String,
  agentId: Schema.String,
  lostAt: Schema.Finite,
  until: Schema.optionalKey(Schema.Finite)
})

/**
 * An app's launch failures (its backoff): consecutive failures, when the next launch may happen (ms epoch) and
 * the last failed task, kept across restarts so that a crash-looping app stays delayed and marked; and its lost
 * tasks that still hold their instance, so that a restart does not replace them before their time.
 *
 * @since 0.1.0
 * @category models
 */
export const StoredFailures = Schema.Struct({
  appId: Schema.String,
  consecutiveFailures: Schema.Int,
  delayedUntil: Schema.Finite,
  lastTaskFailure: Schema.optionalKey(
    Schema.Struct({
      appId: Schema.String,
      taskId: Schema.String,
      host: Schema.String,
      state: Schema.Literals([
        "TASK_STAGING",
        "TASK_STARTING",
        "TASK_RUNNING",
        "TASK_FINISHED",
        "TASK_FAILED",
        "TASK_KILLING",
        "TASK_KILLED",
        "TASK_LOST"
      ]),
      message: Schema.String,
      timestamp: Schema.String,
      version: Schema.String
    })
  ),
  /** Lost tasks holding their instance (a store written by older versions has none). */
  unreachable: Schema.optionalKey(Schema.Array(StoredUnreachableTask))
})

/**
 * @since 0.1.0
 * @category models
 */
export type StoredFailures = typeof StoredFailures.Type

/**
 * Everything stored, as loaded at start.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoredState {
  readonly frameworkId: string | undefined
  /** Event numbers below this were (possibly) used; a new leader numbers from here. */
  readonly eventSeq: number
  readonly apps: ReadonlyArray<StoredApp>
  readonly groups: ReadonlyArray<StoredGroup>
  readonly deployments: ReadonlyArray<StoredDeployment>
  readonly tasks: ReadonlyArray<TaskBinding>
  /** Launch failures by app (a store written by older versions has none). */
  readonly failures: ReadonlyArray<StoredFailures>
}

/**
 * One atomic change of the store: every part is applied, or none.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoreChange {
  /** Apps to create or replace (their version is added to the history). */
  readonly putApps?: ReadonlyArray<StoredApp>
  readonly removeApps?: ReadonlyArray<string>
  /** Group records to create or replace. */
  readonly putGroups?: ReadonlyArray<StoredGroup>
  /** Ids of group records to remove (unknown ones are ignored). */
  readonly removeGroups?: ReadonlyArray<string>
  readonly putDeployments?: ReadonlyArray<StoredDeployment>
  readonly removeDeployments?: ReadonlyArray<string>
  readonly bindTasks?: ReadonlyArray<TaskBinding>
  readonly unbindTasks?: ReadonlyArray<string>
  /** Launch failures to create or replace, by app. */
  readonly putFailures?: ReadonlyArray<StoredFailures>
  /** Apps whose launch failures are forgotten (removing an app forgets them too). */
  readonly removeFailures?: ReadonlyArray<string>
  readonly frameworkId?: string
  readonly eventSeq?: number
}
