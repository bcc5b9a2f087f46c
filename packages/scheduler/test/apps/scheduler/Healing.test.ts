/**
 * Healing and recovery on a real master, agent, dockerd and ZooKeeper: no serving gap when the scheduler
 * restarts (Marathon's default `delaySeconds` of 15 s included), and a lasting "failing" mark with the last
 * task failure for an app that keeps failing to start, kept (with its backoff) across a restart.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
import { Effect, Layer, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dockerFixture, requireDocker, requireZooKeeper, zookeeperFixture } from "../../../../../test/fixtures/index.js"
import type { AppEvent } from "../../../src/apps/events/AppEvent.js"
import type { RunningAppScheduler } from "../../../src/apps/scheduler/RunningAppScheduler.js"
import { AppStore } from "../../../src/apps/store/AppStore.js"
import { eventually, http, type Json } from "../../cluster/helpers.js"
import { app, getThrough, httpdCmd, loadClient, mountApi, startCluster, type TestCluster } from "./cluster.js"

describe.skipIf(dockerFixture() === null || zookeeperFixture() === null)(
  "AppScheduler healing and recovery (real dockerd and ZooKeeper)",
  () => {
    const { socketPath, testImage } = dockerFixture() === null ? { socketPath: "", testImage: "" } : requireDocker()
    let cluster: TestCluster
    let apps: RunningAppScheduler
    const events: Array<AppEvent> = []

    const start = async () => {
      apps = await cluster.scheduler()
      apps
        .run(Stream.runForEach(apps.service.events(), (e) => Effect.sync(() => events.push(e))))
        .catch(() => undefined)
    }
    const restart = async () => {
      await apps.stop()
      await start()
      return Date.now()
    }
    const status = (appId: string) => apps.run(apps.service.app(appId))
    /** The app's status once its launch delay reached `maxLaunchDelaySeconds` (`backoff.stuck`). */
    const stuckBackoff = (appId: string, timeoutMs: number) =>
      eventually(
        `${appId}'s backoff capped`,
        async () => {
          const s = await status(appId)
          return s.backoff?.stuck === true ? s : undefined
        },
        timeoutMs
      )
    /** Runs `f` on the schedulers' ZooKeeper store (as a scheduler would read and write it). */
    const withStore = <A>(f: (store: AppStore["Service"]) => Effect.Effect<A, unknown>) =>
      Effect.runPromise(
        Effect.flatMap(AppStore, f).pipe(
          Effect.provide(
            AppStore.layerZooKeeper({ root: cluster.root }).pipe(
              Layer.provide(ZooKeeperClient.layer({ connectString: cluster.zookeeper }))
            )
          )
        )
      )

    beforeAll(async () => {
      cluster = await startCluster({ socketPath, agents: 1, zookeeper: requireZooKeeper().standalone.connectString })
      await start()
    }, 60_000)

    afterAll(async () => {
      await apps?.stop()
      await cluster?.stop()
    })

    it("serves a healthy app again right after a restart although its first check waits 15 s", async () => {
      await apps.run(
        apps.service.put(
          app({
            id: "/heal/web",
            cmd: httpdCmd("hello"),
            container: { docker: { image: testImage }, portMappings: [{ containerPort: 8080 }] },
            instances: 2,
            cpus: 0.1,
            mem: 16,
            // Marathon's default delay, a long interval: a restarted scheduler must not wait for them
            healthChecks: [
              { protocol: "HTTP", path: "/", delaySeconds: 15, intervalSeconds: 60, gracePeriodSeconds: 60 }
            ],
            taskKillGracePeriodSeconds: 1
          })
        )
      )
      const before = await eventually(
        "two healthy tasks (after the 15 s delay)",
        async () => {
          const s = await status("/heal/web")
          return s.tasksHealthy === 2 && s.deployments.length === 0 ? s : undefined
        },
        60_000
      )
      const port = before.servicePorts[0]!
      expect(await eventually("an answer through the load balancer", () => getThrough(port))).toBe("hello")
      const taskIds = (await apps.run(apps.service.tasks("/heal/web"))).map((t) => t.id).sort()

      const load = loadClient(port, 20)
      await new Promise((resolve) => setTimeout(resolve, 300))
      const upAt = await restart()
      const endpoints = await eventually(
        "discovery lists both endpoints again",
        async () => {
          const found = await apps.run(apps.service.discovery.lookup("/heal/web"))
          return found.length === 2 ? found : undefined
        },
        10_000
      )
      const listedAfterMs = Date.now() - upAt
      const answered = await eventually(
        "the service port answers again",
        () => load.results.find((r) => r.at >= upAt && r.body === "hello"),
        10_000
      )
      await new Promise((resolve) => setTimeout(resolve, 3_000))
      await load.stop()
      expect(answered.at - upAt).toBeLessThan(2_000)
      expect(listedAfterMs).toBeLessThan(2_000)
      expect(endpoints.map((e) => e.taskId).sort()).toEqual(taskIds)
      // once it answered again, no request failed
      expect(load.results.filter((r) => r.at > answered.at && r.error !== undefined)).toEqual([])
      // the same tasks, still healthy, nothing replaced
      const after = await apps.run(apps.service.tasks("/heal/web"))
      expect(after.map((t) => t.id).sort()).toEqual(taskIds)
      expect(after.every((t) => t.healthy === true && t.ready)).toBe(true)
      // checked at once after the restart (not 15 s later): the results of that check are shown
      expect(after.map((t) => t.healthCheckResults[0]?.alive)).toEqual([true, true])
      expect((await status("/heal/web")).tasksHealthy).toBe(2)

      // a store an older scheduler wrote (bindings without start, health, readiness) still loads: its tasks
      // are checked at once (within the first-check spread of 1 s), not after delaySeconds
      await apps.stop()
      const bindings = await withStore((store) =>
        Effect.gen(function* () {
          const { tasks } = yield* store.load
          yield* store.commit({ bindTasks: tasks.map(({ startedAt: _s, alive: _a, ready: _r, ...older }) => older) })
          return (yield* store.load).tasks
        })
      )
      expect(bindings.map((b) => [b.taskId, b.alive, b.startedAt]).sort()).toEqual(
        taskIds.map((id) => [id, undefined, undefined])
      )
      await start()
      const upAgain = Date.now()
      await eventually(
        "discovery lists both endpoints of the older store's tasks",
        async () => ((await apps.run(apps.service.discovery.lookup("/heal/web"))).length === 2 ? true : undefined),
        10_000
      )
      expect(Date.now() - upAgain).toBeLessThan(3_000)
      expect(await getThrough(port)).toBe("hello")
      // their health is stored again
      const stored = await eventually("the health stored again", () =>
        withStore((store) =>
          Effect.map(store.load, (l) => (l.tasks.every((t) => t.alive === true) ? l.tasks : undefined))
        )
      )
      expect(stored.every((t) => t.ready === true && t.startedAt !== undefined)).toBe(true)
      await apps.run(apps.service.remove("/heal/web"))
    }, 120_000)

    it("marks an app that keeps failing to start, keeps the mark and its backoff across a restart", async () => {
      const crashing = {
        id: "/heal/crash",
        cmd: "exit 3",
        container: { docker: { image: testImage } },
        instances: 1,
        cpus: 0.1,
        mem: 16,
        // Marathon's backoff (1 s x 1.15), capped at 2 s so the cap is reached in the test
        backoffSeconds: 1,
        backoffFactor: 1.15,
        maxLaunchDelaySeconds: 2
      }
      await apps.run(apps.service.put(app(crashing)))
      const failing = await eventually(
        "the app marked failing",
        async () => {
          const s = await status("/heal/crash")
          return s.backoff !== undefined && s.backoff.consecutiveFailures >= 2 ? s : undefined
        },
        30_000
      )
      expect(failing.lastTaskFailure).toMatchObject({
        appId: "/heal/crash",
        state: "TASK_FAILED",
        taskId: expect.any(String),
        timestamp: expect.any(String),
        version: failing.version
      })
      expect(failing.backoff!.delayMs).toBe(Math.round(1.15 ** (failing.backoff!.consecutiveFailures - 1) * 1000))
      expect(
        events.some(
          (e) => e.eventType === "app_failing_event" && e.appId === "/heal/crash" && e.consecutiveFailures === 1
        )
      ).toBe(true)
      // the mark stays whether or not a launch is delayed at that moment
      for (let i = 0; i < 15; i++) {
        const s = await status("/heal/crash")
        expect(s.backoff?.consecutiveFailures).toBeGreaterThanOrEqual(2)
        expect(s.lastTaskFailure?.appId).toBe("/heal/crash")
        const queued = (await apps.run(apps.service.queue)).find((q) => q.app.id === "/heal/crash")
        expect(queued?.consecutiveFailures).toBeGreaterThanOrEqual(2)
        expect(queued?.lastTaskFailure?.state).toBe("TASK_FAILED")
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      const beforeRestart = (await status("/heal/crash")).backoff!.consecutiveFailures
      await restart()
      const resumed = await status("/heal/crash")
      expect(resumed.backoff?.consecutiveFailures).toBeGreaterThanOrEqual(beforeRestart)
      expect(resumed.lastTaskFailure?.appId).toBe("/heal/crash")
      // the count goes on from the stored one, the delay grows until the cap
      const capped = await stuckBackoff("/heal/crash", 40_000)
      expect(capped.backoff!.consecutiveFailures).toBeGreaterThanOrEqual(6)
      expect(capped.backoff!.delayMs).toBe(2_000)
      // as the HTTP API shows it
      const api = await mountApi(cluster.master, apps)
      try {
        const shown: Json = (await http("GET", `${api.v2}/apps/heal/crash`)).body.app
        expect(shown.backoff).toMatchObject({ stuck: true, delayMs: 2_000, consecutiveFailures: expect.any(Number) })
        expect(shown.lastTaskFailure).toMatchObject({ appId: "/heal/crash", state: "TASK_FAILED" })
        const queue: Json = (await http("GET", `${api.v2}/queue`)).body.queue
        expect(queue.find((q: Json) => q.app.id === "/heal/crash")).toMatchObject({
          consecutiveFailures: expect.any(Number),
          lastTaskFailure: { state: "TASK_FAILED" }
        })
      } finally {
        await api.close()
      }

      // a new version that runs healthy ends the mark (the last failure stays, as Marathon's)
      await apps.run(
        apps.service.put(
          app({
            ...crashing,
            cmd: httpdCmd("fixed"),
            container: { docker: { image: testImage }, portMappings: [{ containerPort: 8080 }] },
            healthChecks: [{ protocol: "HTTP", path: "/", delaySeconds: 0, intervalSeconds: 0.5 }]
          })
        )
      )
      const fixed = await eventually(
        "the fixed app healthy, mark gone",
        async () => {
          const s = await status("/heal/crash")
          return s.tasksHealthy === 1 && s.deployments.length === 0 && s.backoff === undefined ? s : undefined
        },
        30_000
      )
      expect(fixed.lastTaskFailure?.state).toBe("TASK_FAILED")
      expect((await apps.run(apps.service.queue)).find((q) => q.app.id === "/heal/crash")).toBeUndefined()
      await apps.run(apps.service.remove("/heal/crash"))
    }, 150_000)

    it("backs off an instance that keeps failing while the app's other instances serve", async () => {
      // two slots in a host folder: the first two containers take one each and serve, every later one exits
      const slots = mkdtempSync(join(tmpdir(), "orch-heal-slots-"))
      try {
        await apps.run(
          apps.service.put(
            app({
              id: "/heal/partial",
              cmd: `(mkdir /slots/a || mkdir /slots/b) 2>/dev/null || exit 3; ${httpdCmd("partial")}`,
              container: {
                docker: { image: testImage },
                portMappings: [{ containerPort: 8080 }],
                volumes: [{ containerPath: "/slots", hostPath: slots, mode: "RW" }]
              },
              instances: 3,
              cpus: 0.1,
              mem: 16,
              healthChecks: [{ protocol: "HTTP", path: "/", delaySeconds: 0, intervalSeconds: 0.5 }],
              backoffSeconds: 1,
              backoffFactor: 1.15,
              maxLaunchDelaySeconds: 2
            })
          )
        )
        // the serving instances do not end the backoff (they were launched before the failures): the count
        // grows until the delay is capped, instead of relaunching the third instance at full speed
        const stuck = await stuckBackoff("/heal/partial", 60_000)
        expect(stuck.tasksHealthy).toBe(2)
        expect(stuck.backoff!.consecutiveFailures).toBeGreaterThanOrEqual(6)
        expect(stuck.lastTaskFailure).toMatchObject({ appId: "/heal/partial", state: "TASK_FAILED" })
        // a free slot lets the next launch serve: that task ends the backoff
        rmSync(join(slots, "b"), { recursive: true })
        await eventually(
          "the third instance serving, the backoff over",
          async () => {
            const s = await status("/heal/partial")
            return s.tasksHealthy === 3 && s.backoff === undefined ? s : undefined
          },
          30_000
        )
      } finally {
        await apps.run(apps.service.remove("/heal/partial"))
        rmSync(slots, { recursive: true, force: true })
      }
    }, 120_000)
  }
)
