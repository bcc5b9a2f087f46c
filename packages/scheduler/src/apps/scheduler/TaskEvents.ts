/**
 * What the engine does with what happens to tasks: status updates (states only move forward; a terminal one
 * unbinds the task and, unless the scheduler killed it on purpose, counts as a failure that delays the app's
 * next launch), health events (results shown in the task, an unhealthy task killed, a passing check ending the
 * backoff), and killing (out of discovery and the load balancer, drained, then killed, retried). A lost task
 * keeps holding its instance (no replacement) for its app's `unreachableStrategy.inactiveAfterSeconds`, or,
 * with `"disabled"`, until its agent is back.
 *
 * @since 0.1.0
 */
import { Effect, Schedule, type Scope } from "effect"
import { isTerminal, type TaskStatus } from "../../cluster/Task.js"
import type { AppEventPayload } from "../events/AppEvent.js"
import type { HealthEvent, HealthMonitor, ReadinessResult, TaskHealth } from "../health/index.js"
import type { AppDefinition } from "../model/AppDefinition.js"
import { launchDelayMs } from "../plan/index.js"
import type { Redactor } from "../secrets/index.js"
import type { StoreChange } from "../store/StoredState.js"
import type { Driver } from "./Driver.js"
import type { Settings } from "./Engine.js"
import * as State from "./State.js"
import { bindingOf, isServing, type KillReason, stateName, storedKey, type TaskRecord } from "./TaskRecord.js"
import type { Wiring } from "./Wiring.js"

/**
 * What the task events need of the engine.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskEventsCore {
  readonly state: State.RuntimeState
  readonly settings: Settings
  readonly driver: Driver
  readonly health: HealthMonitor["Service"]
  readonly wiring: Wiring
  readonly redactor: Redactor["Service"]
  /** The engine's scope: kills and drains run in it. */
  readonly scope: Scope.Scope
  readonly publish: (payload: AppEventPayload) => Effect.Effect<void>
  readonly commitLogged: (change: StoreChange) => Effect.Effect<void>
  readonly wake: Effect.Effect<void>
}

const rank = (state: TaskStatus["state"]): number =>
  state === "staging" ? 0 : state === "starting" ? 1 : state === "running" ? 2 : 3

/**
 * Builds the handlers of task events (run them under the engine's lock).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTaskEvents = (core: TaskEventsCore) => {
  const { state, settings, driver, health, wiring, redactor, scope, publish, commitLogged, wake } = core
  const { apps, tasks, deployments } = state
  const tasksOf = (appId: string) => State.tasksOf(state, appId)

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

  /** Stores the task's start, health and readiness when they changed (a restarted scheduler resumes from them). */
  const persist = (task: TaskRecord) =>
    Effect.suspend(() => {
      const binding = bindingOf(task)
      const key = storedKey(binding)
      if (tasks.get(task.taskId) !== task || isTerminal(task.state) || task.persisted === key) return Effect.void
      task.persisted = key
      return commitLogged({ bindTasks: [binding] })
    })

  /** The readiness checks' results as the API shows them (named, redacted; not run yet: left out). */
  const readinessResults = (task: TaskRecord, results: ReadonlyArray<ReadinessResult | undefined>) => {
    const checks = definitionOf(task)?.readinessChecks ?? []
    return results.flatMap((r, i) =>
      r === undefined
        ? []
        : [
            {
              name: checks[i]?.name ?? `readinessCheck${i}`,
              taskId: task.taskId,
              ready: r.ready,
              message: redactor.redact(r.message),
              ...(r.lastResponse === undefined
                ? {}
                : { lastResponse: { status: r.lastResponse.status, body: redactor.redact(r.lastResponse.body) } })
            }
          ]
    )
  }

  /** Starts checking a running task; `resume`: a recovered task, continuing from its stored verdict. */
  const watchHealth = (task: TaskRecord, resume = false) =>
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
        app.readinessChecks,
        ...(resume ? [{ alive: task.alive, ready: task.ready }] : [])
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
    a.failedAt = Date.now()
    a.delayedUntil = a.failedAt + delay
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
        // the agent's time of the change, unless its clock is ahead of ours
        task.startedAt = Math.min(Date.now(), status.updatedAt)
        yield* persist(task)
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
      if (task.state === "lost" && task.killing === undefined) holdInstance(task)
      if (task.killing === undefined || task.killing === "unhealthy") yield* failureOf(task)
    })

  /** A lost task keeps its instance for the app's `unreachableStrategy.inactiveAfterSeconds` (or while disabled). */
  const holdInstance = (task: TaskRecord) => {
    const a = apps.get(task.appId)
    const strategy = definitionOf(task)?.unreachableStrategy
    if (a === undefined || strategy === undefined) return
    const now = Date.now()
    if (strategy !== "disabled" && !(strategy.inactiveAfterSeconds > 0)) return
    const until = strategy === "disabled" ? undefined : now + strategy.inactiveAfterSeconds * 1000
    a.unreachable = [...a.unreachable, { taskId: task.taskId, agentId: task.agentId, lostAt: now, until }]
  }

  // ---- health events ----
  const applyHealth = (event: HealthEvent) =>
    Effect.gen(function* () {
      const task = tasks.get(event.taskId)
      if (task === undefined) return
      if (event._tag === "ReadinessChecked") {
        task.readiness = readinessResults(task, event.results)
        return
      }
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
          yield* persist(task)
          break
        }
        case "ReadyChanged": {
          task.ready = event.ready
          yield* persist(task)
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
      // a passing health check of a task launched since the last failure ends the backoff (without checks, the
      // tick waits for such a task to stay up)
      const a = apps.get(task.appId)
      if (
        a !== undefined &&
        isServing(task) &&
        State.launchedSinceFailure(a, task) &&
        (definitionOf(task)?.healthChecks.length ?? 0) > 0
      ) {
        a.failures = 0
        a.delayedUntil = 0
      }
      yield* publishApp(task.appId)
      yield* wake
    })

  return { definitionOf, publishApp, persist, watchHealth, sendKill, kill, applyStatus, applyHealth }
}
