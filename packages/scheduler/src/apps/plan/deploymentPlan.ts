/**
 * Deployment plans (Marathon's `DeploymentPlan`): the ordered steps that take the apps from their current
 * definitions to the target ones. Apps that disappear are stopped first (dependents before what they depend
 * on), then the remaining changes run in dependency order: an app's step comes after the steps of every app it
 * depends on (directly, or through a group path). Actions inside one step may run in parallel.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { type AppDefinition, appPortsOf, networkModeOf } from "../model/AppDefinition.js"
import { DependencyCycle, InvalidApp } from "./InvalidApp.js"
import { jsonEqual } from "./internal/equal.js"
import { type Edge, layers, matchDependency, resolveDependency } from "./internal/graph.js"
import type { GroupDependencies } from "./validateGroup.js"

/**
 * How a new definition of an app differs from the running one:
 * - `"restart"`: the task spec changed, every task must be replaced by a rolling update;
 * - `"scale"`: only `instances` changed (possibly with `"update"` fields), tasks are added or removed;
 * - `"update"`: only settings the scheduler applies itself changed; the definition is stored, no task moves;
 * - `"none"`: nothing changed (`version` is ignored).
 *
 * @since 0.1.0
 * @category models
 */
export type ChangeKind = "none" | "update" | "scale" | "restart"

/**
 * The part of an app that shapes its tasks or how their health is judged: a change restarts every task.
 * Marathon's `isUpgrade` restarts on any change but `instances`; we leave out what the scheduler applies
 * without touching a task: `upgradeStrategy`, backoff settings, `dependencies`, `taskKillGracePeriodSeconds`,
 * `killSelection`, `unreachableStrategy`, `autoscale`, `canary` (the load balancer applies it), `readinessChecks` (they only gate deployments), `forcePullImage` (read at the next launch) and a
 * port's `servicePort` (a port definition's `port`, unless `requirePorts` makes it the host port) and `labels`
 * (load balancer and discovery only); its container port, required host port, protocol and `name` (the task's
 * env has `PORT_<NAME>`) do restart. Health checks do restart: a
 * new check is then proven on new tasks by a deployment that can fail and roll back, instead of being applied
 * to running tasks that it might all declare unhealthy.
 */
const taskSpec = (app: AppDefinition) => ({
  cmd: app.cmd,
  args: app.args,
  type: app.container.type,
  image: app.container.docker.image,
  ports: appPortsOf(app).map((p) => [p.containerPort, p.hostPort, p.protocol, p.name]),
  volumes: app.container.volumes,
  network: networkModeOf(app),
  cpus: app.cpus,
  mem: app.mem,
  disk: app.disk,
  env: app.env,
  secrets: app.secrets,
  secretFiles: app.secretFiles,
  labels: app.labels,
  constraints: app.constraints,
  healthChecks: app.healthChecks,
  role: app.role,
  acceptedResourceRoles: app.acceptedResourceRoles
})

const settings = (app: AppDefinition) => ({ ...app, instances: 0, version: undefined })

/**
 * What kind of change from `previous` to `next` (the same app) is: see {@link ChangeKind}.
 *
 * @since 0.1.0
 * @category deployment plans
 */
export const changeKind = (previous: AppDefinition, next: AppDefinition): ChangeKind =>
  !jsonEqual(taskSpec(previous), taskSpec(next))
    ? "restart"
    : previous.instances !== next.instances
      ? "scale"
      : jsonEqual(settings(previous), settings(next))
        ? "none"
        : "update"

/**
 * One action of a deployment step:
 * - `StartApplication`: a new app; launch `app.instances` tasks (done once they are healthy and ready);
 * - `ScaleApplication`: change the number of tasks from `from` to `to` (also used when a changed app is scaled
 *   to 0: nothing to restart then);
 * - `RestartApplication`: replace every task of `previous` by tasks of `app` with a rolling update;
 * - `StopApplication`: kill every task of `app` and forget it.
 *
 * @since 0.1.0
 * @category models
 */
export type DeploymentAction =
  | { readonly _tag: "StartApplication"; readonly appId: string; readonly app: AppDefinition }
  | {
      readonly _tag: "ScaleApplication"
      readonly appId: string
      readonly app: AppDefinition
      readonly previous: AppDefinition
      readonly from: number
      readonly to: number
    }
  | {
      readonly _tag: "RestartApplication"
      readonly appId: string
      readonly app: AppDefinition
      readonly previous: AppDefinition
    }
  | { readonly _tag: "StopApplication"; readonly appId: string; readonly app: AppDefinition }

/**
 * A step: actions that may run in parallel; the next step starts once they all finished.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeploymentStep {
  readonly actions: ReadonlyArray<DeploymentAction>
}

/**
 * A deployment plan: the `steps` in order, the ids of every app it changes (`affectedApps`, the unit of
 * conflicts between deployments), and `updates`: apps whose new definition only needs storing (see
 * {@link ChangeKind} `"update"`).
 *
 * @since 0.1.0
 * @category models
 */
export interface DeploymentPlan {
  readonly steps: ReadonlyArray<DeploymentStep>
  readonly affectedApps: ReadonlyArray<string>
  readonly updates: ReadonlyArray<AppDefinition>
}

/**
 * Options of {@link deploymentPlan}: `restart` lists app ids to restart even when unchanged (a forced
 * restart, Marathon's `POST /v2/apps/:id/restart`); `groups` gives the stored group records (absolute ids and
 * dependencies) before and after the change.
 *
 * **Gotchas**: a dependency on a group that has a record but no app is satisfied (nothing to wait for: no
 * edge); a dependency of a record that the change leaves naming nothing is refused, like an app's.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeploymentPlanOptions {
  readonly restart?: ReadonlyArray<string>
  readonly groups?: {
    readonly current: ReadonlyArray<GroupDependencies>
    readonly target: ReadonlyArray<GroupDependencies>
  }
}

const duplicates = (apps: ReadonlyArray<AppDefinition>, name: string): InvalidApp | undefined => {
  const seen = new Map<string, number>()
  for (const [i, app] of apps.entries()) {
    const first = seen.get(app.id)
    if (first !== undefined)
      return new InvalidApp({
        field: `${name}[${i}].id`,
        appId: app.id,
        reason: `duplicate app id (also ${name}[${first}])`
      })
    seen.set(app.id, i)
  }
  return undefined
}

/**
 * Dependency edges among `apps` (dependent -> dependency), or the first dependency naming nothing (no app, no
 * group record in `groupIds`: those without apps give no edge).
 */
const dependencyEdges = (
  apps: ReadonlyArray<AppDefinition>,
  name: string,
  groupIds: ReadonlyArray<string>
): { readonly edges: ReadonlyArray<Edge> } | { readonly unknown: InvalidApp } => {
  const ids = apps.map((a) => a.id)
  const edges: Array<Edge> = []
  for (const [i, app] of apps.entries()) {
    for (const [j, dependency] of app.dependencies.entries()) {
      const path = resolveDependency(dependency, app.id)
      const field = `${name}[${i}].dependencies[${j}]`
      const matched = matchDependency(path, ids)
      if (matched.length === 0 && matchDependency(path, groupIds).length === 0)
        return {
          unknown: new InvalidApp({
            field,
            appId: app.id,
            reason: `depends on ${path}, which is neither an app nor a group`
          })
        }
      for (const to of matched) edges.push({ from: app.id, to, field })
    }
  }
  return { edges }
}

/**
 * The first dependency of a target group record that named an app or group before the change and names none
 * after it (e.g. the change removes it). Records that named nothing already are left alone: refusing them
 * would block every later change.
 */
const brokenGroupDependency = (
  current: ReadonlyArray<AppDefinition>,
  target: ReadonlyArray<AppDefinition>,
  groups: NonNullable<DeploymentPlanOptions["groups"]>
): InvalidApp | undefined => {
  const before = [...current.map((a) => a.id), ...groups.current.map((g) => g.id)]
  const after = [...target.map((a) => a.id), ...groups.target.map((g) => g.id)]
  for (const [i, g] of groups.target.entries())
    for (const [j, path] of g.dependencies.entries())
      if (matchDependency(path, after).length === 0 && matchDependency(path, before).length > 0)
        return new InvalidApp({
          field: `groups[${i}].dependencies[${j}]`,
          reason: `group ${g.id} depends on ${path}, which is neither an app nor a group`
        })
  return undefined
}

/**
 * The plan from `current` to `target` (every app of the cluster before and after; ids absolute). Fails with
 * `InvalidApp` on a duplicate id, a dependency that names no app or group of the target (groups: those with
 * apps, and the records in `options.groups`), or a group record's dependency the change breaks, and with
 * `DependencyCycle` when the target's dependencies form a cycle (an app depending on a group that contains it
 * is one).
 *
 * Ordering as Marathon: apps are layered by the longest chain of dependencies below them, and each layer is
 * one step; removed apps are stopped first (freeing capacity), apps that depend on others before those.
 *
 * @since 0.1.0
 * @category deployment plans
 */
export const deploymentPlan = (
  current: ReadonlyArray<AppDefinition>,
  target: ReadonlyArray<AppDefinition>,
  options: DeploymentPlanOptions = {}
): Effect.Effect<DeploymentPlan, InvalidApp | DependencyCycle> =>
  Effect.suspend((): Effect.Effect<DeploymentPlan, InvalidApp | DependencyCycle> => {
    const duplicate = duplicates(current, "current") ?? duplicates(target, "target")
    if (duplicate !== undefined) return Effect.fail(duplicate)
    const targetGroups = options.groups?.target.map((g) => g.id) ?? []
    const targetEdges = dependencyEdges(target, "target", targetGroups)
    if ("unknown" in targetEdges) return Effect.fail(targetEdges.unknown)
    const broken = options.groups === undefined ? undefined : brokenGroupDependency(current, target, options.groups)
    if (broken !== undefined) return Effect.fail(broken)
    const ordered = layers(
      target.map((a) => a.id),
      targetEdges.edges
    )
    if ("cycle" in ordered) return Effect.fail(new DependencyCycle({ cycle: ordered.cycle }))

    const before = new Map(current.map((a) => [a.id, a]))
    const forced = new Set(options.restart ?? [])
    const actions = new Map<string, DeploymentAction>()
    const updates: Array<AppDefinition> = []
    const affected: Array<string> = []
    for (const app of target) {
      const previous = before.get(app.id)
      if (previous === undefined) {
        actions.set(app.id, { _tag: "StartApplication", appId: app.id, app })
        affected.push(app.id)
        continue
      }
      const kind = forced.has(app.id) ? "restart" : changeKind(previous, app)
      if (kind === "none") continue
      affected.push(app.id)
      if (kind === "update") updates.push(app)
      else if (kind === "scale" || app.instances === 0)
        actions.set(app.id, {
          _tag: "ScaleApplication",
          appId: app.id,
          app,
          previous,
          from: previous.instances,
          to: app.instances
        })
      else actions.set(app.id, { _tag: "RestartApplication", appId: app.id, app, previous })
    }

    const kept = new Set(target.map((a) => a.id))
    const removed = current.filter((a) => !kept.has(a.id))
    const currentEdges = dependencyEdges(current, "current", options.groups?.current.map((g) => g.id) ?? [])
    const removedIds = new Set(removed.map((a) => a.id))
    const reversed = ("edges" in currentEdges ? currentEdges.edges : [])
      .filter((e) => removedIds.has(e.from) && removedIds.has(e.to) && e.from !== e.to)
      .map((e) => ({ from: e.to, to: e.from, field: e.field }))
    const stopOrder = layers([...removedIds], reversed)
    const stopLayers = "layers" in stopOrder ? stopOrder.layers : [[...removedIds].sort()]
    const byId = new Map(removed.map((a) => [a.id, a]))

    const steps: Array<DeploymentStep> = [
      ...stopLayers.map((ids) => ({
        actions: ids.map((id): DeploymentAction => ({ _tag: "StopApplication", appId: id, app: byId.get(id)! }))
      })),
      ...ordered.layers.map((ids) => ({
        actions: ids.flatMap((id) => {
          const action = actions.get(id)
          return action === undefined ? [] : [action]
        })
      }))
    ].filter((step) => step.actions.length > 0)
    return Effect.succeed({ steps, affectedApps: [...affected, ...removedIds].sort(), updates })
  })
