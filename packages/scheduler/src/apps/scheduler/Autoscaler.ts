/**
 * The autoscaler's round: for each app with an `autoscale` spec, a sample of its metric (from the named
 * metric source) joins the app's window, and, unless a deployment changes the app, `autoscaleDecision` may
 * scale it (as the `autoscale` operation, so the change is a normal deployment). The decision is logged once
 * `scale` ran: at info level with its deployment when it was accepted (the cool-down starts then), at warning
 * level with the error when it was refused (no cool-down: the next round decides again).
 *
 * @since 0.1.0
 */
import { Effect, Option, Result } from "effect"
import { autoscaleDecision } from "../plan/index.js"
import type { Redactor } from "../secrets/index.js"
import type { AppsError } from "./AppsError.js"
import type { Settings } from "./Engine.js"
import * as State from "./State.js"
import { toAppTask } from "./TaskRecord.js"
import type { DeploymentRef } from "./Views.js"

/**
 * What the autoscaler needs of the engine.
 *
 * @since 0.1.0
 * @category models
 */
export interface AutoscalerCore {
  readonly state: State.RuntimeState
  readonly settings: Settings
  readonly redactor: Redactor["Service"]
  readonly scale: (appId: string, instances: number) => Effect.Effect<DeploymentRef, AppsError>
}

/**
 * One round of the autoscaler over every app.
 *
 * @since 0.1.0
 * @category constructors
 */
export const autoscaleOnce = (core: AutoscalerCore): Effect.Effect<void> => {
  const { state, settings, redactor } = core
  const { apps } = state
  const tasksOf = (appId: string) => State.tasksOf(state, appId)
  const conflictsWith = (ids: ReadonlyArray<string>) => State.deploymentsOf(state, ids)
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
      const from = a.stored.app.instances
      if (decision === undefined || decision.instances === from) continue
      const id = a.stored.app.id
      const result = yield* core.scale(id, decision.instances).pipe(Effect.result)
      if (Result.isSuccess(result)) {
        a.lastScaleAt = now
        yield* Effect.logInfo(
          `autoscaler: scaled ${id} from ${from} to ${decision.instances} (deployment ${result.success.deploymentId}): ${decision.reason}`
        )
      } else {
        yield* Effect.logWarning(
          `autoscaler: scaling ${id} from ${from} to ${decision.instances} was refused (${result.failure._tag}): ${redactor.redact(result.failure.message)}; tried again next round`
        )
      }
    }
  })
}
