/**
 * The app scheduler's REST API, Marathon's `/v2` shape: apps (create, replace or partly update, scale,
 * restart, remove, versions, tasks), groups, tasks, deployments (list, cancel with or without rollback), the
 * launch queue, info and leader. Bodies are decoded strictly; every error names what was wrong.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { InvalidRequest, type RequestError } from "../../cluster/ClusterError.js"
import type { Request, Response, Route } from "../../cluster/http/HttpServer.js"
import { AppDefinition, Group, resolvePath } from "../model/AppDefinition.js"
import { parseLabelSelector } from "../model/LabelSelector.js"
import { InvalidApp } from "../plan/InvalidApp.js"
import type { AppScheduler, ChangeOptions } from "../scheduler/AppScheduler.js"
import { AppNotFound, type AppsError } from "../scheduler/AppsError.js"
import type { AppTask, DeploymentRef, GroupStatus } from "../scheduler/Views.js"
import { appJson, findGroup, groupJson } from "./appJson.js"
import { decodeBody, groupWithoutReadOnly, withoutReadOnly } from "./body.js"
import { answer } from "./errors.js"

type Scheduler = AppScheduler["Service"]

const flag = (request: Request, name: string): boolean => {
  const value = request.query.get(name)
  return value !== null && value !== "false" && value !== "0"
}

const change = (request: Request): ChangeOptions => ({ force: flag(request, "force") })

/** The query parameters the API reads as booleans, and the values they take (absent or empty: see {@link flag}). */
const booleanParameters = ["force", "scale", "partialUpdate"]
const booleanValues = new Set(["", "true", "false", "1", "0"])
const taskStatuses = ["staging", "starting", "running", "finished", "failed", "killing", "killed", "lost"]

/** A query parameter the route would misread (`?force=yes`, `?status=runing`), refused naming it. */
const badParameter = (request: Request): InvalidRequest | undefined => {
  for (const name of booleanParameters) {
    const value = request.query.get(name)
    if (value !== null && !booleanValues.has(value))
      return new InvalidRequest({ field: name, reason: `expects true, false, 1, 0 or no value, got "${value}"` })
  }
  const status = request.query.get("status")
  if (status !== null && !taskStatuses.includes(status.toLowerCase()))
    return new InvalidRequest({ field: "status", reason: `expects one of ${taskStatuses.join(", ")}, got "${status}"` })
  const label = request.query.get("label")
  const selector = label === null ? undefined : parseLabelSelector(label)
  if (typeof selector === "string") return new InvalidRequest({ field: "label", reason: selector })
  return undefined
}

/** `handle`, unless the request has a {@link badParameter}. */
const checked =
  (handle: (request: Request) => Effect.Effect<Response, RequestError>) =>
  (request: Request): Effect.Effect<Response, RequestError> => {
    const bad = badParameter(request)
    return bad === undefined ? handle(request) : Effect.fail(bad)
  }

/** `/prod/web` from the route parameter `prod/web`. */
const appIdOf = (request: Request, name = "appId"): string => resolvePath(request.params[name] ?? "")

const embedsTasks = (request: Request): boolean =>
  request.query.getAll("embed").some((e) => e === "apps.tasks" || e === "app.tasks" || e === "group.apps.tasks")

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Marathon's group update: `apps`, `groups` and `dependencies` left out of a group put keep the group's current
 * ones (a put of `{ "dependencies": [...] }` changes only those; `apps: []` removes the apps).
 */
const keepingMembers = (body: Record<string, unknown>, current: GroupStatus | undefined): Record<string, unknown> =>
  current === undefined
    ? body
    : {
        ...body,
        ...("apps" in body ? {} : { apps: current.apps.map((app) => appJson(app)) }),
        ...("groups" in body ? {} : { groups: current.groups.map((group) => groupJson(group)) }),
        ...("dependencies" in body ? {} : { dependencies: current.dependencies })
      }

/** The body's `id` must be absent or name the app of the path. */
const withPathId = (body: unknown, appId: string): Effect.Effect<Record<string, unknown>, InvalidApp> => {
  if (!isRecord(body)) return Effect.fail(new InvalidApp({ field: "body", reason: "expects a JSON object" }))
  if (body.id !== undefined && (typeof body.id !== "string" || resolvePath(body.id) !== appId))
    return Effect.fail(
      new InvalidApp({
        field: "id",
        reason: `must be ${appId} (the path's app) or absent, got ${JSON.stringify(body.id)}`
      })
    )
  return Effect.succeed({ ...body, id: appId })
}

/** A partial update: the given top-level fields over the current definition. */
const mergedWith = (current: AppDefinition, body: Record<string, unknown>): Record<string, unknown> => {
  const { version: _version, ...definition } = current
  return { ...definition, ...(withoutReadOnly(body) as Record<string, unknown>) }
}

const currentApp = (scheduler: Scheduler, appId: string): Effect.Effect<AppDefinition | undefined, AppsError> =>
  scheduler.app(appId).pipe(
    Effect.map((status): AppDefinition | undefined => status.app),
    Effect.catchTag("AppNotFound", () => Effect.succeed(undefined))
  )

const putApp = (
  scheduler: Scheduler,
  request: Request,
  partial: "always" | "default"
): Effect.Effect<{ readonly created: boolean; readonly ref: DeploymentRef }, AppsError> =>
  Effect.gen(function* () {
    const appId = appIdOf(request)
    const body = yield* withPathId(request.body, appId)
    const current = yield* currentApp(scheduler, appId)
    if (current === undefined && partial === "always") return yield* new AppNotFound({ kind: "app", id: appId })
    const mergeFields =
      current !== undefined && (partial === "always" || request.query.get("partialUpdate") !== "false")
    const app = yield* decodeBody(AppDefinition, mergeFields ? mergedWith(current, body) : body, withoutReadOnly)
    const ref = yield* scheduler.put(app, change(request))
    return { created: current === undefined, ref }
  })

const taskIdsBody = Schema.Struct({ ids: Schema.Array(Schema.String.check(Schema.isMinLength(1))) })

/**
 * The `/v2` routes over an app scheduler (mount them on the master with `Master.mount`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const appsRoutes = (scheduler: Scheduler): ReadonlyArray<Route> => {
  const get = (pattern: string, handle: (request: Request) => Effect.Effect<Response, RequestError>): Route => ({
    method: "GET",
    pattern,
    handle: checked(handle)
  })
  const route = (
    method: string,
    pattern: string,
    handle: (request: Request) => Effect.Effect<Response, RequestError>
  ): Route => ({ method, pattern, handle: checked(handle) })
  const tasksOf = (request: Request): Effect.Effect<ReadonlyArray<AppTask> | undefined, AppsError> =>
    embedsTasks(request) ? scheduler.tasks() : Effect.succeed(undefined)
  /** Every app's definition (for the canary fields). */
  const world = Effect.map(scheduler.apps(), (apps) => apps.map((status) => status.app))

  return [
    // ---- apps: the longer patterns first (an app id may have any number of segments) ----
    get("/v2/apps/:appId*/versions/:version", (r) => answer(scheduler.appVersion(appIdOf(r), r.params.version!))),
    get("/v2/apps/:appId*/versions", (r) => answer(scheduler.versions(appIdOf(r)), 200, (versions) => ({ versions }))),
    get("/v2/apps/:appId*/tasks", (r) =>
      answer(
        Effect.flatMap(scheduler.app(appIdOf(r)), (status) => scheduler.tasks(status.app.id)),
        200,
        (tasks) => ({ tasks })
      )
    ),
    // the task must be one of the app's: a task id of another app is 404, and `scale` never shrinks another app
    route("DELETE", "/v2/apps/:appId*/tasks/:taskId", (r) => {
      const taskId = r.params.taskId ?? ""
      return answer(
        Effect.gen(function* () {
          const status = yield* scheduler.app(appIdOf(r))
          const own = yield* scheduler.tasks(status.app.id)
          if (!own.some((t) => t.id === taskId)) return { notOfApp: status.app.id }
          const killed = yield* scheduler.killTasks([taskId], { scale: flag(r, "scale"), force: flag(r, "force") })
          return { task: killed[0] ?? null }
        }),
        (result) => ("notOfApp" in result ? 404 : 200),
        (result) =>
          "notOfApp" in result
            ? {
                error: "NotFound",
                message: `task ${JSON.stringify(taskId)} is not a task of app ${JSON.stringify(result.notOfApp)}`,
                kind: "task",
                id: taskId,
                appId: result.notOfApp
              }
            : result
      )
    }),
    route("DELETE", "/v2/apps/:appId*/tasks", (r) =>
      answer(
        Effect.gen(function* () {
          const status = yield* scheduler.app(appIdOf(r))
          const host = r.query.get("host")
          const tasks = (yield* scheduler.tasks(status.app.id)).filter((t) => host === null || t.host === host)
          return yield* scheduler.killTasks(
            tasks.map((t) => t.id),
            { scale: flag(r, "scale"), force: flag(r, "force") }
          )
        }),
        200,
        (tasks) => ({ tasks })
      )
    ),
    route("POST", "/v2/apps/:appId*/restart", (r) => answer(scheduler.restart(appIdOf(r), change(r)))),
    get("/v2/apps/:appId*", (r) =>
      answer(Effect.all([scheduler.app(appIdOf(r)), tasksOf(r), world]), 200, ([status, tasks, all]) => ({
        app: appJson(status, tasks, all)
      }))
    ),
    route("PUT", "/v2/apps/:appId*", (r) =>
      answer(
        putApp(scheduler, r, "default"),
        (result) => (result.created ? 201 : 200),
        (result) => result.ref
      )
    ),
    route("PATCH", "/v2/apps/:appId*", (r) => answer(putApp(scheduler, r, "always"), 200, (result) => result.ref)),
    route("DELETE", "/v2/apps/:appId*", (r) => answer(scheduler.remove(appIdOf(r), change(r)))),
    get("/v2/apps", (r) =>
      answer(
        Effect.all([
          scheduler.apps({
            ...(r.query.get("id") === null ? {} : { prefix: resolvePath(r.query.get("id")!) }),
            ...(r.query.get("label") === null ? {} : { label: r.query.get("label")! })
          }),
          tasksOf(r),
          world
        ]),
        200,
        ([apps, tasks, all]) => ({ apps: apps.map((status) => appJson(status, tasks, all)) })
      )
    ),
    route("POST", "/v2/apps", (r) =>
      answer(
        Effect.gen(function* () {
          const app = yield* decodeBody(AppDefinition, r.body, withoutReadOnly)
          const existing = yield* currentApp(scheduler, resolvePath(app.id))
          if (existing !== undefined)
            return yield* new InvalidApp({
              field: "id",
              reason: `an app with id ${existing.id} already exists (use PUT to change it)`
            })
          const ref = yield* scheduler.put({ ...app, id: resolvePath(app.id) }, change(r))
          const status = yield* scheduler.app(resolvePath(app.id))
          return { ...appJson(status), deployments: [{ id: ref.deploymentId }], version: ref.version }
        }),
        201
      )
    ),

    // ---- groups ----
    get("/v2/groups/:groupId*", (r) =>
      answer(
        Effect.gen(function* () {
          const groupId = appIdOf(r, "groupId")
          const [root, tasks, all] = yield* Effect.all([scheduler.groups, tasksOf(r), world])
          const group = findGroup(root, groupId)
          if (group === undefined) return yield* new AppNotFound({ kind: "group", id: groupId })
          return groupJson(group, tasks, all)
        })
      )
    ),
    get("/v2/groups", (r) =>
      answer(Effect.all([scheduler.groups, tasksOf(r), world]), 200, ([root, tasks, all]) =>
        groupJson(root, tasks, all)
      )
    ),
    route("POST", "/v2/groups", (r) =>
      answer(
        Effect.flatMap(decodeBody(Group, r.body, groupWithoutReadOnly), (group) =>
          scheduler.putGroup({ ...group, id: resolvePath(group.id) }, change(r))
        ),
        201
      )
    ),
    route("PUT", "/v2/groups/:groupId*", (r) =>
      answer(
        Effect.gen(function* () {
          const groupId = appIdOf(r, "groupId")
          const body = isRecord(r.body)
            ? { ...keepingMembers(r.body, findGroup(yield* scheduler.groups, groupId)), id: groupId }
            : r.body
          const group = yield* decodeBody(Group, body, groupWithoutReadOnly)
          return yield* scheduler.putGroup(group, change(r))
        })
      )
    ),
    route("DELETE", "/v2/groups/:groupId*", (r) => answer(scheduler.removeGroup(appIdOf(r, "groupId"), change(r)))),

    // ---- tasks ----
    get("/v2/tasks", (r) =>
      answer(scheduler.tasks(), 200, (tasks) => {
        const status = r.query.get("status")
        return { tasks: status === null ? tasks : tasks.filter((t) => t.state === `TASK_${status.toUpperCase()}`) }
      })
    ),
    route("POST", "/v2/tasks/delete", (r) =>
      answer(
        Effect.flatMap(decodeBody(taskIdsBody, r.body), ({ ids }) =>
          scheduler.killTasks(ids, { scale: flag(r, "scale"), force: flag(r, "force") })
        ),
        200,
        (tasks) => ({ tasks })
      )
    ),

    // ---- deployments ----
    get("/v2/deployments", () => answer(scheduler.deployments)),
    route("DELETE", "/v2/deployments/:deploymentId", (r) =>
      answer(
        scheduler.cancel(r.params.deploymentId!, { rollback: !flag(r, "force") }),
        (ref) => (ref === undefined ? 202 : 200),
        (ref) => ref ?? { cancelled: r.params.deploymentId }
      )
    ),

    // ---- queue, info ----
    get("/v2/queue", () => answer(scheduler.queue, 200, (queue) => ({ queue }))),
    route("DELETE", "/v2/queue/:appId*/delay", (r) =>
      answer(scheduler.resetDelay(appIdOf(r)), 200, () => ({ reset: appIdOf(r) }))
    ),
    get("/v2/info", () => answer(scheduler.info)),
    get("/v2/leader", () =>
      answer(scheduler.info, 200, (info) => ({ leader: info.leader ?? null, elected: info.elected }))
    )
  ]
}
