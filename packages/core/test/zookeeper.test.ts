import { describe, expect, it, layer } from "@effect/vitest"
import {
  type NodeData,
  type SessionState,
  ZooKeeperClient,
  type ZooKeeperClientOptions,
  ZooKeeperError,
  ZooKeeperUnavailable
} from "@orchestrator/core/zookeeper"
import { Context, Effect, Fiber, Layer, Option, Queue, Ref, Schedule, Stream } from "effect"
import { afterAll, beforeAll } from "vitest"
import {
  fourLetterWord,
  pauseZooKeeperServer,
  removeZooKeeperServer,
  restartZooKeeperServer,
  resumeZooKeeperServer,
  serverMode,
  startZooKeeperServer,
  stopZooKeeperServer,
  type ZooKeeperServerInfo,
  waitForQuorum,
  zookeeperFixture
} from "../../../test/fixtures/index.js"
import { freePorts } from "../../../test/fixtures/process.js"

const fixture = zookeeperFixture()
const decode = (data: Uint8Array) => new TextDecoder().decode(data)
const base = `/orch-core-test-${process.pid}-${Date.now()}`

/** The client's view of the shared server, built once per suite. */
type Client = ZooKeeperClient["Service"]

/** A unique subtree for one test, removed when the test's scope closes. */
const sandbox = (name: string) =>
  Effect.gen(function* () {
    const zk = yield* ZooKeeperClient
    const root = `${base}/${name}`
    yield* Effect.acquireRelease(zk.mkdirp(root), () => zk.removeRecursive(root).pipe(Effect.ignore))
    return root
  })

/** Builds a client into the current scope (closed when the test ends). */
const open = (options: ZooKeeperClientOptions) =>
  Layer.build(ZooKeeperClient.layer(options)).pipe(Effect.map((context) => Context.get(context, ZooKeeperClient)))

/** Records every state a client goes through, from the current one on. */
const recordStates = (zk: Client) =>
  Effect.gen(function* () {
    const seen = yield* Ref.make<ReadonlyArray<SessionState>>([])
    yield* zk.stateChanges.pipe(
      Stream.runForEach((state) => Ref.update(seen, (states) => [...states, state])),
      Effect.forkScoped
    )
    yield* Effect.yieldNow
    return seen
  })

const awaitState = (zk: Client, state: SessionState, timeoutMs: number) =>
  zk.stateChanges.pipe(
    Stream.filter((s) => s === state),
    Stream.runHead,
    Effect.timeoutOrElse({
      duration: timeoutMs,
      orElse: () => Effect.die(new Error(`no "${state}" within ${timeoutMs} ms`))
    })
  )

/** Which server of an ensemble holds the session (`cons` lists `sid=0x...` per connection). */
const serverHolding = (servers: ReadonlyArray<ZooKeeperServerInfo>, sessionId: bigint) =>
  Effect.promise(async () => {
    const sid = `sid=0x${sessionId.toString(16)}`
    for (const server of servers) {
      const cons = await fourLetterWord(server.clientPort, "cons").catch(() => "")
      if (cons.includes(sid)) return server
    }
    return undefined
  })

describe("ZooKeeperClient.layer", () => {
  it.live("fails with ZooKeeperUnavailable when no server accepts a session in time", () =>
    Effect.gen(function* () {
      const [port] = yield* Effect.promise(() => freePorts(1))
      const connectString = `127.0.0.1:${port}`
      const error = yield* Effect.flip(
        Effect.gen(function* () {
          return yield* ZooKeeperClient
        }).pipe(Effect.provide(ZooKeeperClient.layer({ connectString, connectTimeoutMs: 500 })))
      )
      expect(error).toBeInstanceOf(ZooKeeperUnavailable)
      expect({ ...error }).toEqual({
        _tag: "ZooKeeperUnavailable",
        connectString,
        reason: "no session established within 500 ms"
      })
    })
  )
})

describe.skipIf(fixture === null)("ZooKeeperClient against a standalone server", () => {
  const connectString = fixture?.standalone.connectString ?? ""

  layer(ZooKeeperClient.layer({ connectString, sessionTimeoutMs: 2_000 }), { excludeTestServices: true })((it) => {
    it.effect("connects and reports the negotiated session", () =>
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        expect(yield* zk.state).toBe("connected")
        const session = Option.getOrThrow(yield* zk.session)
        expect(session.timeoutMs).toBe(2_000)
        expect(session.generation).toBe(0)
        expect(session.id > 0n).toBe(true)
        expect(zk.connectString).toBe(connectString)
      })
    )

    it.effect("creates, reads, updates and removes nodes with versions and stats", () =>
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        const root = yield* sandbox("crud")
        const before = Date.now()
        const path = yield* zk.create(`${root}/config`, "v1")
        expect(path).toBe(`${root}/config`)

        const first = yield* zk.getData(path)
        expect(decode(first.data)).toBe("v1")
        expect(first.stat).toMatchObject({ version: 0, dataLength: 2, numChildren: 0, ephemeralOwner: 0n })
        expect(first.stat.czxid).toBe(first.stat.mzxid)
        expect(first.stat.ctime).toBeGreaterThanOrEqual(before - 1_000)
        expect(first.stat.mtime).toBe(first.stat.ctime)

        const updated = yield* zk.setData(path, new TextEncoder().encode("v2"), 0)
        expect(updated).toMatchObject({ version: 1, dataLength: 2, czxid: first.stat.czxid })
        expect(updated.mzxid > first.stat.mzxid).toBe(true)
        expect(decode((yield* zk.getData(path)).data)).toBe("v2")

        const stale = yield* Effect.flip(zk.setData(path, "v3", 0))
        expect(stale).toBeInstanceOf(ZooKeeperError)
        expect({ ...stale }).toEqual({
          _tag: "ZooKeeperError",
          code: "BAD_VERSION",
          operation: "setData",
          path,
          reason: ""
        })
        expect(stale.message).toBe(`ZooKeeper setData ${path} failed: BAD_VERSION`)

        expect(Option.map(yield* zk.exists(path), (stat) => stat.version)).toEqual(Option.some(1))
        expect(yield* zk.exists(`${root}/missing`)).toEqual(Option.none())

        const duplicate = yield* Effect.flip(zk.create(path))
        expect([duplicate.code, duplicate.operation]).toEqual(["NODE_EXISTS", "create"])

        yield* zk.create(`${path}/b`)
        yield* zk.create(`${path}/a`, new Uint8Array([0, 1, 2]))
        expect(yield* zk.getChildren(path)).toEqual(["a", "b"])
        expect((yield* zk.getData(`${path}/a`)).data).toEqual(new Uint8Array([0, 1, 2]))
        expect((yield* zk.getData(`${path}/b`)).data).toEqual(new Uint8Array(0))
        expect(Option.map(yield* zk.exists(path), (stat) => stat.numChildren)).toEqual(Option.some(2))

        const notEmpty = yield* Effect.flip(zk.remove(path))
        expect(notEmpty.code).toBe("NOT_EMPTY")
        const wrongVersion = yield* Effect.flip(zk.remove(`${path}/a`, 7))
        expect(wrongVersion.code).toBe("BAD_VERSION")
        yield* zk.remove(`${path}/a`, 0)
        yield* zk.removeRecursive(path)
        const gone = yield* Effect.flip(zk.getData(path))
        expect({ ...gone }).toEqual({ _tag: "ZooKeeperError", code: "NO_NODE", operation: "getData", path, reason: "" })
        expect(gone.isConnectionError).toBe(false)
        yield* zk.removeRecursive(path)
      })
    )

    it.effect("creates ephemeral and sequential nodes", () =>
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        const root = yield* sandbox("modes")
        const session = Option.getOrThrow(yield* zk.session)

        const ephemeral = yield* zk.create(`${root}/lock`, "me", { mode: "ephemeral" })
        expect(Option.map(yield* zk.exists(ephemeral), (stat) => stat.ephemeralOwner)).toEqual(Option.some(session.id))
        const noChildren = yield* Effect.flip(zk.create(`${ephemeral}/child`))
        expect(noChildren.code).toBe("NO_CHILDREN_FOR_EPHEMERALS")

        const first = yield* zk.create(`${root}/job-`, "", { mode: "persistentSequential" })
        const second = yield* zk.create(`${root}/job-`, "", { mode: "ephemeralSequential" })
        expect(first).toMatch(new RegExp(`^${root}/job-\\d{10}$`))
        expect(second > first).toBe(true)
        expect(Option.map(yield* zk.exists(second), (stat) => stat.ephemeralOwner)).toEqual(Option.some(session.id))
      })
    )

    it.effect("reports invalid paths as BAD_ARGUMENTS", () =>
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        const error = yield* Effect.flip(zk.getData("no-leading-slash"))
        expect([error.code, error.operation, error.path]).toEqual(["BAD_ARGUMENTS", "getData", "no-leading-slash"])
        expect(error.reason).not.toBe("")
      })
    )

    it.effect("removes a session's ephemeral nodes when its layer is released", () =>
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        const root = yield* sandbox("release")
        yield* Effect.gen(function* () {
          const other = yield* ZooKeeperClient
          yield* other.create(`${root}/member`, "", { mode: "ephemeral" })
        }).pipe(Effect.provide(ZooKeeperClient.layer({ connectString, sessionTimeoutMs: 2_000 })))
        expect(yield* zk.exists(`${root}/member`)).toEqual(Option.none())
      })
    )

    it.effect("watches a node's data through creation, changes and deletion", () =>
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        const root = yield* sandbox("watch-data")
        const path = `${root}/leader`
        const seen = yield* Queue.unbounded<Option.Option<NodeData>>()
        yield* zk.watchData(path).pipe(
          Stream.runForEach((value) => Queue.offer(seen, value)),
          Effect.forkScoped
        )
        const next = Queue.take(seen).pipe(
          Effect.map(Option.map((node) => [decode(node.data), node.stat.version] as const))
        )
        expect(yield* next).toEqual(Option.none())
        yield* zk.create(path, "a")
        expect(yield* next).toEqual(Option.some(["a", 0]))
        yield* zk.setData(path, "b")
        expect(yield* next).toEqual(Option.some(["b", 1]))
        yield* zk.remove(path)
        expect(yield* next).toEqual(Option.none())
        yield* zk.create(path, "c")
        expect(yield* next).toEqual(Option.some(["c", 0]))
      })
    )

    it.effect("watches a node's children, reading a missing node as empty", () =>
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        const root = yield* sandbox("watch-children")
        const path = `${root}/members`
        const seen = yield* Queue.unbounded<ReadonlyArray<string>>()
        const fiber = yield* zk.watchChildren(path).pipe(
          Stream.runForEach((value) => Queue.offer(seen, value)),
          Effect.forkScoped
        )
        expect(yield* Queue.take(seen)).toEqual([])
        yield* zk.create(path)
        yield* zk.create(`${path}/b`)
        // creating the parent without children is no change for this stream
        expect(yield* Queue.take(seen)).toEqual(["b"])
        yield* zk.create(`${path}/a`)
        expect(yield* Queue.take(seen)).toEqual(["a", "b"])
        yield* zk.remove(`${path}/b`)
        expect(yield* Queue.take(seen)).toEqual(["a"])
        yield* Fiber.interrupt(fiber)
      })
    )
  })
})

describe.skipIf(fixture === null)("ZooKeeperClient session expiry (private server paused with SIGSTOP)", () => {
  let server: ZooKeeperServerInfo | undefined
  beforeAll(async () => {
    server = await startZooKeeperServer({ name: "core-expiry" })
  })
  afterAll(async () => {
    if (server !== undefined) await removeZooKeeperServer(server)
  })

  it.live(
    "reports disconnected, then expired after the session timeout, then a new session once the server answers",
    () =>
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        const resilient = zk
        const strict = yield* open({
          connectString: server!.connectString,
          sessionTimeoutMs: 1_000,
          reconnectOnExpiry: false
        })
        const states = yield* recordStates(resilient)
        const old = Option.getOrThrow(yield* resilient.session)
        expect(old.timeoutMs).toBe(1_000)
        yield* resilient.mkdirp("/expiry")
        yield* resilient.create("/expiry/ephemeral", "", { mode: "ephemeral" })
        yield* resilient.create("/expiry/watched", "before")
        const watched = yield* Queue.unbounded<string>()
        yield* resilient.watchData("/expiry/watched").pipe(
          Stream.runForEach((node) =>
            Queue.offer(watched, Option.match(node, { onNone: () => "", onSome: (n) => decode(n.data) }))
          ),
          Effect.forkScoped
        )
        expect(yield* Queue.take(watched)).toBe("before")

        // states from the pause on (a CPU stall on a busy machine may cause an earlier flap; not our subject)
        const before = (yield* Ref.get(states)).length
        const since = Ref.get(states).pipe(Effect.map((seen) => seen.slice(before)))
        const pausedAt = Date.now()
        yield* Effect.acquireRelease(
          Effect.sync(() => pauseZooKeeperServer(server!)),
          () => Effect.sync(() => resumeZooKeeperServer(server!))
        )
        yield* awaitState(resilient, "expired", 5_000)
        const expiredAfter = Date.now() - pausedAt
        // expiry is measured from the last answer (a heartbeat every third of the timeout), so it fires
        // between 2/3 and 1 1/3 of the session timeout after the pause, never long after
        expect(expiredAfter).toBeGreaterThanOrEqual(600)
        expect(expiredAfter).toBeLessThan(2_500)
        expect(yield* since).toEqual(["disconnected", "expired"])
        expect(yield* resilient.session).toEqual(Option.none())

        yield* awaitState(strict, "expired", 3_000)
        const failed = yield* Effect.flip(strict.getData("/expiry/watched"))
        expect([failed.code, failed.isConnectionError]).toEqual(["SESSION_EXPIRED", true])

        // the server stays paused well past the timeout: no answer, so no new session yet
        yield* Effect.sleep("500 millis")
        expect(yield* resilient.state).toBe("expired")

        resumeZooKeeperServer(server!)
        yield* awaitState(resilient, "connected", 10_000)
        const renewed = Option.getOrThrow(yield* resilient.session)
        expect(renewed.generation).toBe(1)
        expect(renewed.id).not.toBe(old.id)
        expect(yield* since).toEqual(["disconnected", "expired", "connected"])

        // the watch was set again on the new session
        yield* resilient.setData("/expiry/watched", "after")
        expect(yield* Queue.take(watched)).toBe("after")
        // the server expires the old session (and its ephemeral node) on its own clock
        yield* resilient.exists("/expiry/ephemeral").pipe(
          Effect.flatMap((stat) => (Option.isSome(stat) ? Effect.fail("still there") : Effect.void)),
          Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo({ times: 50 })))
        )
        expect(yield* strict.state).toBe("expired")
      }).pipe(
        Effect.provide(ZooKeeperClient.layer({ connectString: server?.connectString ?? "", sessionTimeoutMs: 1_000 }))
      ),
    30_000
  )
})

describe.skipIf(fixture === null)("ZooKeeperClient against the ensemble", () => {
  it.live(
    "keeps its session and keeps working when the follower it is connected to is killed",
    () =>
      Effect.gen(function* () {
        const ensemble = fixture!.ensemble
        const { followers } = yield* Effect.promise(() => waitForQuorum(ensemble, 30_000))
        expect(followers).toHaveLength(2)

        // the driver shuffles the connect string: open clients until one sits on a follower
        let zk: Client | undefined
        let victim: ZooKeeperServerInfo | undefined
        for (let attempt = 0; attempt < 10 && victim === undefined; attempt++) {
          const candidate = yield* open({ connectString: ensemble.connectString, sessionTimeoutMs: 2_000 })
          const session = Option.getOrThrow(yield* candidate.session)
          const holder = yield* serverHolding(ensemble.servers, session.id)
          if (holder !== undefined && (yield* Effect.promise(() => serverMode(holder))) === "follower") {
            zk = candidate
            victim = holder
          }
        }
        if (zk === undefined || victim === undefined) throw new Error("no client landed on a follower")
        const client = zk
        const killed = victim

        const states = yield* recordStates(client)
        const session = Option.getOrThrow(yield* client.session)
        const path = `/orch-core-failover-${process.pid}-${Date.now()}`
        yield* Effect.acquireRelease(client.create(path, "before"), () =>
          client.removeRecursive(path).pipe(Effect.ignore)
        )

        const before = (yield* Ref.get(states)).length
        yield* Effect.acquireRelease(
          Effect.promise(() => stopZooKeeperServer(killed)),
          () => Effect.promise(() => restartZooKeeperServer(killed).then(() => waitForQuorum(ensemble, 60_000)))
        )
        // the driver moves to another server within milliseconds, so read the recorded history
        const since = yield* Ref.get(states).pipe(
          Effect.map((seen) => seen.slice(before)),
          Effect.flatMap((seen) => (seen.at(-1) === "connected" ? Effect.succeed(seen) : Effect.fail("not yet"))),
          Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo({ times: 200 })))
        )
        expect(since).toEqual(["disconnected", "connected"])
        expect(yield* client.session).toEqual(Option.some({ ...session }))
        const stat = yield* client.setData(path, "after")
        expect(stat.version).toBe(1)
        expect(decode((yield* client.getData(path)).data)).toBe("after")
        const holder = yield* serverHolding(ensemble.servers, session.id)
        expect(holder?.name).not.toBe(killed.name)
      }),
    60_000
  )
})
