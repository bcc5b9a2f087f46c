/**
 * The rules of canaries (an app's `canary: { of, weight }`): on one app, a canary takes no service ports of
 * its own and is not its own canary; across the apps of a deployment's target, `canary.of` names an app that
 * exists and is not itself a canary, an app has at most one canary, and an app a canary points at cannot be
 * removed while the canary stays (refused like a dependency on a removed app).
 *
 * @internal
 */
import type { AppDefinition } from "../../model/AppDefinition.js"
import { InvalidApp } from "../InvalidApp.js"
import { resolveDependency } from "./graph.js"

/** The absolute id of the app a canary points at (`canary.of` resolves against the app's group). */
export const stableIdOf = (app: Pick<AppDefinition, "id" | "canary">): string | undefined =>
  app.canary === undefined ? undefined : resolveDependency(app.canary.of, app.id)

/** A canary's own problems (fields relative to the app): service ports of its own, pointing at itself. */
export const canaryProblems = (app: AppDefinition): ReadonlyArray<readonly [string, string]> => {
  const stable = stableIdOf(app)
  if (stable === undefined) return []
  const problems: Array<readonly [string, string]> = []
  if (stable === app.id) problems.push(["canary.of", "an app cannot be its own canary"])
  const own = "a canary serves on the service ports of canary.of and gets none of its own: use 0 or leave it out"
  for (const [i, m] of app.container.portMappings.entries())
    if (m.servicePort !== 0) problems.push([`container.portMappings[${i}].servicePort`, own])
  // with requirePorts a port definition's `port` is the host port, not a service port
  if (app.requirePorts === true) return problems
  for (const [i, d] of (app.portDefinitions ?? []).entries())
    if (d.port !== 0) problems.push([`portDefinitions[${i}].port`, own])
  for (const [i, port] of (app.ports ?? []).entries()) if (port !== 0) problems.push([`ports[${i}]`, own])
  return problems
}

/**
 * The first canary problem of a change from the apps `current` to the apps `target` (every app of the cluster
 * before and after): a `canary.of` naming no app of the target (one the change removes: remove or promote the
 * canary first), naming a canary, or an app that already has a canary. `undefined` when there is none. With
 * `changed` (the ids the change touches), only canaries that are changed or point at a changed app count, so
 * that a stored inconsistency never blocks unrelated deployments.
 */
export const canaryConflict = (
  current: ReadonlyArray<AppDefinition>,
  target: ReadonlyArray<AppDefinition>,
  changed?: ReadonlySet<string>
): InvalidApp | undefined => {
  const byId = new Map(target.map((a) => [a.id, a]))
  const existed = new Set(current.map((a) => a.id))
  const sorted = [...target].sort((x, y) => x.id.localeCompare(y.id))
  /** Stable app id -> the ids of its canaries. */
  const canariesOf = new Map<string, Array<string>>()
  for (const a of sorted) {
    const stableId = stableIdOf(a)
    if (stableId !== undefined) canariesOf.set(stableId, [...(canariesOf.get(stableId) ?? []), a.id])
  }
  for (const app of sorted) {
    const stableId = stableIdOf(app)
    if (stableId === undefined) continue
    if (changed !== undefined && !changed.has(app.id) && !changed.has(stableId)) continue
    const bad = (reason: string) => new InvalidApp({ field: "canary.of", appId: app.id, reason })
    const own = canariesOf.get(app.id)?.[0]
    if (own !== undefined) return bad(`${app.id} has a canary itself (${own}); a canary cannot have one`)
    const stable = byId.get(stableId)
    if (stable === undefined)
      return bad(
        existed.has(stableId)
          ? `${app.id} is a canary of ${stableId}, which this change removes: remove the canary (or drop its canary field) first`
          : `names ${stableId}, which is not an app`
      )
    const further = stableIdOf(stable)
    if (further !== undefined) return bad(`names ${stableId}, which is itself a canary (of ${further})`)
    const other = canariesOf.get(stableId)?.find((id) => id !== app.id)
    if (other !== undefined) return bad(`${stableId} already has a canary: ${other} (an app has at most one)`)
  }
  return undefined
}
