/**
 * The JSON of apps, tasks and groups in `/v2` answers, shaped as Marathon's: an app is its definition plus
 * `version`, task counts, `deployments`, `lastTaskFailure` and (with `embed`) its tasks.
 *
 * @since 0.1.0
 */
import type { AppStatus, AppTask, GroupStatus } from "../scheduler/Views.js"

/**
 * An app as `/v2/apps` shows it; `tasks` when they were asked for (`embed=apps.tasks`).
 *
 * @since 0.1.0
 * @category formatting
 */
export const appJson = (status: AppStatus, tasks?: ReadonlyArray<AppTask>): Record<string, unknown> => ({
  ...status.app,
  version: status.version,
  tasksStaged: status.tasksStaged,
  tasksRunning: status.tasksRunning,
  tasksHealthy: status.tasksHealthy,
  tasksUnhealthy: status.tasksUnhealthy,
  tasksKilling: status.tasksKilling,
  servicePorts: status.servicePorts,
  deployments: status.deployments,
  ...(status.lastTaskFailure === undefined ? {} : { lastTaskFailure: status.lastTaskFailure }),
  ...(status.backoff === undefined ? {} : { backoff: status.backoff }),
  ...(tasks === undefined ? {} : { tasks: tasks.filter((task) => task.appId === status.app.id) })
})

/**
 * A group as `/v2/groups` shows it.
 *
 * @since 0.1.0
 * @category formatting
 */
export const groupJson = (group: GroupStatus, tasks?: ReadonlyArray<AppTask>): Record<string, unknown> => ({
  id: group.id,
  dependencies: group.dependencies,
  ...(group.version === undefined ? {} : { version: group.version }),
  apps: group.apps.map((app) => appJson(app, tasks)),
  groups: group.groups.map((child) => groupJson(child, tasks))
})

/**
 * The group with `id` in the tree, if any.
 *
 * @since 0.1.0
 * @category getters
 */
export const findGroup = (root: GroupStatus, id: string): GroupStatus | undefined => {
  if (root.id === id) return root
  for (const child of root.groups) {
    if (id === child.id || id.startsWith(`${child.id}/`)) return findGroup(child, id)
  }
  return undefined
}
