/**
 * Semantic validation of groups: every app's own rules (see `validateApp`), plus what only the whole group
 * shows: duplicate ids, dependencies on the app itself, dependency cycles, unknown dependencies.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { type AppDefinition, type Group, resolvePath } from "../model/AppDefinition.js"
import { InvalidApp } from "./InvalidApp.js"
import { duplicateOf, ownProblems } from "./internal/appRules.js"
import { type Edge, layers, matchDependency, resolveDependency } from "./internal/graph.js"
import type { ValidationContext } from "./validate.js"

/** An app of a group, with its absolute id, its inherited dependencies, and where it was written. */
interface Located {
  readonly app: AppDefinition
  readonly path: string
  /** For each entry of `app.dependencies`, the JSON path it was written at. */
  readonly dependencyFields: ReadonlyArray<string>
}

const walk = (group: Group, base: string, path: string, inherited: ReadonlyArray<readonly [string, string]>) => {
  const id = resolvePath(group.id, base)
  const prefix = path === "" ? "" : `${path}.`
  const deps = [
    ...inherited,
    ...group.dependencies.map((d, j) => [resolvePath(d, id), `${prefix}dependencies[${j}]`] as const)
  ]
  const apps: Array<Located> = []
  const groups: Array<readonly [string, string]> = [[id, path === "" ? "id" : `${path}.id`]]
  for (const [i, app] of group.apps.entries()) {
    const appId = resolvePath(app.id, id)
    const own = app.dependencies.map(
      (d, j) => [resolveDependency(d, appId), `${prefix}apps[${i}].dependencies[${j}]`] as const
    )
    const all = [...own, ...deps.filter(([d]) => !own.some(([o]) => o === d))]
    apps.push({
      app: { ...app, id: appId, dependencies: all.map(([d]) => d) },
      path: `${prefix}apps[${i}]`,
      dependencyFields: all.map(([, field]) => field)
    })
  }
  for (const [i, sub] of group.groups.entries()) {
    const inner = walk(sub, id, `${prefix}groups[${i}]`, deps)
    apps.push(...inner.apps)
    groups.push(...inner.groups)
  }
  return { apps, groups }
}

/**
 * The apps of a group and its subgroups, with absolute ids (relative ids resolve against the enclosing group)
 * and absolute dependencies: the app's own plus those of every enclosing group (a group's dependencies apply to
 * all apps in it). As in Marathon, relative dependencies resolve against the group holding the app, and a
 * group's own dependencies against the group itself.
 *
 * @since 0.1.0
 * @category validation
 */
export const flattenGroup = (group: Group, base = "/"): ReadonlyArray<AppDefinition> =>
  walk(group, base, "", []).apps.map((l) => l.app)

/**
 * Every semantic problem of a group (empty when valid): each app's own (see {@link appProblems}, fields
 * prefixed by the app's path in the group, e.g. `groups[0].apps[1].env.DB`), duplicate app ids (or an app id
 * equal to a group id), dependencies on the app itself, dependency cycles (the reason names the cycle), and,
 * when `context.knownIds` is given, dependencies that name no app or group.
 *
 * @since 0.1.0
 * @category validation
 */
export const groupProblems = (group: Group, context: ValidationContext = {}, base = "/"): ReadonlyArray<InvalidApp> => {
  const { apps, groups } = walk(group, base, "", [])
  const problems: Array<InvalidApp> = []
  for (const { app, path } of apps)
    for (const [field, reason] of ownProblems(app, context))
      if (!field.startsWith("dependencies["))
        problems.push(new InvalidApp({ field: `${path}.${field}`, appId: app.id, reason }))
  const groupIds = new Map(groups)
  for (const d of duplicateOf(apps, (l) => l.app.id))
    problems.push(
      new InvalidApp({
        field: `${apps[d.index]!.path}.id`,
        appId: d.key,
        reason: `duplicate app id (also ${apps[d.first]!.path})`
      })
    )
  for (const { app, path } of apps) {
    const clash = groupIds.get(app.id)
    if (clash !== undefined)
      problems.push(
        new InvalidApp({ field: `${path}.id`, appId: app.id, reason: `${app.id} is also a group (${clash})` })
      )
  }
  const ids = apps.map((l) => l.app.id)
  const known = [...ids, ...groupIds.keys(), ...(context.knownIds ?? [])]
  const edges: Array<Edge> = []
  for (const { app, dependencyFields } of apps) {
    for (const [j, dependency] of app.dependencies.entries()) {
      const field = dependencyFields[j]!
      if (dependency === app.id || app.id.startsWith(`${dependency}/`) || dependency === "/") {
        problems.push(
          new InvalidApp({
            field,
            appId: app.id,
            reason:
              dependency === app.id
                ? "an app cannot depend on itself"
                : `depends on ${dependency}, a group that contains the app itself`
          })
        )
        continue
      }
      if (context.knownIds !== undefined && matchDependency(dependency, known).length === 0)
        problems.push(
          new InvalidApp({
            field,
            appId: app.id,
            reason: `depends on ${dependency}, which is neither an app nor a group`
          })
        )
      for (const to of matchDependency(dependency, ids)) edges.push({ from: app.id, to, field })
    }
  }
  const ordered = layers(ids, edges)
  if ("cycle" in ordered)
    problems.push(
      new InvalidApp({
        field: ordered.edge.field,
        appId: ordered.edge.from,
        reason: `dependency cycle: ${ordered.cycle.join(" -> ")}`
      })
    )
  return problems
}

/**
 * Validates a group: succeeds with its apps flattened (see {@link flattenGroup}), or fails with the first
 * {@link InvalidApp} (see {@link groupProblems}).
 *
 * @since 0.1.0
 * @category validation
 */
export const validateGroup = (
  group: Group,
  context: ValidationContext = {},
  base = "/"
): Effect.Effect<ReadonlyArray<AppDefinition>, InvalidApp> =>
  Effect.suspend(() => {
    const [first] = groupProblems(group, context, base)
    return first === undefined ? Effect.succeed(flattenGroup(group, base)) : Effect.fail(first)
  })
