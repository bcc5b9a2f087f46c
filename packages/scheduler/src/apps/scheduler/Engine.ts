/**
 * The app scheduler while it leads: the state of apps, tasks and deployments, and the loops that move it
 * (offers -> launches, status updates -> healing, health events -> discovery/load balancer and kills, a
 * tick that advances deployments and heals, periodic reconciliation, the autoscaler). Built in a scope:
 * closing it (losing leadership, shutting down) stops every loop and health check and unpublishes the
 * apps, but leaves the tasks running for the next leader.
 *
 * @since 0.1.0
 */
import { Effect, Option, Queue, Result, Schedule, Scope, Semaphore, Stream } from "effect"
import { isTerminal, type TaskStatus } from "../../cluster/Task.js"
import type { AppEventPayload } from "../events/AppEvent.js"
import type { EventLog } from "../events/EventLog.js"
import type { HealthEvent, HealthMonitor, TaskHealth } from "../health/index.js"
import { PortTable as ServicePorts } from "../lb/index.js"
import type { MetricSources } from "../metrics/MetricSource.js"
import type { AppDefinition } from "../model/AppDefinition.js"
import { autoscaleDecision, launchDelayMs, type PlanTask, nextStep } from "../plan/index.js"
import type { Redactor } from "../secrets/index.js"
import type { AppStore } from "../store/AppStore.js"
import type { StoreChange, StoredApp, StoredDeployment } from "../store/StoredState.js"
import { type AppsError, DeploymentConflict } from "./AppsError.js"
import { deadlineOf, planSteps, rollbackTarget, wantsRollback } from "./Deployment.js"
import type { AgentInfo, Driver, DriverError } from "./Driver.js"
import { makeLauncher } from "./Launcher.js"
import { type DeployRequest, makeOperations } from "./Operations.js"
import { type AppRecord, emptyState, newAppRecord } from "./State.js"
import * as State from "./State.js"
import { isServing, type KillReason, stateName, type TaskRecord, toAppTask } from "./TaskRecord.js"
import type { DeploymentRef } from "./Views.js"
import type { Wiring } from "./Wiring.js"

/**
 * The runtime's settings (the options with their defaults).
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  readonly name: string
  readonly role: string
  readonly refuseSeconds: number
  readonly pollMs: number
  readonly reconcileIntervalMs: number
  readonly tickMs: number
  readonly servicePortRange: { readonly begin: number; readonly end: number }
  readonly domain: string
  readonly drainTimeoutMs: number
  readonly autoscaleIntervalMs: number
  readonly metricSources: MetricSources
  /** The environment `{ env: ... }` secrets are read from; default `process.env`. */
  readonly secretEnv?: Readonly<Record<string, string | undefined>>
}

/**
 * What the engine needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface EngineDeps {
  readonly driver: Driver
  readonly store: AppStore["Service"]
  readonly health: HealthMonitor["Service"]
  readonly wiring: Wiring
  readonly redactor: Redactor["Service"]
  readonly log: EventLog
  readonly settings: Settings
}

/**
 * The operations of a leading engine (the service methods delegate to them).
 *
 * @since 0.1.0
 * @category models
 */
export type Engine = Effect.Success<ReturnType<typeof makeEngine>>

const seqBlock = 1_000
/** A task without health checks that stays up this long ends its app's backoff. */
const stableMs = 5_000
/** A killed task still not ended after this gets the kill again. */
const killRetryMs = 10_000
/** Offers are suppressed once nothing was wanted for this long. */
const idleSuppressMs = 2_000

const rank = (state: TaskStatus["state"]): number =>
  state === "staging" ? 0 : state === "starting" ? 1 : state === "running" ? 2 : 3

/**
 * Starts leading: loads the store, registers (re-registers with the stored framework id), reconciles the
 * tasks, resumes deployments and starts the loops. Scoped.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeEngine = Effect.fn("AppScheduler.lead")(function* (deps: EngineDeps) {
  const { driver, store, health, wiring, redactor, log, settings } = deps
  const scope = yield* Scope.Scope
  const lock = yield* Semaphore.make(1)
  const locked = lock.withPermits(1)
  const kick = yield* Queue.sliding<void>(1)
  const wake = Queue.offer(kick, undefined).pipe(Effect.asVoid)

  const stored = yield* store.load
  const registration = yield* driver.register({
    name: settings.name,
    role: settings.role,
    ...(stored.frameworkId === undefined ? {} : { frameworkId: stored.frameworkId })
  })
  const frameworkId = registration.frameworkId
  yield* log.resume(stored.eventSeq)
  let seqReserved = stored.eventSeq + seqBlock
  yield* store.commit({
    eventSeq: seqReserved,
    ...(frameworkId === stored.frameworkId ? {} : { frameworkId })
  })

  // ---- state ----
  const state = emptyState()
  const { apps, tasks, deployments, want } = state
  const agents = new Map<string, AgentInfo>()
  let portTable = Result.getOrThrow(
    ServicePorts.empty({ from: settings.servicePortRange.begin, to: settings.servicePortRange.end })
  )
  let suppressed: boolean | undefined
  let lastDemandAt = 0
  let lastVersion = 0

  const reservePorts = (app: AppDefinition) => {
    app.container.portMappings.forEach((m, i) => {
      if (m.servicePort <= 0) return
      const next = ServicePorts.reserve(portTable, m.servicePort, `${app.id}#${i}`)
      if (Result.isSuccess(next)) portTable = next.success
    })
  }
  for (const s of stored.apps) {
    apps.set(s.app.id, newAppRecord(s))
    reservePorts(s.app)
  }
  for (const d of stored.deployments) {
    deployments.set(d.id, d)
    for (const target of Object.values(d.target)) if (target !== null) reservePorts(target.app)
  }

  const publish = (payload: AppEventPayload) =>
    Effect.gen(function* () {
      const event = yield* log.publish(payload)
      if (event.seq >= seqReserved) {
        seqReserved = event.seq + seqBlock
        yield* store.commit({ eventSeq: seqReserved }).pipe(Effect.ignore, Effect.forkIn(scope))
      }
    })

  const newVersion = (): string => {
    const now = Math.max(Date.now(), lastVersion + 1)
    lastVersion = now
    return new Date(now).toISOString()
  }

  const commit = (change: StoreChange) => store.commit(change)
  const commitLogged = (change: StoreChange) =>
    commit(change).pipe(Effect.catchCause((cause) => Effect.logWarning("app store: commit failed", cause)))

  const tasksOf = (appId: string) => State.tasksOf(state, appId)
  const activeTasksOf = (appId: string) => State.activeTasksOf(state, appId)

  const refreshAgents = Effect.gen(function* () {
    const list = yield* driver.agents
    agents.clear()
    for (const a of list) agents.set(a.agentId, a)
  }).pipe(Effect.catchCause((cause) => Effect.logDebug("cannot list agents", cause)))

  const agentOf = (agentId: string) =>
    Effect.gen(function* () {
      if (!agents.has(agentId)) yield* refreshAgents
      return agents.get(agentId)
    })

  /** The definition a task runs: the current app when it runs its task spec, else a deployment's original. */
  const definitionOf = (task: TaskRecord): AppDefinition | undefined => {
    const current = apps.get(task.appId)?.stored
    if (current?.lastConfigChangeAt === task.configVersion) return current.app
    for (const d of deployments.values()) {
      const original = d.original[task.appId]
      if (original?.lastConfigChangeAt === task.configVersion) return original.app
    }
    return current?.app
  }

  const publishApp = (appId: string) =>
    Effect.suspend(() => {
      const a = apps.get(appId)
      return a === undefined ? Effect.void : wiring.publish(a.stored.app, tasksOf(appId))
    })

  // ---- health ----
  const healthResults = (h: TaskHealth) =>
    h.checks.map((c, i) => ({
      alive: c === undefined ? undefined : c.healthy,
      consecutiveFailures: i === 0 ? h.consecutiveFailures : c?.healthy === false ? 1 : 0,
      ...(h.firstHealthyAt === undefined ? {} : { firstSuccess: new Date(h.firstHealthyAt).toISOString() }),
      ...(h.lastSuccessAt === undefined ? {} : { lastSuccess: new Date(h.lastSuccessAt).toISOString() }),
      ...(h.lastFailureAt === undefined ? {} : { lastFailure: new Date(h.lastFailureAt).toISOString() }),
      ...(h.lastFailureCause === undefined ? {} : { lastFailureCause: redactor.redact(h.lastFailureCause) })
    }))

  const watchHealth = (task: TaskRecord) =>
    Effect.suspend(() => {
      const app = definitionOf(task)
      if (app === undefined || task.startedAt === undefined) return Effect.void
      return health.watch(
        {
          taskId: task.taskId,
          host: task.host,
          ports: task.hostPorts,
          portNames: task.portNames,
          agentUrl: task.agentUrl,
          startedAt: task.startedAt
        },
        app.healthChecks,
        app.readinessChecks
      )
    })

  // ---- killing ----
  /** Sends the kill (a few tries); the tick sends it again while the task does not end. */
  const sendKill = (task: TaskRecord) =>
    Effect.suspend(() => {
      task.killSentAt = Date.now()
      return driver.kill(task.taskId).pipe(
        Effect.retry({ schedule: Schedule.spaced("500 millis"), times: 3, while: (e) => !e.notFound }),
        Effect.catchCause((cause) => Effect.logWarning(`cannot kill task ${task.taskId} yet`, cause))
      )
    })

  /** Marks the task for killing, takes it out of discovery and the load balancer, then kills it once drained. */
  const kill = (task: TaskRecord, reason: KillReason) =>
    Effect.gen(function* () {
      if (task.killing !== undefined || isTerminal(task.state)) return
      const wasServing = isServing(task)
      task.killing = reason
      yield* publishApp(task.appId)
      const app = definitionOf(task)
      yield* Effect.gen(function* () {
        if (wasServing && app !== undefined) yield* wiring.drained(app, task.taskId, settings.drainTimeoutMs)
        yield* sendKill(task)
      }).pipe(Effect.forkIn(scope))
    })

  // ---- task status ----
  const failureOf = (task: TaskRecord) => {
    const a = apps.get(task.appId)
    if (a === undefined) return Effect.void
    a.failures += 1
    const delay = launchDelayMs(a.stored.app, a.failures)
    a.delayedUntil = Date.now() + delay
    a.lastFailure = {
      appId: task.appId,
      taskId: task.taskId,
      host: task.host,
      state: stateName(task.state),
      message: redactor.redact(task.message ?? ""),
      timestamp: new Date(task.updatedAt).toISOString(),
      version: task.version
    }
    return publish({
      eventType: "app_failing_event",
      appId: task.appId,
      version: a.stored.app.version ?? "",
      delayedUntil: a.delayedUntil,
      consecutiveFailures: a.failures,
      message: `task ${task.taskId} ${task.state}: ${task.message ?? ""}; next launch in ${delay} ms`
    })
  }

  const applyStatus = (status: TaskStatus) =>
    Effect.gen(function* () {
      const task = tasks.get(status.taskId)
      if (task === undefined) {
        if (!isTerminal(status.state) && status.agentId !== "unknown") {
          yield* Effect.logInfo(`killing unknown task ${status.taskId}`)
          yield* driver.kill(status.taskId).pipe(Effect.ignore, Effect.forkIn(scope))
        }
        return
      }
      // states only move forward (agents stamp statuses with clocks of different resolution)
      if (isTerminal(task.state) || rank(status.state) < rank(task.state)) return
      const previous = task.state
      task.state = status.state
      task.updatedAt = status.updatedAt
      if (status.message !== undefined) task.message = status.message
      if (status.containerId !== undefined) task.containerId = status.containerId
      if (status.hostPorts !== undefined && status.hostPorts.length > 0) task.hostPorts = status.hostPorts
      if (previous !== task.state) {
        yield* publish({
          eventType: "status_update_event",
          appId: task.appId,
          taskId: task.taskId,
          agentId: task.agentId,
          host: task.host,
          ports: task.hostPorts,
          version: task.version,
          taskStatus: stateName(task.state),
          message: task.message ?? ""
        })
      }
      if (task.state === "running" && previous !== "running") {
        task.startedAt = Date.now()
        yield* watchHealth(task)
      }
      if (isTerminal(task.state)) yield* terminated(task)
      yield* wake
    })

  const terminated = (task: TaskRecord) =>
    Effect.gen(function* () {
      yield* health.unwatch(task.taskId)
      tasks.delete(task.taskId)
      yield* commitLogged({ unbindTasks: [task.taskId] })
      yield* publishApp(task.appId)
      if (task.killing === undefined || task.killing === "unhealthy") yield* failureOf(task)
    })

  // ---- health events ----
  const applyHealth = (event: HealthEvent) =>
    Effect.gen(function* () {
      const task = tasks.get(event.taskId)
      if (task === undefined) return
      switch (event._tag) {
        case "HealthChanged": {
          task.alive = event.alive
          task.health = healthResults(event.health)
          yield* publish({
            eventType: "health_status_changed_event",
            appId: task.appId,
            taskId: task.taskId,
            version: task.version,
            alive: event.alive
          })
          break
        }
        case "ReadyChanged": {
          task.ready = event.ready
          break
        }
        case "Unhealthy": {
          if (task.killing !== undefined) return
          yield* publish({
            eventType: "unhealthy_instance_kill_event",
            appId: task.appId,
            taskId: task.taskId,
            version: task.version,
            reason: event.reason
          })
          yield* kill(task, "unhealthy")
          break
        }
      }
      // a passing health check ends the backoff (without checks, the tick waits for a task to stay up)
      const a = apps.get(task.appId)
      if (a !== undefined && isServing(task) && (definitionOf(task)?.healthChecks.length ?? 0) > 0) {
        a.failures = 0
        a.delayedUntil = 0
      }
      yield* publishApp(task.appId)
      yield* wake
    })

  // ---- the tick: deadlines, deployments, healing ----
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
      const active = activeTasksOf(action.app)
      const current = a.stored.lastConfigChangeAt
      const step = nextStep({
        instances: a.stored.app.instances,
        strategy: a.stored.app.upgradeStrategy,
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
      portTable = ServicePorts.releaseOwner(
        a.stored.app.container.portMappings.reduce(
          (table, _, i) => ServicePorts.releaseOwner(table, `${id}#${i}`),
          portTable
        ),
        id
      )
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

  const heal = (a: AppRecord) =>
    Effect.gen(function* () {
      const id = a.stored.app.id
      const live = activeTasksOf(id).filter((t) => t.killing === undefined)
      const n = a.stored.app.instances
      if (live.length < n) want.set(id, n - live.length)
      else if (live.length > n) {
        const order = [...live].sort((x, y) => Number(isServing(x)) - Number(isServing(y)) || y.stagedAt - x.stagedAt)
        for (const t of order.slice(0, live.length - n)) yield* kill(t, "scale")
      }
    })

  const tick = Effect.gen(function* () {
    const now = Date.now()
    for (const t of tasks.values()) {
      if (t.killSentAt !== undefined && !isTerminal(t.state) && now - t.killSentAt > killRetryMs)
        yield* Effect.forkIn(sendKill(t), scope)
    }
    for (const d of [...deployments.values()]) {
      if (now > d.deadline) yield* failDeployment(d, "deadline", wantsRollback(d))
    }
    want.clear()
    const busy = new Set<string>()
    for (const d of [...deployments.values()].sort((x, y) => x.startedAt - y.startedAt)) {
      for (const id of Object.keys(d.target)) busy.add(id)
      yield* advance(d)
    }
    for (const a of apps.values()) {
      if (!busy.has(a.stored.app.id)) yield* heal(a)
      if (a.failures > 0 && tasksOf(a.stored.app.id).some((t) => isServing(t) && t.startedAt! <= now - stableMs)) {
        a.failures = 0
        a.delayedUntil = 0
      }
    }
    for (const a of apps.values()) {
      const count = want.get(a.stored.app.id) ?? 0
      if (count > 0) a.waitingSince ??= now
      else {
        a.waitingSince = undefined
        a.unused = []
      }
    }
    // suppress only after a moment without demand: a rolling update asks again as soon as tasks get healthy
    if ([...want.values()].some((n) => n > 0)) lastDemandAt = now
    const needed = now - lastDemandAt < idleSuppressMs
    if (suppressed !== !needed) {
      const ok = yield* driver.suppress(frameworkId, !needed).pipe(
        Effect.as(true),
        Effect.catchCause((cause) => Effect.as(Effect.logDebug("suppress/revive failed", cause), false))
      )
      if (ok) suppressed = !needed
    }
  })

  // ---- deployments ----
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
      const currentWorld = [...apps.values()].map((a) => a.stored.app)
      const targetWorld = [
        ...[...apps.values()].filter((a) => !changes.has(a.stored.app.id)).map((a) => a.stored.app),
        ...[...changes.values()].flatMap((s) => (s === null ? [] : [s.app]))
      ]
      const steps = yield* planSteps(currentWorld, targetWorld, options.restart ?? [])
      const startedAt = Date.now()
      const original: Record<string, StoredApp | null> = {}
      const target: Record<string, StoredApp | null> = {}
      for (const [id, next] of changes) {
        original[id] = apps.get(id)?.stored ?? null
        target[id] = next
      }
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
        target
      }
      yield* commit({
        putApps: [...changes.values()].flatMap((s) => (s === null ? [] : [s])),
        putDeployments: [deployment],
        removeDeployments: conflicts.map((d) => d.id)
      })
      for (const d of conflicts) {
        deployments.delete(d.id)
        yield* publish({
          eventType: "deployment_failed",
          id: d.id,
          version: d.version,
          affectedApps: Object.keys(d.target).sort(),
          reason: "superseded"
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

  const failDeployment = (d: StoredDeployment, reason: string, rollback: boolean) =>
    Effect.gen(function* () {
      let rollbackId: string | undefined
      yield* commit({ removeDeployments: [d.id] })
      deployments.delete(d.id)
      if (rollback) {
        const version = newVersion()
        const ref = yield* deploy(
          rollbackTarget(d, version),
          { force: true, rollback: true, operation: "rollback" },
          version
        ).pipe(
          Effect.catchCause((cause) =>
            Effect.as(Effect.logWarning(`cannot roll back deployment ${d.id}`, cause), undefined)
          )
        )
        rollbackId = ref?.deploymentId
      }
      yield* publish({
        eventType: "deployment_failed",
        id: d.id,
        version: d.version,
        affectedApps: Object.keys(d.target).sort(),
        reason,
        ...(rollbackId === undefined ? {} : { rollbackId })
      })
      return rollbackId
    }).pipe(Effect.catchTag("StoreError", (e) => Effect.as(Effect.logWarning(e.message), undefined)))

  // ---- offers ----
  const { secretsOf, handleOffer, decline } = makeLauncher({
    state,
    settings,
    driver,
    frameworkId,
    redactor,
    agents,
    agentOf,
    publish,
    commit,
    commitLogged,
    applyStatus
  })

  // ---- recovery: reconcile stored bindings with the master ----
  let updatesAfter = (yield* driver.updates(frameworkId, Number.MAX_SAFE_INTEGER, 0)).seq
  yield* refreshAgents
  const bindingIds = stored.tasks.map((t) => t.taskId)
  const known = new Map(
    (yield* driver.reconcile(frameworkId, bindingIds.length === 0 ? [] : bindingIds)).map((s) => [s.taskId, s])
  )
  const orphans = (yield* driver.reconcile(frameworkId)).filter(
    (s) => !isTerminal(s.state) && !stored.tasks.some((b) => b.taskId === s.taskId)
  )
  const gone: Array<string> = []
  for (const b of stored.tasks) {
    const status = known.get(b.taskId)
    const a = apps.get(b.appId)
    if (status === undefined || isTerminal(status.state) || a === undefined) {
      gone.push(b.taskId)
      if (status !== undefined && !isTerminal(status.state)) yield* driver.kill(b.taskId).pipe(Effect.ignore)
      continue
    }
    const agent = agents.get(b.agentId)
    const app = a.stored.app
    const t: TaskRecord = {
      taskId: b.taskId,
      appId: b.appId,
      version: b.version,
      configVersion: b.configVersion,
      agentId: b.agentId,
      hostname: agent?.hostname ?? b.host,
      host: agent?.address ?? b.host,
      agentUrl: agent?.url ?? "",
      stagedAt: b.stagedAt,
      servicePorts: app.container.portMappings.map((m) => m.servicePort),
      portNames: app.container.portMappings.map((m) => m.name),
      state: status.state,
      updatedAt: status.updatedAt,
      startedAt: status.state === "running" ? Date.now() : undefined,
      hostPorts: status.hostPorts ?? [],
      containerId: status.containerId,
      message: status.message,
      killing: undefined,
      killSentAt: undefined,
      alive: undefined,
      ready: false,
      health: []
    }
    tasks.set(t.taskId, t)
  }
  if (gone.length > 0) yield* commitLogged({ unbindTasks: gone })
  for (const s of orphans) yield* driver.kill(s.taskId).pipe(Effect.ignore)
  for (const a of apps.values()) {
    yield* secretsOf(a.stored.app).pipe(Effect.ignore)
  }

  // ---- autoscaler ----
  function autoscaleOnce() {
    return Effect.gen(function* () {
      for (const a of [...apps.values()]) {
        const spec = a.stored.app.autoscale
        if (spec === undefined) continue
        const source = settings.metricSources[spec.metric]
        if (source === undefined) continue
        const view = tasksOf(a.stored.app.id).map((t) => toAppTask(t, redactor.redact))
        const value = yield* source(a.stored.app, view)
        const now = Date.now()
        if (Option.isSome(value)) a.samples.push({ at: now, value: value.value })
        a.samples = a.samples.filter((s) => s.at >= now - spec.windowSeconds * 1000)
        if (conflictsWith([a.stored.app.id]).length > 0) continue
        const decision = autoscaleDecision(spec, {
          instances: a.stored.app.instances,
          samples: a.samples,
          ...(a.lastScaleAt === undefined ? {} : { lastChangeAt: a.lastScaleAt }),
          now
        })
        if (decision === undefined || decision.instances === a.stored.app.instances) continue
        yield* Effect.logInfo(`autoscaler: ${a.stored.app.id} -> ${decision.instances}: ${decision.reason}`)
        const result = yield* ops.scale(a.stored.app.id, decision.instances, {}, "autoscale").pipe(Effect.result)
        if (Result.isSuccess(result)) a.lastScaleAt = now
      }
    })
  }

  // ---- operations ----
  const ops = makeOperations({
    state,
    settings,
    store,
    redactor,
    log,
    frameworkId,
    agents,
    portTable: () => portTable,
    locked,
    wake,
    newVersion,
    publish,
    commit,
    kill,
    deploy,
    failDeployment,
    refreshAgents
  })

  // ---- loops ----
  const forever = <E>(name: string, body: Effect.Effect<void, E>, pause: number) =>
    body.pipe(
      Effect.catchCause((cause) =>
        Effect.andThen(Effect.logWarning(`app scheduler: ${name} failed`, cause), Effect.sleep(pause))
      ),
      Effect.forever,
      Effect.forkIn(scope)
    )

  // health events first, so nothing is missed once tasks are watched
  yield* health.changes.pipe(
    Stream.runForEach((event) => locked(applyHealth(event))),
    Effect.catchCause((cause) => Effect.logWarning("app scheduler: health events stopped", cause)),
    Effect.forkIn(scope)
  )
  yield* Effect.yieldNow
  yield* locked(Effect.forEach([...tasks.values()], (t) => (t.state === "running" ? watchHealth(t) : Effect.void)))
  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      for (const t of tasks.values()) yield* health.unwatch(t.taskId)
      for (const a of apps.values()) yield* wiring.unpublish(a.stored.app)
      // a stopped scheduler must not sit on offers the master would give other frameworks
      yield* driver.suppress(frameworkId, true).pipe(Effect.timeoutOption(2_000), Effect.ignore)
    })
  )

  const reconcileAll: Effect.Effect<void, DriverError> = Effect.gen(function* () {
    const ids = [...tasks.keys()]
    if (ids.length === 0) return
    const statuses = yield* driver.reconcile(frameworkId, ids)
    yield* locked(
      Effect.forEach(
        statuses,
        (s) => {
          const t = tasks.get(s.taskId)
          // the master forgot the task (agent gone): it is lost
          return t !== undefined && s.agentId === "unknown" && t.state !== "staging"
            ? applyStatus({ ...s, agentId: t.agentId, updatedAt: Math.max(s.updatedAt, t.updatedAt) })
            : applyStatus(s)
        },
        { discard: true }
      )
    )
  })
  yield* forever(
    "status updates",
    Effect.gen(function* () {
      const page = yield* driver.updates(frameworkId, updatesAfter, settings.pollMs)
      if (page.seq < updatesAfter) {
        // a new leading master numbers from 0: reconcile everything
        updatesAfter = 0
        yield* reconcileAll
        return
      }
      updatesAfter = page.seq
      if (page.updates.length > 0) yield* locked(Effect.forEach(page.updates, applyStatus, { discard: true }))
    }),
    settings.pollMs
  )

  yield* forever(
    "offers",
    Effect.gen(function* () {
      const offers = yield* driver.offers(frameworkId, settings.pollMs)
      if (offers.length === 0) return
      yield* locked(
        Effect.forEach(
          offers,
          (offer) =>
            handleOffer(offer).pipe(
              Effect.catchCause((cause) =>
                Effect.andThen(
                  Effect.logWarning(`app scheduler: offer ${offer.offerId} failed`, cause),
                  decline(offer, 1).pipe(Effect.ignore)
                )
              )
            ),
          { discard: true }
        )
      )
    }),
    settings.pollMs
  )

  yield* forever(
    "tick",
    Effect.andThen(Effect.raceFirst(Queue.take(kick), Effect.sleep(settings.tickMs)), locked(tick)),
    settings.tickMs
  )

  yield* forever(
    "reconcile",
    Effect.andThen(Effect.sleep(settings.reconcileIntervalMs), Effect.andThen(refreshAgents, reconcileAll)),
    settings.reconcileIntervalMs
  )

  yield* forever(
    "autoscaler",
    Effect.andThen(Effect.sleep(settings.autoscaleIntervalMs), autoscaleOnce()),
    settings.autoscaleIntervalMs
  )

  yield* wake
  return { frameworkId, ...ops }
})
