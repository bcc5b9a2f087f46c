/**
 * Deployments as the runtime plans them: the steps H4's `deploymentPlan` orders (dependencies first, stops
 * before starts), the deadline, the apps and group records before and after (for rollback), and the rollback
 * of a failed or cancelled deployment (back to the original definitions at a new version, keeping the original task spec
 * version so the original tasks count as current again).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { DeploymentAction } from "../events/AppEvent.js"
import type { AppDefinition } from "../model/AppDefinition.js"
import { type DeploymentPlanOptions, deploymentPlan, InvalidApp } from "../plan/index.js"
import type { StoredApp, StoredDeployment, StoredGroup } from "../store/StoredState.js"
import type { DeploymentView } from "./Views.js"

/**
 * The ordered steps from the whole current world to the whole target world (only changed apps get
 * actions). A dependency cycle is an `InvalidApp` on `dependencies` naming the cycle; a dependency naming no
 * app or group (e.g. on an app or group being removed) is one on the dependent app's own field
 * (`dependencies[0]`, with its `appId`) or the dependent group record's (the reason names the group).
 *
 * @since 0.1.0
 * @category planning
 */
export const planSteps = (
  current: ReadonlyArray<AppDefinition>,
  target: ReadonlyArray<AppDefinition>,
  restart: ReadonlyArray<string> = [],
  groups?: DeploymentPlanOptions["groups"]
): Effect.Effect<ReadonlyArray<ReadonlyArray<DeploymentAction>>, InvalidApp> =>
  deploymentPlan(current, target, { restart, ...(groups === undefined ? {} : { groups }) }).pipe(
    Effect.map((plan) => plan.steps.map((step) => step.actions.map((a) => ({ action: a._tag, app: a.appId })))),
    Effect.catchTag("DependencyCycle", (cycle) =>
      Effect.fail(new InvalidApp({ field: "dependencies", reason: cycle.message }))
    ),
    // the plan names fields by the position in its own list of apps, which means nothing to the caller
    Effect.mapError((e) =>
      /^(target|groups)\[/.test(e.field)
        ? new InvalidApp({
            field: e.field.replace(/^(target|groups)\[\d+\]\./, ""),
            reason: e.reason,
            ...(e.appId === undefined ? {} : { appId: e.appId })
          })
        : e
    )
  )

/**
 * The deadline of a deployment: its start plus the longest `deadlineSeconds` of the apps it touches.
 *
 * @since 0.1.0
 * @category planning
 */
export const deadlineOf = (
  startedAt: number,
  apps: ReadonlyArray<StoredApp | null | undefined>,
  fallbackSeconds = 600
): number => {
  const seconds = apps.flatMap((a) => (a == null ? [] : [a.app.upgradeStrategy.deadlineSeconds]))
  return startedAt + (seconds.length === 0 ? fallbackSeconds : Math.max(...seconds)) * 1000
}

/**
 * What a rollback deployment targets: each affected app back to its original definition (at `version`,
 * keeping the original `lastConfigChangeAt`), or removed when the failed deployment created it.
 *
 * @since 0.1.0
 * @category planning
 */
export const rollbackTarget = (failed: StoredDeployment, version: string): ReadonlyMap<string, StoredApp | null> =>
  new Map(
    Object.keys(failed.target).map((id): [string, StoredApp | null] => {
      const original = failed.original[id]
      return [
        id,
        original == null ? null : { app: { ...original.app, version }, lastConfigChangeAt: original.lastConfigChangeAt }
      ]
    })
  )

/**
 * The group records a rollback restores: each record the failed deployment put or removed back as it was
 * (`put`), the ones it created removed (`remove`); `undefined` when it stored no record of them (no group
 * change, or a deployment stored by an older version).
 *
 * @since 0.1.0
 * @category planning
 */
export const rollbackGroups = (
  failed: StoredDeployment
): { readonly put: ReadonlyArray<StoredGroup>; readonly remove: ReadonlyArray<string> } | undefined => {
  if (failed.originalGroups === undefined) return undefined
  const entries = Object.entries(failed.originalGroups)
  return {
    put: entries.flatMap(([, g]) => (g === null ? [] : [g])),
    remove: entries.flatMap(([id, g]) => (g === null ? [id] : []))
  }
}

/**
 * Whether a failed deployment should roll back: it is not a rollback itself and one of its apps asks for it
 * (`upgradeStrategy.rollbackOnFailure`; for an app the deployment removes, as its stored definition says).
 *
 * @since 0.1.0
 * @category planning
 */
export const wantsRollback = (failed: StoredDeployment): boolean =>
  !failed.rollback &&
  Object.entries(failed.target).some(
    ([id, a]) => (a ?? failed.original[id])?.app.upgradeStrategy.rollbackOnFailure === true
  )

/**
 * The deployment as the API shows it.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toView = (
  d: StoredDeployment,
  readiness: (appId: string) => ReadonlyArray<{ readonly taskId: string; readonly ready: boolean }>
): DeploymentView => {
  const current = d.steps[d.currentStep] ?? []
  return {
    id: d.id,
    version: d.version,
    affectedApps: Object.keys(d.target).sort(),
    steps: d.steps.map((actions) => ({ actions })),
    currentStep: Math.min(d.currentStep + 1, d.steps.length),
    totalSteps: d.steps.length,
    currentActions: current.map((a) => ({ ...a, readinessCheckResults: readiness(a.app) })),
    rollback: d.rollback,
    startedAt: new Date(d.startedAt).toISOString(),
    deadline: new Date(d.deadline).toISOString()
  }
}
