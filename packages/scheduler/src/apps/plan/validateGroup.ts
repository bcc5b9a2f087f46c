/**
 * Semantic validation of groups: every app's own rules (see `validateApp`), plus what only the whole group
 * shows: duplicate app and group ids, dependencies on the app (or group) itself, dependency cycles, unknown
 * dependencies. Also what groups give the apps in them later: their dependencies (see {@link groupRecords},
 * {@link inheritDependencies}).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { type AppDefinition, type Group, resolvePath } from "../model/AppDefinition.js"
import { InvalidApp } from "./InvalidApp.js"
import { ownProblems } from "./internal/appRules.js"
import { duplicateOf } from "./internal/duplicates.js"
import { type Edge, layers, matchDependency, parentOf, resolveDependency } from "./internal/graph.js"
import type { ValidationContext } from "./validate.js"

/**
 * A group's own dependencies, absolute: what every app in the group (and in its subgroups) inherits.
 *
 * @since 0.1.0
 * @category models
 */
export interface GroupDependencies {
  readonly id: string
  readonly dependencies: ReadonlyArray<string>
}

/** One dependency of an app: the absolute path, where it was written, and the group record it comes from. */
interface Dependency {
  readonly path: string
  readonly field: string
  /** Set when inherited from a group outside the checked document (the field is then `dependencies`). */
  readonly group?: string
}

/** An app of a group, with its absolute id, its dependencies (own and inherited), and where it was written. */
interface Located {
  readonly app: AppDefinition
  readonly path: string
  readonly dependencies: ReadonlyArray<Dependency>
}

/** Own dependencies first, then inherited ones that are not already among them. */
const merge = (own: ReadonlyArray<Dependency>, inherited: ReadonlyArray<Dependency>): ReadonlyArray<Dependency> => [
  ...own,
  ...inherited.filter((d) => !own.some((o) => o.path === d.path))
]

const walk = (group: Group, base: string, path: string, inherited: ReadonlyArray<Dependency>) => {
  const id = resolvePath(group.id, base)
  const prefix = path === "" ? "" : `${path}.`
  const deps = [
    ...inherited,
    ...group.dependencies.map((d, j) => ({ path: resolvePath(d, id), field: `${prefix}dependencies[${j}]` }))
  ]
  const apps: Array<Located> = []
  const groups: Array<readonly [string, string]> = [[id, path === "" ? "id" : `${path}.id`]]
  const records: Array<{ readonly id: string; readonly own: ReadonlyArray<Dependency> }> = [
    { id, own: deps.slice(inherited.length) }
  ]
  // apps and groups written with an absolute id must lie inside the group that lists them
  const outside: Array<readonly [field: string, reason: string]> = []
  const inside = (child: string, field: string, what: string) => {
    // one equal to the group itself is a duplicate id (reported as such)
    if (child !== id && !child.startsWith(id === "/" ? "/" : `${id}/`))
      outside.push([field, `${what} ${child} is not inside the group ${id} that lists it`])
  }
  for (const [i, app] of group.apps.entries()) {
    const appId = resolvePath(app.id, id)
    inside(appId, `${prefix}apps[${i}].id`, "app")
    const own = app.dependencies.map((d, j) => ({
      path: resolveDependency(d, appId),
      field: `${prefix}apps[${i}].dependencies[${j}]`
    }))
    const all = merge(own, deps)
    apps.push({
      app: { ...app, id: appId, dependencies: all.map((d) => d.path) },
      path: `${prefix}apps[${i}]`,
      dependencies: all
    })
  }
  for (const [i, sub] of group.groups.entries()) {
    const inner = walk(sub, id, `${prefix}groups[${i}]`, deps)
    inside(resolvePath(sub.id, id), `${prefix}groups[${i}].id`, "group")
    apps.push(...inner.apps)
    groups.push(...inner.groups)
    records.push(...inner.records)
    outside.push(...inner.outside)
  }
  return { apps, groups, records, outside }
}

/** The groups enclosing `id` (not `id` itself), outermost first. */
const enclosingIds = (id: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (let at = id; at !== "/"; ) {
    at = parentOf(at)
    out.unshift(at)
  }
  return out
}

/** The dependencies the records of the groups enclosing `id` give it, outermost group first. */
const inheritedFrom = (id: string, records: ReadonlyMap<string, GroupDependencies>): ReadonlyArray<Dependency> =>
  enclosingIds(id).flatMap((g) =>
    (records.get(g)?.dependencies ?? []).map((path) => ({ path, field: "dependencies", group: g }))
  )

const byId = (records: ReadonlyArray<GroupDependencies>): ReadonlyMap<string, GroupDependencies> =>
  new Map(records.map((r) => [r.id, r]))

const named = (d: Dependency): string =>
  `depends on ${d.path}${d.group === undefined ? "" : ` (a dependency of group ${d.group})`}`

/** A dependency on the app itself or on a group holding it. */
const selfProblem = (appId: string, d: Dependency): InvalidApp | undefined =>
  d.path === appId || appId.startsWith(`${d.path}/`) || d.path === "/"
    ? new InvalidApp({
        field: d.field,
        appId,
        reason:
          d.path !== appId
            ? `${named(d)}, a group that contains the app itself`
            : d.group === undefined
              ? "an app cannot depend on itself"
              : `${named(d)}, the app itself`
      })
    : undefined

/** Why a group record cannot depend on `path` (itself, a group holding it, or `/`), if it cannot. */
const enclosingProblem = (groupId: string, path: string): string | undefined =>
  path === groupId
    ? "cannot depend on itself"
    : path === "/" || groupId.startsWith(`${path}/`)
      ? `depends on ${path}, a group that contains the group itself`
      : undefined

/** A dependency that names none of `known` (app and group ids). */
const unknownProblem = (appId: string, d: Dependency, known: ReadonlyArray<string>): InvalidApp | undefined =>
  matchDependency(d.path, known).length === 0
    ? new InvalidApp({ field: d.field, appId, reason: `${named(d)}, which is neither an app nor a group` })
    : undefined

/**
 * The group and each of its subgroups with its own dependencies made absolute (as Marathon stores groups):
 * what a scheduler keeps so that apps put into these groups later inherit them.
 *
 * @since 0.1.0
 * @category validation
 */
export const groupRecords = (group: Group, base = "/"): ReadonlyArray<GroupDependencies> =>
  walk(group, base, "", []).records.map((r) => ({ id: r.id, dependencies: r.own.map((d) => d.path) }))

/**
 * The apps of a group and its subgroups, with absolute ids (relative ids resolve against the enclosing group)
 * and absolute dependencies: the app's own plus those of every enclosing group (a group's dependencies apply to
 * all apps in it), including the groups around `group` given as `enclosing` records. As in Marathon, relative dependencies resolve against the group holding the app, and a
 * group's own dependencies against the group itself.
 *
 * @since 0.1.0
 * @category validation
 */
export const flattenGroup = (
  group: Group,
  base = "/",
  enclosing: ReadonlyArray<GroupDependencies> = []
): ReadonlyArray<AppDefinition> =>
  walk(group, base, "", inheritedFrom(resolvePath(group.id, base), byId(enclosing))).apps.map((l) => l.app)

/**
 * Every semantic problem of a group (empty when valid): each app's own (see {@link appProblems}, fields
 * prefixed by the app's path in the group, e.g. `groups[0].apps[1].env.DB`), duplicate app or group ids
 * (after resolving relative ids; the later one is named, e.g. `groups[1].id`), an app id equal to a group id,
 * dependencies of an app on itself and of a group on itself, a group holding it or `/` (whether or not the
 * group has apps), dependency cycles (the reason names the cycle), and,
 * when `context.knownIds` is given, dependencies that name no app or group. Dependencies inherited from the
 * `enclosing` group records are checked too (field `dependencies`, the reason names the group).
 *
 * @since 0.1.0
 * @category validation
 */
export const groupProblems = (
  group: Group,
  context: ValidationContext = {},
  base = "/",
  enclosing: ReadonlyArray<GroupDependencies> = []
): ReadonlyArray<InvalidApp> => {
  const { apps, groups, records, outside } = walk(
    group,
    base,
    "",
    inheritedFrom(resolvePath(group.id, base), byId(enclosing))
  )
  const problems: Array<InvalidApp> = outside.map(([field, reason]) => new InvalidApp({ field, reason }))
  for (const { app, path } of apps)
    for (const [field, reason] of ownProblems(app, context))
      if (!field.startsWith("dependencies["))
        problems.push(new InvalidApp({ field: `${path}.${field}`, appId: app.id, reason }))
  for (const d of duplicateOf(groups, ([id]) => id))
    problems.push(
      new InvalidApp({
        field: groups[d.index]![1],
        reason: `duplicate group id ${d.key} (also ${groups[d.first]![1]})`
      })
    )
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
  const refused = new Set<string>()
  for (const { id, own } of records)
    for (const d of own) {
      const reason = enclosingProblem(id, d.path)
      if (reason !== undefined) {
        refused.add(d.field)
        problems.push(new InvalidApp({ field: d.field, reason: `group ${id} ${reason}` }))
      } else if (context.knownIds !== undefined && matchDependency(d.path, known).length === 0)
        problems.push(
          new InvalidApp({ field: d.field, reason: `group ${id} ${named(d)}, which is neither an app nor a group` })
        )
    }
  const edges: Array<Edge> = []
  for (const { app, dependencies } of apps) {
    for (const d of dependencies) {
      const self = selfProblem(app.id, d)
      if (self !== undefined) {
        // the group's own dependency is already refused (for every app in it)
        if (!refused.has(d.field)) problems.push(self)
        continue
      }
      const unknown = context.knownIds === undefined ? undefined : unknownProblem(app.id, d, known)
      if (unknown !== undefined) problems.push(unknown)
      for (const to of matchDependency(d.path, ids)) edges.push({ from: app.id, to, field: d.field })
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
  base = "/",
  enclosing: ReadonlyArray<GroupDependencies> = []
): Effect.Effect<ReadonlyArray<AppDefinition>, InvalidApp> =>
  Effect.suspend(() => {
    const [first] = groupProblems(group, context, base, enclosing)
    return first === undefined ? Effect.succeed(flattenGroup(group, base, enclosing)) : Effect.fail(first)
  })

/**
 * One app put on its own into groups that have records: the app with the dependencies of every group
 * enclosing it appended (absolute, after its own, without repeats), as a whole-group put gives them; or the
 * first dependency (own: `dependencies[j]`; inherited: `dependencies`, the reason names the group) that names
 * none of `knownIds` (the ids of apps and groups that exist or come with the same change). `app.id` must be
 * absolute. Cycles are the deployment plan's to find.
 *
 * @since 0.1.0
 * @category validation
 */
export const inheritDependencies = (
  app: AppDefinition,
  records: ReadonlyArray<GroupDependencies>,
  knownIds: ReadonlyArray<string>
): Effect.Effect<AppDefinition, InvalidApp> =>
  Effect.suspend(() => {
    const own = app.dependencies.map((d, j) => ({ path: resolveDependency(d, app.id), field: `dependencies[${j}]` }))
    const inherited = merge(own, inheritedFrom(app.id, byId(records))).slice(own.length)
    for (const d of [...own, ...inherited]) {
      const problem = selfProblem(app.id, d) ?? unknownProblem(app.id, d, knownIds)
      if (problem !== undefined) return Effect.fail(problem)
    }
    return Effect.succeed(
      inherited.length === 0 ? app : { ...app, dependencies: [...app.dependencies, ...inherited.map((d) => d.path)] }
    )
  })

/**
 * Why an app or a group cannot be put at `id` given the ids of the apps and the group records that exist (as
 * Marathon, an app and a group never share an id, and an app holds no apps): for an app, `id` is a group
 * record's or has apps or records under it; for a group, `id` is an app's; for both, a group enclosing `id` is
 * an app. `undefined` when it can. `id` must be absolute.
 *
 * @since 0.1.0
 * @category validation
 */
export const idConflict = (
  id: string,
  kind: "app" | "group",
  existing: { readonly apps: ReadonlyArray<string>; readonly groups: ReadonlyArray<string> }
): string | undefined => {
  const holder = enclosingIds(id).find((g) => existing.apps.includes(g))
  if (holder !== undefined) return `${holder} is an app, which cannot hold ${kind === "app" ? "apps" : "groups"}`
  if (kind === "group")
    return existing.apps.includes(id) ? `${id} is an app: an app and a group cannot share an id` : undefined
  return existing.groups.includes(id) || [...existing.apps, ...existing.groups].some((e) => e.startsWith(`${id}/`))
    ? `${id} is a group: an app and a group cannot share an id`
    : undefined
}
