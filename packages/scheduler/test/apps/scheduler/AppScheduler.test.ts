import { DockerClient } from "@orchestrator/core/docker"
import { Effect, Option, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { engineRequest } from "../../../../../test/fixtures/dockerApi.js"
import { dockerFixture, requireDocker, requireZooKeeper, zookeeperFixture } from "../../../../../test/fixtures/index.js"
import type { AppEvent } from "../../../src/apps/events/AppEvent.js"
import * as DockerStats from "../../../src/apps/metrics/DockerStats.js"
import { fromFunction } from "../../../src/apps/metrics/MetricSource.js"
import type { RunningAppScheduler } from "../../../src/apps/scheduler/RunningAppScheduler.js"
import type { AppStatus } from "../../../src/apps/scheduler/Views.js"
import { eventually, inspect } from "../../cluster/helpers.js"
import { app, httpdCmd, portRange, startCluster, type TestCluster } from "./cluster.js"
import { createAppScheduler } from "../../../src/apps/scheduler/RunningAppScheduler.js"

const healthCheck = (path = "/") => ({
  protocol: "HTTP",
  path,
  portIndex: 0,
  gracePeriodSeconds: 3,
  intervalSeconds: 0.25,
  timeoutSeconds: 1,
  delaySeconds: 0,
  maxConsecutiveFailures: 2
})

const secretValue = "s3cr3t-Value-9d8f7a"

describe.skipIf(dockerFixture() === null || zookeeperFixture() === null)(
  "AppScheduler on a real master, agents, dockerd and ZooKeeper",
  () => {
    const { socketPath, testImage } = dockerFixture() === null ? { socketPath: "", testImage: "" } : requireDocker()
    let cluster: TestCluster
    let apps: RunningAppScheduler
    const events: Array<AppEvent> = []

    const follow = (scheduler: RunningAppScheduler) => {
      scheduler
        .run(
          Stream.runForEach(scheduler.service.events(), (e) =>
            Effect.sync(() => {
              events.push(e)
            })
          )
        )
        .catch(() => undefined)
    }

    /** The value the `load` metric source reports (undefined: no sample). */
    let load: number | undefined

    const start = async () => {
      apps = await cluster.scheduler({
        secretEnv: { APPS_TEST_SECRET: secretValue },
        metricSources: { load: fromFunction(() => load) },
        autoscaleIntervalMs: 200
      })
      follow(apps)
    }

    beforeAll(async () => {
      cluster = await startCluster({ socketPath, agents: 2, zookeeper: requireZooKeeper().standalone.connectString })
      await start()
    })

    afterAll(async () => {
      await apps?.stop()
      await cluster?.stop()
    })

    const web = (body: string, instances: number, path = "/", deadlineSeconds = 60) =>
      app({
        id: "/test/web",
        cmd: httpdCmd(body),
        container: { docker: { image: testImage }, portMappings: [{ containerPort: 8080 }] },
        instances,
        cpus: 0.1,
        mem: 32,
        healthChecks: [healthCheck(path)],
        upgradeStrategy: {
          minimumHealthCapacity: 0.5,
          maximumOverCapacity: 0.5,
          deadlineSeconds,
          rollbackOnFailure: true
        },
        backoffSeconds: 0.2,
        taskKillGracePeriodSeconds: 1
      })

    const status = (appId: string) => apps.run(apps.service.app(appId))

    const settled = (appId: string, healthy: number, timeoutMs = 60_000) => {
      let last: unknown
      return eventually(
        `${appId} settled with ${healthy} healthy`,
        async () => {
          const s = await status(appId)
          const tasks = await apps.run(apps.service.tasks(appId))
          last = { ...s, app: undefined, tasks, deployments: await apps.run(apps.service.deployments) }
          return s.deployments.length === 0 &&
            s.tasksHealthy === healthy &&
            tasks.length === healthy &&
            tasks.every((t) => t.state === "TASK_RUNNING" && t.healthy === true)
            ? s
            : undefined
        },
        timeoutMs
      ).catch((error) => {
        throw new Error(`${error}; last seen: ${JSON.stringify(last)}`)
      })
    }

    const get = async (port: number): Promise<string> => {
      const answer = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3_000) })
      if (answer.status !== 200) throw new Error(`status ${answer.status}`)
      return (await answer.text()).trim()
    }

    /** Sends requests through the load balancer until stopped; counts answers by body and failures. */
    const client = (port: number) => {
      let running = true
      const bodies = new Map<string, number>()
      const failures: Array<string> = []
      const loop = async () => {
        while (running) {
          try {
            const body = await get(port)
            bodies.set(body, (bodies.get(body) ?? 0) + 1)
          } catch (error) {
            failures.push(String(error))
          }
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
      }
      const done = Promise.all([loop(), loop()])
      return {
        bodies,
        failures,
        stop: async () => {
          running = false
          await done
        }
      }
    }

    /** Samples, every 20 ms until stopped, how many tasks of an app serve: running (not `TASK_KILLING`), healthy, ready. */
    const sampler = (appId: string) => {
      let running = true
      const samples: Array<number> = []
      const done = (async () => {
        while (running) {
          const tasks = await apps.run(apps.service.tasks(appId)).catch(() => undefined)
          if (tasks !== undefined)
            samples.push(tasks.filter((t) => t.state === "TASK_RUNNING" && t.healthy === true && t.ready).length)
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      })()
      return {
        samples,
        stop: async () => {
          running = false
          await done
        }
      }
    }

    let servicePort = 0

    it("deploys an app of httpd containers and serves it through the load balancer", async () => {
      const ref = await apps.run(apps.service.put(web("v1", 1)))
      expect(ref.deploymentId).toMatch(/^[0-9a-f-]{36}$/)
      const s = await settled("/test/web", 1)
      servicePort = s.servicePorts[0]!
      expect(servicePort).toBeGreaterThanOrEqual(cluster.servicePortRange.begin)
      expect(servicePort).toBeLessThanOrEqual(cluster.servicePortRange.end)
      const answer = await eventually("an answer through the load balancer", () => get(servicePort)).catch(
        async (e) => {
          const stats = await apps.run(apps.service.loadBalancerStats)
          throw new Error(`${e}; load balancer: ${JSON.stringify(stats)}`)
        }
      )
      expect(answer).toBe("v1")
      expect(await apps.run(apps.service.discovery.lookup("web.test.orchestrator"))).toHaveLength(1)
      expect(await apps.run(apps.service.metrics)).toContain('orchestrator_app_tasks_healthy{app="/test/web"} 1')
      const types = events.map((e) => e.eventType)
      expect(types).toEqual(expect.arrayContaining(["api_post_event", "deployment_info", "deployment_success"]))
      const seqs = events.map((e) => e.seq)
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
      expect(new Set(seqs).size).toBe(seqs.length)
    }, 90_000)

    it("scales 1 -> 5 -> 2 and spreads requests over every task", async () => {
      await apps.run(apps.service.scale("/test/web", 5))
      await settled("/test/web", 5)
      const backends = await apps.run(apps.service.discovery.lookup("/test/web"))
      expect(new Set(backends.map((b) => b.taskId)).size).toBe(5)
      for (let i = 0; i < 20; i++) expect(await get(servicePort)).toBe("v1")
      const stats = await apps.run(apps.service.loadBalancerStats)
      const service = stats.find((s) => s.servicePort === servicePort)!
      expect(service.backends.filter((b) => b.total > 0).length).toBe(5)
      await apps.run(apps.service.scale("/test/web", 2))
      await settled("/test/web", 2)
      expect((await apps.run(apps.service.discovery.lookup("/test/web"))).length).toBe(2)
    }, 90_000)

    it("replaces a container killed behind its back (docker kill) and records the failure", async () => {
      const before = await apps.run(apps.service.tasks("/test/web"))
      const victim = before[0]!
      const filters = encodeURIComponent(JSON.stringify({ label: [`orchestrator.task-id=${victim.id}`] }))
      const list = JSON.parse((await engineRequest(socketPath, "GET", `/containers/json?filters=${filters}`)).body)
      expect(list).toHaveLength(1)
      await engineRequest(socketPath, "POST", `/containers/${list[0].Id}/kill`)
      await eventually(
        "the killed task replaced",
        async () => {
          const tasks = await apps.run(apps.service.tasks("/test/web"))
          return tasks.length === 2 && !tasks.some((t) => t.id === victim.id) && tasks.every((t) => t.healthy === true)
            ? tasks
            : undefined
        },
        30_000
      )
      const s = await settled("/test/web", 2)
      expect(s.lastTaskFailure).toMatchObject({ taskId: victim.id, appId: "/test/web" })
      expect(events.some((e) => e.eventType === "status_update_event" && e.taskId === victim.id)).toBe(true)
    }, 60_000)

    it("kills a task whose health check starts failing and replaces it", async () => {
      await apps.run(
        apps.service.put(
          app({
            id: "/test/flaky",
            cmd: "mkdir -p /www && echo ok > /www/health && exec httpd -f -p 8080 -h /www",
            container: { docker: { image: testImage }, portMappings: [{ containerPort: 8080 }] },
            instances: 1,
            cpus: 0.1,
            mem: 16,
            healthChecks: [{ ...healthCheck("/health"), gracePeriodSeconds: 1 }],
            backoffSeconds: 0.2,
            taskKillGracePeriodSeconds: 1
          })
        )
      )
      await settled("/test/flaky", 1)
      const [victim] = await apps.run(apps.service.tasks("/test/flaky"))
      const filters = encodeURIComponent(JSON.stringify({ label: [`orchestrator.task-id=${victim!.id}`] }))
      const [container] = JSON.parse(
        (await engineRequest(socketPath, "GET", `/containers/json?filters=${filters}`)).body
      )
      const exec = await engineRequest(socketPath, "POST", `/containers/${container.Id}/exec`, {
        body: Buffer.from(JSON.stringify({ Cmd: ["rm", "/www/health"] })),
        contentType: "application/json"
      })
      await engineRequest(socketPath, "POST", `/exec/${JSON.parse(exec.body).Id}/start`, {
        body: Buffer.from(JSON.stringify({ Detach: true })),
        contentType: "application/json"
      })
      const killed = await eventually(
        "the unhealthy task killed",
        () => events.find((e) => e.eventType === "unhealthy_instance_kill_event" && e.taskId === victim!.id),
        20_000
      )
      expect(killed).toMatchObject({ appId: "/test/flaky", reason: expect.stringContaining("404") })
      await eventually(
        "a healthy replacement",
        async () => {
          const tasks = await apps.run(apps.service.tasks("/test/flaky"))
          return tasks.length === 1 && tasks[0]!.id !== victim!.id && tasks[0]!.healthy === true ? true : undefined
        },
        30_000
      )
      await apps.run(apps.service.remove("/test/flaky"))
    }, 60_000)

    it("rolls an update while a client keeps sending requests: zero failed requests", async () => {
      const load = client(servicePort)
      await new Promise((resolve) => setTimeout(resolve, 300))
      await apps.run(apps.service.put(web("v2", 2)))
      await eventually(
        "v2 everywhere",
        async () => {
          const tasks = await apps.run(apps.service.tasks("/test/web"))
          const s = await status("/test/web")
          return s.deployments.length === 0 && tasks.length === 2 && tasks.every((t) => t.version === s.version)
            ? true
            : undefined
        },
        60_000
      )
      await new Promise((resolve) => setTimeout(resolve, 300))
      await load.stop()
      expect(load.failures).toEqual([])
      expect(load.bodies.get("v1")).toBeGreaterThan(0)
      expect(load.bodies.get("v2")).toBeGreaterThan(0)
      expect(await get(servicePort)).toBe("v2")
    }, 90_000)

    it("fails a deployment whose health check never passes at its deadline and rolls back above the floor", async () => {
      const healthy = sampler("/test/web")
      const ref = await apps.run(apps.service.put(web("v3", 2, "/missing", 6)))
      const failed = await eventually(
        "deployment_failed",
        () => events.find((e) => e.eventType === "deployment_failed" && e.id === ref.deploymentId),
        30_000
      )
      expect(failed).toMatchObject({ reason: "deadline", rollbackId: expect.any(String) })
      await eventually(
        "the rollback succeeded",
        () =>
          events.find(
            (e) =>
              e.eventType === "deployment_success" &&
              failed.eventType === "deployment_failed" &&
              e.id === failed.rollbackId
          ),
        60_000
      )
      const s = await settled("/test/web", 2)
      await healthy.stop()
      // the floor: ceil(2 x 0.5) = 1 healthy task at every moment
      expect(healthy.samples.length).toBeGreaterThan(50)
      expect(Math.min(...healthy.samples)).toBeGreaterThanOrEqual(1)
      expect(s.app.healthChecks[0]!.path).toBe("/")
      expect(await get(servicePort)).toBe("v2")
    }, 90_000)

    it("resumes a deployment after the scheduler restarts on the same ZooKeeper store", async () => {
      const before = (await apps.run(apps.service.tasks("/test/web"))).map((t) => t.id)
      const ref = await apps.run(apps.service.put(web("v4", 2)))
      // under way: a task of the new version exists while the deployment still runs (whether the plan first
      // launched or first killed depends on timing, so the task count is not a reliable sign)
      await eventually(
        "the deployment under way",
        async () => {
          const [tasks, deployments] = await Promise.all([
            apps.run(apps.service.tasks("/test/web")),
            apps.run(apps.service.deployments)
          ])
          const running = deployments.some((d) => d.id === ref.deploymentId)
          return running && tasks.some((t) => t.version === ref.version) ? true : undefined
        },
        30_000
      )
      const frameworkId = (await apps.run(apps.service.info)).frameworkId
      await apps.stop()
      await start()
      expect((await apps.run(apps.service.info)).frameworkId).toBe(frameworkId)
      const resumed = await apps.run(apps.service.deployments)
      expect(resumed.map((d) => d.id)).toContain(ref.deploymentId)
      const s = await settled("/test/web", 2)
      expect(s.version).toBe(ref.version)
      const after = await apps.run(apps.service.tasks("/test/web"))
      expect(after.some((t) => before.includes(t.id))).toBe(false)
      expect(await eventually("v4 through the new load balancer", () => get(servicePort))).toBe("v4")
      const info = await apps.run(apps.service.info)
      expect(info.elected).toBe(true)
    }, 90_000)

    it("backs off an app whose container exits at once and reports it failing", async () => {
      const crashing = app({
        id: "/test/crash",
        cmd: "exit 3",
        container: { docker: { image: testImage } },
        instances: 1,
        cpus: 0.1,
        mem: 16,
        backoffSeconds: 0.5,
        backoffFactor: 2,
        maxLaunchDelaySeconds: 4
      })
      await apps.run(apps.service.put(crashing))
      const failing = await eventually(
        "the app marked failing",
        async () => {
          const s = await status("/test/crash")
          return s.backoff !== undefined && s.backoff.consecutiveFailures >= 3 ? s : undefined
        },
        30_000
      )
      expect(failing.lastTaskFailure).toMatchObject({ appId: "/test/crash", state: "TASK_FAILED" })
      expect(failing.backoff!.delayMs).toBeGreaterThanOrEqual(2_000)
      const queue = await apps.run(apps.service.queue)
      expect(queue.find((q) => q.app.id === "/test/crash")).toBeDefined()
      const launches = () =>
        events.filter(
          (e) => e.eventType === "status_update_event" && e.appId === "/test/crash" && e.taskStatus === "TASK_STAGING"
        ).length
      const count = launches()
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      // at most one launch in 1.5 s once the delay reached 2 s
      expect(launches() - count).toBeLessThanOrEqual(1)
      expect(events.some((e) => e.eventType === "app_failing_event" && e.appId === "/test/crash")).toBe(true)
    }, 60_000)

    it("refuses a conflicting deployment unless forced, bad input with a typed error, state unchanged", async () => {
      // never healthy: its deployment runs until its deadline
      const stuck = await apps.run(apps.service.put(app({ ...web("v5", 1, "/missing"), id: "/test/stuck" })))
      const conflict = await apps.run(Effect.flip(apps.service.scale("/test/stuck", 2)))
      expect(conflict).toMatchObject({ _tag: "DeploymentConflict", deploymentIds: [stuck.deploymentId] })
      const negative = await apps.run(Effect.flip(apps.service.scale("/test/web", -1)))
      expect(negative).toMatchObject({ _tag: "InvalidApp", field: "instances" })
      const impossible = await apps.run(
        Effect.flip(
          apps.service.put(app({ ...web("v9", 3), id: "/test/impossible", constraints: [["rack", "LIKE", "nowhere"]] }))
        )
      )
      expect(impossible).toMatchObject({ _tag: "InvalidApp", field: "constraints" })
      const missing = await apps.run(Effect.flip(apps.service.app("/test/none")))
      expect(missing).toMatchObject({ _tag: "AppNotFound", kind: "app" })
      expect((await apps.run(apps.service.apps())).map((a: AppStatus) => a.app.id).sort()).toEqual([
        "/test/crash",
        "/test/stuck",
        "/test/web"
      ])
      expect((await apps.run(apps.service.app("/test/stuck"))).app.instances).toBe(1)
      const forced = await apps.run(apps.service.remove("/test/stuck", { force: true }))
      // events reach the stream asynchronously
      const superseded = await eventually("deployment_failed (superseded)", () =>
        events.find((e) => e.eventType === "deployment_failed" && e.id === stuck.deploymentId)
      )
      expect(superseded).toMatchObject({ reason: "superseded" })
      await apps.run(apps.service.remove("/test/crash"))
      await eventually(
        "the stuck and crashing apps removed",
        async () => {
          const all = await apps.run(apps.service.apps())
          return all.some((a) => a.app.id === "/test/crash" || a.app.id === "/test/stuck") ? undefined : true
        },
        30_000
      )
      expect(events.some((e) => e.eventType === "app_terminated_event" && e.appId === "/test/stuck")).toBe(true)
      expect(events.some((e) => e.eventType === "deployment_success" && e.id === forced.deploymentId)).toBe(true)
    }, 60_000)

    it("passes secrets to the container but never shows them in answers or events", async () => {
      const secretApp = app({
        id: "/test/secret",
        cmd: "echo $DB_PASSWORD in a message; exec httpd -f -p 8080 -h /",
        container: { docker: { image: testImage }, portMappings: [{ containerPort: 8080 }] },
        instances: 1,
        cpus: 0.1,
        mem: 16,
        env: { DB_PASSWORD: { secret: "db" }, PLAIN: "visible" },
        secrets: { db: { env: "APPS_TEST_SECRET" } }
      })
      await apps.run(apps.service.put(secretApp))
      const s = await eventually(
        "the secret app running",
        async () => {
          const st = await status("/test/secret")
          return st.tasksRunning === 1 && st.deployments.length === 0 ? st : undefined
        },
        30_000
      )
      const [task] = await apps.run(apps.service.tasks("/test/secret"))
      const filters = encodeURIComponent(JSON.stringify({ label: [`orchestrator.task-id=${task!.id}`] }))
      const [container] = JSON.parse(
        (await engineRequest(socketPath, "GET", `/containers/json?filters=${filters}`)).body
      )
      const inspected = await inspect(socketPath, container.Id)
      expect(inspected.Config.Env).toContain(`DB_PASSWORD=${secretValue}`)
      const answers = JSON.stringify([
        s,
        await apps.run(apps.service.apps()),
        await apps.run(apps.service.tasks()),
        await apps.run(apps.service.deployments),
        await apps.run(apps.service.groups),
        await apps.run(apps.service.metrics),
        events
      ])
      expect(answers).toContain("visible")
      expect(answers).not.toContain(secretValue)
      await apps.run(apps.service.remove("/test/secret"))
    }, 60_000)

    it("autoscales on a metric source between min and max", async () => {
      const scaled = app({
        id: "/test/auto",
        cmd: "exec sleep 3600",
        container: { docker: { image: testImage } },
        instances: 1,
        cpus: 0.1,
        mem: 16,
        autoscale: { metric: "load", target: 50, min: 1, max: 3, cooldownSeconds: 0, windowSeconds: 1 }
      })
      await apps.run(apps.service.put(scaled))
      const instances = async () => (await status("/test/auto")).app.instances
      load = 150
      await eventually("scaled up to the max", async () => ((await instances()) === 3 ? true : undefined), 20_000)
      await eventually(
        "3 tasks running",
        async () => ((await status("/test/auto")).tasksRunning === 3 ? true : undefined),
        20_000
      )
      load = 10
      await eventually("scaled down to the min", async () => ((await instances()) === 1 ? true : undefined), 20_000)
      expect(
        events.some((e) => e.eventType === "api_post_event" && e.appId === "/test/auto" && e.operation === "autoscale")
      ).toBe(true)
      load = undefined
      await apps.run(apps.service.remove("/test/auto", { force: true }))
    }, 60_000)

    it("reads cpu and memory use of an app's containers from Docker stats", async () => {
      const tasks = await apps.run(apps.service.tasks("/test/web"))
      const def = (await status("/test/web")).app
      const [cpu, mem] = await Effect.runPromise(
        Effect.gen(function* () {
          const sources = yield* DockerStats.make
          return [yield* sources.cpu!(def, tasks), yield* sources.mem!(def, tasks)] as const
        }).pipe(Effect.provide(DockerClient.layer({ socketPath })))
      )
      expect(Option.isSome(mem) && mem.value > 0 && mem.value < 100).toBe(true)
      expect(Option.isSome(cpu) && cpu.value >= 0).toBe(true)
    }, 30_000)

    it("deploys a group in dependency order and removes it in reverse order", async () => {
      const member = (id: string, dependencies: ReadonlyArray<string> = []) => ({
        id,
        cmd: "exec sleep 3600",
        container: { docker: { image: testImage } },
        instances: 1,
        cpus: 0.1,
        mem: 16,
        // sleep as PID 1 ignores SIGTERM: no grace period to wait out on removal
        taskKillGracePeriodSeconds: 0,
        dependencies
      })
      const from = events.length
      const ref = await apps.run(
        apps.service.putGroup({
          id: "/grp",
          apps: [app(member("web", ["db"])), app(member("db"))],
          groups: [],
          dependencies: []
        })
      )
      const d = (await apps.run(apps.service.deployments)).find((x) => x.id === ref.deploymentId)!
      expect(d.steps).toEqual([
        { actions: [{ action: "StartApplication", app: "/grp/db" }] },
        { actions: [{ action: "StartApplication", app: "/grp/web" }] }
      ])
      await eventually(
        "the group deployed",
        () => events.find((e) => e.eventType === "deployment_success" && e.id === ref.deploymentId),
        30_000
      )
      const staged = events
        .slice(from)
        .filter((e) => e.eventType === "status_update_event" && e.taskStatus === "TASK_STAGING")
        .map((e) => ("appId" in e ? e.appId : ""))
      expect(staged).toEqual(["/grp/db", "/grp/web"])
      const tree = await apps.run(apps.service.groups)
      const group = tree.groups.find((g) => g.id === "/grp")!
      expect(group.apps.map((a) => a.app.id).sort()).toEqual(["/grp/db", "/grp/web"])
      expect(events.some((e) => e.eventType === "group_change_success" && e.groupId === "/grp")).toBe(true)
      const removal = await apps.run(apps.service.removeGroup("/grp"))
      const stop = (await apps.run(apps.service.deployments)).find((x) => x.id === removal.deploymentId)!
      expect(stop.steps).toEqual([
        { actions: [{ action: "StopApplication", app: "/grp/web" }] },
        { actions: [{ action: "StopApplication", app: "/grp/db" }] }
      ])
      await eventually(
        "the group removed",
        async () => ((await apps.run(apps.service.apps({ prefix: "/grp" }))).length === 0 ? true : undefined),
        30_000
      )
    }, 60_000)

    it("runs through a remote master (FrameworkClient) as its own framework", async () => {
      const remote = await createAppScheduler({
        masterUrl: cluster.master.url,
        zookeeper: { connectString: cluster.zookeeper, root: `${cluster.root}/remote` },
        servicePortRange: await portRange(5),
        lbHost: "127.0.0.1",
        tickMs: 100,
        pollMs: 300,
        refuseSeconds: 1
      })
      try {
        await remote.run(remote.service.put(app({ ...web("remote", 1), id: "/remote/web" })))
        const s = await eventually(
          "the remote app healthy",
          async () => {
            const st = await remote.run(remote.service.app("/remote/web"))
            return st.tasksHealthy === 1 && st.deployments.length === 0 ? st : undefined
          },
          30_000
        )
        expect(await eventually("the remote app's load balancer", () => get(s.servicePorts[0]!))).toBe("remote")
        const info = await remote.run(remote.service.info)
        expect(info.frameworkId).not.toBe((await apps.run(apps.service.info)).frameworkId)
        expect((await apps.run(apps.service.apps())).some((a) => a.app.id === "/remote/web")).toBe(false)
        await remote.run(remote.service.remove("/remote/web"))
        await eventually(
          "the remote app removed",
          async () => ((await remote.run(remote.service.apps())).length === 0 ? true : undefined),
          30_000
        )
      } finally {
        await remote.stop()
      }
    }, 60_000)

    it("cancels a deployment with a rollback, restarts every task, kills a task while scaling down", async () => {
      await apps.run(apps.service.scale("/test/web", 2))
      const before = await settled("/test/web", 2)
      const body = await get(servicePort)
      const stuck = await apps.run(apps.service.put(web("v6", 2, "/missing")))
      await eventually("a new task launched", async () =>
        (await apps.run(apps.service.tasks("/test/web"))).length > 2 ? true : undefined
      )
      const rollback = await apps.run(apps.service.cancel(stuck.deploymentId))
      expect(rollback).toBeDefined()
      const cancelled = await eventually("deployment_failed (cancelled)", () =>
        events.find((e) => e.eventType === "deployment_failed" && e.id === stuck.deploymentId)
      )
      expect(cancelled).toMatchObject({ reason: "cancelled", rollbackId: rollback!.deploymentId })
      const back = await settled("/test/web", 2)
      expect(back.app.healthChecks[0]!.path).toBe("/")
      expect(back.app.container.portMappings).toEqual(before.app.container.portMappings)
      expect(await get(servicePort)).toBe(body)

      const old = (await apps.run(apps.service.tasks("/test/web"))).map((t) => t.id)
      await apps.run(apps.service.restart("/test/web"))
      await eventually(
        "every task replaced",
        async () => {
          const tasks = await apps.run(apps.service.tasks("/test/web"))
          const s = await status("/test/web")
          return s.deployments.length === 0 &&
            tasks.length === 2 &&
            tasks.every((t) => !old.includes(t.id) && t.healthy)
            ? true
            : undefined
        },
        30_000
      )

      const [victim] = await apps.run(apps.service.tasks("/test/web"))
      const killed = await apps.run(apps.service.killTasks([victim!.id], { scale: true }))
      expect(killed.map((t) => t.id)).toEqual([victim!.id])
      const scaled = await settled("/test/web", 1)
      expect(scaled.app.instances).toBe(1)
      expect((await apps.run(apps.service.tasks("/test/web"))).some((t) => t.id === victim!.id)).toBe(false)

      const versions = await apps.run(apps.service.versions("/test/web"))
      expect(versions[0]).toBe(scaled.version)
      expect(versions.length).toBeGreaterThan(5)
      const first = await apps.run(apps.service.appVersion("/test/web", versions[versions.length - 1]!))
      expect(first.id).toBe("/test/web")
      expect(await apps.run(Effect.flip(apps.service.killTasks(["nope"])))).toMatchObject({
        _tag: "AppNotFound",
        kind: "task"
      })
    }, 90_000)
  }
)
