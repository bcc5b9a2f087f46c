/**
 * Launching on offers: the apps that want tasks (and are not delayed by their backoff) are matched against
 * each offer (resources, ports, constraints), their secrets resolved, their task -> app bindings stored
 * before the accept (so a restarted scheduler knows every task it launched), then the offer is accepted
 * with every task that fits, or declined.
 *
 * @since 0.1.0
 */
import { Effect, Result } from "effect"
import type { Offer } from "../../cluster/Protocol.js"
import type { TaskStatus } from "../../cluster/Task.js"
import type { AppEventPayload } from "../events/AppEvent.js"
import { type AppDefinition, appPortsOf } from "../model/AppDefinition.js"
import { launchDelayMs, placementFor } from "../plan/index.js"
import type { Redactor } from "../secrets/index.js"
import { resolveSecrets } from "../secrets/index.js"
import type { StoreChange, TaskBinding } from "../store/StoredState.js"
import type { StoreError } from "./AppsError.js"
import type { AgentInfo, Driver } from "./Driver.js"
import type { Settings } from "./Engine.js"
import { type Demand, matchOffer } from "./OfferMatcher.js"
import * as State from "./State.js"
import { newTaskId, taskSpec } from "./TaskBuilder.js"
import type { TaskRecord } from "./TaskRecord.js"

/**
 * What the launcher needs of the engine.
 *
 * @since 0.1.0
 * @category models
 */
export interface LauncherCore {
  readonly state: State.RuntimeState
  readonly settings: Settings
  readonly driver: Driver
  readonly frameworkId: string
  readonly redactor: Redactor["Service"]
  readonly agents: ReadonlyMap<string, AgentInfo>
  readonly agentOf: (agentId: string) => Effect.Effect<AgentInfo | undefined>
  readonly publish: (payload: AppEventPayload) => Effect.Effect<void>
  readonly commit: (change: StoreChange) => Effect.Effect<void, StoreError>
  readonly commitLogged: (change: StoreChange) => Effect.Effect<void>
  readonly applyStatus: (status: TaskStatus) => Effect.Effect<void>
}

/**
 * Builds the launcher: `handleOffer` (under the engine's lock) and `secretsOf` (resolved once per app version).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeLauncher = (core: LauncherCore) => {
  const { state, settings, driver, frameworkId, redactor } = core
  const { apps, tasks, want } = state
  const activeTasksOf = (appId: string) => State.activeTasksOf(state, appId)
  /** Declines an offer; one the master rescinded meanwhile needs no answer. */
  const decline = (offer: Offer, refuseSeconds: number) =>
    driver.decline(frameworkId, { offerId: offer.offerId, refuseSeconds }).pipe(
      Effect.catchIf(
        (e) => e.notFound,
        () => Effect.void
      )
    )

  const resolved = new Map<
    string,
    { env: Record<string, string>; files: ReadonlyArray<{ path: string; content: string }> }
  >()
  const secretsOf = (app: AppDefinition) =>
    Effect.gen(function* () {
      const key = `${app.id}@${app.version}`
      const cached = resolved.get(key)
      if (cached !== undefined) return cached
      const r = yield* resolveSecrets(app, settings.secretEnv === undefined ? {} : { env: settings.secretEnv })
      yield* redactor.set(app.id, r.values)
      const out = { env: r.env, files: r.files }
      for (const other of resolved.keys()) if (other.startsWith(`${app.id}@`)) resolved.delete(other)
      resolved.set(key, out)
      return out
    })

  const handleOffer = (offer: Offer) =>
    Effect.gen(function* () {
      const now = Date.now()
      const demands: Array<Demand> = []
      for (const [id, count] of want) {
        const a = apps.get(id)
        if (a === undefined || count <= 0 || a.delayedUntil > now) continue
        demands.push({
          app: a.stored.app,
          count,
          placed: activeTasksOf(id).map((t) => {
            const agent = core.agents.get(t.agentId)
            return { agentId: t.agentId, hostname: t.hostname, attributes: agent?.attributes ?? {} }
          })
        })
      }
      const match = matchOffer(offer, demands, placementFor)
      for (const { appId, reason } of match.unfit) {
        const a = apps.get(appId)
        if (a === undefined) continue
        a.unused = [...a.unused, { agentId: offer.agentId, reason }].slice(-10)
      }
      if (match.launches.length === 0) {
        yield* decline(offer, demands.length === 0 ? settings.refuseSeconds : Math.min(1, settings.refuseSeconds))
        return
      }
      const agent = yield* core.agentOf(offer.agentId)
      const specs = []
      const records: Array<TaskRecord> = []
      // tasks on reserved parts first: the master serves a task's unreserved amounts from the role's
      // reservation first, so they must not take what a later reserved task of this offer names
      const ordered = [...match.launches].sort(
        (x, y) => (x.reservation === undefined ? 1 : 0) - (y.reservation === undefined ? 1 : 0)
      )
      for (const launch of ordered) {
        const a = apps.get(launch.appId)!
        const app = a.stored.app
        const secrets = yield* secretsOf(app).pipe(Effect.result)
        if (Result.isFailure(secrets)) {
          a.failures += 1
          a.failedAt = now
          a.delayedUntil = now + launchDelayMs(app, a.failures)
          const message = redactor.redact(secrets.failure.message)
          a.lastFailure = {
            appId: app.id,
            taskId: "",
            host: offer.hostname,
            state: "TASK_FAILED",
            message,
            timestamp: new Date(now).toISOString(),
            version: app.version ?? ""
          }
          yield* core.publish({
            eventType: "app_failing_event",
            appId: app.id,
            version: app.version ?? "",
            delayedUntil: a.delayedUntil,
            consecutiveFailures: a.failures,
            message
          })
          continue
        }
        const taskId = newTaskId(app.id)
        specs.push(
          taskSpec(app, {
            taskId,
            version: app.version ?? "",
            hostPorts: launch.hostPorts,
            secrets: secrets.success,
            ...(launch.reservation === undefined ? {} : { reservation: launch.reservation })
          })
        )
        records.push({
          taskId,
          appId: app.id,
          version: app.version ?? "",
          configVersion: a.stored.lastConfigChangeAt,
          agentId: offer.agentId,
          hostname: offer.hostname,
          host: agent?.address ?? offer.hostname,
          agentUrl: agent?.url ?? "",
          stagedAt: now,
          servicePorts: appPortsOf(app).map((p) => p.servicePort ?? 0),
          portNames: appPortsOf(app).map((p) => p.name),
          state: "staging",
          updatedAt: 0,
          startedAt: undefined,
          hostPorts: launch.hostPorts,
          containerId: undefined,
          message: undefined,
          killing: undefined,
          killSentAt: undefined,
          alive: undefined,
          ready: false,
          health: []
        })
      }
      if (specs.length === 0) {
        yield* decline(offer, 1)
        return
      }
      const bindings: Array<TaskBinding> = records.map((r) => ({
        taskId: r.taskId,
        appId: r.appId,
        version: r.version,
        configVersion: r.configVersion,
        agentId: r.agentId,
        host: r.host,
        stagedAt: r.stagedAt
      }))
      yield* core.commit({ bindTasks: bindings })
      const accepted = yield* driver.accept(frameworkId, { offerId: offer.offerId, tasks: specs }).pipe(Effect.result)
      if (Result.isFailure(accepted)) {
        yield* core.commitLogged({ unbindTasks: bindings.map((b) => b.taskId) })
        // a rescinded offer (the master took it back): the tasks go on the next one
        if (!accepted.failure.notFound)
          yield* Effect.logWarning(`accepting offer ${offer.offerId} failed: ${accepted.failure.message}`)
        return
      }
      for (const r of records) {
        tasks.set(r.taskId, r)
        want.set(r.appId, (want.get(r.appId) ?? 0) - 1)
        yield* core.publish({
          eventType: "status_update_event",
          appId: r.appId,
          taskId: r.taskId,
          agentId: r.agentId,
          host: r.host,
          ports: r.hostPorts,
          version: r.version,
          taskStatus: "TASK_STAGING",
          message: ""
        })
      }
      for (const status of accepted.success) yield* core.applyStatus(status)
    })

  return { secretsOf, handleOffer, decline }
}
