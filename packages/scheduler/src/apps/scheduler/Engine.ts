/**
 * The app scheduler while it leads: the state of apps, tasks and deployments, and the loops that move it
 * (offers -> launches, status updates -> healing, health events -> discovery/load balancer and kills, a
 * tick that advances deployments and heals, periodic reconciliation, the autoscaler). Built in a scope:
 * closing it (losing leadership, shutting down) stops every loop and health check and unpublishes the
 * apps, but leaves the tasks running for the next leader. The parts live in their own modules: task events
 * (`TaskEvents`), deployments (`DeploymentRunner`), launching (`Launcher`), recovery and reconciliation
 * (`Recovery`), the autoscaler (`Autoscaler`) and the operations (`Operations`).
 *
 * @since 0.1.0
 */
import { Effect, Queue, Result, Scope, Semaphore, Stream } from "effect"
import { isTerminal } from "../../cluster/Task.js"
import type { AppEventPayload } from "../events/AppEvent.js"
import type { EventLog } from "../events/EventLog.js"
import type { HealthMonitor } from "../health/index.js"
import { PortTable as ServicePorts } from "../lb/index.js"
import type { MetricSources } from "../metrics/MetricSource.js"
import { type AppDefinition, appPortsOf } from "../model/AppDefinition.js"
import type { Redactor } from "../secrets/index.js"
import type { AppStore } from "../store/AppStore.js"
import type { StoreChange, StoredDeployment, StoredFailures } from "../store/StoredState.js"
import { autoscaleOnce } from "./Autoscaler.js"
import { wantsRollback } from "./Deployment.js"
import { makeDeploymentRunner } from "./DeploymentRunner.js"
import type { AgentInfo, Driver } from "./Driver.js"
import { makeLauncher } from "./Launcher.js"
import { makeOperations } from "./Operations.js"
import { reconcileAll, recoverTasks } from "./Recovery.js"
import { type AppRecord, emptyState, newAppRecord } from "./State.js"
import * as State from "./State.js"
import { makeTaskEvents } from "./TaskEvents.js"
import { isServing, type TaskRecord } from "./TaskRecord.js"
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
    for (const p of appPortsOf(app)) {
      if (p.servicePort === undefined || p.servicePort <= 0) continue
      const next = ServicePorts.reserve(portTable, p.servicePort, `${app.id}#${p.index}`)
      if (Result.isSuccess(next)) portTable = next.success
    }
  }
  /** Releases every service port the app holds (also those of ports an earlier version of it had). */
  const releasePorts = (app: AppDefinition) => {
    const owners = new Set(
      [...portTable.owners.values()].filter((owner) => owner === app.id || owner.startsWith(`${app.id}#`))
    )
    for (const owner of owners) portTable = ServicePorts.releaseOwner(portTable, owner)
  }
  for (const s of stored.apps) {
    apps.set(s.app.id, newAppRecord(s))
    reservePorts(s.app)
  }
  for (const f of stored.failures) {
    const a = apps.get(f.appId)
    if (a !== undefined) State.restoreFailures(a, f)
  }
  const strayFailures = stored.failures.filter((f) => !apps.has(f.appId)).map((f) => f.appId)
  if (strayFailures.length > 0) yield* store.commit({ removeFailures: strayFailures }).pipe(Effect.ignore)
  for (const g of stored.groups) state.groups.set(g.id, g)
  for (const d of stored.deployments) {
    deployments.set(d.id, d)
    for (const target of Object.values(d.target)) if (target !== null) reservePorts(target.app)
  }

  /** Stores each app's launch failures that changed since they were last stored (any code may change them). */
  const syncFailures = Effect.gen(function* () {
    const put: Array<StoredFailures> = []
    const remove: Array<string> = []
    for (const a of apps.values()) {
      const failures = State.storedFailuresOf(a)
      const key = State.failuresKey(failures)
      if (key === (a.persistedFailures ?? "")) continue
      a.persistedFailures = key
      if (failures === undefined) remove.push(a.stored.app.id)
      else put.push(failures)
    }
    if (put.length > 0 || remove.length > 0) yield* commitLogged({ putFailures: put, removeFailures: remove })
  })

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

  /** When the agents were last listed (ms epoch). */
  let agentsAt = 0
  const refreshAgents = Effect.gen(function* () {
    const list = yield* driver.agents
    agents.clear()
    for (const a of list) agents.set(a.agentId, a)
    agentsAt = Date.now()
  }).pipe(Effect.catchCause((cause) => Effect.logDebug("cannot list agents", cause)))

  const agentOf = (agentId: string) =>
    Effect.gen(function* () {
      if (!agents.has(agentId)) yield* refreshAgents
      return agents.get(agentId)
    })

  // ---- task status, health events, killing ----
  const { publishApp, watchHealth, sendKill, kill, applyStatus, applyHealth } = makeTaskEvents({
    state,
    settings,
    driver,
    health,
    wiring,
    redactor,
    scope,
    publish,
    commitLogged,
    wake
  })

  // ---- deployments ----
  const { deploy, failDeployment, advance } = makeDeploymentRunner({
    state,
    wiring,
    redactor,
    publish,
    commit,
    commitLogged,
    wake,
    newVersion,
    kill,
    reservePorts,
    releasePorts
  })

  // ---- the tick: deadlines, deployments, healing ----
  const heal = (a: AppRecord) =>
    Effect.gen(function* () {
      const id = a.stored.app.id
      const live = activeTasksOf(id).filter((t) => t.killing === undefined)
      const n = a.stored.app.instances
      // lost tasks whose replacement waits (unreachableStrategy) still hold their instance
      a.unreachable = State.stillUnreachable(a, Date.now(), agents, agentsAt)
      const held = live.length + a.unreachable.length
      if (held < n) want.set(id, n - held)
      else if (live.length > n) {
        const order = [...live].sort(
          (x, y) =>
            Number(isServing(x)) - Number(isServing(y)) || State.byKillSelection(a.stored.app.killSelection, x, y)
        )
        for (const t of order.slice(0, live.length - n)) yield* kill(t, "scale")
      }
    })

  /**
   * Fails a deployment past its deadline. A rollback that cannot be planned leaves it failed without one (logged);
   * with the store unreachable nothing changes and the next tick tries again.
   */
  const failOverdue = (d: StoredDeployment) =>
    failDeployment(d, "deadline", wantsRollback(d)).pipe(
      Effect.catchIf(
        (e) => e._tag !== "StoreError" && wantsRollback(d),
        (e) =>
          Effect.logWarning(`cannot roll back deployment ${d.id}: ${e.message}; it fails without a rollback`).pipe(
            Effect.andThen(failDeployment(d, "deadline", false))
          )
      ),
      Effect.catchCause((cause) => Effect.logWarning(`cannot fail deployment ${d.id} yet`, cause))
    )

  const tick = Effect.gen(function* () {
    const now = Date.now()
    for (const t of tasks.values()) {
      if (t.killSentAt !== undefined && !isTerminal(t.state) && now - t.killSentAt > killRetryMs)
        yield* Effect.forkIn(sendKill(t), scope)
    }
    for (const d of [...deployments.values()]) {
      if (now > d.deadline) yield* failOverdue(d)
    }
    want.clear()
    const busy = new Set<string>()
    for (const d of [...deployments.values()].sort((x, y) => x.startedAt - y.startedAt)) {
      for (const id of Object.keys(d.target)) busy.add(id)
      yield* advance(d)
    }
    for (const a of apps.values()) {
      if (!busy.has(a.stored.app.id)) yield* heal(a)
      const ends = (t: TaskRecord) => isServing(t) && State.launchedSinceFailure(a, t) && t.startedAt! <= now - stableMs
      if (a.failures > 0 && tasksOf(a.stored.app.id).some(ends)) {
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
    yield* syncFailures
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
  const recovery = { state, driver, frameworkId, agents, refreshAgents, commitLogged, secretsOf, locked, applyStatus }
  let updatesAfter = yield* recoverTasks(recovery, stored.tasks)
  const reconcile = reconcileAll(recovery)

  // ---- autoscaler ----
  const autoscaler = {
    state,
    settings,
    redactor,
    scale: (appId: string, n: number) => ops.scale(appId, n, {}, "autoscale")
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
  // recovered tasks resume from their stored health (first check at once), and what served before is
  // published again right away: no gap in discovery and the load balancer after a restart or failover
  yield* locked(
    Effect.gen(function* () {
      for (const t of tasks.values()) if (t.state === "running") yield* watchHealth(t, true)
      for (const id of apps.keys()) yield* publishApp(id)
    })
  )
  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      for (const t of tasks.values()) yield* health.unwatch(t.taskId)
      for (const a of apps.values()) yield* wiring.unpublish(a.stored.app)
      // a stopped scheduler must not sit on offers the master would give other frameworks
      yield* driver.suppress(frameworkId, true).pipe(Effect.timeoutOption(2_000), Effect.ignore)
    })
  )

  yield* forever(
    "status updates",
    Effect.gen(function* () {
      const page = yield* driver.updates(frameworkId, updatesAfter, settings.pollMs)
      if (page.seq < updatesAfter) {
        // a new leading master numbers from 0: reconcile everything
        updatesAfter = 0
        yield* reconcile
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
    Effect.andThen(Effect.sleep(settings.reconcileIntervalMs), Effect.andThen(refreshAgents, reconcile)),
    settings.reconcileIntervalMs
  )

  yield* forever(
    "autoscaler",
    Effect.andThen(Effect.sleep(settings.autoscaleIntervalMs), autoscaleOnce(autoscaler)),
    settings.autoscaleIntervalMs
  )

  yield* wake
  return { frameworkId, ...ops }
})
