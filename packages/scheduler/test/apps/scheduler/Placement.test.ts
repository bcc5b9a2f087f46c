/**
 * End to end on two real agents (dockerd, ZooKeeper): a deployment that waits for a readiness check (with its
 * preserved last response shown in the API), constraints on agent attributes, and a lost agent whose tasks are
 * replaced on the other one.
 */
import { Effect, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dockerFixture, requireDocker, requireZooKeeper, zookeeperFixture } from "../../../../../test/fixtures/index.js"
import type { AppEvent } from "../../../src/apps/events/AppEvent.js"
import type { RunningAppScheduler } from "../../../src/apps/scheduler/RunningAppScheduler.js"
import { eventually, http, type Json } from "../../cluster/helpers.js"
import { app, mountApi, startCluster, type TestCluster } from "./cluster.js"

describe.skipIf(dockerFixture() === null || zookeeperFixture() === null)(
  "AppScheduler on two real agents: readiness, constraints, lost tasks",
  () => {
    const { socketPath, testImage } = dockerFixture() === null ? { socketPath: "", testImage: "" } : requireDocker()
    let cluster: TestCluster
    let apps: RunningAppScheduler
    let v2 = ""
    let unmount: () => Promise<void> = async () => undefined
    const events: Array<AppEvent> = []

    beforeAll(async () => {
      cluster = await startCluster({ socketPath, agents: 2, zookeeper: requireZooKeeper().standalone.connectString })
      // agents are lost 5 s after their last heartbeat (the cluster's master setting)
      apps = await cluster.scheduler()
      apps
        .run(Stream.runForEach(apps.service.events(), (e) => Effect.sync(() => events.push(e))))
        .catch(() => undefined)
      const api = await mountApi(cluster.master, apps)
      v2 = api.v2
      unmount = api.close
    }, 60_000)

    afterAll(async () => {
      await unmount()
      await apps?.stop()
      await cluster?.stop()
    })

    const status = (appId: string) => apps.run(apps.service.app(appId))
    const tasks = (appId: string) => apps.run(apps.service.tasks(appId))
    const sleeper = (id: string, instances: number, constraints: ReadonlyArray<ReadonlyArray<string>> = []) =>
      app({
        id,
        cmd: "exec sleep 3600",
        container: { docker: { image: testImage } },
        instances,
        cpus: 0.1,
        mem: 16,
        constraints,
        taskKillGracePeriodSeconds: 1
      })
    const running = (appId: string, n: number) =>
      eventually(
        `${appId} with ${n} running tasks`,
        async () => {
          const [s, list] = await Promise.all([status(appId), tasks(appId)])
          return s.deployments.length === 0 && list.length === n && list.every((t) => t.state === "TASK_RUNNING")
            ? list
            : undefined
        },
        45_000
      )
    const removed = async (appId: string) => {
      await apps.run(apps.service.remove(appId, { force: true }))
      await eventually(
        `${appId} removed`,
        async () => ((await apps.run(apps.service.apps())).some((a) => a.app.id === appId) ? undefined : true),
        30_000
      )
    }

    it("a deployment waits for a readiness check that passes late, showing its last response, then finishes", async () => {
      const ref = await apps.run(
        apps.service.put(
          app({
            id: "/e2e/ready",
            // the readiness path appears 4 s after the start
            cmd: "mkdir -p /www; echo ok > /www/index.html; (sleep 4; echo ready-now > /www/ready) & exec httpd -f -p 8080 -h /www",
            container: { docker: { image: testImage }, portMappings: [{ containerPort: 8080, name: "http" }] },
            instances: 1,
            cpus: 0.1,
            mem: 16,
            readinessChecks: [
              { name: "warm", path: "/ready", portName: "http", intervalSeconds: 0.3, preserveLastResponse: true }
            ],
            taskKillGracePeriodSeconds: 1
          })
        )
      )
      // waiting: the task runs, not ready, its readiness check's last answer (404) shown with the task
      const waiting = await eventually(
        "a 404 from the readiness check shown with the task",
        async () => {
          const answer = await http("GET", `${v2}/apps/e2e/ready/tasks`)
          const task: Json = answer.body.tasks[0]
          return task?.readinessCheckResults?.[0]?.lastResponse?.status === 404 ? task : undefined
        },
        30_000
      )
      expect(waiting).toMatchObject({
        state: "TASK_RUNNING",
        ready: false,
        readinessCheckResults: [{ name: "warm", ready: false, lastResponse: { status: 404 } }]
      })
      const during = (await apps.run(apps.service.deployments)).find((d) => d.id === ref.deploymentId)
      expect(during?.currentActions[0]?.readinessCheckResults[0]).toMatchObject({
        taskId: waiting.id,
        ready: false,
        lastResponse: { status: 404 }
      })
      expect((await status("/e2e/ready")).deployments).toEqual([{ id: ref.deploymentId }])
      await eventually(
        "the deployment finished",
        () => events.find((e) => e.eventType === "deployment_success" && e.id === ref.deploymentId),
        30_000
      )
      const all: Json = (await http("GET", `${v2}/tasks`)).body
      const done = all.tasks.find((t: Json) => t.id === waiting.id)
      expect(done).toMatchObject({
        ready: true,
        readinessCheckResults: [{ name: "warm", ready: true, lastResponse: { status: 200, body: "ready-now\n" } }]
      })
      // it took the readiness check's 4 s: the task started at least that long before the deployment ended
      const success = events.find((e) => e.eventType === "deployment_success" && e.id === ref.deploymentId)!
      expect(Date.parse(success.timestamp) - Date.parse(done.startedAt)).toBeGreaterThanOrEqual(3_500)
      await removed("/e2e/ready")
    }, 90_000)

    it("places tasks by agent attributes: UNIQUE spreads over racks, LIKE keeps to one", async () => {
      await apps.run(apps.service.put(sleeper("/e2e/unique", 2, [["rack", "UNIQUE"]])))
      await apps.run(apps.service.put(sleeper("/e2e/like", 3, [["rack", "LIKE", "r1"]])))
      const unique = await running("/e2e/unique", 2)
      expect(unique.map((t) => t.agentId).sort()).toEqual([...cluster.agentIds].sort())
      const like = await running("/e2e/like", 3)
      expect(like.every((t) => t.agentId === cluster.agentIds[1])).toBe(true)
      // a third UNIQUE task has no rack left: refused, naming the constraint, nothing changed
      const refused = await apps.run(Effect.flip(apps.service.scale("/e2e/unique", 3)))
      expect(refused).toMatchObject({ _tag: "InvalidApp", field: "constraints" })
      expect((await status("/e2e/unique")).app.instances).toBe(2)
      expect((await tasks("/e2e/unique")).length).toBe(2)
      await removed("/e2e/unique")
      await removed("/e2e/like")
    }, 120_000)

    it("replaces the tasks of a lost agent on the other agent after unreachableStrategy.inactiveAfterSeconds, also across a scheduler restart", async () => {
      await apps.run(
        apps.service.put(
          app({ ...sleeper("/e2e/lost", 2), unreachableStrategy: { inactiveAfterSeconds: 8, expungeAfterSeconds: 8 } })
        )
      )
      const before = await running("/e2e/lost", 2)
      // the agent with tasks of the app goes away (agent 0 when both have some)
      const gone =
        cluster.agentIds.find((id) => before.some((t) => t.agentId === id) && id === cluster.agentIds[0]) ??
        before[0]!.agentId
      const remaining = cluster.agentIds.find((id) => id !== gone)!
      const victims = before.filter((t) => t.agentId === gone).map((t) => t.id)
      await cluster.agents[cluster.agentIds.indexOf(gone)]!.stop()
      const lost = await eventually(
        "the tasks of the stopped agent reported lost",
        () => {
          const seen = victims.filter((id) =>
            events.some((e) => e.eventType === "status_update_event" && e.taskId === id && e.taskStatus === "TASK_LOST")
          )
          return seen.length === victims.length ? seen : undefined
        },
        30_000
      )
      expect(lost.sort()).toEqual([...victims].sort())
      const lostAt = Math.max(
        ...events
          .filter(
            (e) => e.eventType === "status_update_event" && victims.includes(e.taskId) && e.taskStatus === "TASK_LOST"
          )
          .map((e) => Date.parse(e.timestamp))
      )
      // the scheduler restarts while the lost tasks hold their instances: the holds are stored, so the new one
      // waits out the rest of the 8 s instead of replacing them at once
      await apps.stop()
      apps = await cluster.scheduler()
      apps
        .run(Stream.runForEach(apps.service.events(), (e) => Effect.sync(() => events.push(e))))
        .catch(() => undefined)
      expect(Date.now() - lostAt).toBeLessThan(7_000)
      const after = await running("/e2e/lost", 2)
      expect(after.every((t) => t.agentId === remaining)).toBe(true)
      expect(after.some((t) => victims.includes(t.id))).toBe(false)
      // the replacements waited the 8 s of inactiveAfterSeconds (without it they come ~2 s after the loss)
      const replacements = after.filter((t) => !before.some((b) => b.id === t.id))
      expect(replacements.length).toBe(victims.length)
      for (const t of replacements) expect(Date.parse(t.stagedAt) - lostAt).toBeGreaterThanOrEqual(7_900)
      expect((await status("/e2e/lost")).lastTaskFailure).toMatchObject({ state: "TASK_LOST" })
    }, 90_000)
  }
)
