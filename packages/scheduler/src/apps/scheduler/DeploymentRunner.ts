/**
 * Running deployments: starting one (planned in dependency order, stored with its apps and group records in
 * one commit, superseding conflicting ones when forced), advancing it step by step on every tick (rolling
 * updates by `nextStep`, stops, removals), and failing it (deadline, cancel) with an optional rollback (the
 * apps and the group records back as they were, in one commit).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { AppEventPayload } from "../events/AppEvent.js"
import type { AppDefinition } from "../model/AppDefinition.js"
import { nextStep, type PlanTask } from "../plan/index.js"
import { canaryConflict } from "../plan/internal/canaryRules.js"
import type { Redactor } from "../secrets/index.js"
import type { StoreChange, StoredApp, StoredDeployment, StoredGroup } from "../store/StoredState.js"
import { type AppsError, DeploymentConflict, type StoreError } from "./AppsError.js"
import { deadlineOf, planSteps, rollbackGroups, rollbackTarget } from "./Deployment.js"
import type { DeployRequest } from "./Operations.js"
import { type AppRecord, newAppRecord } from "./State.js"
import * as State from "./State.js"
import type { KillReason, TaskRecord } from "./TaskRecord.js"
import type { DeploymentRef } from "./Views.js"
import type { Wiring } from "./Wiring.js"

/**
 * What the deployment runner needs of the engine.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeploymentRunnerCore {
  readonly state: State.RuntimeState
  readonly wiring: Wiring
  readonly redactor: Redactor["Service"]
  readonly publish: (payload: AppEventPayload) => Effect.Effect<void>
  readonly commit: (change: StoreChange) => Effect.Effect<void, StoreError>
  readonly commitLogged: (change: StoreChange) => Effect.Effect<void>
  readonly wake: Effect.Effect<void>
  readonly newVersion: () => string
  readonly kill: (task: TaskRecord, reason: KillReason) => Effect.Effect<void>
  /** Reserves the app's service ports in the engine's port table. */
  readonly reservePorts: (app: AppDefinition) => void
  /** Frees every service port the app holds. */
  readonly releasePorts: (app: AppDefinition) => void
}

/**
 * Builds the deployment runner: `deploy`, `advance` (every tick) and `failDeployment`; run them under the
 * engine's lock.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeDeploymentRunner = (core: DeploymentRunnerCore) => {
  const { state, wiring, redactor, publish, commit, commitLogged, wake, newVersion, kill, reservePorts } = core
  const { apps, tasks, deployments, want } = state
  const activeTasksOf = (appId: string) => State.activeTasksOf(state, appId)

  const planTask = (t: TaskRecord): PlanTask => ({
    id: t.taskId,
    state: t.state === "staging" || t.state === "starting" ? t.state : "running",
    alive: t.killing !== undefined ? false : t.alive,
    ready: t.killing === undefined && t.ready,
    killing: t.killing !== undefined
  })

  /** Runs one action of a deployment's current step; `true` when it is done. */
  const runAction = (d: StoredDeployment, action: { readonly action: string; readonly app: string }) =>
    Effect.gen(function* () {
      const a = apps.get(action.app)
      if (action.action === "StopApplication") {
        const active = activeTasksOf(action.app)
        for (const t of active) yield* kill(t, "stop")
        if (active.length > 0) return false
        if (a !== undefined && d.target[action.app] === null) yield* removeApp(a)
        return true
      }
      if (a === undefined) return true
      // oldest first, as nextStep's killSelection expects
      const active = activeTasksOf(action.app).sort((x, y) => x.stagedAt - y.stagedAt)
      const current = a.stored.lastConfigChangeAt
      const step = nextStep({
        instances: a.stored.app.instances,
        strategy: a.stored.app.upgradeStrategy,
        killSelection: a.stored.app.killSelection,
        old: active.filter((t) => t.configVersion !== current).map(planTask),
        new: active.filter((t) => t.configVersion === current).map(planTask)
      })
      for (const id of step.kill) {
        const t = tasks.get(id)
        if (t !== undefined) yield* kill(t, "deployment")
      }
      if (step.launch > 0) want.set(action.app, step.launch)
      return step.done
    })

  const removeApp = (a: AppRecord) =>
    Effect.gen(function* () {
      const id = a.stored.app.id
      yield* commitLogged({ removeApps: [id] })
      apps.delete(id)
      want.delete(id)
      core.releasePorts(a.stored.app)
      yield* wiring.unpublish(a.stored.app)
      yield* redactor.remove(id)
      yield* publish({ eventType: "app_terminated_event", appId: id })
    })

  const advance = (d: StoredDeployment) =>
    Effect.gen(function* () {
      let current = d
      for (;;) {
        const actions = current.steps[current.currentStep]
        if (actions === undefined) {
          deployments.delete(current.id)
          yield* commitLogged({ removeDeployments: [current.id] })
          yield* publish({
            eventType: "deployment_success",
            id: current.id,
            version: current.version,
            affectedApps: Object.keys(current.target).sort()
          })
          return
        }
        let done = true
        for (const action of actions) done = (yield* runAction(current, action)) && done
        if (!done) return
        yield* publish({
          eventType: "deployment_step_success",
          id: current.id,
          step: current.currentStep + 1,
          actions
        })
        current = { ...current, currentStep: current.currentStep + 1 }
        deployments.set(current.id, current)
        if (current.currentStep < current.steps.length) {
          yield* commitLogged({ putDeployments: [current] })
          yield* publishInfo(current)
        }
      }
    })

  const publishInfo = (d: StoredDeployment) =>
    publish({
      eventType: "deployment_info",
      id: d.id,
      version: d.version,
      affectedApps: Object.keys(d.target).sort(),
      currentStep: Math.min(d.currentStep + 1, d.steps.length),
      totalSteps: d.steps.length,
      currentActions: d.steps[d.currentStep] ?? [],
      rollback: d.rollback
    })

  const conflictsWith = (ids: ReadonlyArray<string>) => State.deploymentsOf(state, ids)

  /** Starts a deployment to `changes` (app id -> new stored app, or `null` to remove it). */
  const deploy = (
    changes: ReadonlyMap<string, StoredApp | null>,
    options: DeployRequest,
    version: string
  ): Effect.Effect<DeploymentRef, AppsError> =>
    Effect.gen(function* () {
      const ids = [...changes.keys()]
      const conflicts = conflictsWith(ids)
      if (conflicts.length > 0 && options.force !== true) {
        return yield* new DeploymentConflict({
          deploymentIds: conflicts.map((d) => d.id),
          apps: ids.filter((id) => conflicts.some((d) => id in d.target))
        })
      }
      // apps a running deployment removes are gone already as far as this one sees (their tasks are stopping):
      // it neither plans them nor checks dependencies against them, as Marathon's root group drops them at once
      const leaving = new Set(
        [...deployments.values()]
          .filter((d) => !conflicts.includes(d))
          .flatMap((d) => Object.entries(d.target).flatMap(([id, next]) => (next === null ? [id] : [])))
      )
      const staying = [...apps.values()].filter((a) => !leaving.has(a.stored.app.id))
      const currentWorld = staying.map((a) => a.stored.app)
      const targetWorld = [
        ...staying.filter((a) => !changes.has(a.stored.app.id)).map((a) => a.stored.app),
        ...[...changes.values()].flatMap((s) => (s === null ? [] : [s.app]))
      ]
      const canaryProblem = canaryConflict(currentWorld, targetWorld, new Set(ids))
      if (canaryProblem !== undefined) return yield* canaryProblem
      const replaced = new Set([...(options.groups?.remove ?? []), ...(options.groups?.put ?? []).map((g) => g.id)])
      const steps = yield* planSteps(currentWorld, targetWorld, options.restart ?? [], {
        current: [...state.groups.values()],
        target: [...[...state.groups.values()].filter((g) => !replaced.has(g.id)), ...(options.groups?.put ?? [])]
      })
      const startedAt = Date.now()
      const original: Record<string, StoredApp | null> = {}
      const target: Record<string, StoredApp | null> = {}
      for (const [id, next] of changes) {
        original[id] = apps.get(id)?.stored ?? null
        target[id] = next
      }
      const groups = options.groups
      const originalGroups: Record<string, StoredGroup | null> = {}
      for (const id of [...(groups?.remove ?? []), ...(groups?.put ?? []).map((g) => g.id)])
        originalGroups[id] = state.groups.get(id) ?? null
      const deployment: StoredDeployment = {
        id: crypto.randomUUID(),
        version,
        rollback: options.rollback === true,
        startedAt,
        deadline: deadlineOf(
          startedAt,
          Object.values(target).some((t) => t !== null) ? Object.values(target) : Object.values(original)
        ),
        steps: steps.map((s) => [...s]),
        currentStep: 0,
        original,
        target,
        ...(groups === undefined ? {} : { originalGroups })
      }
      yield* commit({
        putApps: [...changes.values()].flatMap((s) => (s === null ? [] : [s])),
        putDeployments: [deployment],
        removeDeployments: conflicts.map((d) => d.id),
        ...(groups === undefined ? {} : { putGroups: groups.put, removeGroups: groups.remove })
      })
      for (const id of groups?.remove ?? []) state.groups.delete(id)
      for (const g of groups?.put ?? []) state.groups.set(g.id, g)
      for (const d of conflicts) {
        deployments.delete(d.id)
        const failing = options.failing?.id === d.id ? options.failing : undefined
        yield* publish({
          eventType: "deployment_failed",
          id: d.id,
          version: d.version,
          affectedApps: Object.keys(d.target).sort(),
          reason: failing?.reason ?? "superseded",
          ...(failing === undefined ? {} : { rollbackId: deployment.id })
        })
      }
      for (const [id, next] of changes) {
        if (next === null) continue
        const existing = apps.get(id)
        if (existing === undefined) apps.set(id, newAppRecord(next))
        else {
          existing.stored = next
          existing.failures = 0
          existing.delayedUntil = 0
          existing.samples = []
          // what the load balancer applies itself (a canary's weight, port labels) takes effect at once
          yield* wiring.publish(next.app, State.tasksOf(state, id))
        }
        reservePorts(next.app)
      }
      deployments.set(deployment.id, deployment)
      for (const id of ids)
        yield* publish({ eventType: "api_post_event", appId: id, version, operation: options.operation })
      yield* publishInfo(deployment)
      yield* wake
      return { deploymentId: deployment.id, version }
    })

  /**
   * Ends a deployment that failed (`reason`): with `rollback`, the rollback deployment replaces it in one commit;
   * without, it is removed. Either way nothing changes when it fails (the store unreachable, a rollback that
   * cannot be planned): the error is the caller's. Returns the rollback's id.
   */
  const failDeployment = (
    d: StoredDeployment,
    reason: string,
    rollback: boolean
  ): Effect.Effect<string | undefined, AppsError> =>
    Effect.gen(function* () {
      if (rollback) {
        const version = newVersion()
        const groups = rollbackGroups(d)
        const ref = yield* deploy(
          rollbackTarget(d, version),
          {
            force: true,
            rollback: true,
            operation: "rollback",
            failing: { id: d.id, reason },
            ...(groups === undefined ? {} : { groups })
          },
          version
        )
        return ref.deploymentId
      }
      yield* commit({ removeDeployments: [d.id] })
      deployments.delete(d.id)
      yield* publish({
        eventType: "deployment_failed",
        id: d.id,
        version: d.version,
        affectedApps: Object.keys(d.target).sort(),
        reason
      })
      return undefined
    })

  return { deploy, failDeployment, advance }
}
