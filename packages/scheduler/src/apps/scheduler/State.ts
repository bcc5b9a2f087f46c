/**
 * The runtime's in-memory state (apps with their backoff and autoscaler samples, group records, tasks,
 * deployments, launch demand) and the views the API shows of it: app statuses, the group tree, the launch queue. Pure functions
 * over the state; the engine mutates it.
 *
 * @since 0.1.0
 */
import { isTerminal } from "../../cluster/Task.js"
import { type AppDefinition, appPortsOf } from "../model/AppDefinition.js"
import { matchesSelector, parseLabelSelector } from "../model/LabelSelector.js"
import { backoffState, launchDelayMs } from "../plan/index.js"
import type { StoredApp, StoredDeployment, StoredFailures, StoredGroup } from "../store/StoredState.js"
import type { TaskRecord } from "./TaskRecord.js"
import type { AppStatus, GroupStatus, QueueEntry, ReadinessCheckResult } from "./Views.js"

/**
 * An app as the runtime tracks it.
 *
 * @since 0.1.0
 * @category models
 */
export interface AppRecord {
  stored: StoredApp
  /** Failed launches in a row (the backoff's exponent). */
  failures: number
  /** No launch before this (ms epoch). */
  delayedUntil: number
  /**
   * When the last failure was counted (ms epoch, this scheduler's clock; 0: none). Only a task launched after it
   * ends the backoff by serving: tasks that were already serving say nothing about whether a launch succeeds.
   */
  failedAt: number
  lastFailure: AppStatus["lastTaskFailure"]
  /** Since when it waits for launches. */
  waitingSince: number | undefined
  /** Why recent offers did not fit. */
  unused: Array<{ readonly agentId: string; readonly reason: string }>
  /** The autoscaler's samples of its metric. */
  samples: Array<{ readonly at: number; readonly value: number }>
  lastScaleAt: number | undefined
  /** What the store last said of its failures ({@link failuresKey}). */
  persistedFailures?: string
  /** Lost tasks whose replacement waits (the app's `unreachableStrategy`): each still counts as an instance. */
  unreachable: Array<UnreachableTask>
}

/**
 * A lost task that still holds its instance: until `until` (ms epoch; `inactiveAfterSeconds` after it was
 * lost), or, with the strategy `"disabled"` (`until` undefined), until its agent is back.
 *
 * @since 0.1.0
 * @category models
 */
export interface UnreachableTask {
  readonly taskId: string
  readonly agentId: string
  readonly lostAt: number
  readonly until: number | undefined
}

/**
 * The lost tasks of an app that still hold their instance at `now`, given the agents listed at `agentsAt`.
 *
 * @since 0.1.0
 * @category getters
 */
export const stillUnreachable = (
  a: AppRecord,
  now: number,
  agents: { readonly has: (agentId: string) => boolean },
  agentsAt: number
): Array<UnreachableTask> =>
  a.unreachable.filter((u) => (u.until === undefined ? !(agentsAt > u.lostAt && agents.has(u.agentId)) : u.until > now))

/**
 * The app's launch failures and unreachable holds as stored; `undefined` when there is nothing to keep (no
 * failure, no last one, no hold).
 *
 * @since 0.1.0
 * @category conversions
 */
export const storedFailuresOf = (a: AppRecord): StoredFailures | undefined =>
  a.failures === 0 && a.lastFailure === undefined && a.unreachable.length === 0
    ? undefined
    : {
        appId: a.stored.app.id,
        consecutiveFailures: a.failures,
        delayedUntil: a.delayedUntil,
        ...(a.lastFailure === undefined ? {} : { lastTaskFailure: a.lastFailure }),
        ...(a.unreachable.length === 0
          ? {}
          : {
              unreachable: a.unreachable.map(({ until, ...u }) => (until === undefined ? u : { ...u, until }))
            })
      }

/**
 * What is stored of an app's failures, as a string to compare (the store is written only on a change).
 *
 * @since 0.1.0
 * @category conversions
 */
export const failuresKey = (failures: StoredFailures | undefined): string =>
  failures === undefined ? "" : JSON.stringify(failures)

/**
 * Restores an app's stored failures into its record (a restarted scheduler keeps the backoff, the mark and the
 * lost tasks still holding their instance).
 *
 * @since 0.1.0
 * @category constructors
 */
export const restoreFailures = (a: AppRecord, failures: StoredFailures): void => {
  a.failures = failures.consecutiveFailures
  a.delayedUntil = failures.delayedUntil
  // when is not stored: tasks found running again were launched before the restart, so only new ones count
  a.failedAt = failures.consecutiveFailures > 0 ? Date.now() : 0
  a.lastFailure = failures.lastTaskFailure
  a.unreachable = (failures.unreachable ?? []).map((u) => ({ ...u, until: u.until }))
  a.persistedFailures = failuresKey(storedFailuresOf(a))
}

/**
 * Whether the task was launched after the app's last counted failure: only such a task, once it serves, shows
 * that the app starts again and ends its backoff.
 *
 * @since 0.1.0
 * @category utils
 */
export const launchedSinceFailure = (a: AppRecord, task: { readonly stagedAt: number }): boolean =>
  task.stagedAt > a.failedAt

/**
 * A fresh record of a stored app.
 *
 * @since 0.1.0
 * @category constructors
 */
export const newAppRecord = (stored: StoredApp): AppRecord => ({
  stored,
  failures: 0,
  delayedUntil: 0,
  failedAt: 0,
  lastFailure: undefined,
  waitingSince: undefined,
  unused: [],
  samples: [],
  lastScaleAt: undefined,
  unreachable: []
})

/**
 * The state.
 *
 * @since 0.1.0
 * @category models
 */
export interface RuntimeState {
  readonly apps: Map<string, AppRecord>
  /** The stored group records (groups with dependencies), by id. */
  readonly groups: Map<string, StoredGroup>
  readonly tasks: Map<string, TaskRecord>
  readonly deployments: Map<string, StoredDeployment>
  /** Tasks to launch now, by app (recomputed every tick). */
  readonly want: Map<string, number>
}

/**
 * An empty state.
 *
 * @since 0.1.0
 * @category constructors
 */
export const emptyState = (): RuntimeState => ({
  apps: new Map(),
  groups: new Map(),
  tasks: new Map(),
  deployments: new Map(),
  want: new Map()
})

/**
 * Every task of an app (terminal ones are dropped as they end).
 *
 * @since 0.1.0
 * @category getters
 */
export const tasksOf = (state: RuntimeState, appId: string): Array<TaskRecord> =>
  [...state.tasks.values()].filter((t) => t.appId === appId)

/**
 * The app's tasks that still run or start.
 *
 * @since 0.1.0
 * @category getters
 */
export const activeTasksOf = (state: RuntimeState, appId: string): Array<TaskRecord> =>
  tasksOf(state, appId).filter((t) => !isTerminal(t.state))

/**
 * Orders tasks for killing by the app's `killSelection`: the youngest (latest staged) first by default, the
 * oldest first with `OLDEST_FIRST`.
 *
 * @since 0.1.0
 * @category utils
 */
export const byKillSelection = (
  selection: "YOUNGEST_FIRST" | "OLDEST_FIRST",
  x: Pick<TaskRecord, "stagedAt">,
  y: Pick<TaskRecord, "stagedAt">
): number => (selection === "OLDEST_FIRST" ? x.stagedAt - y.stagedAt : y.stagedAt - x.stagedAt)

/**
 * The deployments that change any of `appIds`.
 *
 * @since 0.1.0
 * @category getters
 */
export const deploymentsOf = (state: RuntimeState, appIds: ReadonlyArray<string>): Array<StoredDeployment> =>
  [...state.deployments.values()].filter((d) => appIds.some((id) => id in d.target))

/**
 * The app with its counts, deployments, last failure and backoff.
 *
 * @since 0.1.0
 * @category views
 */
export const appStatus = (state: RuntimeState, a: AppRecord, now: number): AppStatus => {
  const list = tasksOf(state, a.stored.app.id)
  // tasks being killed are on their way out: counted apart
  const running = list.filter((t) => t.state === "running" && t.killing === undefined)
  const backoff = backoffOf(a, now)
  return {
    app: a.stored.app,
    version: a.stored.app.version ?? "",
    tasksStaged: list.filter((t) => (t.state === "staging" || t.state === "starting") && t.killing === undefined)
      .length,
    tasksRunning: running.length,
    tasksHealthy: running.filter((t) => t.alive === true).length,
    tasksUnhealthy: running.filter((t) => t.alive === false).length,
    tasksKilling: list.filter((t) => t.killing !== undefined && !isTerminal(t.state)).length,
    servicePorts: appPortsOf(a.stored.app).map((p) => p.servicePort ?? 0),
    deployments: deploymentsOf(state, [a.stored.app.id]).map((d) => ({ id: d.id })),
    ...(a.lastFailure === undefined ? {} : { lastTaskFailure: a.lastFailure }),
    ...(backoff === undefined ? {} : { backoff })
  }
}

/**
 * The app's failing mark: present from its first failed launch until a task of it runs healthy (or the app
 * changes), whether its next launch is delayed right now or not.
 *
 * @since 0.1.0
 * @category views
 */
export const backoffOf = (a: AppRecord, now: number): AppStatus["backoff"] => {
  if (a.failures <= 0) return undefined
  const delayMs = launchDelayMs(a.stored.app, a.failures)
  const b = backoffState(a.stored.app, a.failures, a.delayedUntil - delayMs, now)
  return {
    delayedUntil: new Date(a.delayedUntil).toISOString(),
    consecutiveFailures: a.failures,
    delayMs,
    delayed: b.delayed,
    stuck: b.stuck
  }
}

/**
 * Whether an app matches a label selector (Marathon's syntax, see `LabelSelector`); an invalid one matches
 * nothing (the API refuses it first).
 *
 * @since 0.1.0
 * @category views
 */
export const matchesLabel = (app: AppDefinition, label: string | undefined): boolean => {
  if (label === undefined) return true
  const selector = parseLabelSelector(label)
  return typeof selector !== "string" && matchesSelector(app.labels, selector)
}

interface TreeNode {
  readonly id: string
  readonly apps: Array<AppStatus>
  readonly groups: Map<string, TreeNode>
}

/**
 * The group tree from `/`: the groups app ids name and the stored group records (with their dependencies and
 * version; a record keeps a group in the tree when no app is in it).
 *
 * @since 0.1.0
 * @category views
 */
export const groupTree = (state: RuntimeState, now: number): GroupStatus => {
  const root: TreeNode = { id: "/", apps: [], groups: new Map() }
  const nodeOf = (parts: ReadonlyArray<string>) => {
    let node = root
    for (const part of parts) {
      const id = `${node.id === "/" ? "" : node.id}/${part}`
      let next = node.groups.get(id)
      if (next === undefined) {
        next = { id, apps: [], groups: new Map() }
        node.groups.set(id, next)
      }
      node = next
    }
    return node
  }
  const segments = (id: string) => id.split("/").filter((p) => p !== "")
  for (const id of state.groups.keys()) nodeOf(segments(id))
  for (const a of [...state.apps.values()].sort((x, y) => x.stored.app.id.localeCompare(y.stored.app.id)))
    nodeOf(segments(a.stored.app.id).slice(0, -1)).apps.push(appStatus(state, a, now))
  const render = (n: TreeNode): GroupStatus => {
    const record = state.groups.get(n.id)
    return {
      id: n.id,
      apps: n.apps,
      groups: [...n.groups.values()].sort((x, y) => x.id.localeCompare(y.id)).map(render),
      dependencies: record?.dependencies ?? [],
      ...(record === undefined ? {} : { version: record.version })
    }
  }
  return render(root)
}

/**
 * Apps waiting for launches, delayed by their backoff, or marked failing (failed launches since the last
 * healthy task).
 *
 * @since 0.1.0
 * @category views
 */
export const launchQueue = (state: RuntimeState, now: number): ReadonlyArray<QueueEntry> =>
  [...state.apps.values()].flatMap((a) => {
    const count = state.want.get(a.stored.app.id) ?? 0
    if (count <= 0 && a.delayedUntil <= now && a.failures <= 0) return []
    return [
      {
        app: { id: a.stored.app.id, version: a.stored.app.version ?? "" },
        count: Math.max(0, count),
        delay: { timeLeftSeconds: Math.max(0, (a.delayedUntil - now) / 1000), overdue: a.delayedUntil <= now },
        since: new Date(a.waitingSince ?? now).toISOString(),
        lastUnusedOffers: a.unused,
        ...(a.failures > 0 ? { consecutiveFailures: a.failures } : {}),
        ...(a.failures > 0 && a.lastFailure !== undefined ? { lastTaskFailure: a.lastFailure } : {})
      }
    ]
  })

/**
 * Readiness of the app's running tasks (for the deployment view): each readiness check's last result (with
 * its preserved response), or the task's readiness when no check ran yet.
 *
 * @since 0.1.0
 * @category views
 */
export const readinessOf = (
  state: RuntimeState,
  appId: string
): ReadonlyArray<{ readonly taskId: string; readonly ready: boolean } & Partial<ReadinessCheckResult>> =>
  activeTasksOf(state, appId)
    .filter((t) => t.state === "running" && t.killing === undefined)
    .flatMap(
      (t): ReadonlyArray<{ readonly taskId: string; readonly ready: boolean } & Partial<ReadinessCheckResult>> =>
        t.readiness === undefined || t.readiness.length === 0 ? [{ taskId: t.taskId, ready: t.ready }] : t.readiness
    )
