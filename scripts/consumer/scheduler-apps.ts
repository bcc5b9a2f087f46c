// A consumer of @orchestrator/scheduler/apps' Promise facade: a master on a free port, an app scheduler on it
// (apps in memory), the /v2 API mounted on the master, an app created through the API (no agent yet, so it waits
// in the queue), a bad definition refused with the field named, and the load balancer's stats.
import { AppScheduler, AppsApi, createAppScheduler } from "@orchestrator/scheduler/apps"
import { createMaster, Master } from "@orchestrator/scheduler/cluster"
import { Effect, Exit, Layer, Scope } from "effect"

const check = (condition: boolean, what: string): void => {
  if (!condition) throw new Error(`consumer check failed: ${what}`)
  console.log(`ok - ${what}`)
}

// biome-ignore lint/suspicious/noExplicitAny: the checks read JSON answers directly
const json = async (method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> => {
  const response = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } })
  })
  return { status: response.status, body: await response.json() }
}

const master = await createMaster({ host: "127.0.0.1", port: 0, allocationIntervalMs: 50 })
const apps = await createAppScheduler({ master: master.service, servicePortRange: { begin: 10500, end: 10510 } })
const mounted = Effect.runSync(Scope.make())
try {
  await Effect.runPromise(
    Layer.buildWithScope(AppsApi.layer, mounted).pipe(
      Effect.provideService(Master, master.service),
      Effect.provideService(AppScheduler, apps.service)
    )
  )
  const info = await json("GET", `${master.url}/v2/info`)
  check(info.status === 200 && info.body.elected === true, "the app scheduler leads and answers /v2/info")

  const app = {
    id: "/consumer/web",
    cmd: "httpd -f -p 8080",
    container: { docker: { image: "busybox" }, portMappings: [{ containerPort: 8080 }] },
    instances: 1,
    cpus: 0.1,
    mem: 32
  }
  const created = await json("POST", `${master.url}/v2/apps`, app)
  check(created.status === 201 && created.body.id === "/consumer/web", "an app is created through /v2/apps")
  const queue = await json("GET", `${master.url}/v2/queue`)
  check(queue.body.queue.length === 1, "with no agent, it waits in the launch queue")

  const bad = await json("POST", `${master.url}/v2/apps`, { ...app, id: "/consumer/bad", instances: -1 })
  check(bad.status === 422 && bad.body.field === "instances", "a bad definition is refused naming the field")

  const listed = await apps.run(apps.service.apps())
  check(listed.length === 1, "the Effect API sees the same app")
  check(Array.isArray(await apps.run(apps.service.loadBalancerStats)), "the load balancer reports its stats")
} finally {
  await Effect.runPromise(Scope.close(mounted, Exit.void))
  await apps.stop()
  await master.stop()
}
