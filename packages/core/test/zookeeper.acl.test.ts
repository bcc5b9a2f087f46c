import { describe, expect, layer } from "@effect/vitest"
import { Acl, Op, ZooKeeperClient, ZooKeeperError } from "@orchestrator/core/zookeeper"
import { Context, Effect, Fiber, Layer, Option } from "effect"
import { zookeeperFixture } from "../../../test/fixtures/index.js"

const fixture = zookeeperFixture()
const base = `/orch-core-acl-test-${process.pid}-${Date.now()}`
const decode = (data: Uint8Array) => new TextDecoder().decode(data)

const sandbox = (name: string) =>
  Effect.gen(function* () {
    const zk = yield* ZooKeeperClient
    const root = `${base}/${name}`
    yield* Effect.acquireRelease(zk.mkdirp(root), () => zk.removeRecursive(root).pipe(Effect.ignore))
    return root
  })

describe.skipIf(fixture === null)("ZooKeeperClient ACLs, auth, transactions and one-shot watches", () => {
  const connectString = fixture?.standalone.connectString ?? ""
  const open = (auth: ReadonlyArray<Acl.AuthInfo>) =>
    Layer.build(ZooKeeperClient.layer({ connectString, sessionTimeoutMs: 2_000, auth })).pipe(
      Effect.map((context) => Context.get(context, ZooKeeperClient))
    )

  layer(ZooKeeperClient.layer({ connectString, sessionTimeoutMs: 2_000 }), { excludeTestServices: true })((it) => {
    it.effect("creates a node with a digest ACL that only the authenticated user can read", () =>
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        const root = yield* sandbox("digest")
        const acl = Acl.digest("alice", "secret", Acl.Perms.all)
        const path = yield* zk.create(`${root}/private`, "hidden", { acl })
        // world may not even read the ACL's node data
        const denied = yield* Effect.flip(zk.getData(path))
        expect({ ...denied }).toEqual({
          _tag: "ZooKeeperError",
          code: "NO_AUTH",
          operation: "getData",
          path,
          reason: ""
        })
        // since ZooKeeper 3.6 reading an ACL needs READ or ADMIN too
        expect((yield* Effect.flip(zk.getACL(path))).code).toBe("NO_AUTH")
        const alice = yield* open([{ scheme: "digest", auth: "alice:secret" }])
        const read = yield* alice.getACL(path)
        expect(read.acl).toEqual([{ perms: 31, scheme: "digest", id: Acl.digestId("alice", "secret") }])
        expect(read.stat.aversion).toBe(0)
        expect(decode((yield* alice.getData(path)).data)).toBe("hidden")
        const stat = yield* alice.setACL(path, Acl.openUnsafe, 0)
        expect(stat.aversion).toBe(1)
        expect(decode((yield* zk.getData(path)).data)).toBe("hidden")
        expect(Acl.equals((yield* zk.getACL(path)).acl, Acl.openUnsafe)).toBe(true)

        const stale = yield* Effect.flip(zk.setACL(path, acl, 0))
        expect(stale.code).toBe("BAD_VERSION")
      })
    )

    it.effect("addAuth grants access on a live session", () =>
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        const root = yield* sandbox("addauth")
        const bob = yield* open([{ scheme: "digest", auth: "bob:pw" }])
        const path = yield* bob.create(`${root}/bob`, "b", { acl: Acl.digest("bob", "pw", Acl.Perms.read) })
        const other = yield* open([])
        expect((yield* Effect.flip(other.getData(path))).code).toBe("NO_AUTH")
        yield* other.addAuth({ scheme: "digest", auth: "bob:pw" })
        expect(decode((yield* other.getData(path)).data)).toBe("b")
        // read-only for bob: writes are refused
        expect((yield* Effect.flip(bob.setData(path, "x"))).code).toBe("NO_AUTH")
        yield* zk.exists(path)
      })
    )

    it.effect("multi applies every operation or none, and names the operation that failed", () =>
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        const root = yield* sandbox("multi")
        const results = yield* zk.multi([
          Op.create(`${root}/a`, "1"),
          Op.create(`${root}/a/b`, new Uint8Array([0, 255])),
          Op.check(`${root}/a`, 0),
          Op.setData(`${root}/a`, "2", 0),
          Op.create(`${root}/seq-`, "", { mode: "persistentSequential" })
        ])
        expect(results.map((r) => r._tag)).toEqual(["create", "create", "check", "setData", "create"])
        expect(results[4]).toEqual({ _tag: "create", path: `${root}/seq-0000000001` })
        expect(decode((yield* zk.getData(`${root}/a`)).data)).toBe("2")

        const error = yield* Effect.flip(
          zk.multi([Op.create(`${root}/c`), Op.check(`${root}/a`, 0), Op.remove(`${root}/a/b`)])
        )
        expect(error).toBeInstanceOf(ZooKeeperError)
        expect({ ...error }).toEqual({
          _tag: "ZooKeeperError",
          code: "BAD_VERSION",
          operation: "multi:check",
          path: `${root}/a`,
          reason: "operation 1 of 3"
        })
        expect(Option.isNone(yield* zk.exists(`${root}/c`))).toBe(true)
        expect(Option.isSome(yield* zk.exists(`${root}/a/b`))).toBe(true)
        expect(Op.wireSize(Op.create(`${root}/x`, new Uint8Array(1000)))).toBeGreaterThan(1000)
      })
    )

    it.effect("getDataWatched and getChildrenWatched fire once on the next change, also for missing nodes", () =>
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        const root = yield* sandbox("watched")
        const missing = yield* zk.getDataWatched(`${root}/n`)
        expect(Option.isNone(missing.value)).toBe(true)
        const children = yield* zk.getChildrenWatched(root)
        expect(children.value).toEqual(Option.some([]))
        const waitCreated = yield* Effect.forkChild(missing.changed)
        const waitChildren = yield* Effect.forkChild(children.changed)
        yield* zk.create(`${root}/n`, "v1")
        yield* Fiber.join(waitCreated)
        yield* Fiber.join(waitChildren)

        const present = yield* zk.getDataWatched(`${root}/n`)
        expect(Option.map(present.value, (node) => decode(node.data))).toEqual(Option.some("v1"))
        const waitData = yield* Effect.forkChild(present.changed)
        yield* zk.setData(`${root}/n`, "v2")
        yield* Fiber.join(waitData)
      }).pipe(Effect.timeout("10 seconds"))
    )
  })
})
