/**
 * Host-network apps with Marathon's `portDefinitions` / `ports` / `requirePorts`, end to end (real master, agent,
 * dockerd and ZooKeeper): busybox httpd listening on `$PORT0` of the agent's network gets a service port, is
 * reached through the load balancer, is listed in discovery with the agent's host and its host port, and sees
 * PORT0 / PORT_HTTP / PORTS; `requirePorts` lands on the fixed port, or waits with the queue saying why; bad
 * port declarations are refused over HTTP with 422 naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dockerFixture, requireDocker, requireZooKeeper, zookeeperFixture } from "../../../../../test/fixtures/index.js"
import type { AppDefinition } from "../../../src/apps/model/AppDefinition.js"
import type { RunningAppScheduler } from "../../../src/apps/scheduler/RunningAppScheduler.js"
import { eventually, http } from "../../cluster/helpers.js"
import { app, getThrough, portRange, startAppsApi, type TestCluster } from "./cluster.js"

describe.skipIf(dockerFixture() === null || zookeeperFixture() === null)(
  "host-network apps with port definitions on a real agent",
  () => {
    const { socketPath, testImage } = dockerFixture() === null ? { socketPath: "", testImage: "" } : requireDocker()
    let apps: RunningAppScheduler
    let cluster: TestCluster
    let v2: string
    let stop: (() => Promise<void>) | undefined
    let offered = { begin: 0, end: 0 }
    /** The scheduler started by the restart test (the mounted API stays with the first one). */
    let restarted: RunningAppScheduler | undefined

    beforeAll(async () => {
      offered = await portRange(40)
      ;({ apps, cluster, v2, stop } = await startAppsApi({
        socketPath,
        agents: 1,
        zookeeper: requireZooKeeper().standalone.connectString,
        resources: { cpus: 16, mem: 8192, disk: 1024, ports: [offered] }
      }))
    }, 60_000)

    afterAll(async () => {
      await restarted?.stop()
      await stop?.()
    }, 60_000)

    /** busybox httpd on the host network, on `$PORT0`, serving `body` and its own environment (`/env.txt`). */
    const httpd = (id: string, body: string, ports: Record<string, unknown>): AppDefinition =>
      app({
        id,
        cmd: `mkdir -p /www && echo ${body} > /www/index.html && env > /www/env.txt && exec httpd -f -p $PORT0 -h /www`,
        container: { docker: { image: testImage } },
        networks: [{ mode: "host" }],
        healthChecks: [
          {
            protocol: "HTTP",
            portIndex: 0,
            gracePeriodSeconds: 10,
            intervalSeconds: 0.5,
            timeoutSeconds: 2,
            delaySeconds: 0
          }
        ],
        cpus: 0.1,
        mem: 32,
        taskKillGracePeriodSeconds: 0,
        ...ports
      })

    const healthyTask = (appId: string) =>
      eventually(
        `${appId} healthy`,
        async () => {
          const tasks = await apps.run(apps.service.tasks(appId))
          return tasks.length === 1 && tasks[0]!.healthy === true ? tasks[0]! : undefined
        },
        45_000
      )

    const envOf = async (port: number) => {
      const text = await (await fetch(`http://127.0.0.1:${port}/env.txt`)).text()
      return Object.fromEntries(
        text.split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)])
      )
    }

    const inRange = (port: number, range: { readonly begin: number; readonly end: number }) =>
      port >= range.begin && port <= range.end

    it("gives portDefinitions service ports, load balancing (not for udp), discovery and PORT env", async () => {
      await apps.run(
        apps.service.put(
          httpd("/hostnet/web", "hello-host", {
            portDefinitions: [
              { port: 0, name: "http" },
              { port: 0, name: "stats", protocol: "udp" }
            ]
          })
        )
      )
      const task = await healthyTask("/hostnet/web")
      const [hostPort, udpPort] = task.ports as [number, number]
      expect(inRange(hostPort, offered) && inRange(udpPort, offered) && hostPort !== udpPort).toBe(true)
      const status = await apps.run(apps.service.app("/hostnet/web"))
      const [servicePort, udpServicePort] = status.servicePorts as [number, number]
      expect(inRange(servicePort, cluster.servicePortRange) && inRange(udpServicePort, cluster.servicePortRange)).toBe(
        true
      )
      // the assigned service ports are written back into the stored definition
      expect(status.app.portDefinitions).toEqual([
        { port: servicePort, protocol: "tcp", name: "http", labels: {} },
        { port: udpServicePort, protocol: "udp", name: "stats", labels: {} }
      ])
      // the container listens on the agent's network itself
      expect(await getThrough(hostPort)).toBe("hello-host")
      expect(await envOf(hostPort)).toMatchObject({
        PORT0: String(hostPort),
        PORT_HOST0: String(hostPort),
        PORT_HTTP: String(hostPort),
        PORT1: String(udpPort),
        PORT_STATS: String(udpPort),
        PORTS: `${hostPort},${udpPort}`
      })
      expect(await eventually("through the load balancer", () => getThrough(servicePort).catch(() => undefined))).toBe(
        "hello-host"
      )
      const endpoints = await eventually("the endpoints in discovery", async () => {
        const found = await apps.run(apps.service.discovery.lookup("/hostnet/web"))
        return found.length === 2 ? [...found].sort((a, b) => a.portIndex - b.portIndex) : undefined
      })
      expect(endpoints).toMatchObject([
        { host: task.host, port: hostPort, portIndex: 0, portName: "http", protocol: "tcp", servicePort },
        { host: task.host, port: udpPort, portIndex: 1, portName: "stats", protocol: "udp" }
      ])
      const balanced = (await apps.run(apps.service.loadBalancerStats)).map((s) => s.servicePort)
      expect(balanced).toContain(servicePort)
      expect(balanced).not.toContain(udpServicePort)
      await apps.run(apps.service.remove("/hostnet/web", { force: true }))
    }, 90_000)

    it("takes the legacy ports like port definitions", async () => {
      await apps.run(apps.service.put(httpd("/hostnet/legacy", "hello-legacy", { ports: [0] })))
      const task = await healthyTask("/hostnet/legacy")
      const status = await apps.run(apps.service.app("/hostnet/legacy"))
      const servicePort = status.servicePorts[0]!
      expect(inRange(servicePort, cluster.servicePortRange)).toBe(true)
      expect(status.app.ports).toEqual([servicePort])
      expect(await envOf(task.ports[0]!)).toMatchObject({ PORT0: String(task.ports[0]), PORTS: String(task.ports[0]) })
      expect(await eventually("through the load balancer", () => getThrough(servicePort).catch(() => undefined))).toBe(
        "hello-legacy"
      )
      await apps.run(apps.service.remove("/hostnet/legacy", { force: true }))
    }, 90_000)

    it("with requirePorts lands on the fixed port, and waits (the queue says why) for one no agent offers", async () => {
      const fixed = offered.end - 1
      await apps.run(
        apps.service.put(
          httpd("/hostnet/fixed", "hello-fixed", {
            portDefinitions: [{ port: fixed, name: "http" }],
            requirePorts: true
          })
        )
      )
      const task = await healthyTask("/hostnet/fixed")
      expect(task.ports).toEqual([fixed])
      expect(await getThrough(fixed)).toBe("hello-fixed")
      expect(await envOf(fixed)).toMatchObject({ PORT0: String(fixed), PORT_HTTP: String(fixed) })
      // no service port: the tasks themselves take the port
      expect((await apps.run(apps.service.app("/hostnet/fixed"))).servicePorts).toEqual([0])
      await apps.run(apps.service.remove("/hostnet/fixed", { force: true }))

      const missing = offered.end + 1
      await apps.run(
        apps.service.put(
          httpd("/hostnet/nowhere", "never", { portDefinitions: [{ port: missing }], requirePorts: true })
        )
      )
      const waiting = await eventually(
        "the queue says why",
        async () => {
          const queue = await apps.run(apps.service.queue)
          const entry = queue.find((q) => q.app.id === "/hostnet/nowhere")
          return entry !== undefined && entry.lastUnusedOffers.length > 0 ? entry : undefined
        },
        20_000
      )
      expect(waiting.count).toBe(1)
      expect(waiting.lastUnusedOffers.map((o) => o.reason)).toContain(`host port ${missing} is not offered`)
      expect(await apps.run(apps.service.tasks("/hostnet/nowhere"))).toEqual([])
      await apps.run(apps.service.remove("/hostnet/nowhere", { force: true }))
    }, 120_000)

    it("refuses bad port declarations with 422 naming the field, and stores nothing", async () => {
      const base = { id: "/hostnet/bad", container: { docker: { image: testImage } }, cmd: "sleep 1000", instances: 0 }
      const host = { ...base, networks: [{ mode: "host" }] }
      const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
        [{ ...base, portDefinitions: [{ port: 0 }] }, "portDefinitions"],
        [{ ...base, ports: [0] }, "ports"],
        [
          { ...host, container: { ...base.container, portMappings: [{ containerPort: 80 }] } },
          "container.portMappings"
        ],
        [{ ...host, portDefinitions: [{ port: 0 }], ports: [0] }, "ports"],
        [{ ...host, portDefinitions: [{ port: 0 }], requirePorts: true }, "portDefinitions[0].port"],
        [{ ...host, portDefinitions: [{ port: 0, protocol: "sctp" }] }, "portDefinitions[0].protocol"]
      ]
      for (const [body, field] of cases) {
        const answer = await http("POST", `${v2}/apps`, body)
        expect([answer.status, (answer.body as { field?: string }).field], JSON.stringify(body)).toEqual([422, field])
      }
      expect((await http("GET", `${v2}/apps/hostnet/bad`)).status).toBe(404)
    }, 30_000)

    it("a restarted scheduler recovers the task, keeps its service port reserved and serves it again", async () => {
      await apps.run(
        apps.service.put(httpd("/hostnet/kept", "hello-kept", { portDefinitions: [{ port: 0, name: "http" }] }))
      )
      const task = await healthyTask("/hostnet/kept")
      const servicePort = (await apps.run(apps.service.app("/hostnet/kept"))).servicePorts[0]!
      await apps.stop()
      restarted = await cluster.scheduler()
      apps = restarted
      const recovered = await healthyTask("/hostnet/kept")
      expect([recovered.id, recovered.ports]).toEqual([task.id, task.ports])
      expect((await apps.run(apps.service.app("/hostnet/kept"))).servicePorts).toEqual([servicePort])
      expect(
        await eventually("through the new load balancer", () => getThrough(servicePort).catch(() => undefined))
      ).toBe("hello-kept")
      const endpoints = await eventually("the endpoint in discovery again", async () => {
        const found = await apps.run(apps.service.discovery.lookup("/hostnet/kept"))
        return found.length === 1 ? found : undefined
      })
      expect(endpoints[0]).toMatchObject({ port: task.ports[0], portName: "http", servicePort })
      // the recovered app's service port stays its own: a new app gets another one
      await apps.run(apps.service.put(httpd("/hostnet/other", "other", { ports: [0], instances: 0 })))
      const other = (await apps.run(apps.service.app("/hostnet/other"))).servicePorts
      expect(other).toHaveLength(1)
      expect(other[0]).not.toBe(servicePort)
      await apps.run(apps.service.remove("/hostnet/kept", { force: true }))
      await apps.run(apps.service.remove("/hostnet/other", { force: true }))
    }, 120_000)
  }
)
