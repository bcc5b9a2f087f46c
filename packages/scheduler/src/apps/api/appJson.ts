/**
 * The JSON of apps, tasks and groups in `/v2` answers, shaped as Marathon's: an app is its definition plus
 * `version`, task counts, `deployments`, `lastTaskFailure` and (with `embed`) its tasks.
 *
 * @since 0.1.0
 */
import type { AppDefinition } from "../model/AppDefinition.js"
import { stableIdOf } from "../plan/internal/canaryRules.js"
import type { AppStatus, AppTask, GroupStatus } from "../scheduler/Views.js"
import { canaryPorts } from "../scheduler/Wiring.js"

/**
 * The read-only canary fields of an app, given every app (`world`): on a canary, `canaryPorts` (how each port
 * joins `canary.of`'s service ports, or why it does not); on an app with canaries, `canaries` (their ids).
 *
 * @since 0.1.0
 * @category formatting
 */
export const canaryJson = (app: AppDefinition, world: ReadonlyArray<AppDefinition>): Record<string, unknown> => {
  const canaries = world.filter((a) => stableIdOf(a) === app.id).map((a) => a.id)
  const stableId = stableIdOf(app)
  return {
    ...(stableId === undefined
      ? {}
      : {
          canaryPorts: canaryPorts(
            app,
            world.find((a) => a.id === stableId)
          )
        }),
    ...(canaries.length === 0 ? {} : { canaries })
  }
}

/**
 * An app as `/v2/apps` shows it; `tasks` when they were asked for (`embed=apps.tasks`); with `world` (every
 * app), the canary fields of {@link canaryJson}.
 *
 * @since 0.1.0
 * @category formatting
 */
export const appJson = (
  status: AppStatus,
  tasks?: ReadonlyArray<AppTask>,
  world?: ReadonlyArray<AppDefinition>
): Record<string, unknown> => ({
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
  ...(world === undefined ? {} : canaryJson(status.app, world)),
  ...(tasks === undefined ? {} : { tasks: tasks.filter((task) => task.appId === status.app.id) })
})

/**
 * A group as `/v2/groups` shows it (with `world`, its apps' canary fields).
 *
 * @since 0.1.0
 * @category formatting
 */
export const groupJson = (
  group: GroupStatus,
  tasks?: ReadonlyArray<AppTask>,
  world?: ReadonlyArray<AppDefinition>
): Record<string, unknown> => ({
  id: group.id,
  dependencies: group.dependencies,
  ...(group.version === undefined ? {} : { version: group.version }),
  apps: group.apps.map((app) => appJson(app, tasks, world)),
  groups: group.groups.map((child) => groupJson(child, tasks, world))
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
