/**
 * Canaries through the apps API on a real master, agent, dockerd and ZooKeeper: a canary app of busybox
 * httpd answering "v2" takes `weight`% of the requests (HTTP mode) or connections (TCP mode) through the
 * service port of a stable app answering "v1"; the weight changes without restarting the canary's task, 0
 * sends it nothing, a scheduler restart keeps the split, deleting the canary drains its backend, and the
 * rules answer 422 naming the field.
 *
 * The share is checked to within 2 points: round robin is smooth weighted round robin, so with weights
 * 40/40/20 every 5 consecutive picks hold exactly one canary pick and 1,000 sequential requests give exactly
 * 200; the margin covers a pick the proxy retries elsewhere or a republish resetting the rotation.
 */
import { request } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dockerFixture, requireDocker, requireZooKeeper, zookeeperFixture } from "../../../../../test/fixtures/index.js"
import type { RunningAppScheduler } from "../../../src/apps/scheduler/RunningAppScheduler.js"
import { eventually, http, type Json } from "../../cluster/helpers.js"
import { getThrough, httpdCmd, mountApi, startCluster, type TestCluster } from "../scheduler/cluster.js"

/** One GET over a new connection (no keep-alive), so that TCP mode balances each request. */
const getOnce = (port: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", agent: false, timeout: 3_000 }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => {
        body += chunk
      })
      res.on("end", () =>
        res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`status ${res.statusCode}`))
      )
    })
    req.on("timeout", () => req.destroy(new Error("timeout")))
    req.on("error", reject)
    req.end()
  })

/** How many of `n` sequential requests answer each body. */
const tally = async (n: number, get: () => Promise<string>): Promise<Record<string, number>> => {
  const counts: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const body = await get().catch((error: unknown) => `error: ${String(error)}`)
    counts[body] = (counts[body] ?? 0) + 1
  }
  return counts
}

describe.skipIf(dockerFixture() === null || zookeeperFixture() === null)(
  "canaries through the apps API (real dockerd and ZooKeeper)",
  () => {
    const { socketPath, testImage } = dockerFixture() === null ? { socketPath: "", testImage: "" } : requireDocker()
    let cluster: TestCluster
    let apps: RunningAppScheduler
    let v2 = ""
    let unmount = async () => {}

    const start = async () => {
      apps = await cluster.scheduler()
      const api = await mountApi(cluster.master, apps)
      v2 = api.v2
      unmount = api.close
    }
    const stop = async () => {
      await unmount()
      await apps.stop()
    }

    const definition = (id: string, body: string, instances: number, mode: "http" | "tcp", extra = {}) => ({
      id,
      cmd: httpdCmd(body),
      container: { docker: { image: testImage }, portMappings: [{ containerPort: 8080, labels: { mode } }] },
      instances,
      cpus: 0.1,
      mem: 16,
      taskKillGracePeriodSeconds: 1,
      // a task joins the load balancer once httpd answers: without a health check it would join when running,
      // and docker-proxy (the published port) accepts and closes connections until httpd listens
      healthChecks: [{ protocol: "HTTP", path: "/", delaySeconds: 0, intervalSeconds: 0.5, gracePeriodSeconds: 30 }],
      ...extra
    })
    const get = async (appId: string) => (await http("GET", `${v2}/apps${appId}`)).body as { app: Record<string, Json> }
    const idle = (appId: string, running: number) =>
      eventually(
        `${appId}: ${running} running, no deployment`,
        async () => {
          const { app } = await get(appId)
          return app.tasksRunning === running && (app.deployments as Array<unknown>).length === 0 ? app : undefined
        },
        60_000
      )
    const taskIds = async (appId: string) => (await apps.run(apps.service.tasks(appId))).map((t) => t.id).sort()
    /** The backends of a service port, once there are `n` up ones. */
    const backends = (servicePort: number, n: number) =>
      eventually(
        `${n} backends up on ${servicePort}`,
        async () => {
          const stats = await apps.run(apps.service.loadBalancerStats)
          const up = stats.find((s) => s.servicePort === servicePort)?.backends.filter((b) => b.state === "up") ?? []
          return up.length === n ? up : undefined
        },
        20_000
      )
    const put = async (id: string, body: unknown) => {
      const answer = await http("PUT", `${v2}/apps${id}?partialUpdate=false`, body)
      expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300)
      return answer
    }

    beforeAll(async () => {
      cluster = await startCluster({ socketPath, agents: 1, zookeeper: requireZooKeeper().standalone.connectString })
      await start()
    }, 60_000)

    afterAll(async () => {
      await stop().catch(() => undefined)
      await cluster?.stop()
    })

    it("HTTP mode: splits by weight, moves the weight without a restart, 0 sends nothing, survives a scheduler restart, drains on delete", async () => {
      await put("/cy/web", definition("/cy/web", "v1", 2, "http"))
      const canaryApp = (weight: number) =>
        definition("/cy/web-canary", "v2", 1, "http", { canary: { of: "/cy/web", weight } })
      await put("/cy/web-canary", canaryApp(20))
      const web = await idle("/cy/web", 2)
      await idle("/cy/web-canary", 1)
      const port = (web.servicePorts as Array<number>)[0]!
      const canaryTasks = await taskIds("/cy/web-canary")

      // the API shows the canary as given, how it joined, and the stable app's canaries
      const shown = (await get("/cy/web-canary")).app
      expect(shown.canary).toEqual({ of: "/cy/web", weight: 20 })
      expect(shown.canaryPorts).toEqual([{ portIndex: 0, servicePort: port }])
      expect(shown.servicePorts).toEqual([0])
      expect((shown.container as { portMappings: Array<Json> }).portMappings[0]).toMatchObject({ servicePort: 0 })
      expect((await get("/cy/web")).app.canaries).toEqual(["/cy/web-canary"])
      // discovery lists the canary under its own name, with the port it serves on
      const listed = await apps.run(apps.service.discovery.lookup("/cy/web-canary"))
      expect(listed.map((e) => [e.taskId, e.servicePort])).toEqual([[canaryTasks[0], port]])

      const weights = await backends(port, 3)
      expect(weights.map((b) => [b.id, b.weight]).sort()).toEqual(
        [...(await taskIds("/cy/web")).map((id) => [id, 40]), [canaryTasks[0], 20]].sort()
      )
      const at20 = await tally(1_000, () => getThrough(port))
      expect(at20.v1! + at20.v2!).toBe(1_000)
      expect(at20.v2).toBeGreaterThanOrEqual(180)
      expect(at20.v2).toBeLessThanOrEqual(220)

      // weight 50 (a partial update, as a user would): applied at once, the canary's task stays
      const patched = await http("PATCH", `${v2}/apps/cy/web-canary`, { canary: { of: "/cy/web", weight: 50 } })
      expect(patched.status, JSON.stringify(patched.body)).toBe(200)
      await idle("/cy/web-canary", 1)
      await eventually("weight 50 applied", async () =>
        (await backends(port, 3)).some((b) => b.weight === 50) ? true : undefined
      )
      const at50 = await tally(1_000, () => getThrough(port))
      expect(at50.v2).toBeGreaterThanOrEqual(480)
      expect(at50.v2).toBeLessThanOrEqual(520)
      expect(await taskIds("/cy/web-canary")).toEqual(canaryTasks)

      // weight 0: no request reaches the canary
      await put("/cy/web-canary", canaryApp(0))
      await eventually("weight 0 applied", async () =>
        (await backends(port, 3)).some((b) => b.weight === 0) ? true : undefined
      )
      expect(await tally(200, () => getThrough(port))).toEqual({ v1: 200 })
      expect(await taskIds("/cy/web-canary")).toEqual(canaryTasks)

      // back to 20, then a scheduler restart keeps the split
      await put("/cy/web-canary", canaryApp(20))
      await backends(port, 3)
      await stop()
      await start()
      await eventually("the service port answers after the restart", () => getThrough(port), 20_000)
      await backends(port, 3)
      const restarted = await tally(1_000, () => getThrough(port))
      expect(restarted.v2).toBeGreaterThanOrEqual(180)
      expect(restarted.v2).toBeLessThanOrEqual(220)
      expect(await taskIds("/cy/web-canary")).toEqual(canaryTasks)

      // deleting the stable app while the canary points at it is refused
      const refused = await http("DELETE", `${v2}/apps/cy/web`)
      expect(refused.status).toBe(422)
      expect(JSON.stringify(refused.body)).toContain("canary.of")

      // deleting the canary: its backend drains, every request answers v1
      expect((await http("DELETE", `${v2}/apps/cy/web-canary`)).status).toBe(200)
      await eventually(
        "the canary is gone",
        async () => ((await http("GET", `${v2}/apps/cy/web-canary`)).status === 404 ? true : undefined),
        30_000
      )
      const left = await apps.run(apps.service.loadBalancerStats)
      const live = left.find((s) => s.servicePort === port)?.backends.filter((b) => b.state !== "draining") ?? []
      expect(live.map((b) => b.id).sort()).toEqual(await taskIds("/cy/web"))
      expect(live.every((b) => b.weight === 1)).toBe(true)
      expect(await tally(200, () => getThrough(port))).toEqual({ v1: 200 })
      expect((await get("/cy/web")).app.canaries).toBeUndefined()
    }, 240_000)

    it("TCP mode: splits new connections by weight", async () => {
      await put("/cy/tcp", definition("/cy/tcp", "v1", 2, "tcp"))
      await put("/cy/tcp-canary", definition("/cy/tcp-canary", "v2", 1, "tcp", { canary: { of: "tcp", weight: 20 } }))
      const stable = await idle("/cy/tcp", 2)
      await idle("/cy/tcp-canary", 1)
      const port = (stable.servicePorts as Array<number>)[0]!
      await backends(port, 3)
      const counts = await tally(1_000, () => getOnce(port))
      expect(counts.v1! + counts.v2!, JSON.stringify(counts)).toBe(1_000)
      expect(counts.v2).toBeGreaterThanOrEqual(180)
      expect(counts.v2).toBeLessThanOrEqual(220)

      // the canary scales: its new task joins (the 20% now shared by two), the one scaled away drains
      const scale = async (instances: number) => {
        const answer = await http("PUT", `${v2}/apps/cy/tcp-canary`, { instances })
        expect(answer.status, JSON.stringify(answer.body)).toBe(200)
        await idle("/cy/tcp-canary", instances)
      }
      await scale(2)
      const four = await backends(port, 4)
      const canaryTasks = await taskIds("/cy/tcp-canary")
      expect(four.filter((b) => canaryTasks.includes(b.id)).map((b) => b.weight)).toEqual([10, 10])
      const shared = await tally(500, () => getOnce(port))
      expect(shared.v2, JSON.stringify(shared)).toBeGreaterThanOrEqual(90)
      expect(shared.v2).toBeLessThanOrEqual(110)
      await scale(1)
      const three = await backends(port, 3)
      expect(three.filter((b) => b.weight === 20).length).toBe(1)
    }, 120_000)

    it("answers 422 naming the field for bad canaries, and says why a port does not join", async () => {
      const none = (id: string, extra = {}) => definition(id, "x", 0, "tcp", extra)
      const refuse = async (id: string, body: unknown, field: string) => {
        const answer = await http("PUT", `${v2}/apps${id}`, body)
        expect(answer.status, JSON.stringify(answer.body)).toBe(422)
        expect(JSON.stringify(answer.body)).toContain(field)
      }
      await put("/cz/stable", none("/cz/stable"))
      await refuse("/cz/c1", none("/cz/c1", { canary: { of: "/cz/nothing", weight: 5 } }), "canary.of")
      await refuse("/cz/c1", none("/cz/c1", { canary: { of: "/cz/stable", weight: 101 } }), "canary.weight")
      await refuse(
        "/cz/c1",
        {
          ...none("/cz/c1", { canary: { of: "/cz/stable", weight: 5 } }),
          container: {
            docker: { image: testImage },
            portMappings: [{ containerPort: 8080, servicePort: cluster.servicePortRange.end }]
          }
        },
        "container.portMappings[0].servicePort"
      )
      // an HTTP-mode canary on a TCP-mode stable port is accepted but does not join; the API says why
      await put("/cz/c1", definition("/cz/c1", "x", 0, "http", { canary: { of: "stable", weight: 5 } }))
      expect((await get("/cz/c1")).app.canaryPorts).toEqual([
        { portIndex: 0, reason: "load balancer mode http differs from /cz/stable's port 0 (tcp)" }
      ])
      await refuse("/cz/c2", none("/cz/c2", { canary: { of: "/cz/c1", weight: 5 } }), "canary.of")
      await refuse("/cz/c2", none("/cz/c2", { canary: { of: "/cz/stable", weight: 5 } }), "canary.of")
      // the group shows the same read-only fields
      const group = (await http("GET", `${v2}/groups/cz`)).body as { apps: Array<Record<string, Json>> }
      expect(group.apps.map((a) => [a.id, a.canaries ?? null, a.canaryPorts === undefined]).sort()).toEqual([
        ["/cz/c1", null, false],
        ["/cz/stable", ["/cz/c1"], true]
      ])
      // both at once (the group) may go
      expect((await http("DELETE", `${v2}/groups/cz`)).status).toBe(200)
    }, 60_000)
  }
)
