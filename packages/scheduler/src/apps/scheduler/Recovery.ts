/**
 * Reconciling the engine's tasks with the master. At start: the stored task -> app bindings are checked
 * against what the master knows (`driver.reconcile`): tasks still alive become task records again, bindings
 * of ended tasks or removed apps are dropped (killing what still runs), and tasks of this framework that no
 * binding names (orphans, e.g. launched just before a crash) are killed; secrets are resolved again. A
 * recovered task keeps its stored start time (else the agent's time of its `running` status) and its stored
 * health and readiness, so a task that was serving is served again at once (the engine then checks it right
 * away). While leading: every task is reconciled periodically and after a master failover.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { isTerminal, type TaskStatus } from "../../cluster/Task.js"
import { type AppDefinition, appPortsOf } from "../model/AppDefinition.js"
import type { StoreChange, TaskBinding } from "../store/StoredState.js"
import type { AgentInfo, Driver, DriverError } from "./Driver.js"
import type { RuntimeState } from "./State.js"
import { storedKey, type TaskRecord } from "./TaskRecord.js"

/**
 * What recovery needs of the engine.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecoveryCore {
  readonly state: RuntimeState
  readonly driver: Driver
  readonly frameworkId: string
  readonly agents: ReadonlyMap<string, AgentInfo>
  readonly refreshAgents: Effect.Effect<void>
  readonly commitLogged: (change: StoreChange) => Effect.Effect<void>
  readonly secretsOf: (app: AppDefinition) => Effect.Effect<unknown, unknown>
  readonly locked: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly applyStatus: (status: TaskStatus) => Effect.Effect<void>
}

/**
 * Recovers the tasks of the stored bindings into the state (see the module). Succeeds with the sequence
 * number the master's status updates are read after (taken first, so no update is missed).
 *
 * @since 0.1.0
 * @category constructors
 */
export const recoverTasks = Effect.fnUntraced(function* (core: RecoveryCore, bindings: ReadonlyArray<TaskBinding>) {
  const { state, driver, frameworkId, agents, refreshAgents, commitLogged, secretsOf } = core
  const { apps, tasks } = state
  const updatesAfter = (yield* driver.updates(frameworkId, Number.MAX_SAFE_INTEGER, 0)).seq
  yield* refreshAgents
  const bindingIds = bindings.map((t) => t.taskId)
  const known = new Map(
    (yield* driver.reconcile(frameworkId, bindingIds.length === 0 ? [] : bindingIds)).map((s) => [s.taskId, s])
  )
  const orphans = (yield* driver.reconcile(frameworkId)).filter(
    (s) => !isTerminal(s.state) && !bindings.some((b) => b.taskId === s.taskId)
  )
  const gone: Array<string> = []
  for (const b of bindings) {
    const status = known.get(b.taskId)
    const a = apps.get(b.appId)
    if (status === undefined || isTerminal(status.state) || a === undefined) {
      gone.push(b.taskId)
      if (status !== undefined && !isTerminal(status.state)) yield* driver.kill(b.taskId).pipe(Effect.ignore)
      continue
    }
    const agent = agents.get(b.agentId)
    const app = a.stored.app
    const running = status.state === "running"
    const now = Date.now()
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
      servicePorts: appPortsOf(app).map((p) => p.servicePort ?? 0),
      portNames: appPortsOf(app).map((p) => p.name),
      state: status.state,
      updatedAt: status.updatedAt,
      startedAt: running ? Math.min(now, b.startedAt ?? status.updatedAt) : undefined,
      hostPorts: status.hostPorts ?? [],
      containerId: status.containerId,
      message: status.message,
      killing: undefined,
      killSentAt: undefined,
      alive: running ? b.alive : undefined,
      ready: running && b.ready === true,
      health: [],
      persisted: storedKey(b)
    }
    tasks.set(t.taskId, t)
  }
  if (gone.length > 0) yield* commitLogged({ unbindTasks: gone })
  for (const s of orphans) yield* driver.kill(s.taskId).pipe(Effect.ignore)
  for (const a of apps.values()) {
    yield* secretsOf(a.stored.app).pipe(Effect.ignore)
  }
  return updatesAfter
})

/**
 * Reconciles every task the state holds with the master and applies the statuses (a task the master forgot,
 * its agent gone, is lost).
 *
 * @since 0.1.0
 * @category constructors
 */
export const reconcileAll = (core: RecoveryCore): Effect.Effect<void, DriverError> => {
  const { state, driver, frameworkId, locked, applyStatus } = core
  const { tasks } = state
  return Effect.gen(function* () {
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
}
