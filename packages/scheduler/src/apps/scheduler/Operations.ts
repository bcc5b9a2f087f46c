/**
 * The app scheduler's operations while it leads: validating and deploying apps and groups (a group's record
 * keeps its dependencies, which apps put into it later inherit), scaling,
 * restarting, killing tasks, cancelling deployments, and the views of apps, tasks, deployments, groups and
 * the launch queue. Every change runs under the engine's lock and fails with a typed error, state unchanged.
 *
 * @since 0.1.0
 */
import { Effect, Result } from "effect"
import type { EventLog } from "../events/EventLog.js"
import type { AppEventPayload } from "../events/AppEvent.js"
import { PortTable as ServicePorts } from "../lb/index.js"
import {
  type AppDefinition,
  appPortsOf,
  type Group,
  maxInstances,
  resolvePath,
  servicePortFieldOf,
  withServicePortsOf
} from "../model/AppDefinition.js"
import {
  changeKind,
  groupRecords,
  idConflict,
  impossibleConstraint,
  InvalidApp,
  inheritDependencies,
  recordCycle,
  validateApp,
  validateGroup
} from "../plan/index.js"
import type { Redactor } from "../secrets/index.js"
import type { AppStore } from "../store/AppStore.js"
import type { StoreChange, StoredApp, StoredDeployment, StoredGroup } from "../store/StoredState.js"
import { AppNotFound, type AppsError, DeploymentConflict, type StoreError } from "./AppsError.js"
import { toView } from "./Deployment.js"
import type { AgentInfo } from "./Driver.js"
import type { Settings } from "./Engine.js"
import * as State from "./State.js"
import type { AppRecord, RuntimeState } from "./State.js"
import { type KillReason, type TaskRecord, toAppTask } from "./TaskRecord.js"
import type { AppTask, DeploymentRef, DeploymentView, SchedulerInfo } from "./Views.js"

/**
 * What `put`, `scale`... accept.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeployOptions {
  readonly force?: boolean
}

/**
 * How a deployment is asked for: the caller's options, whether it is a rollback, which apps restart
 * regardless of changes, and the operation named in `api_post_event`.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeployRequest extends DeployOptions {
  readonly rollback?: boolean
  readonly restart?: ReadonlyArray<string>
  readonly operation: string
  /** Group records stored with the deployment's apps (in the same commit). */
  readonly groups?: { readonly put: ReadonlyArray<StoredGroup>; readonly remove: ReadonlyArray<string> }
  /**
   * The deployment this one rolls back and why it failed (`deadline`, `cancelled`): it is replaced in the same
   * commit and its `deployment_failed` event names that reason and this rollback, instead of "superseded".
   */
  readonly failing?: { readonly id: string; readonly reason: string }
}

/**
 * What the operations need of the engine.
 *
 * @since 0.1.0
 * @category models
 */
export interface Core {
  readonly state: RuntimeState
  readonly settings: Settings
  readonly store: AppStore["Service"]
  readonly redactor: Redactor["Service"]
  readonly log: EventLog
  readonly frameworkId: string
  readonly agents: ReadonlyMap<string, AgentInfo>
  /** The service-port table now (it changes as apps come and go). */
  readonly portTable: () => ServicePorts.PortTable
  readonly locked: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly wake: Effect.Effect<void>
  readonly newVersion: () => string
  readonly publish: (payload: AppEventPayload) => Effect.Effect<void>
  readonly commit: (change: StoreChange) => Effect.Effect<void, StoreError>
  readonly kill: (task: TaskRecord, reason: KillReason) => Effect.Effect<void>
  readonly deploy: (
    changes: ReadonlyMap<string, StoredApp | null>,
    options: DeployRequest,
    version: string
  ) => Effect.Effect<DeploymentRef, AppsError>
  readonly failDeployment: (
    d: StoredDeployment,
    reason: string,
    rollback: boolean
  ) => Effect.Effect<string | undefined, AppsError>
  readonly refreshAgents: Effect.Effect<void>
}

const isUnder = (id: string, groupId: string): boolean =>
  groupId === "/" || id === groupId || id.startsWith(`${groupId}/`)

/**
 * The operations over an engine's core.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeOperations = (core: Core) => {
  const { state, settings, store, redactor, locked } = core
  const { apps, groups, tasks, deployments } = state
  const conflictsWith = (ids: ReadonlyArray<string>) => State.deploymentsOf(state, ids)

  const appRecord = (appId: string) =>
    Effect.suspend(() => {
      const a = apps.get(resolvePath(appId))
      return a === undefined ? Effect.fail(new AppNotFound({ kind: "app", id: appId })) : Effect.succeed(a)
    })

  const agentSlots = () =>
    [...core.agents.values()].map((a) => ({ agentId: a.agentId, hostname: a.hostname, attributes: a.attributes }))

  /** Checks an app's constraints against the known agents. */
  const checkPlacement = (app: AppDefinition) =>
    Effect.gen(function* () {
      yield* core.refreshAgents
      if (core.agents.size === 0) return
      const reason = impossibleConstraint(app, agentSlots())
      if (reason !== undefined) return yield* new InvalidApp({ field: "constraints", reason, appId: app.id })
    })

  /** Assigns service ports to the app's ports without one (keeping the ones the app had) and writes them back. */
  const withServicePorts = (app: AppDefinition, previous: AppDefinition | undefined) =>
    Effect.gen(function* () {
      let table = core.portTable()
      const before = previous === undefined ? [] : appPortsOf(previous)
      const assigned: Array<number | undefined> = []
      for (const p of appPortsOf(app)) {
        const owner = `${app.id}#${p.index}`
        let port = p.servicePort
        const field = servicePortFieldOf(p)
        if (port === 0) {
          const kept = before[p.index]?.servicePort
          if (kept !== undefined && kept > 0 && table.owners.get(kept) === owner) port = kept
          else {
            const next = ServicePorts.assign(table, owner)
            if (Result.isFailure(next))
              return yield* new InvalidApp({ field, reason: next.failure.message, appId: app.id })
            ;[port, table] = next.success
          }
        } else if (port !== undefined) {
          const reserved = ServicePorts.reserve(ServicePorts.releaseOwner(table, owner), port, owner)
          if (Result.isFailure(reserved))
            return yield* new InvalidApp({ field, reason: reserved.failure.message, appId: app.id })
          table = reserved.success
        }
        assigned.push(port)
      }
      return withServicePortsOf(app, assigned)
    })

  const servicePorts = { min: settings.servicePortRange.begin, max: settings.servicePortRange.end }
  const role = settings.role

  /** Validates an app for `version`; `inherit`: it comes on its own, so it inherits its groups' dependencies. */
  const prepare = (app: AppDefinition, version: string, inherit: boolean) =>
    Effect.gen(function* () {
      const id = resolvePath(app.id)
      const valid = yield* validateApp({ ...app, id }, { servicePorts, role })
      const checked = inherit
        ? yield* inheritDependencies(valid, [...groups.values()], [...apps.keys(), ...groups.keys(), id])
        : valid
      yield* checkPlacement(checked)
      const metric = checked.autoscale?.metric
      if (metric !== undefined && settings.metricSources[metric] === undefined) {
        const known = Object.keys(settings.metricSources)
        return yield* new InvalidApp({
          field: "autoscale.metric",
          reason: `no metric source named ${JSON.stringify(metric)} (this scheduler has ${
            known.length === 0 ? "none: give it metricSources" : known.join(", ")
          })`,
          appId: id
        })
      }
      const previous = apps.get(id)?.stored
      const next = yield* withServicePorts({ ...checked, version }, previous?.app)
      const kind = previous === undefined ? "restart" : changeKind(previous.app, next)
      const lastConfigChangeAt = kind === "restart" || previous === undefined ? version : previous.lastConfigChangeAt
      return { app: next, lastConfigChangeAt } satisfies StoredApp
    })

  /** Refuses an app or a group at `id` that would share its id with a group or an app (422 on `id`). */
  const checkIdFree = (id: string, kind: "app" | "group") =>
    Effect.suspend(() => {
      const reason = idConflict(id, kind, { apps: [...apps.keys()], groups: [...groups.keys()] })
      return reason === undefined
        ? Effect.void
        : Effect.fail(new InvalidApp({ field: "id", reason, ...(kind === "app" ? { appId: id } : {}) }))
    })

  const put = (app: AppDefinition, options: DeployOptions = {}) =>
    locked(
      Effect.gen(function* () {
        yield* checkIdFree(resolvePath(app.id), "app")
        const version = core.newVersion()
        const next = yield* prepare(app, version, true)
        return yield* core.deploy(new Map([[next.app.id, next]]), { ...options, operation: "put" }, version)
      })
    )

  const putGroup = (group: Group, options: DeployOptions = {}) =>
    locked(
      Effect.gen(function* () {
        const groupId = resolvePath(group.id)
        yield* checkIdFree(groupId, "group")
        const enclosing = [...groups.values()].filter((g) => g.id !== groupId && isUnder(groupId, g.id))
        const outside = [...apps.keys(), ...groups.keys()].filter((id) => !isUnder(id, groupId))
        const flat = yield* validateGroup(
          { ...group, id: groupId },
          { servicePorts, knownIds: outside, role },
          "/",
          enclosing
        )
        const version = core.newVersion()
        const changes = new Map<string, StoredApp | null>()
        for (const app of flat) changes.set(app.id, yield* prepare(app, version, false))
        for (const id of apps.keys()) if (isUnder(id, groupId) && !changes.has(id)) changes.set(id, null)
        const put = groupRecords({ ...group, id: groupId }).map((g) => ({ ...g, version }))
        const remove = [...groups.keys()].filter((id) => isUnder(id, groupId) && !put.some((g) => g.id === id))
        const cycle = recordCycle(
          [...[...groups.values()].filter((g) => !isUnder(g.id, groupId)), ...put],
          [
            ...[...apps.values()].map((a) => a.stored.app).filter((a) => !changes.has(a.id)),
            ...[...changes.values()].flatMap((s) => (s === null ? [] : [s.app]))
          ]
        )
        if (cycle !== undefined)
          return yield* new InvalidApp({ field: "dependencies", reason: `dependency cycle: ${cycle.join(" -> ")}` })
        const ref = yield* core.deploy(changes, { ...options, operation: "putGroup", groups: { put, remove } }, version)
        yield* core.publish({ eventType: "group_change_success", groupId, version })
        return ref
      })
    )

  const remove = (appId: string, options: DeployOptions = {}) =>
    locked(
      Effect.gen(function* () {
        const a = yield* appRecord(appId)
        return yield* core.deploy(
          new Map([[a.stored.app.id, null]]),
          { ...options, operation: "remove" },
          core.newVersion()
        )
      })
    )

  const removeGroup = (groupId: string, options: DeployOptions = {}) =>
    locked(
      Effect.gen(function* () {
        const id = resolvePath(groupId)
        const ids = [...apps.keys()].filter((a) => isUnder(a, id))
        const records = [...groups.keys()].filter((g) => isUnder(g, id))
        if (ids.length === 0 && records.length === 0) return yield* new AppNotFound({ kind: "group", id: groupId })
        const version = core.newVersion()
        const ref = yield* core.deploy(
          new Map(ids.map((a) => [a, null])),
          { ...options, operation: "removeGroup", groups: { put: [], remove: records } },
          version
        )
        yield* core.publish({ eventType: "group_change_success", groupId: id, version })
        return ref
      })
    )

  const scale = (appId: string, instances: number, options: DeployOptions = {}, operation = "scale") => {
    return locked(
      Effect.gen(function* () {
        if (!Number.isInteger(instances) || instances < 0 || instances > maxInstances)
          return yield* new InvalidApp({
            field: "instances",
            reason: `expects an integer from 0 to ${maxInstances}, got ${instances}`,
            appId
          })
        const a = yield* appRecord(appId)
        const version = core.newVersion()
        // the same rules as a PUT of the scaled definition (the instance limit, the autoscaler's range)
        const scaled = yield* validateApp({ ...a.stored.app, instances, version }, { servicePorts, role })
        const next: StoredApp = { app: scaled, lastConfigChangeAt: a.stored.lastConfigChangeAt }
        yield* checkPlacement(next.app)
        return yield* core.deploy(new Map([[next.app.id, next]]), { ...options, operation }, version)
      })
    )
  }

  const restart = (appId: string, options: DeployOptions = {}) =>
    locked(
      Effect.gen(function* () {
        const a = yield* appRecord(appId)
        const version = core.newVersion()
        const next: StoredApp = { app: { ...a.stored.app, version }, lastConfigChangeAt: version }
        return yield* core.deploy(
          new Map([[next.app.id, next]]),
          { ...options, operation: "restart", restart: [next.app.id] },
          version
        )
      })
    )

  /** `deployment_failed` for a deployment dropped without a rollback. */
  const publishFailed = (d: StoredDeployment, reason: "cancelled" | "superseded") =>
    core.publish({
      eventType: "deployment_failed",
      id: d.id,
      version: d.version,
      affectedApps: Object.keys(d.target).sort(),
      reason
    })

  const killTasks = (
    taskIds: ReadonlyArray<string>,
    options: { readonly scale?: boolean; readonly force?: boolean } = {}
  ) =>
    locked(
      Effect.gen(function* () {
        const found: Array<TaskRecord> = []
        for (const id of taskIds) {
          const t = tasks.get(id)
          if (t === undefined) return yield* new AppNotFound({ kind: "task", id })
          found.push(t)
        }
        if (options.scale === true) {
          const byApp = new Map<string, number>()
          for (const t of found) if (t.killing === undefined) byApp.set(t.appId, (byApp.get(t.appId) ?? 0) + 1)
          const conflicts = conflictsWith([...byApp.keys()])
          if (conflicts.length > 0 && options.force !== true)
            return yield* new DeploymentConflict({ deploymentIds: conflicts.map((d) => d.id), apps: [...byApp.keys()] })
          const version = core.newVersion()
          const changed: Array<StoredApp> = []
          for (const [appId, n] of byApp) {
            const a = apps.get(appId)
            if (a === undefined) continue
            changed.push({
              app: { ...a.stored.app, instances: Math.max(0, a.stored.app.instances - n), version },
              lastConfigChangeAt: a.stored.lastConfigChangeAt
            })
          }
          yield* core.commit({ putApps: changed, removeDeployments: conflicts.map((d) => d.id) })
          // a forced kill-and-scale supersedes the deployments it conflicts with, as a forced deploy does
          for (const d of conflicts) {
            deployments.delete(d.id)
            yield* publishFailed(d, "superseded")
          }
          for (const s of changed) {
            apps.get(s.app.id)!.stored = s
            yield* core.publish({ eventType: "api_post_event", appId: s.app.id, version, operation: "killAndScale" })
          }
        }
        for (const t of found) yield* core.kill(t, options.scale === true ? "scale" : "user")
        yield* core.wake
        return found.map((t) => toAppTask(t, redactor.redact))
      })
    )

  const cancel = (deploymentId: string, options: { readonly rollback?: boolean } = {}) =>
    locked(
      Effect.gen(function* () {
        const d = deployments.get(deploymentId)
        if (d === undefined) return yield* new AppNotFound({ kind: "deployment", id: deploymentId })
        if (options.rollback === false) {
          yield* core.commit({ removeDeployments: [d.id] })
          deployments.delete(d.id)
          yield* publishFailed(d, "cancelled")
          yield* core.wake
          return undefined
        }
        const rollbackId = yield* core.failDeployment(d, "cancelled", true)
        const rollback = rollbackId === undefined ? undefined : deployments.get(rollbackId)
        return rollback === undefined ? undefined : { deploymentId: rollback.id, version: rollback.version }
      })
    )

  const resetDelay = (appId: string) =>
    Effect.gen(function* () {
      const a = yield* appRecord(appId)
      a.failures = 0
      a.delayedUntil = 0
      yield* core.wake
    })

  const statusOf = (a: AppRecord) => State.appStatus(state, a, Date.now())

  const views = {
    apps: (filter: { readonly prefix?: string; readonly label?: string } = {}) =>
      Effect.sync(() =>
        [...apps.values()]
          .filter((a) => filter.prefix === undefined || a.stored.app.id.startsWith(filter.prefix))
          .filter((a) => State.matchesLabel(a.stored.app, filter.label))
          .map(statusOf)
      ),
    app: (appId: string) => Effect.map(appRecord(appId), statusOf),
    versions: (appId: string) => Effect.andThen(appRecord(appId), (a) => store.versions(a.stored.app.id)),
    appVersion: (appId: string, version: string) =>
      Effect.gen(function* () {
        const id = resolvePath(appId)
        const found = yield* store.appVersion(id, version)
        if (found === undefined) return yield* new AppNotFound({ kind: "version", id: `${id}@${version}` })
        return found
      }),
    groups: Effect.sync(() => State.groupTree(state, Date.now())),
    tasks: (appId?: string): Effect.Effect<ReadonlyArray<AppTask>, AppNotFound> =>
      appId === undefined
        ? Effect.sync(() => [...tasks.values()].map((t) => toAppTask(t, redactor.redact)))
        : Effect.map(appRecord(appId), (a) =>
            State.tasksOf(state, a.stored.app.id).map((t) => toAppTask(t, redactor.redact))
          ),
    deployments: Effect.sync(
      (): ReadonlyArray<DeploymentView> =>
        [...deployments.values()]
          .sort((x, y) => x.startedAt - y.startedAt)
          .map((d) => toView(d, (appId) => State.readinessOf(state, appId)))
    ),
    queue: Effect.sync(() => State.launchQueue(state, Date.now())),
    info: (leader: string | undefined): Effect.Effect<SchedulerInfo> =>
      Effect.map(core.log.seq, (eventSeq) => ({
        name: settings.name,
        version: "0.1.0",
        frameworkId: core.frameworkId,
        leader,
        elected: true,
        role: settings.role,
        servicePortRange: settings.servicePortRange,
        eventSeq
      })),
    metrics: Effect.sync(() => ({
      apps: [...apps.values()].map(statusOf),
      deployments: deployments.size,
      tasks: [...tasks.values()]
    }))
  }

  return {
    put,
    putGroup,
    remove,
    removeGroup,
    scale,
    restart,
    killTasks,
    cancel,
    resetDelay,
    ...views
  }
}
