import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Fiber, Layer, Option, Scope, Stream } from "effect"
import {
  type DiscoveryEvent,
  InvalidEndpoint,
  parseName,
  ServiceRegistry,
  srvName
} from "../../../src/apps/discovery/index.js"
import { endpoint } from "./fixtures.js"

const registry = (options: Parameters<typeof ServiceRegistry.layerWith>[0] = {}) =>
  Layer.build(ServiceRegistry.layerWith(options)).pipe(Effect.map((context) => Context.get(context, ServiceRegistry)))

const take = (stream: Stream.Stream<DiscoveryEvent>, n: number) => Stream.take(stream, n).pipe(Stream.runCollect)

describe("parseName", () => {
  it("maps app ids, DNS-style names and SRV-style names to the app (and port)", () => {
    expect(parseName("/prod/web")).toEqual({ appId: "/prod/web" })
    expect(parseName("prod/web")).toEqual({ appId: "/prod/web" })
    expect(parseName("web.prod.orchestrator")).toEqual({ appId: "/prod/web" })
    expect(parseName("Web.Prod.Orchestrator.")).toEqual({ appId: "/prod/web" })
    expect(parseName("web.prod")).toEqual({ appId: "/prod/web" })
    expect(parseName("_http._tcp.web.prod.orchestrator")).toEqual({
      appId: "/prod/web",
      portName: "http",
      protocol: "tcp"
    })
    expect(parseName("web.prod.example", "example")).toEqual({ appId: "/prod/web" })
    expect(srvName("/prod/web", "http")).toBe("_http._tcp.web.prod.orchestrator")
  })

  it("rejects what is no name", () => {
    expect([parseName(""), parseName("a..b"), parseName("-web.prod"), parseName("/a/../.."), parseName("a b")]).toEqual(
      [undefined, undefined, undefined, undefined, undefined]
    )
  })
})

describe("ServiceRegistry", () => {
  it.effect("looks services up by app id, DNS-style or SRV-style name, port name or port index", () =>
    Effect.gen(function* () {
      const reg = yield* registry()
      const a0 = endpoint("web.1", 0, 31000)
      const a1 = endpoint("web.1", 1, 31001)
      const b0 = endpoint("web.2", 0, 31002, { host: "10.0.0.2", agentId: "agent-2" })
      yield* reg.set("/prod/web", [a0, a1, b0])
      yield* reg.set("/prod/db", [])

      expect(yield* reg.lookup("/prod/web")).toEqual([a0, a1, b0])
      expect(yield* reg.lookup("web.prod.orchestrator")).toEqual([a0, a1, b0])
      expect(yield* reg.lookup("web.prod.orchestrator", "http")).toEqual([a0, b0])
      expect(yield* reg.lookup("web.prod.orchestrator", 1)).toEqual([a1])
      expect(yield* reg.lookup("web.prod.orchestrator", "1")).toEqual([a1])
      expect(yield* reg.lookup("_admin._tcp.web.prod.orchestrator")).toEqual([a1])
      expect(yield* reg.lookup("_admin._udp.web.prod.orchestrator")).toEqual([])
      expect(yield* reg.lookup("/prod/nothing")).toEqual([])
      // a known app without endpoints is not an unknown app
      expect(yield* reg.get("db.prod.orchestrator")).toEqual(
        Option.some({ appId: "/prod/db", name: "db.prod.orchestrator", endpoints: [] })
      )
      expect(yield* reg.get("nothing.prod.orchestrator")).toEqual(Option.none())
      expect((yield* reg.services).map((s) => [s.appId, s.name, s.endpoints.length])).toEqual([
        ["/prod/db", "db.prod.orchestrator", 0],
        ["/prod/web", "web.prod.orchestrator", 3]
      ])
    })
  )

  it.effect("names the field of bad input and keeps its state", () =>
    Effect.gen(function* () {
      const reg = yield* registry()
      const ok = endpoint("web.1", 0, 31000)
      yield* reg.set("/prod/web", [ok])
      const duplicate = yield* Effect.flip(reg.set("/prod/web", [ok, { ...ok, port: 31005 }]))
      expect(duplicate).toEqual(
        new InvalidEndpoint({
          appId: "/prod/web",
          field: "endpoints[1]",
          reason: "task web.1 port index 0 is listed twice"
        })
      )
      const badPort = yield* Effect.flip(reg.set("/prod/web", [{ ...ok, port: 70_000 }]))
      expect([badPort.field, badPort.reason]).toEqual(["endpoints[0].port", "Expected a value between 1 and 65535"])
      const noHost = yield* Effect.flip(reg.set("/prod/web", [{ ...ok, host: "" }]))
      expect(noHost.message).toBe(
        'discovery: app "/prod/web": invalid endpoints[0].host: Expected a value with a length of at least 1'
      )
      const badId = yield* Effect.flip(reg.set("web", [ok]))
      expect(badId.field).toBe("appId")
      expect(badId.message).toBe('discovery: app "web": invalid appId: expects an app path like /prod/web')
      expect(yield* reg.lookup("/prod/web")).toEqual([ok])
      expect(yield* reg.seq).toBe(1)
    })
  )

  it.effect("a watch gets a snapshot, then numbered changes in order with only what was added and removed", () =>
    Effect.gen(function* () {
      const reg = yield* registry()
      const a = endpoint("web.1", 0, 31000)
      const b = endpoint("web.2", 0, 31002)
      yield* reg.set("/prod/web", [a])
      const events = yield* Effect.forkChild(take(reg.watch(), 5))
      yield* Effect.yieldNow
      while ((yield* reg.watchers) === 0) yield* Effect.yieldNow
      yield* reg.set("/prod/web", [a, b])
      yield* reg.set("/prod/web", [a, b]) // no change, no event
      const moved = { ...b, port: 31009, version: "v2" }
      yield* reg.set("/prod/web", [a, moved])
      yield* reg.set("/prod/db", [])
      yield* reg.remove("/prod/web")
      expect(yield* Fiber.join(events)).toEqual([
        {
          _tag: "Snapshot",
          seq: 1,
          services: [{ appId: "/prod/web", name: "web.prod.orchestrator", endpoints: [a] }]
        },
        {
          _tag: "Changed",
          seq: 2,
          appId: "/prod/web",
          name: "web.prod.orchestrator",
          change: "updated",
          added: [b],
          removed: []
        },
        {
          _tag: "Changed",
          seq: 3,
          appId: "/prod/web",
          name: "web.prod.orchestrator",
          change: "updated",
          added: [moved],
          removed: [b]
        },
        {
          _tag: "Changed",
          seq: 4,
          appId: "/prod/db",
          name: "db.prod.orchestrator",
          change: "created",
          added: [],
          removed: []
        },
        {
          _tag: "Changed",
          seq: 5,
          appId: "/prod/web",
          name: "web.prod.orchestrator",
          change: "deleted",
          added: [],
          removed: [a, moved]
        }
      ])
      expect(yield* reg.watchers).toBe(0)
    })
  )

  it.effect("a filtered watch sees only its service and port", () =>
    Effect.gen(function* () {
      const reg = yield* registry()
      const http = endpoint("web.1", 0, 31000)
      const admin = endpoint("web.1", 1, 31001)
      const events = yield* Effect.forkChild(take(reg.watch({ name: "_http._tcp.web.prod.orchestrator" }), 3))
      while ((yield* reg.watchers) === 0) yield* Effect.yieldNow
      yield* reg.set("/prod/db", [endpoint("db.1", 0, 32000, { appId: "/prod/db" })])
      yield* reg.set("/prod/web", [http, admin])
      yield* reg.set("/prod/web", [http]) // only the admin port changed: nothing for this watcher
      yield* reg.remove("/prod/web")
      const seen = yield* Fiber.join(events)
      expect(seen.map((e) => [e._tag, e.seq])).toEqual([
        ["Snapshot", 0],
        ["Changed", 2],
        ["Changed", 4]
      ])
      expect(seen[1]).toMatchObject({ change: "created", added: [http], removed: [] })
      expect(seen[2]).toMatchObject({ change: "deleted", added: [], removed: [http] })
    })
  )

  it.effect("resumes after a seq the history still holds, otherwise starts with a snapshot", () =>
    Effect.gen(function* () {
      const reg = yield* registry({ historySize: 3 })
      for (let i = 1; i <= 6; i++) yield* reg.set("/prod/web", [endpoint(`web.${i}`, 0, 31000 + i)])
      // history: seq 4, 5, 6
      const resumed = yield* take(reg.watch({ since: 3 }), 3)
      expect(resumed.map((e) => [e._tag, e.seq])).toEqual([
        ["Changed", 4],
        ["Changed", 5],
        ["Changed", 6]
      ])
      expect(resumed[0]).toMatchObject({ added: [endpoint("web.4", 0, 31004)], removed: [endpoint("web.3", 0, 31003)] })
      // fully caught up: nothing to replay, then the next change
      const caughtUp = yield* Effect.forkChild(take(reg.watch({ since: 6 }), 1))
      while ((yield* reg.watchers) === 0) yield* Effect.yieldNow
      yield* reg.set("/prod/web", [])
      expect((yield* Fiber.join(caughtUp)).map((e) => [e._tag, e.seq])).toEqual([["Changed", 7]])
      // too old, or from the future (another registry): a snapshot
      for (const since of [2, 99, -1]) {
        const [first] = yield* take(reg.watch({ since }), 1)
        expect(first).toEqual({
          _tag: "Snapshot",
          seq: 7,
          services: [{ appId: "/prod/web", name: "web.prod.orchestrator", endpoints: [] }]
        })
      }
    })
  )

  it.live(
    "drops a watcher that falls more than its buffer behind, with a final event, and forgets it",
    () =>
      Effect.gen(function* () {
        const reg = yield* registry({ bufferSize: 4 })
        // a watcher that reads nothing (busy with the snapshot) while 50 changes happen
        const slow = yield* Effect.forkChild(
          Stream.runCollect(
            reg
              .watch()
              .pipe(Stream.tap((event) => (event._tag === "Snapshot" ? Effect.sleep("50 millis") : Effect.void)))
          )
        )
        while ((yield* reg.watchers) === 0) yield* Effect.yieldNow
        for (let i = 1; i <= 50; i++) yield* reg.set("/prod/web", [endpoint(`web.${i}`, 0, 31000 + i)])
        expect(yield* reg.watchers).toBe(0)
        const seen = yield* Fiber.join(slow)
        // the snapshot, the 4 buffered changes, then Dropped naming the last delivered seq; the stream ended
        expect(seen.map((e) => [e._tag, e.seq])).toEqual([
          ["Snapshot", 0],
          ["Changed", 1],
          ["Changed", 2],
          ["Changed", 3],
          ["Changed", 4],
          ["Dropped", 4]
        ])
        expect(seen[5]).toMatchObject({ reason: "more than 4 events were waiting for this watcher; watch again" })
      }),
    { timeout: 10_000 }
  )

  it.effect("ends open watches when the registry is released", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const reg = yield* Layer.buildWithScope(ServiceRegistry.layer, scope).pipe(
        Effect.map((context) => Context.get(context, ServiceRegistry))
      )
      const events = yield* Effect.forkChild(Stream.runCollect(reg.watch()))
      while ((yield* reg.watchers) === 0) yield* Effect.yieldNow
      yield* Scope.close(scope, Exit.void)
      expect(yield* Fiber.join(events)).toEqual([{ _tag: "Snapshot", seq: 0, services: [] }])
    })
  )
})
