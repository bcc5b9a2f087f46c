import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
import { Context, Effect, Exit, Layer, Option, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import {
  pauseZooKeeperServer,
  resumeZooKeeperServer,
  privateZooKeeperServer,
  zookeeperFixture
} from "../../../../../test/fixtures/index.js"
import {
  createServiceRegistry,
  curatorInstance,
  type ServiceEndpoint,
  ServiceRegistry,
  ZooKeeperRegistration
} from "../../../src/apps/discovery/index.js"
import { endpoint } from "./fixtures.js"
import { connectPlain, eventually } from "./plainZooKeeper.js"

const fixture = zookeeperFixture()

const scopes: Array<Scope.Closeable> = []
afterEach(async () => {
  for (const scope of scopes.splice(0).reverse()) await Effect.runPromise(Scope.close(scope, Exit.void))
})

/** A registry mirrored into ZooKeeper under `root`, with its own client session. */
const start = async (connectString: string, root: string, sessionTimeoutMs = 4_000) => {
  const scope = await Effect.runPromise(Scope.make())
  scopes.push(scope)
  const context = await Effect.runPromise(
    Layer.buildWithScope(
      ZooKeeperRegistration.layer({ root }).pipe(
        Layer.provideMerge(ServiceRegistry.layer),
        Layer.provideMerge(ZooKeeperClient.layer({ connectString, sessionTimeoutMs }))
      ),
      scope
    )
  )
  const registry = Context.get(context, ServiceRegistry)
  const registration = Context.get(context, ZooKeeperRegistration)
  const zk = Context.get(context, ZooKeeperClient)
  return {
    scope,
    set: (appId: string, endpoints: ReadonlyArray<ServiceEndpoint>) =>
      Effect.runPromise(registry.set(appId, endpoints)),
    remove: (appId: string) => Effect.runPromise(registry.remove(appId)),
    inSync: () => Effect.runPromise(registration.inSync),
    registered: () => Effect.runPromise(registration.registered),
    sessionId: async () => Option.getOrThrow(await Effect.runPromise(zk.session)).id
  }
}

const web0 = endpoint("web.1", 0, 31000, { servicePort: 10001 })
const web1 = endpoint("web.1", 1, 31001)
const web2 = endpoint("web.2", 0, 31002, { host: "10.0.0.2", agentId: "agent-2", servicePort: 10001 })

/** The instance without its registration time (set when the registration first saw the endpoint). */
const shape = (e: ServiceEndpoint) => {
  const { registrationTimeUTC: _, ...rest } = curatorInstance(e, 0)
  return rest
}

describe.skipIf(fixture === null)("ZooKeeperRegistration on the shared ZooKeeper", () => {
  const connectString = fixture?.standalone.connectString ?? ""
  const base = `/orch-discovery-${process.pid}-${Date.now()}`

  it("registers each endpoint as an ephemeral Curator ServiceInstance and follows changes", async () => {
    const root = `${base}/mirror`
    const started = Date.now()
    const mirror = await start(connectString, root)
    const reader = await connectPlain(connectString)
    try {
      await mirror.set("/prod/web", [web0, web1, web2])
      await eventually(mirror.inSync, 10_000, "the first registration")
      const instances = await reader.instances(root, "web.prod.orchestrator")
      expect(instances.map((i) => i.id)).toEqual(["web.1-0", "web.1-1", "web.2-0"])
      expect(instances.map((i) => i.json).map(({ registrationTimeUTC: _, ...rest }) => rest)).toEqual(
        [web0, web1, web2].map(shape)
      )
      expect(instances[0]?.json).toEqual({
        name: "web.prod.orchestrator",
        id: "web.1-0",
        address: "10.0.0.1",
        port: 31000,
        sslPort: null,
        payload: {
          "@class": "java.util.LinkedHashMap",
          appId: "/prod/web",
          taskId: "web.1",
          agentId: "agent-1",
          portIndex: 0,
          portName: "http",
          servicePort: 10001,
          version: "v1"
        },
        registrationTimeUTC: instances[0]?.json.registrationTimeUTC,
        serviceType: "DYNAMIC",
        uriSpec: null,
        enabled: true
      })
      const time = Number(instances[0]?.json.registrationTimeUTC)
      expect(time).toBeGreaterThanOrEqual(started)
      expect(time).toBeLessThanOrEqual(Date.now())
      const session = await mirror.sessionId()
      expect(instances.every((i) => i.owner === session)).toBe(true)

      // one task moves (new port and version), one port goes away; another app appears
      const moved = { ...web2, port: 31009, version: "v2" }
      await mirror.set("/prod/web", [web0, moved])
      await mirror.set("/prod/db", [endpoint("db.1", 0, 32000, { appId: "/prod/db", name: "db.prod.orchestrator" })])
      await eventually(mirror.inSync, 10_000, "the update")
      const after = await reader.instances(root, "web.prod.orchestrator")
      expect(after.map((i) => [i.id, i.json.port, (i.json.payload as Record<string, unknown>).version])).toEqual([
        ["web.1-0", 31000, "v1"],
        ["web.2-0", 31009, "v2"]
      ])
      expect((await reader.instances(root, "db.prod.orchestrator")).map((i) => i.id)).toEqual(["db.1-0"])

      // a removed app leaves nothing behind, not even its service node
      await mirror.remove("/prod/db")
      await eventually(async () => (await reader.children(root)).join() === "web.prod.orchestrator", 10_000, "db gone")
      expect(await mirror.registered()).toEqual([
        `${root}/web.prod.orchestrator/web.1-0`,
        `${root}/web.prod.orchestrator/web.2-0`
      ])

      // releasing the layer deregisters at once (not only when the session ends)
      await Effect.runPromise(Scope.close(mirror.scope, Exit.void))
      expect(await reader.children(`${root}/web.prod.orchestrator`)).toEqual([])
    } finally {
      reader.close()
    }
  })

  it("replaces a node left behind by another session, as Curator does", async () => {
    const root = `${base}/stale`
    const stale = await connectPlain(connectString)
    const reader = await connectPlain(connectString)
    try {
      await stale.createEphemeral(`${root}/web.prod.orchestrator/web.1-0`, JSON.stringify({ stale: true }))
      const mirror = await start(connectString, root)
      await mirror.set("/prod/web", [web0])
      await eventually(mirror.inSync, 10_000, "registration over the stale node")
      const [instance] = await reader.instances(root, "web.prod.orchestrator")
      expect(instance?.owner).toBe(await mirror.sessionId())
      expect(instance?.json).toMatchObject(shape(web0))
    } finally {
      stale.close()
      reader.close()
    }
  })
})

describe.skipIf(fixture === null)("createServiceRegistry (the Promise facade)", () => {
  it("serves, watches and mirrors into ZooKeeper, and cleans up on close", async () => {
    const connectString = fixture?.standalone.connectString ?? ""
    const root = `/orch-discovery-facade-${process.pid}-${Date.now()}`
    const registry = await createServiceRegistry({ zookeeper: { connectString, root, sessionTimeoutMs: 2_000 } })
    const reader = await connectPlain(connectString)
    let url = ""
    try {
      const seen: Array<string> = []
      const stop = registry.watch((event) => seen.push(`${event._tag}:${event.seq}`))
      url = (await registry.serve({ port: 0 })).url
      await eventually(async () => seen.length === 1, 5_000, "the snapshot")
      await registry.set("/prod/web", [web0])
      expect(await registry.lookup("web.prod.orchestrator")).toEqual([web0])
      const answer = await fetch(`${url}/v2/discovery/web.prod.orchestrator`)
      expect(await answer.json()).toEqual({ appId: "/prod/web", name: "web.prod.orchestrator", endpoints: [web0] })
      await eventually(async () => (await reader.children(`${root}/web.prod.orchestrator`)).join() === "web.1-0")
      stop()
      await registry.set("/prod/web", [])
      expect(seen).toEqual(["Snapshot:0", "Changed:1"])
      await expect(registry.set("web", [])).rejects.toMatchObject({ _tag: "InvalidEndpoint", field: "appId" })
    } finally {
      await registry.close()
    }
    expect(await reader.children(`${root}/web.prod.orchestrator`)).toEqual([])
    // the server closed with it
    await expect(
      fetch(`${url}/v2/discovery`).then(
        () => "answered",
        () => "refused"
      )
    ).resolves.toBe("refused")
    reader.close()
  })

  it("rejects with ZooKeeperUnavailable when ZooKeeper cannot be reached", async () => {
    await expect(
      createServiceRegistry({ zookeeper: { connectString: "127.0.0.1:1", root: "/x", connectTimeoutMs: 500 } })
    ).rejects.toMatchObject({ _tag: "ZooKeeperUnavailable", connectString: "127.0.0.1:1" })
  })
})

describe.skipIf(fixture === null)("ZooKeeperRegistration across a session expiry (private server)", () => {
  const server = privateZooKeeperServer("discovery-expiry")

  it("creates every node again in the new session once the old one expired", async () => {
    const connectString = server().connectString
    const root = "/services"
    const mirror = await start(connectString, root, 1_000)
    await mirror.set("/prod/web", [web0, web1, web2])
    await eventually(mirror.inSync, 10_000, "the first registration")
    const before = await mirror.sessionId()

    // a partition longer than the session timeout: the client declares the session expired on its own
    pauseZooKeeperServer(server())
    try {
      await eventually(async () => (await mirror.registered()).length === 0, 5_000, "the expiry")
      // a change while ZooKeeper is unreachable is applied once it is back
      await mirror.set("/prod/web", [web0, web2])
    } finally {
      resumeZooKeeperServer(server())
    }

    const reader = await connectPlain(connectString)
    try {
      let after = 0n
      await eventually(
        async () => {
          if (!(await mirror.inSync())) return false
          after = await mirror.sessionId()
          const instances = await reader.instances(root, "web.prod.orchestrator")
          return instances.map((i) => i.id).join() === "web.1-0,web.2-0" && instances.every((i) => i.owner === after)
        },
        20_000,
        "the nodes in the new session"
      )
      expect(after).not.toBe(before)
      const instances = await reader.instances(root, "web.prod.orchestrator")
      expect(instances.map((i) => i.json).map(({ registrationTimeUTC: _, ...rest }) => rest)).toEqual(
        [web0, web2].map(shape)
      )
      // and they stay: the server's own expiry of the old session removes none of them
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      expect((await reader.instances(root, "web.prod.orchestrator")).map((i) => [i.id, i.owner === after])).toEqual([
        ["web.1-0", true],
        ["web.2-0", true]
      ])
    } finally {
      reader.close()
    }
  }, 60_000)
})
