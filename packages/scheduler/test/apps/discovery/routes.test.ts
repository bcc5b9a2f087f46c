import { afterEach, describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Scope, Stream } from "effect"
import { discoveryRoutes, type RegistryOptions, ServiceRegistry } from "../../../src/apps/discovery/index.js"
import { maxStreamBacklogBytes, serve } from "../../../src/cluster/http/HttpServer.js"
import { openSse, type SseClient } from "./sseClient.js"
import { endpoint } from "./fixtures.js"

interface Running {
  readonly registry: ServiceRegistry["Service"]
  readonly url: string
  readonly set: (appId: string, endpoints: Parameters<ServiceRegistry["Service"]["set"]>[1]) => Promise<void>
}

const open: Array<{ close: () => Promise<void> }> = []
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close()
})

/** A registry served by the cluster's real HttpServer on a free port. */
const start = async (
  options: RegistryOptions = {},
  heartbeatMs = 15_000,
  knownApp?: (appId: string) => Effect.Effect<boolean>
): Promise<Running> => {
  const scope = await Effect.runPromise(Scope.make())
  open.push({ close: () => Effect.runPromise(Scope.close(scope, Exit.void)) })
  const registry = await Effect.runPromise(
    Layer.buildWithScope(ServiceRegistry.layerWith(options), scope).pipe(
      Effect.map((context) => Context.get(context, ServiceRegistry))
    )
  )
  const { port } = await Effect.runPromise(
    Scope.provide(scope)(
      serve({
        host: "127.0.0.1",
        port: 0,
        routes: discoveryRoutes(registry, { heartbeatMs, ...(knownApp === undefined ? {} : { knownApp }) })
      })
    )
  )
  return {
    registry,
    url: `http://127.0.0.1:${port}`,
    set: (appId, endpoints) => Effect.runPromise(registry.set(appId, endpoints))
  }
}

const sse = async (url: string, headers?: Record<string, string>): Promise<SseClient> => {
  const client = await openSse(url, headers)
  open.push({ close: async () => client.close() })
  return client
}

const json = async (url: string) => {
  const answer = await fetch(url)
  return { status: answer.status, body: (await answer.json()) as unknown }
}

const web0 = endpoint("web.1", 0, 31000)
const web1 = endpoint("web.1", 1, 31001)
const web2 = endpoint("web.2", 0, 31002, { host: "10.0.0.2" })
const db0 = endpoint("db.1", 0, 32000, { appId: "/prod/db", name: "db.prod.orchestrator" })

describe("discovery routes over the cluster HttpServer", () => {
  it("answer an existing app without healthy tasks with 200 and no endpoints; 404 only for unknown names", async () => {
    const { url, set } = await start({}, 15_000, (appId) => Effect.succeed(appId === "/prod/idle"))
    await set("/prod/web", [web0])
    expect(await json(`${url}/v2/discovery/idle.prod.orchestrator`)).toEqual({
      status: 200,
      body: { appId: "/prod/idle", name: "idle.prod.orchestrator", endpoints: [] }
    })
    expect((await json(`${url}/v2/discovery/${encodeURIComponent("/prod/idle")}?port=0`)).status).toBe(200)
    expect(await json(`${url}/v2/discovery/gone.prod.orchestrator`)).toEqual({
      status: 404,
      body: { error: "NotFound", message: 'unknown service "gone.prod.orchestrator"' }
    })
    expect((await json(`${url}/v2/discovery/web.prod.orchestrator`)).status).toBe(200)
  })

  it("answer services by DNS-style and SRV-style name, app id and port; 404 and 400 name the problem", async () => {
    const { registry, url, set } = await start()
    await set("/prod/web", [web0, web1, web2])
    await set("/prod/db", [db0])

    const all = await json(`${url}/v2/discovery`)
    expect(all).toEqual({
      status: 200,
      body: {
        epoch: registry.epoch,
        seq: 2,
        services: [
          { appId: "/prod/db", name: "db.prod.orchestrator", endpoints: [db0] },
          { appId: "/prod/web", name: "web.prod.orchestrator", endpoints: [web0, web1, web2] }
        ]
      }
    })
    const web = { appId: "/prod/web", name: "web.prod.orchestrator" }
    expect(await json(`${url}/v2/discovery/web.prod.orchestrator`)).toEqual({
      status: 200,
      body: { ...web, endpoints: [web0, web1, web2] }
    })
    expect(await json(`${url}/v2/discovery/web.prod.orchestrator?port=http`)).toEqual({
      status: 200,
      body: { ...web, endpoints: [web0, web2] }
    })
    expect(await json(`${url}/v2/discovery/_admin._tcp.web.prod.orchestrator`)).toEqual({
      status: 200,
      body: { ...web, endpoints: [web1] }
    })
    expect(await json(`${url}/v2/discovery/${encodeURIComponent("/prod/web")}?port=1`)).toEqual({
      status: 200,
      body: { ...web, endpoints: [web1] }
    })
    expect(await json(`${url}/v2/discovery/api.prod.orchestrator`)).toEqual({
      status: 404,
      body: { error: "NotFound", message: 'unknown service "api.prod.orchestrator"' }
    })
    const bad = await json(`${url}/v2/discovery/not..a..name`)
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ error: "InvalidRequest" })
    expect(JSON.stringify(bad.body)).toContain('invalid name: \\"not..a..name\\" is not an app id')
  })

  it("streams a snapshot, then the changes in order, as server-sent events with ids; heartbeats when idle", async () => {
    const { registry, url, set } = await start({}, 150)
    await set("/prod/web", [web0])
    const client = await sse(`${url}/v2/discovery/watch`)
    expect([client.status, client.contentType]).toEqual([200, "text/event-stream"])
    const snapshot = await client.next()
    expect(snapshot).toEqual({
      id: `${registry.epoch}:1`,
      event: "snapshot",
      data: JSON.stringify({
        _tag: "Snapshot",
        seq: 1,
        services: [{ appId: "/prod/web", name: "web.prod.orchestrator", endpoints: [web0] }]
      })
    })
    await set("/prod/web", [web0, web2])
    await set("/prod/db", [db0])
    await set("/prod/web", [web2])
    const changes = [await client.next(), await client.next(), await client.next()]
    expect(changes.map((e) => [e.id, e.event])).toEqual([
      [`${registry.epoch}:2`, "changed"],
      [`${registry.epoch}:3`, "changed"],
      [`${registry.epoch}:4`, "changed"]
    ])
    expect(changes.map((e) => JSON.parse(e.data) as unknown)).toEqual([
      {
        _tag: "Changed",
        seq: 2,
        appId: "/prod/web",
        name: "web.prod.orchestrator",
        change: "updated",
        added: [web2],
        removed: []
      },
      {
        _tag: "Changed",
        seq: 3,
        appId: "/prod/db",
        name: "db.prod.orchestrator",
        change: "created",
        added: [db0],
        removed: []
      },
      {
        _tag: "Changed",
        seq: 4,
        appId: "/prod/web",
        name: "web.prod.orchestrator",
        change: "updated",
        added: [],
        removed: [web0]
      }
    ])
    expect(await client.nextComment(2_000)).toBe("heartbeat")
    client.close()
    await client.closed
    // the server let go of the watcher
    for (let i = 0; i < 100 && (await Effect.runPromise(registry.watchers)) > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(await Effect.runPromise(registry.watchers)).toBe(0)
  })

  it("filters the stream by name (and port)", async () => {
    const { url, set } = await start()
    const client = await sse(`${url}/v2/discovery/watch?name=db.prod.orchestrator`)
    expect(JSON.parse((await client.next()).data)).toEqual({ _tag: "Snapshot", seq: 0, services: [] })
    await set("/prod/web", [web0])
    await set("/prod/db", [db0])
    await set("/prod/web", [web0, web2])
    await set("/prod/db", [])
    const [created, emptied] = [await client.next(), await client.next()]
    expect([JSON.parse(created.data), JSON.parse(emptied.data)]).toMatchObject([
      { seq: 2, appId: "/prod/db", change: "created", added: [db0] },
      { seq: 4, appId: "/prod/db", change: "updated", removed: [db0] }
    ])
    const ports = await sse(`${url}/v2/discovery/watch?name=web.prod.orchestrator&port=admin`)
    expect(JSON.parse((await ports.next()).data)).toEqual({
      _tag: "Snapshot",
      seq: 4,
      services: [{ appId: "/prod/web", name: "web.prod.orchestrator", endpoints: [] }]
    })
    await set("/prod/web", [web0, web1, web2])
    expect(JSON.parse((await ports.next()).data)).toMatchObject({ seq: 5, added: [web1], removed: [] })
    const bad = await fetch(`${url}/v2/discovery/watch?name=..`)
    expect(bad.status).toBe(400)
  })

  it("resumes after the last event id when the history has it, and sends a fresh snapshot when not", async () => {
    const { registry, url, set } = await start({ historySize: 2 })
    await set("/prod/web", [web0])
    const first = await sse(`${url}/v2/discovery/watch`)
    const last = await first.next()
    first.close()
    await set("/prod/web", [web0, web2])
    await set("/prod/db", [db0])

    // reconnecting with the last id seen: the two changes missed, no snapshot
    const resumed = await sse(`${url}/v2/discovery/watch?lastEventId=${encodeURIComponent(last.id ?? "")}`)
    expect([(await resumed.next()).id, (await resumed.next()).id]).toEqual([
      `${registry.epoch}:2`,
      `${registry.epoch}:3`
    ])
    await set("/prod/web", [web2])
    expect((await resumed.next()).id).toBe(`${registry.epoch}:4`)

    // seq 1 has left the 2-event history: a snapshot as of seq 4
    const tooOld = await sse(`${url}/v2/discovery/watch?lastEventId=${registry.epoch}:1`)
    expect(await tooOld.next()).toMatchObject({ id: `${registry.epoch}:4`, event: "snapshot" })
    // an id of another registry (a restarted scheduler): a snapshot
    const otherEpoch = await sse(`${url}/v2/discovery/watch?lastEventId=abcdef:3`)
    expect(await otherEpoch.next()).toMatchObject({ id: `${registry.epoch}:4`, event: "snapshot" })
  })

  it("reads Last-Event-ID from the request headers when the server passes them", async () => {
    const { registry, set } = await start()
    await set("/prod/web", [web0])
    await set("/prod/web", [web0, web2])
    const watch = discoveryRoutes(registry).find((route) => route.pattern === "/v2/discovery/watch")
    const request = {
      method: "GET",
      path: "/v2/discovery/watch",
      params: {},
      query: new URLSearchParams(),
      body: undefined,
      headers: { "last-event-id": `${registry.epoch}:1` }
    }
    const response = await Effect.runPromise(watch!.handle(request))
    const [first] = await Effect.runPromise(Stream.runCollect(Stream.take(response.stream!, 1)))
    expect(first).toMatch(new RegExp(`^id: ${registry.epoch}:2\nevent: changed\n`))
  })

  it("ends the response after a final dropped event when the registry gives up on a watcher", async () => {
    const { registry, url } = await start({ bufferSize: 4 })
    const client = await sse(`${url}/v2/discovery/watch`)
    await client.next()
    // 20 changes in one go: the writer gets no turn in between, so 4 wait and the rest overflow
    await Effect.runPromise(
      Effect.forEach(
        Array.from({ length: 20 }, (_, i) => i),
        (i) => registry.set("/prod/web", [endpoint(`web.${i}`, 0, 31000 + i)])
      )
    )
    await client.closed
    expect(client.events.slice(1).map((e) => [e.event, e.id])).toEqual([
      ["changed", `${registry.epoch}:1`],
      ["changed", `${registry.epoch}:2`],
      ["changed", `${registry.epoch}:3`],
      ["changed", `${registry.epoch}:4`],
      ["dropped", `${registry.epoch}:4`]
    ])
    expect(JSON.parse(client.events[5]?.data ?? "")).toEqual({
      _tag: "Dropped",
      seq: 4,
      reason: "more than 4 events were waiting for this watcher; watch again"
    })
  })

  it("drops a client that stops reading once its bounded buffer is full, and tells it so", async () => {
    const { registry, url, set } = await start({ historySize: 4, bufferSize: 100 })
    const client = await sse(`${url}/v2/discovery/watch`)
    await client.next()
    client.pause()
    // 100 endpoints replaced on every change: each event is ~34 KB of JSON
    const many = (version: string) =>
      Array.from({ length: 100 }, (_, i) => endpoint(`web.${i}`, 0, 31000 + i, { version }))
    let published = 0
    while (published < 2_000 && (await Effect.runPromise(registry.watchers)) > 0) {
      await set("/prod/web", many(`v${published}`))
      published++
      if (published % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    const eventBytes = JSON.stringify(
      (await Effect.runPromise(registry.watch({ since: published - 1 }).pipe(Stream.take(1), Stream.runCollect)))[0]
    ).length
    expect(eventBytes).toBeGreaterThan(30_000)
    // the server waits for the reader (socket backpressure), so the registry's per-watcher buffer (100 events)
    // fills and the watcher is dropped: what was produced for it is that buffer plus what the sockets hold
    expect(await Effect.runPromise(registry.watchers)).toBe(0)
    expect(published).toBeGreaterThan(100)
    expect(published * eventBytes).toBeLessThan(100 * eventBytes + maxStreamBacklogBytes)
    client.resume()
    await client.closed
    // what reached the client is a prefix of the stream, ended by the event that says it was dropped
    expect(client.events.at(-1)?.event).toBe("dropped")
    expect(client.received()).toBeLessThan(published * eventBytes)
    // later changes cost nothing for the dropped client
    await set("/prod/web", [])
    expect(await Effect.runPromise(registry.watchers)).toBe(0)
  }, 60_000)
})
