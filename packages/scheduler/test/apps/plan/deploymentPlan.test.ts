import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import type { AppDefinition } from "../../../src/apps/model/AppDefinition.js"
import {
  changeKind,
  DependencyCycle,
  type DeploymentPlan,
  deploymentPlan,
  InvalidApp
} from "../../../src/apps/plan/index.js"
import { app, failure } from "./helpers.js"

const db = app({ id: "/prod/db", instances: 1 })
const cache = app({ id: "/prod/cache" })
const web = app({ id: "/prod/web", instances: 3, dependencies: ["db", "cache"] })
const lb = app({ id: "/edge/lb", dependencies: ["/prod/web"] })

/** The plan as `[[tag appId, ...], ...]`, one array per step. */
const outline = (plan: DeploymentPlan) =>
  plan.steps.map((step) =>
    step.actions.map((a) =>
      a._tag === "ScaleApplication" ? `${a._tag} ${a.appId} ${a.from}->${a.to}` : `${a._tag} ${a.appId}`
    )
  )

const plan = (
  current: ReadonlyArray<AppDefinition>,
  target: ReadonlyArray<AppDefinition>,
  restart?: ReadonlyArray<string>
) => Effect.runSync(deploymentPlan(current, target, restart === undefined ? {} : { restart }))

describe("changeKind", () => {
  it("is none for identical definitions, whatever their version", () => {
    expect(changeKind(web, { ...web, version: "2" })).toBe("none")
    expect(changeKind(web, app({ id: "/prod/web", instances: 3, dependencies: ["db", "cache"] }))).toBe("none")
  })

  it("is scale when only instances changed, also with scheduler-only settings", () => {
    expect(changeKind(web, { ...web, instances: 5 })).toBe("scale")
    expect(changeKind(web, { ...web, instances: 5, backoffSeconds: 3 })).toBe("scale")
  })

  it("is restart when the task spec changes", () => {
    const changes: ReadonlyArray<Partial<AppDefinition>> = [
      { cmd: "sleep 1" },
      { args: ["x"] },
      { container: { ...web.container, docker: { ...web.container.docker, image: "busybox:2" } } },
      {
        container: {
          ...web.container,
          portMappings: [{ containerPort: 80, hostPort: 0, servicePort: 0, protocol: "tcp", labels: {} }]
        }
      },
      { env: { A: "1" } },
      { secrets: { s: { env: "S" } } },
      { secretFiles: [{ secret: "s", containerPath: "/s" }] },
      { cpus: 2 },
      { mem: 64 },
      { disk: 1 },
      { labels: { tier: "web" } },
      { constraints: [["hostname", "UNIQUE"]] },
      { healthChecks: app({ healthChecks: [{ port: 80 }] }).healthChecks },
      { role: "prod" },
      { acceptedResourceRoles: ["prod"] }
    ]
    for (const change of changes)
      expect(changeKind(web, { ...web, ...change, instances: 7 }), JSON.stringify(change)).toBe("restart")
  })

  it("is update when only settings the scheduler applies itself changed", () => {
    const withPort = app({
      id: "/prod/web",
      container: { docker: { image: "busybox" }, portMappings: [{ containerPort: 80 }] }
    })
    const changes: ReadonlyArray<Partial<AppDefinition>> = [
      { upgradeStrategy: { ...web.upgradeStrategy, minimumHealthCapacity: 0.5 } },
      { backoffSeconds: 5 },
      { backoffFactor: 2 },
      { maxLaunchDelaySeconds: 10 },
      { dependencies: [] },
      { taskKillGracePeriodSeconds: 1 },
      {
        autoscale: { metric: "cpu", target: 50, min: 1, max: 5, cooldownSeconds: 60, windowSeconds: 30, tolerance: 0.1 }
      },
      { readinessChecks: app({ readinessChecks: [{}] }).readinessChecks }
    ]
    for (const change of changes) expect(changeKind(web, { ...web, ...change }), JSON.stringify(change)).toBe("update")
    const port = withPort.container.portMappings[0]!
    for (const mapping of [
      { ...port, servicePort: 10_005 },
      { ...port, labels: { a: "b" } }
    ])
      expect(changeKind(withPort, { ...withPort, container: { ...withPort.container, portMappings: [mapping] } })).toBe(
        "update"
      )
    expect(
      changeKind(withPort, {
        ...withPort,
        container: { ...withPort.container, docker: { image: "busybox", forcePullImage: true } }
      })
    ).toBe("update")
  })
})

describe("deploymentPlan", () => {
  it("starts new apps in dependency order, one step per dependency layer", () => {
    expect(outline(plan([], [lb, web, db, cache]))).toEqual([
      ["StartApplication /prod/cache", "StartApplication /prod/db"],
      ["StartApplication /prod/web"],
      ["StartApplication /edge/lb"]
    ])
  })

  it("stops removed apps first, dependents before what they depend on", () => {
    expect(outline(plan([lb, web, db, cache], []))).toEqual([
      ["StopApplication /edge/lb"],
      ["StopApplication /prod/web"],
      ["StopApplication /prod/cache", "StopApplication /prod/db"]
    ])
  })

  it("restarts, scales and leaves alone as the changes require, in dependency order", () => {
    const target = [lb, { ...web, instances: 5 }, { ...db, cmd: "postgres" }, cache]
    const result = plan([lb, web, db, cache], target)
    expect(outline(result)).toEqual([["RestartApplication /prod/db"], ["ScaleApplication /prod/web 3->5"]])
    expect(result.affectedApps).toEqual(["/prod/db", "/prod/web"])
    expect(result.updates).toEqual([])
    expect(result.steps[0]!.actions[0]).toEqual({
      _tag: "RestartApplication",
      appId: "/prod/db",
      app: target[2],
      previous: db
    })
  })

  it("orders by the dependencies of unchanged apps too", () => {
    const target = [{ ...lb, cmd: "x" }, web, { ...db, cmd: "y" }, cache]
    expect(outline(plan([lb, web, db, cache], target))).toEqual([
      ["RestartApplication /prod/db"],
      ["RestartApplication /edge/lb"]
    ])
  })

  it("lists apps whose change needs no task action as updates, with no step", () => {
    const target = [{ ...db, backoffSeconds: 9 }]
    expect(plan([db], target)).toEqual({ steps: [], affectedApps: ["/prod/db"], updates: target })
  })

  it("is empty when nothing changed", () => {
    expect(plan([db, cache], [cache, { ...db, version: "v2" }])).toEqual({ steps: [], affectedApps: [], updates: [] })
  })

  it("scales a changed app to 0 instead of restarting it", () => {
    expect(outline(plan([db], [{ ...db, cmd: "x", instances: 0 }]))).toEqual([["ScaleApplication /prod/db 1->0"]])
  })

  it("restarts apps on request even when unchanged", () => {
    expect(outline(plan([db, cache], [db, cache], ["/prod/db"]))).toEqual([["RestartApplication /prod/db"]])
  })

  it("mixes stops, starts and changes: stops first", () => {
    const target = [
      { ...web, dependencies: ["db"] },
      { ...db, instances: 2 },
      app({ id: "/prod/queue", dependencies: ["web"] })
    ]
    const result = plan([lb, web, db, cache], target)
    expect(outline(result)).toEqual([
      ["StopApplication /edge/lb", "StopApplication /prod/cache"],
      ["ScaleApplication /prod/db 1->2"],
      ["StartApplication /prod/queue"]
    ])
    expect(result.updates).toEqual([target[0]])
    expect(result.affectedApps).toEqual(["/edge/lb", "/prod/cache", "/prod/db", "/prod/queue", "/prod/web"])
  })

  it("resolves a dependency on a group to every app in it", () => {
    const api = app({ id: "/front/api", dependencies: ["/prod"] })
    expect(outline(plan([], [api, db, cache]))).toEqual([
      ["StartApplication /prod/cache", "StartApplication /prod/db"],
      ["StartApplication /front/api"]
    ])
  })

  it("fails with the cycle named", () => {
    const a = app({ id: "/a", dependencies: ["/b"] })
    const b = app({ id: "/b", dependencies: ["/c"] })
    const c = app({ id: "/c", dependencies: ["/a"] })
    expect(failure(deploymentPlan([], [a, b, c]))).toEqual(new DependencyCycle({ cycle: ["/a", "/b", "/c", "/a"] }))
    expect(failure(deploymentPlan([], [a, b, c])).message).toBe("dependency cycle: /a -> /b -> /c -> /a")
    expect(failure(deploymentPlan([], [app({ id: "/x/y", dependencies: ["/x"] })]))).toEqual(
      new DependencyCycle({ cycle: ["/x/y", "/x/y"] })
    )
  })

  it("fails on a dependency that names nothing in the target, and on duplicate ids", () => {
    expect(failure(deploymentPlan([db, web, cache], [web, cache]))).toEqual(
      new InvalidApp({
        field: "target[0].dependencies[0]",
        appId: "/prod/web",
        reason: "depends on /prod/db, which is neither an app nor a group"
      })
    )
    expect(failure(deploymentPlan([], [db, cache, db]))).toEqual(
      new InvalidApp({ field: "target[2].id", appId: "/prod/db", reason: "duplicate app id (also target[0])" })
    )
  })

  describe("with group records", () => {
    const records = (...ids: ReadonlyArray<string>) => ids.map((id) => ({ id, dependencies: [] }))

    it("counts a dependency on a group with a record but no app as satisfied, with no edge", () => {
      const api = app({ id: "/front/api", dependencies: ["/prod/empty"] })
      const worker = app({ id: "/front/worker", dependencies: ["/back"] })
      const groups = { current: [], target: records("/prod/empty", "/back/jobs") }
      expect(outline(Effect.runSync(deploymentPlan([], [api, worker], { groups })))).toEqual([
        ["StartApplication /front/api", "StartApplication /front/worker"]
      ])
      expect(failure(deploymentPlan([], [api]))).toEqual(
        new InvalidApp({
          field: "target[0].dependencies[0]",
          appId: "/front/api",
          reason: "depends on /prod/empty, which is neither an app nor a group"
        })
      )
    })

    it("refuses a change that removes what an app or a group record depends on", () => {
      const api = app({ id: "/front/api", dependencies: ["/prod/empty"] })
      expect(
        failure(deploymentPlan([api], [api], { groups: { current: records("/prod/empty"), target: [] } }))
      ).toEqual(
        new InvalidApp({
          field: "target[0].dependencies[0]",
          appId: "/front/api",
          reason: "depends on /prod/empty, which is neither an app nor a group"
        })
      )
      const dependent = { id: "/front", dependencies: ["/prod/db"] }
      expect(
        failure(
          deploymentPlan([db], [], {
            groups: { current: [dependent, ...records("/prod/x")], target: [...records("/prod/x"), dependent] }
          })
        )
      ).toEqual(
        new InvalidApp({
          field: "groups[1].dependencies[0]",
          reason: "group /front depends on /prod/db, which is neither an app nor a group"
        })
      )
    })

    it("leaves alone a group record whose dependency named nothing before the change either", () => {
      const dangling = { id: "/front", dependencies: ["/gone"] }
      expect(
        outline(Effect.runSync(deploymentPlan([], [db], { groups: { current: [dangling], target: [dangling] } })))
      ).toEqual([["StartApplication /prod/db"]])
    })
  })
})
