import { spawn } from "node:child_process"
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  dockerFixture,
  requireDocker,
  startZooKeeperEnsemble,
  stopZooKeeperServer,
  type ZooKeeperEnsembleInfo,
  zookeeperFixture
} from "../../../../test/fixtures/index.js"
import { freePorts, isAlive } from "../../../../test/fixtures/process.js"
import { createAgent, FrameworkClient, type RunningAgent } from "../../src/cluster/index.js"
import { eventually, http, removeContainersOf, uniqueId } from "./helpers.js"

const repoRoot = new URL("../../../../", import.meta.url).pathname
const masterMain = `${repoRoot}examples/master/src/main.ts`
const sessionTimeoutMs = 2_000

describe.skipIf(dockerFixture() === null || zookeeperFixture() === null)(
  "Three masters in ZooKeeper (a private ensemble, master processes, real dockerd)",
  () => {
    const { socketPath, testImage } = dockerFixture() === null ? { socketPath: "", testImage: "" } : requireDocker()
    const agentId = uniqueId("ha-agent")
    const root = `/orchestrator-ha-${process.pid}`
    const logDir = mkdtempSync(join(tmpdir(), "orch-ha-"))
    let ensemble: ZooKeeperEnsembleInfo
    let agent: RunningAgent | undefined
    const masters: Array<{ readonly url: string; readonly pid: number; readonly log: string }> = []

    const startMaster = (port: number, name: string) => {
      const log = join(logDir, `${name}.log`)
      const fd = openSync(log, "a")
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "--conditions=source",
          masterMain,
          "--host=127.0.0.1",
          `--port=${port}`,
          `--master-id=${name}`,
          `--zk=${ensemble.connectString}`,
          `--zk-root=${root}`,
          `--zk-session-timeout=${sessionTimeoutMs}ms`,
          "--allocation-interval=100ms",
          "--agent-timeout=5s"
        ],
        // `--import tsx` resolves from the working directory: the repository root
        { stdio: ["ignore", fd, fd], detached: true, cwd: repoRoot }
      )
      closeSync(fd)
      child.unref()
      return { url: `http://127.0.0.1:${port}`, pid: child.pid!, log }
    }

    const health = async (url: string) => {
      try {
        return (await http("GET", `${url}/health`)).body as { leading: boolean; leader: string | null }
      } catch {
        return undefined
      }
    }
    const leader = () =>
      eventually(
        "a leading master",
        async () => {
          for (const master of masters) {
            if (isAlive(master.pid) && (await health(master.url))?.leading === true) return master
          }
          return undefined
        },
        30_000
      )

    beforeAll(async () => {
      ensemble = await startZooKeeperEnsemble({ name: "ha" })
      const ports = await freePorts(3)
      masters.push(...ports.map((port, i) => startMaster(port, `m${i + 1}`)))
      // wait for all three to answer
      for (const master of masters) {
        await eventually(`${master.url} up (log ${master.log})`, () => health(master.url), 60_000)
      }
    }, 120_000)

    afterAll(async () => {
      await agent?.stop()
      for (const master of masters) if (isAlive(master.pid)) process.kill(master.pid, "SIGKILL")
      if (ensemble !== undefined) await Promise.all(ensemble.servers.map((server) => stopZooKeeperServer(server)))
      await removeContainersOf(socketPath, agentId)
      rmSync(logDir, { recursive: true, force: true })
    })

    it("kill -9 of the leader: another leads within the session timeout, the agent re-registers, tasks and state survive", async () => {
      const first = await leader()
      // every master names the same leader
      for (const master of masters) {
        await eventually("followers know the leader", async () =>
          (await health(master.url))?.leader === first.url ? true : undefined
        )
      }
      const follower = masters.find((m) => m !== first)!
      const refused = await http("GET", `${follower.url}/api/v1/agents`)
      expect(refused).toMatchObject({ status: 421, body: { error: "NotLeader", leader: first.url } })

      agent = await createAgent({
        zookeeper: { connectString: ensemble.connectString, root, sessionTimeoutMs },
        agentId,
        host: "127.0.0.1",
        port: 0,
        hostname: "ha-node",
        resources: { cpus: 2, mem: 512 },
        heartbeatIntervalMs: 200,
        dockerSocket: socketPath
      })
      const api = `${first.url}/api/v1`
      await eventually("agent registered", async () =>
        (await http("GET", `${api}/agents/${agentId}`)).status === 200 ? true : undefined
      )
      expect((await http("PUT", `${api}/roles/web`, { weight: 3 })).status).toBe(200)
      const reservation = { role: "web", resources: { cpus: 1, mem: 128 } }
      expect((await http("POST", `${api}/agents/${agentId}/reserve`, reservation)).status).toBe(200)
      const framework = (await http("POST", `${api}/frameworks`, { name: "ha-test", role: "web" })).body
      const offer = await eventually("an offer", async () => {
        const answer = await http("GET", `${api}/frameworks/${framework.frameworkId}/offers?wait=1000`)
        return answer.body.length > 0 ? answer.body[0] : undefined
      })
      const taskId = uniqueId("survivor")
      const accepted = await http("POST", `${api}/frameworks/${framework.frameworkId}/accept`, {
        offerId: offer.offerId,
        tasks: [{ taskId, image: testImage, command: ["sleep", "600"], resources: { cpus: 0.5, mem: 64 } }]
      })
      expect(accepted.status).toBe(200)
      const running = await eventually("task running", async () => {
        const answer = await http("GET", `${api}/tasks/${taskId}`)
        return answer.body.state === "running" ? answer.body : undefined
      })

      const killedAt = Date.now()
      process.kill(first.pid, "SIGKILL")
      const next = await leader()
      const failoverMs = Date.now() - killedAt
      expect(next.url).not.toBe(first.url)
      // the servers expire the dead leader's session after sessionTimeoutMs (at tick granularity)
      expect(failoverMs).toBeLessThan(sessionTimeoutMs + 1_000)

      const nextApi = `${next.url}/api/v1`
      const reRegistered = await eventually("agent re-registered with the new leader", async () => {
        const answer = await http("GET", `${nextApi}/agents/${agentId}`)
        return answer.status === 200 ? answer.body : undefined
      })
      expect(reRegistered).toMatchObject({
        agentId,
        hostname: "ha-node",
        active: true,
        resources: { cpus: 2, mem: 512 }
      })
      expect((await http("GET", `${nextApi}/tasks/${taskId}`)).body).toMatchObject({
        taskId,
        state: "running",
        containerId: running.containerId,
        frameworkId: framework.frameworkId
      })
      // frameworks and role settings came from ZooKeeper
      expect((await http("GET", `${nextApi}/frameworks`)).body).toContainEqual(framework)
      expect((await http("GET", `${nextApi}/roles`)).body).toContainEqual({ role: "web", weight: 3 })
      expect((await http("GET", `${nextApi}/reservations`)).body).toEqual([{ agentId, reservations: [reservation] }])
      const reconciled = await http("POST", `${nextApi}/frameworks/${framework.frameworkId}/reconcile`, {})
      expect(reconciled.body).toMatchObject([{ taskId, state: "running" }])
      // the framework API from another process: found through ZooKeeper, or redirected by a follower
      const reconcileVia = (layer: Layer.Layer<FrameworkClient, unknown>) =>
        Effect.runPromise(
          Effect.gen(function* () {
            const client = yield* FrameworkClient
            return yield* client.reconcile(framework.frameworkId, [taskId])
          }).pipe(Effect.provide(layer))
        )
      const viaZooKeeper = await reconcileVia(
        FrameworkClient.layerZooKeeper({ root }).pipe(
          Layer.provide(ZooKeeperClient.layer({ connectString: ensemble.connectString, sessionTimeoutMs }))
        )
      )
      expect(viaZooKeeper).toMatchObject([{ taskId, state: "running", agentId }])
      const follower2 = masters.find((m) => m !== first && m !== next)!
      const viaFollower = await reconcileVia(FrameworkClient.layer({ masterUrl: follower2.url }))
      expect(viaFollower).toMatchObject([{ taskId, state: "running" }])
      console.log(`bench failover ms=${failoverMs} sessionTimeoutMs=${sessionTimeoutMs}`)
      expect((await http("POST", `${nextApi}/tasks/${taskId}/kill`)).status).toBe(200)
      expect(readFileSync(next.log, "utf8")).toMatch(/master leads/)
    }, 90_000)
  }
)
