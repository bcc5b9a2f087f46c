/**
 * What an app's task gets on the agent, end to end (real master, agent, dockerd and ZooKeeper): a UDP port
 * mapping published as UDP and listed by discovery but given no (TCP) load balancer, bind-mounted volumes, the
 * secret-env label naming the secret-backed variables, and the app's kill grace period (SIGTERM first).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { secretEnvLabel } from "@orchestrator/core/docker"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { engineRequest } from "../../../../../test/fixtures/dockerApi.js"
import { dockerFixture, requireDocker, requireZooKeeper, zookeeperFixture } from "../../../../../test/fixtures/index.js"
import type { RunningAppScheduler } from "../../../src/apps/scheduler/RunningAppScheduler.js"
import { hostPerl, udpAsk, udpEchoCommand } from "../../cluster/containerizerHarness.js"
import { eventually, inspect } from "../../cluster/helpers.js"
import { app, runningAndDeployed, startAppsApi } from "./cluster.js"

/** Whether a TCP connection to 127.0.0.1:`port` opens. */
const tcpOpens = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1")
    socket.setTimeout(2_000)
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
    socket.once("timeout", () => {
      socket.destroy()
      resolve(false)
    })
  })

describe.skipIf(dockerFixture() === null || zookeeperFixture() === null)(
  "an app's task spec on a real agent: UDP ports, volumes, secret-env label, kill grace",
  () => {
    const { socketPath, testImage } = dockerFixture() === null ? { socketPath: "", testImage: "" } : requireDocker()
    let apps: RunningAppScheduler
    let stop: (() => Promise<void>) | undefined
    const folder = mkdtempSync(join(tmpdir(), "orch-taskspec-"))
    const secretVar = `ORCH_TASKSPEC_SECRET_${process.pid}`

    beforeAll(async () => {
      process.env[secretVar] = "very-secret-value"
      ;({ apps, stop } = await startAppsApi({
        socketPath,
        agents: 1,
        zookeeper: requireZooKeeper().standalone.connectString
      }))
    }, 60_000)

    afterAll(async () => {
      await stop?.()
      delete process.env[secretVar]
      rmSync(folder, { recursive: true, force: true })
    }, 60_000)

    const running = (appId: string) => runningAndDeployed(apps, appId)

    const containerOf = async (taskId: string) => {
      const filters = encodeURIComponent(JSON.stringify({ label: [`orchestrator.task-id=${taskId}`] }))
      const [container] = JSON.parse(
        (await engineRequest(socketPath, "GET", `/containers/json?all=1&filters=${filters}`)).body
      )
      return inspect(socketPath, container.Id)
    }

    it("publishes a udp port mapping as udp; discovery lists it as udp and no load balancer listens on it", async () => {
      await apps.run(
        apps.service.put(
          app({
            id: "/spec/udp",
            args: udpEchoCommand(9999),
            container: {
              docker: { image: testImage },
              portMappings: [{ containerPort: 9999, protocol: "udp", name: "echo" }],
              volumes: [...hostPerl]
            },
            cpus: 0.1,
            mem: 32,
            taskKillGracePeriodSeconds: 0
          })
        )
      )
      const task = await running("/spec/udp")
      const hostPort = task.ports[0]!
      expect(await udpAsk(hostPort, "ping")).toBe("echo:ping")
      const endpoints = await eventually("the endpoint in discovery", async () => {
        const found = await apps.run(apps.service.discovery.lookup("/spec/udp"))
        return found.length === 1 ? found : undefined
      })
      expect(endpoints[0]).toMatchObject({ port: hostPort, protocol: "udp", portName: "echo" })
      const servicePort = (await apps.run(apps.service.app("/spec/udp"))).servicePorts[0]!
      expect(servicePort).toBeGreaterThan(0)
      expect(await tcpOpens(servicePort)).toBe(false)
      expect((await apps.run(apps.service.loadBalancerStats)).map((s) => s.servicePort)).not.toContain(servicePort)
      await apps.run(apps.service.remove("/spec/udp", { force: true }))
    }, 90_000)

    it("bind-mounts volumes, labels the secret-backed env names, and stops tasks with SIGTERM first", async () => {
      await apps.run(
        apps.service.put(
          app({
            id: "/spec/worker",
            cmd: 'trap "echo term > /data/term; exit 0" TERM; echo started > /data/out; while :; do sleep 0.1; done',
            container: {
              docker: { image: testImage },
              volumes: [{ containerPath: "/data", hostPath: folder, mode: "RW" }]
            },
            env: { TOKEN: { secret: "token" }, MODE: "plain" },
            secrets: { token: { env: secretVar } },
            cpus: 0.1,
            mem: 32,
            taskKillGracePeriodSeconds: 20
          })
        )
      )
      const task = await running("/spec/worker")
      await eventually("the task's file on the host", () =>
        existsSync(join(folder, "out")) ? readFileSync(join(folder, "out"), "utf8") : undefined
      )
      const info = await containerOf(task.id)
      expect(info.Config.Labels[secretEnvLabel]).toBe("TOKEN")
      expect(JSON.stringify(info.Config.Labels)).not.toContain("very-secret-value")
      expect(info.Config.Env).toContain("TOKEN=very-secret-value")
      const started = Date.now()
      await apps.run(apps.service.scale("/spec/worker", 0))
      await eventually(
        "the task gone",
        async () => ((await apps.run(apps.service.tasks("/spec/worker"))).length === 0 ? true : undefined),
        45_000
      )
      // the trap ran (SIGTERM), well before the 20 s grace would have ended in SIGKILL
      expect(readFileSync(join(folder, "term"), "utf8")).toBe("term\n")
      expect(Date.now() - started).toBeLessThan(20_000)
      await apps.run(apps.service.remove("/spec/worker", { force: true }))
    }, 90_000)
  }
)
