/**
 * The `/v2` REST API and `/v2/events` on a real master, real agents (shared dockerd) and a ZooKeeper store:
 * what a Marathon client does (curl-style JSON calls), including every error answer.
 */
import { request } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dockerFixture, requireDocker, requireZooKeeper, zookeeperFixture } from "../../../../../test/fixtures/index.js"
import { eventually, http } from "../../cluster/helpers.js"
import { marathonExport } from "../model/marathonExport.js"
import { httpdCmd, startAppsApi, type TestCluster } from "../scheduler/cluster.js"

/** Reads server-sent events until `enough` events arrived (or 20 s passed). */
const readEvents = (
  url: string,
  headers: Record<string, string>,
  enough: (events: ReadonlyArray<{ id: string; event: string; data: Record<string, unknown> }>) => boolean
): Promise<{ status: number; events: Array<{ id: string; event: string; data: Record<string, unknown> }> }> =>
  new Promise((resolve, reject) => {
    const events: Array<{ id: string; event: string; data: Record<string, unknown> }> = []
    const req = request(url, { headers }, (res) => {
      let buffer = ""
      const timer = setTimeout(() => {
        req.destroy()
        resolve({ status: res.statusCode ?? 0, events })
      }, 20_000)
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => {
        buffer += chunk
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const field = (name: string) =>
            block
              .split("\n")
              .filter((line) => line.startsWith(`${name}: `))
              .map((line) => line.slice(name.length + 2))
              .join("\n")
          if (field("data") === "") continue
          events.push({ id: field("id"), event: field("event"), data: JSON.parse(field("data")) })
        }
        if (enough(events)) {
          clearTimeout(timer)
          req.destroy()
          resolve({ status: res.statusCode ?? 0, events })
        }
      })
      res.on("end", () => {
        clearTimeout(timer)
        resolve({ status: res.statusCode ?? 0, events })
      })
    })
    req.on("error", reject)
    req.end()
  })

describe.skipIf(dockerFixture() === null || zookeeperFixture() === null)(
  "/v2 API on the master (real agents, dockerd and ZooKeeper)",
  () => {
    const { testImage } = dockerFixture() === null ? { testImage: "" } : requireDocker()
    let cluster: TestCluster
    let v2: string
    let stop: (() => Promise<void>) | undefined

    beforeAll(async () => {
      ;({ cluster, v2, stop } = await startAppsApi(
        { socketPath: requireDocker().socketPath, agents: 1, zookeeper: requireZooKeeper().standalone.connectString },
        { secretEnv: { API_TEST_SECRET: "api-Secret-Value-42" } }
      ))
    })

    afterAll(() => stop?.())

    const web = (instances: number, extra: Record<string, unknown> = {}) => ({
      id: "/api/web",
      cmd: httpdCmd("api-v1"),
      container: { docker: { image: testImage }, portMappings: [{ containerPort: 8080, name: "http" }] },
      instances,
      cpus: 0.1,
      mem: 32,
      env: { PLAIN: "visible", TOKEN: { secret: "token" } },
      secrets: { token: { env: "API_TEST_SECRET" } },
      healthChecks: [
        {
          protocol: "HTTP",
          path: "/",
          gracePeriodSeconds: 3,
          intervalSeconds: 0.25,
          timeoutSeconds: 1,
          delaySeconds: 0
        }
      ],
      upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.5, deadlineSeconds: 60 },
      ...extra
    })

    /** An app that sleeps, with no instances unless `extra` says so. */
    const idle = (id: string, extra: Record<string, unknown> = {}) => ({
      id,
      cmd: "exec sleep 3600",
      container: { docker: { image: testImage } },
      instances: 0,
      cpus: 0.1,
      mem: 16,
      ...extra
    })

    /** The `deployment_failed` event of a deployment, from the start of the event stream (waits for it). */
    const failedEvent = async (deploymentId: unknown) => {
      const { events } = await readEvents(
        `${v2}/events?event_type=deployment_failed`,
        { "last-event-id": "0" },
        (seen) => seen.some((e) => e.data.id === deploymentId)
      )
      return events.find((e) => e.data.id === deploymentId)?.data
    }

    const healthy = (count: number) =>
      eventually(
        `/api/web with ${count} healthy tasks and no deployment`,
        async () => {
          const answer = await http("GET", `${v2}/apps/api/web`)
          const app = answer.body.app as Record<string, unknown>
          return app.tasksHealthy === count &&
            app.tasksRunning === count &&
            (app.deployments as Array<unknown>).length === 0
            ? app
            : undefined
        },
        60_000
      )

    it("creates an app (201), lists it, scales it with a partial PUT, and streams numbered events", async () => {
      const created = await http("POST", `${v2}/apps`, web(1))
      expect(created.status).toBe(201)
      expect(created.body.id).toBe("/api/web")
      expect((created.body.deployments as Array<{ id: string }>)[0]?.id).toEqual(expect.any(String))
      await healthy(1)

      const list = await http("GET", `${v2}/apps?embed=apps.tasks`)
      const listed = (list.body.apps as Array<Record<string, unknown>>).find((a) => a.id === "/api/web")!
      expect((listed.tasks as Array<unknown>).length).toBe(1)
      expect(listed.env).toEqual({ PLAIN: "visible", TOKEN: { secret: "token" } })
      expect(JSON.stringify(list.body)).not.toContain("api-Secret-Value-42")

      const scaled = await http("PUT", `${v2}/apps/api/web`, { instances: 3 })
      expect(scaled.status).toBe(200)
      expect(scaled.body).toEqual({ deploymentId: expect.any(String), version: expect.any(String) })
      const during = await http("GET", `${v2}/deployments`)
      expect((during.body as Array<{ id: string }>).map((d) => d.id)).toContain(scaled.body.deploymentId)
      const app = await healthy(3)
      expect(app.cmd).toBe(httpdCmd("api-v1"))

      const tasks = await http("GET", `${v2}/apps/api/web/tasks`)
      expect((tasks.body.tasks as Array<{ appId: string; ports: Array<number> }>).map((t) => t.appId)).toEqual([
        "/api/web",
        "/api/web",
        "/api/web"
      ])
      const all = await http("GET", `${v2}/tasks`)
      expect((all.body.tasks as Array<unknown>).length).toBeGreaterThanOrEqual(3)

      // every event from the first one: ordered, numbered, with Marathon's types, and no secret in them
      const { status, events } = await readEvents(`${v2}/events`, { "last-event-id": "0" }, (seen) =>
        seen.some((e) => e.event === "deployment_success" && e.data.id === scaled.body.deploymentId)
      )
      expect(status).toBe(200)
      const seqs = events.map((e) => Number(e.id))
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
      expect(new Set(seqs).size).toBe(seqs.length)
      expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(["api_post_event", "deployment_success"]))
      expect(JSON.stringify(events)).not.toContain("api-Secret-Value-42")

      const versions = await http("GET", `${v2}/apps/api/web/versions`)
      expect((versions.body.versions as Array<string>).length).toBeGreaterThanOrEqual(2)
      const first = await http(
        "GET",
        `${v2}/apps/api/web/versions/${encodeURIComponent((versions.body.versions as Array<string>).at(-1)!)}`
      )
      expect(first.body.instances).toBe(1)

      const info = await http("GET", `${v2}/info`)
      expect(info.body.elected).toBe(true)
      const metrics = (await (await fetch(`${cluster.master.url}/metrics`)).text()).split("\n")
      for (const line of [
        "orchestrator_apps_leading 1",
        'orchestrator_app_instances{app="/api/web"} 3',
        'orchestrator_app_tasks_running{app="/api/web"} 3',
        'orchestrator_app_tasks_healthy{app="/api/web"} 3',
        'orchestrator_app_tasks_unhealthy{app="/api/web"} 0'
      ])
        expect(metrics).toContain(line)
      expect(metrics).toContainEqual(expect.stringMatching(/^orchestrator_apps [1-9]\d*$/))
      expect(metrics).toContainEqual(expect.stringMatching(/^orchestrator_deployments \d+$/))
    })

    it("answers bad input with an error that names it, and changes nothing", async () => {
      const before = await http("GET", `${v2}/apps/api/web`)
      const bad = await http("POST", `${v2}/apps`, { ...web(1), id: "/api/other", instances: -2 })
      expect(bad.status).toBe(422)
      expect(bad.body.field).toBe("instances")
      const typo = await http("POST", `${v2}/apps`, { ...web(1), id: "/api/other", instanse: 2 })
      expect(typo.status).toBe(422)
      expect(typo.body.field).toBe("instanse")
      const badPath = await http("POST", `${v2}/apps`, { ...web(1), id: "/Api/Web" })
      expect([badPath.status, badPath.body.field]).toEqual([422, "id"])
      const duplicate = await http("POST", `${v2}/apps`, web(1))
      expect([duplicate.status, duplicate.body.field]).toEqual([422, "id"])
      const wrongId = await http("PUT", `${v2}/apps/api/web`, { id: "/api/else", instances: 2 })
      expect([wrongId.status, wrongId.body.field]).toEqual([422, "id"])
      const negative = await http("PUT", `${v2}/apps/api/web`, { instances: -1 })
      expect([negative.status, negative.body.field]).toEqual([422, "instances"])
      const noSource = await http("POST", `${v2}/apps`, {
        ...web(1),
        id: "/api/scaled",
        autoscale: { metric: "rps", target: 100, min: 1, max: 3 }
      })
      expect([noSource.status, noSource.body.field]).toEqual([422, "autoscale.metric"])
      expect(noSource.body.message).toContain('"rps"')
      const missing = await http("GET", `${v2}/apps/api/nothing`)
      expect(missing.status).toBe(404)
      const patchMissing = await http("PATCH", `${v2}/apps/api/nothing`, { instances: 1 })
      expect(patchMissing.status).toBe(404)
      const noGroup = await http("GET", `${v2}/groups/nowhere`)
      expect(noGroup.status).toBe(404)
      const noDeployment = await http("DELETE", `${v2}/deployments/no-such-deployment`)
      expect(noDeployment.status).toBe(404)
      const badAfter = await http("GET", `${v2}/events?after=abc`)
      expect([badAfter.status, badAfter.body.field]).toEqual([400, "after"])
      const noBody = await http("POST", `${v2}/tasks/delete`, { id: ["x"] })
      expect(noBody.status).toBe(422)
      // a query parameter the API would misread is refused, not taken as "yes" or matched against nothing
      const maybe = await http("PUT", `${v2}/apps/api/web?force=maybe`, { instances: 2 })
      expect([maybe.status, maybe.body.field]).toEqual([400, "force"])
      const typoStatus = await http("GET", `${v2}/tasks?status=runing`)
      expect([typoStatus.status, typoStatus.body.field]).toEqual([400, "status"])
      expect((await http("GET", `${v2}/tasks?status=RUNNING`)).status).toBe(200)
      const badLabel = await http("GET", `${v2}/apps?label=${encodeURIComponent("tier maybe (a)")}`)
      expect([badLabel.status, badLabel.body.field]).toEqual([400, "label"])
      const selected = await http("GET", `${v2}/apps?label=${encodeURIComponent("owner!=me, owner notin (x)")}`)
      expect((selected.body.apps as Array<{ id: string }>).map((a) => a.id)).toContain("/api/web")
      const after = await http("GET", `${v2}/apps/api/web`)
      expect(after.body.app.version).toBe(before.body.app.version)
      expect(after.body.app.instances).toBe(before.body.app.instances)
    })

    it("refuses a change that conflicts with a running deployment (409 naming it), unless forced", async () => {
      const slow = await http("PUT", `${v2}/apps/api/web`, { instances: 4, cmd: httpdCmd("api-v2") })
      expect(slow.status).toBe(200)
      const conflict = await http("PUT", `${v2}/apps/api/web`, { instances: 2 })
      expect(conflict.status).toBe(409)
      expect(conflict.body.deployments).toEqual([{ id: slow.body.deploymentId }])
      const forced = await http("PUT", `${v2}/apps/api/web?force=true`, { instances: 2 })
      expect(forced.status).toBe(200)
      // the deployment it replaced is reported failed, as superseded
      expect(await failedEvent(slow.body.deploymentId)).toMatchObject({ reason: "superseded" })
      const app = await healthy(2)
      expect(app.instances).toBe(2)
    })

    it("kills a task only through its own app, and a forced kill-and-scale fails the deployment it supersedes", async () => {
      // an app without healthy tasks is known to discovery: 200, no endpoints
      expect((await http("POST", `${v2}/apps`, idle("/api/idle"))).status).toBe(201)
      const idleService = await http("GET", `${v2}/discovery/idle.api.orchestrator`)
      expect(idleService).toEqual({
        status: 200,
        body: { appId: "/api/idle", name: "idle.api.orchestrator", endpoints: [] }
      })
      expect((await http("GET", `${v2}/discovery/none.api.orchestrator`)).status).toBe(404)

      // a task of /api/web deleted through /api/idle: 404 naming both, nothing killed, no app shrunk
      const webTasks = (await http("GET", `${v2}/apps/api/web/tasks`)).body.tasks as Array<{ id: string }>
      const victim = webTasks[0]!.id
      const wrong = await http("DELETE", `${v2}/apps/api/idle/tasks/${encodeURIComponent(victim)}?scale=true`)
      expect(wrong.status).toBe(404)
      expect(wrong.body).toMatchObject({ kind: "task", id: victim, appId: "/api/idle" })
      expect(wrong.body.message).toContain(victim)
      expect(wrong.body.message).toContain("/api/idle")
      const web = (await http("GET", `${v2}/apps/api/web`)).body.app as Record<string, unknown>
      expect(web.instances).toBe(2)
      expect(
        ((await http("GET", `${v2}/apps/api/web/tasks`)).body.tasks as Array<{ id: string }>).map((t) => t.id)
      ).toContain(victim)
      expect(((await http("GET", `${v2}/apps/api/idle`)).body.app as Record<string, unknown>).instances).toBe(0)

      // kill-and-scale during a deployment: 409, then forced: the dropped deployment gets deployment_failed
      const slow = await http("PUT", `${v2}/apps/api/web`, { instances: 3, cmd: httpdCmd("api-v3") })
      expect(slow.status).toBe(200)
      const refused = await http("DELETE", `${v2}/apps/api/web/tasks/${encodeURIComponent(victim)}?scale=true`)
      expect(refused.status).toBe(409)
      const forced = await http(
        "DELETE",
        `${v2}/apps/api/web/tasks/${encodeURIComponent(victim)}?scale=true&force=true`
      )
      expect(forced.status).toBe(200)
      expect(forced.body.task).toMatchObject({ id: victim })
      expect(await failedEvent(slow.body.deploymentId)).toMatchObject({
        eventType: "deployment_failed",
        reason: "superseded",
        affectedApps: ["/api/web"]
      })
      expect((await http("GET", `${v2}/deployments`)).body).not.toContainEqual(
        expect.objectContaining({ id: slow.body.deploymentId })
      )
      expect((await http("DELETE", `${v2}/apps/api/idle`)).status).toBe(200)
      await healthy(2)
    })

    it("takes a Marathon 1.x export over HTTP, and refuses a Marathon feature we lack with 422 naming it", async () => {
      const exported = {
        ...marathonExport,
        id: "/api/marathon",
        instances: 0,
        container: {
          ...marathonExport.container,
          docker: { image: testImage, forcePullImage: false },
          // the export's service port lies outside this test's range: let one be assigned
          portMappings: marathonExport.container.portMappings.map((p) => ({ ...p, servicePort: 0 }))
        }
      }
      const put = await http("PUT", `${v2}/apps/api/marathon`, exported)
      expect([put.status, put.body]).toEqual([201, expect.objectContaining({ deploymentId: expect.any(String) })])
      const app = (await http("GET", `${v2}/apps/api/marathon`)).body.app as Record<string, unknown>
      expect(app).toMatchObject({ killSelection: "YOUNGEST_FIRST", maxLaunchDelaySeconds: 3600, gpus: 0 })
      const gpus = await http("PUT", `${v2}/apps/api/marathon`, { ...exported, gpus: 1 })
      expect([gpus.status, gpus.body.field]).toEqual([422, "gpus"])
      expect(gpus.body.message).toContain("not supported")
      const { container: _, ...commandOnly } = exported
      const noContainer = await http("POST", `${v2}/apps`, { ...commandOnly, id: "/api/command" })
      expect([noContainer.status, noContainer.body.field]).toEqual([422, "container"])
      expect((await http("DELETE", `${v2}/apps/api/marathon`)).status).toBe(200)
      await eventually("/api/marathon is gone", async () =>
        (await http("GET", `${v2}/apps/api/marathon`)).status === 404 ? true : undefined
      )
    })

    it("serves groups, the queue and discovery, and removes the app", async () => {
      const root = await http("GET", `${v2}/groups`)
      expect(root.status).toBe(200)
      const group = await http("GET", `${v2}/groups/api`)
      expect((group.body.apps as Array<{ id: string }>).map((a) => a.id)).toEqual(["/api/web"])
      const queue = await http("GET", `${v2}/queue`)
      expect(Array.isArray(queue.body.queue)).toBe(true)
      await eventually("discovery shows the app's two endpoints", async () => {
        const answer = await http("GET", `${v2}/discovery/web.api.orchestrator`)
        return answer.status === 200 && JSON.stringify(answer.body).split('"taskId"').length - 1 === 2
          ? true
          : undefined
      })
      // the app id as a path works as the name does; a port the app does not have is 404 naming its ports
      const byId = await http("GET", `${v2}/discovery/api/web`)
      expect([byId.status, byId.body.appId, (byId.body.endpoints as Array<unknown>).length]).toEqual([
        200,
        "/api/web",
        2
      ])
      expect((await http("GET", `${v2}/discovery/api/web?port=0`)).status).toBe(200)
      const noPort = await http("GET", `${v2}/discovery/api/web?port=admin`)
      expect(noPort.status).toBe(404)
      expect(noPort.body.message).toMatch(/app \/api\/web has no port "admin" \(its ports: 0/)
      expect((await http("GET", `${v2}/discovery/_nope._tcp.web.api.orchestrator`)).status).toBe(404)
      const removed = await http("DELETE", `${v2}/apps/api/web`)
      expect(removed.status).toBe(200)
      await eventually("the app is gone", async () =>
        (await http("GET", `${v2}/apps/api/web`)).status === 404 ? true : undefined
      )
    })

    it("takes unrelated changes while a group delete is still stopping its tasks", async () => {
      // sleep ignores SIGTERM: each task holds the delete for its kill grace
      const put = await http("PUT", `${v2}/groups/going`, {
        groups: [
          { id: "db", apps: [] },
          {
            id: "front",
            dependencies: ["../db"],
            apps: [idle("ui", { instances: 1, taskKillGracePeriodSeconds: 4 })]
          }
        ]
      })
      expect(put.status, JSON.stringify(put.body)).toBe(200)
      expect((await http("POST", `${v2}/apps`, idle("/elsewhere"))).status).toBe(201)
      await eventually("the group's task running", async () =>
        (await http("GET", `${v2}/deployments`)).body.length === 0 &&
        (await http("GET", `${v2}/apps/going/front/ui`)).body.app.tasksRunning === 1
          ? true
          : undefined
      )
      expect((await http("DELETE", `${v2}/groups/going`)).status).toBe(200)
      // the group's records are gone at once, its app still stopping: neither stands in the way of other apps
      const removed = await http("DELETE", `${v2}/apps/elsewhere`)
      expect(removed.status, JSON.stringify(removed.body)).toBe(200)
      expect((await http("GET", `${v2}/apps/going/front/ui`)).status).toBe(200)
      await eventually(
        "the group and the other app gone",
        async () =>
          (await http("GET", `${v2}/groups/going`)).status === 404 &&
          (await http("GET", `${v2}/apps/elsewhere`)).status === 404
            ? true
            : undefined,
        30_000
      )
    })

    it("stores a group's dependencies: answers them, an app posted later inherits them, cycles are refused", async () => {
      expect((await http("POST", `${v2}/apps`, idle("/deps/db"))).status).toBe(201)
      const put = await http("PUT", `${v2}/groups/deps/front`, { dependencies: ["../db"], apps: [idle("web")] })
      expect(put.status).toBe(200)
      const front = await http("GET", `${v2}/groups/deps/front`)
      expect(front.body).toMatchObject({ id: "/deps/front", dependencies: ["/deps/db"], version: put.body.version })
      expect((front.body.apps as Array<{ id: string; dependencies: Array<string> }>)[0]).toMatchObject({
        id: "/deps/front/web",
        dependencies: ["/deps/db"]
      })
      const root = await http("GET", `${v2}/groups`)
      const deps = (root.body.groups as Array<{ id: string; groups: Array<Record<string, unknown>> }>).find(
        (g) => g.id === "/deps"
      )!
      expect(deps.groups.find((g) => g.id === "/deps/front")?.dependencies).toEqual(["/deps/db"])

      const posted = await http("POST", `${v2}/apps`, idle("/deps/front/api"))
      expect(posted.status).toBe(201)
      expect(posted.body.dependencies).toEqual(["/deps/db"])

      // a group put that leaves apps and subgroups out keeps them (Marathon's group update): only what it names changes
      const onlyDeps = await http("PUT", `${v2}/groups/deps/front`, { dependencies: ["/deps/db"] })
      expect(onlyDeps.status).toBe(200)
      const kept = await http("GET", `${v2}/groups/deps/front`)
      expect((kept.body.apps as Array<{ id: string }>).map((a) => a.id).sort()).toEqual([
        "/deps/front/api",
        "/deps/front/web"
      ])
      // a cycle through group records alone (no app in them to show it) is refused too, nothing changed
      expect((await http("PUT", `${v2}/groups/deps/c`, {})).status).toBe(200)
      expect((await http("PUT", `${v2}/groups/deps/d`, { dependencies: ["../c"] })).status).toBe(200)
      const recordCycle = await http("PUT", `${v2}/groups/deps/c`, { dependencies: ["../d"] })
      expect([recordCycle.status, recordCycle.body.field]).toEqual([422, "dependencies"])
      expect(recordCycle.body.message).toContain("dependency cycle: /deps/c -> /deps/d -> /deps/c")
      expect((await http("GET", `${v2}/groups/deps/c`)).body.dependencies).toEqual([])

      const before = await http("GET", `${v2}/apps/deps/db`)
      const cycle = await http("PUT", `${v2}/apps/deps/db`, { dependencies: ["/deps/front"] })
      expect([cycle.status, cycle.body.field]).toEqual([422, "dependencies"])
      expect(cycle.body.message).toContain("dependency cycle")
      const unknown = await http("POST", `${v2}/groups`, { id: "/deps/other", dependencies: ["/nowhere"] })
      expect([unknown.status, unknown.body.field]).toEqual([422, "dependencies[0]"])
      expect((await http("GET", `${v2}/groups/deps/other`)).status).toBe(404)
      expect((await http("GET", `${v2}/apps/deps/db`)).body.app.version).toBe(before.body.app.version)

      const duplicate = await http("PUT", `${v2}/groups/deps/dup`, {
        groups: [
          { id: "x", dependencies: ["/deps/db"], apps: [idle("w")] },
          { id: "/deps/dup/x", apps: [idle("v")] }
        ]
      })
      expect([duplicate.status, duplicate.body.field]).toEqual([422, "groups[1].id"])
      expect((await http("GET", `${v2}/groups/deps/dup`)).status).toBe(404)
      const shared = await http("POST", `${v2}/apps`, idle("/deps/front"))
      expect([shared.status, shared.body.field]).toEqual([422, "id"])
      // a group with a record but no app can be depended on, and is not deleted while it is
      expect((await http("PUT", `${v2}/groups/deps/empty`, {})).status).toBe(200)
      expect((await http("POST", `${v2}/apps`, idle("/deps/user", { dependencies: ["/deps/empty"] }))).status).toBe(201)
      const refused = await http("DELETE", `${v2}/groups/deps/empty`)
      expect([refused.status, refused.body.field]).toEqual([422, "dependencies[0]"])
      expect((await http("GET", `${v2}/groups/deps/empty`)).status).toBe(200)

      expect((await http("DELETE", `${v2}/groups/deps`)).status).toBe(200)
      await eventually("the group is gone", async () =>
        (await http("GET", `${v2}/groups/deps`)).status === 404 ? true : undefined
      )
    })
  }
)
