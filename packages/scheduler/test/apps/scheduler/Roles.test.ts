/**
 * `acceptedResourceRoles` end to end: a real master and agent whose resources are mostly reserved (statically,
 * in the agent's resources text) for the app scheduler's role. An app accepting the role launches on the
 * reserved resources (the master books them against the reservation); an app with the default (`["*"]`) does
 * not, and its queue entry says why; a role that is neither `*` nor the scheduler's is refused.
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dockerFixture, requireDocker, requireZooKeeper, zookeeperFixture } from "../../../../../test/fixtures/index.js"
import type { RunningAppScheduler } from "../../../src/apps/scheduler/RunningAppScheduler.js"
import { InvalidRequest } from "../../../src/cluster/ClusterError.js"
import * as Resources from "../../../src/cluster/Resources.js"
import { eventually, http } from "../../cluster/helpers.js"
import { app, httpdCmd, portRange, runningAndDeployed, startAppsApi, type TestCluster } from "./cluster.js"

describe.skipIf(dockerFixture() === null || zookeeperFixture() === null)(
  "acceptedResourceRoles on a real master with a static reservation for the scheduler's role",
  () => {
    const { socketPath, testImage } = dockerFixture() === null ? { socketPath: "", testImage: "" } : requireDocker()
    let cluster: TestCluster
    let apps: RunningAppScheduler
    let reservedPorts: { readonly begin: number; readonly end: number }
    let v2: string
    let stop: (() => Promise<void>) | undefined

    beforeAll(async () => {
      const range = await portRange(20)
      reservedPorts = { begin: range.begin, end: range.begin + 9 }
      // unreserved: too little for a task (0.05 cpus, 16 MB) but some ports
      const resources = Resources.parse(
        `cpus(apps):1;mem(apps):256;ports(apps):[${reservedPorts.begin}-${reservedPorts.end}];` +
          `cpus:0.05;mem:16;ports:[${range.begin + 10}-${range.end}]`
      )
      if (resources instanceof InvalidRequest) throw new Error(resources.message)
      ;({ cluster, apps, v2, stop } = await startAppsApi(
        { socketPath, agents: 1, zookeeper: requireZooKeeper().standalone.connectString, resources },
        { role: "apps" }
      ))
    })

    afterAll(() => stop?.())

    const web = (id: string, extra: Record<string, unknown> = {}) =>
      app({
        id,
        cmd: httpdCmd("reserved"),
        container: { docker: { image: testImage }, portMappings: [{ containerPort: 8080 }] },
        cpus: 0.1,
        mem: 32,
        backoffSeconds: 0.2,
        taskKillGracePeriodSeconds: 1,
        ...extra
      })

    it("launches on reserved resources only the app that accepts the scheduler's role", async () => {
      await apps.run(apps.service.put(web("/roles/own", { acceptedResourceRoles: ["apps"] })))
      await apps.run(apps.service.put(web("/roles/default")))

      const [task] = await eventually("/roles/own running", async () => {
        const tasks = await apps.run(apps.service.tasks("/roles/own"))
        return tasks.length === 1 && tasks[0]!.state === "TASK_RUNNING" ? tasks : undefined
      })
      // the host port comes from the reserved ports, and the container answers on it
      expect(task!.ports[0]).toBeGreaterThanOrEqual(reservedPorts.begin)
      expect(task!.ports[0]).toBeLessThanOrEqual(reservedPorts.end)
      const body = await eventually("the task answers", async () => {
        const answer = await fetch(`http://127.0.0.1:${task!.ports[0]}/`, { signal: AbortSignal.timeout(2_000) })
        return answer.ok ? (await answer.text()).trim() : undefined
      })
      expect(body).toBe("reserved")
      // the master booked the task against the reservation (nothing unreserved is used)
      const [agent] = await Effect.runPromise(cluster.master.service.agents)
      expect(Resources.quantities(agent!.used)).toMatchObject({ cpus: 0.1, mem: 32 })
      expect(agent!.used.cpus ?? 0).toBe(0)
      expect(agent!.used.reserved?.map((p) => p.role)).toEqual(["apps"])
      const status = await Effect.runPromise(cluster.master.service.task(task!.id))
      expect(status.resources.reserved?.[0]).toMatchObject({ role: "apps", resources: { cpus: 0.1, mem: 32 } })

      // the default app waits: only resources reserved for a role it does not accept would fit
      const waiting = await eventually("/roles/default in the queue with a reason", async () => {
        const entry = (await apps.run(apps.service.queue)).find((q) => q.app.id === "/roles/default")
        return entry !== undefined && entry.lastUnusedOffers.length > 0 ? entry : undefined
      })
      expect(waiting.lastUnusedOffers.at(-1)!.reason).toBe(
        'only resources of roles it does not accept fit (reserved for apps; acceptedResourceRoles ["*"])'
      )
      expect(await apps.run(apps.service.tasks("/roles/default"))).toEqual([])
    }, 60_000)

    it("answers the field, and refuses a role that is neither * nor the scheduler's role (422 naming it)", async () => {
      const own = await http("GET", `${v2}/apps/roles/own`)
      expect(own.status).toBe(200)
      expect(own.body).toMatchObject({ app: { id: "/roles/own", acceptedResourceRoles: ["apps"] } })
      const refused = await http("POST", `${v2}/apps`, {
        id: "/roles/other",
        cmd: "exec sleep 3600",
        container: { docker: { image: testImage } },
        acceptedResourceRoles: ["*", "ops"]
      })
      expect(refused.status).toBe(422)
      expect(refused.body).toMatchObject({ error: "InvalidApp", field: "acceptedResourceRoles[1]" })
      expect((await http("GET", `${v2}/apps/roles/other`)).status).toBe(404)
    })

    it("a default app's task is booked on unreserved resources and leaves the whole reservation to the role", async () => {
      // the default app's deployment never ends (it cannot be placed): removing it overrides it
      await apps.run(apps.service.remove("/roles/default", { force: true }))
      await apps.run(apps.service.remove("/roles/own", { force: true }))
      await eventually("the role's reservation free", async () => {
        const [agent] = await Effect.runPromise(cluster.master.service.agents)
        return (agent!.used.reserved ?? []).length === 0 ? true : undefined
      })
      // exactly what is unreserved: the master could also book it against the reservation
      await apps.run(apps.service.put(web("/roles/small", { cpus: 0.05, mem: 16 })))
      await eventually("/roles/small running", async () => {
        const tasks = await apps.run(apps.service.tasks("/roles/small"))
        return tasks.length === 1 && tasks[0]!.state === "TASK_RUNNING" ? true : undefined
      })
      const [agent] = await Effect.runPromise(cluster.master.service.agents)
      expect(agent!.used).toMatchObject({ cpus: 0.05, mem: 16 })
      expect(agent!.used.reserved ?? []).toEqual([])
      // an app of the role that needs the whole reservation still launches
      await apps.run(apps.service.put(web("/roles/whole", { acceptedResourceRoles: ["apps"], cpus: 1, mem: 256 })))
      await runningAndDeployed(apps, "/roles/whole")
      await apps.run(apps.service.remove("/roles/small"))
      await apps.run(apps.service.remove("/roles/whole"))
    }, 90_000)
  }
)
