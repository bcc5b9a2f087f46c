import { describe, expect, it } from "@effect/vitest"
import { Acl, Op } from "@orchestrator/core/zookeeper"
import { Effect, Option } from "effect"
import { afterAll, beforeAll } from "vitest"
import {
  removeZooKeeperServer,
  startZooKeeperServer,
  type ZooKeeperServerInfo,
  zkCli,
  zookeeperFixture
} from "../../../test/fixtures/index.js"
import { freePorts } from "../../../test/fixtures/process.js"
import * as Copier from "../src/Copier.js"
import { Endpoints } from "../src/Endpoints.js"
import { TargetDiffers } from "../src/Errors.js"
import * as Verifier from "../src/Verifier.js"
import * as ZNode from "../src/ZNode.js"
import { buildTree, client, endpoints, removeTree, uniqueRoot } from "./helpers.js"

const fixture = zookeeperFixture()
const alice = { scheme: "digest", auth: "alice:secret" } as const

describe.skipIf(fixture === null)("Copier and Verifier between two standalone servers", () => {
  let privateServer: ZooKeeperServerInfo | undefined
  beforeAll(async () => {
    privateServer = await startZooKeeperServer({ name: "zkm-copier", extraConfig: ["extendedTypesEnabled=true"] })
  })
  afterAll(async () => {
    if (privateServer !== undefined) await removeZooKeeperServer(privateServer)
  })
  const sourceConnect = () => privateServer?.connectString ?? ""
  const targetConnect = fixture?.standalone.connectString ?? ""

  it.live(
    "copies every node kind, binary data near 1 MB and digest ACLs, pads sequential counters, and verifies clean",
    () =>
      Effect.gen(function* () {
        const root = uniqueRoot("kinds")
        const src = yield* client({ connectString: sourceConnect(), auth: [alice] })
        const binary = new Uint8Array(1_000_000).map((_, i) => (i * 7919) % 256)
        yield* src.mkdirp(root)
        yield* src.create(`${root}/big`, binary)
        yield* src.create(`${root}/empty`)
        // a locked node with children: alice only, read-only, so the copier must defer its ACL
        yield* src.create(`${root}/locked`, "secret", { acl: Acl.digest("alice", "secret", Acl.Perms.all) })
        // ADMIN is needed to read a digest ACL as it is (see the test of masked digests below)
        const readAdmin = Acl.Perms.read | Acl.Perms.admin
        yield* src.create(`${root}/locked/inner`, "x", { acl: Acl.digest("alice", "secret", readAdmin) })
        yield* src.setACL(`${root}/locked`, Acl.digest("alice", "secret", Acl.Perms.read | Acl.Perms.admin))
        yield* src.create(`${root}/session`, "gone with the session", { mode: "ephemeral" })
        yield* src.create(`${root}/queue`)
        for (let i = 0; i < 5; i++)
          yield* src.create(`${root}/queue/job-`, `job ${i}`, { mode: "persistentSequential" })
        yield* src.remove(`${root}/queue/job-0000000000`)
        yield* src.remove(`${root}/queue/job-0000000001`)
        yield* src.create(`${root}/queue/lock-`, "", { mode: "ephemeralSequential" })
        yield* Effect.promise(() => zkCli(sourceConnect(), ["create", "-c", `${root}/container`, "c"]))
        yield* Effect.promise(() => zkCli(sourceConnect(), ["create", "-c", `${root}/container/child`, "keeps it"]))
        yield* Effect.promise(() => zkCli(sourceConnect(), ["create", "-t", "600000", `${root}/ttl`, "t"]))

        const sides = yield* endpoints(
          { connectString: sourceConnect(), path: root, auth: [alice] },
          { connectString: targetConnect, path: root, auth: [alice] }
        )
        const report = yield* Copier.copy().pipe(Effect.provideService(Endpoints, sides))
        expect([...report.skippedEphemeral].sort()).toEqual(["/queue/lock-0000000005", "/session"])
        // ZooKeeper 3.5.4+ masks the container/TTL ephemeralOwner markers in every stat it sends to clients
        // (DataTree.getClientEphemeralOwner), so through the client API they read as persistent nodes and
        // are copied as such (their data, ACL and children intact); see docs/zk-migrate.md, "Limits"
        expect(report.unsupported).toEqual([])
        const container = yield* src.getData(`${root}/container`)
        expect(container.stat.ephemeralOwner).toBe(0n)
        // sequence counters count child creates: /queue had 6 (5 jobs, 1 ephemeral lock), the target got 3
        // creates: 3 steps; the root lacks the skipped ephemeral /session: 1 step
        expect(report.padded).toEqual([
          { path: "", steps: 1 },
          { path: "/queue", steps: 3 }
        ])
        expect(report).toMatchObject({ created: 12, updated: 0, deleted: 0, paddingOverCap: [], remaining: [] })
        const tgtContainer = yield* Effect.promise(() => zkCli(targetConnect, ["get", `${root}/container/child`]))
        expect(tgtContainer).toContain("keeps it")

        const tgt = yield* client({ connectString: targetConnect, auth: [alice] })
        const big = yield* tgt.getData(`${root}/big`)
        expect(Buffer.from(big.data).equals(Buffer.from(binary))).toBe(true)
        expect((yield* tgt.getACL(`${root}/locked`)).acl).toEqual(
          Acl.digest("alice", "secret", Acl.Perms.read | Acl.Perms.admin)
        )
        expect((yield* tgt.getData(`${root}/locked/inner`)).stat.ephemeralOwner).toBe(0n)
        // the next sequential child gets a suffix the source has not handed out
        const nextSource = yield* src.create(`${root}/queue/job-`, "", { mode: "persistentSequential" })
        const nextTarget = yield* tgt.create(`${root}/queue/job-`, "", { mode: "persistentSequential" })
        expect(nextSource).toBe(`${root}/queue/job-0000000006`)
        expect(nextTarget).toBe(`${root}/queue/job-0000000006`)
        yield* src.remove(nextSource)
        yield* tgt.remove(nextTarget)

        const verified = yield* Verifier.verify().pipe(Effect.provideService(Endpoints, sides))
        expect(verified.differences).toEqual([])
        expect(verified.equal).toBe(true)
        expect(verified.sourceDigest).toBe(verified.targetDigest)

        // a change on the target is found, with its path and what differs
        yield* tgt.setData(`${root}/empty`, "changed")
        yield* tgt.create(`${root}/stray`, "s")
        const after = yield* Verifier.verify().pipe(Effect.provideService(Endpoints, sides))
        expect(after.equal).toBe(false)
        expect(after.differences).toEqual([
          { path: "/empty", kind: "data", detail: 'source "" (0 B), target "changed" (7 B)' },
          { path: "/stray", kind: "extra", detail: 'only on the target ("s" (1 B))' }
        ])
        // alice may read and administer /locked, not delete below it: open it before cleaning up
        yield* tgt.setACL(`${root}/locked`, Acl.openUnsafe)
        yield* src.setACL(`${root}/locked`, Acl.openUnsafe)
        yield* removeTree(tgt, root)
        yield* removeTree(src, root)
      }),
    120_000
  )

  it.live("refuses a target that holds different data, showing the differences, unless told to overwrite", () =>
    Effect.gen(function* () {
      const root = uniqueRoot("refuse")
      const src = yield* client({ connectString: sourceConnect() })
      const tgt = yield* client({ connectString: targetConnect })
      yield* src.multi([Op.create(root, "r"), Op.create(`${root}/a`, "source a"), Op.create(`${root}/b`, "b")])
      yield* tgt.multi([Op.create(root, "r"), Op.create(`${root}/a`, "target a"), Op.create(`${root}/extra`, "e")])
      const sides = yield* endpoints(
        { connectString: sourceConnect(), path: root },
        { connectString: targetConnect, path: root }
      )
      const refused = yield* Effect.flip(Copier.copy().pipe(Effect.provideService(Endpoints, sides)))
      expect(refused).toBeInstanceOf(TargetDiffers)
      expect({ ...refused }).toEqual({
        _tag: "TargetDiffers",
        path: root,
        total: 2,
        differences: [
          { path: "/a", kind: "data", detail: 'source "source a" (8 B), target "target a" (8 B)' },
          { path: "/extra", kind: "extra", detail: 'only on the target ("e" (1 B))' }
        ]
      })
      expect(refused.message).toContain("refusing to overwrite without --overwrite")
      // nothing was written
      expect(Option.isNone(yield* tgt.exists(`${root}/b`))).toBe(true)

      const dry = yield* Copier.copy({ overwrite: true, dryRun: true }).pipe(Effect.provideService(Endpoints, sides))
      expect(dry).toMatchObject({ dryRun: true, created: 1, updated: 1, deleted: 0 })
      expect(Option.isNone(yield* tgt.exists(`${root}/b`))).toBe(true)

      const overwritten = yield* Copier.copy({ overwrite: true }).pipe(Effect.provideService(Endpoints, sides))
      expect(overwritten).toMatchObject({ created: 1, updated: 1, deleted: 0 })
      expect(overwritten.remaining.map((d) => d.path)).toEqual(["/extra"])
      expect(new TextDecoder().decode((yield* tgt.getData(`${root}/a`)).data)).toBe("source a")
      const cleaned = yield* Copier.copy({ overwrite: true, deleteExtra: true }).pipe(
        Effect.provideService(Endpoints, sides)
      )
      expect(cleaned).toMatchObject({ created: 0, updated: 0, deleted: 1, remaining: [] })
      expect((yield* Verifier.verify().pipe(Effect.provideService(Endpoints, sides))).equal).toBe(true)
      yield* removeTree(tgt, root)
      yield* removeTree(src, root)
    })
  )

  it.live(
    "copies a 10k-node tree and reports counters above the padding cap instead of padding them",
    () =>
      Effect.gen(function* () {
        const root = uniqueRoot("10k")
        const src = yield* client({ connectString: sourceConnect() })
        yield* buildTree(src, root, 10_000)
        // a parent whose counter ran far ahead: 80 creates + 80 deletes
        yield* src.create(`${root}/churn`)
        yield* src.multi(
          Array.from({ length: 80 }, () => [Op.create(`${root}/churn/x`), Op.remove(`${root}/churn/x`)]).flat()
        )
        const sides = yield* endpoints(
          { connectString: sourceConnect(), path: root },
          { connectString: targetConnect, path: root }
        )
        const report = yield* Copier.copy({ maxPaddingSteps: 50 }).pipe(Effect.provideService(Endpoints, sides))
        expect(report).toMatchObject({
          sourceNodes: 10_002,
          created: 10_002,
          paddingOverCap: [{ path: "/churn", steps: 80 }]
        })
        const verified = yield* Verifier.verify().pipe(Effect.provideService(Endpoints, sides))
        expect(verified.differences).toEqual([
          { path: "/churn", kind: "counter", detail: "sequence counter source 80, target 0" }
        ])
        const tgt = yield* client({ connectString: targetConnect })
        yield* removeTree(tgt, root)
        yield* removeTree(src, root)
      }),
    120_000
  )

  it.live(
    "fails with a clear error for bad connection strings, unreachable servers, missing paths and missing auth",
    () =>
      Effect.gen(function* () {
        const bad = yield* Effect.flip(
          endpoints({ connectString: "localhost:99999" }, { connectString: targetConnect })
        )
        expect({ ...bad }).toEqual({
          _tag: "InvalidConnectString",
          input: "localhost:99999",
          reason: 'port 99999 of "localhost:99999" is not in 1-65535'
        })
        const [port] = yield* Effect.promise(() => freePorts(1))
        const down = yield* Effect.flip(
          endpoints({ connectString: `127.0.0.1:${port}`, connectTimeoutMs: 500 }, { connectString: targetConnect })
        )
        expect({ ...down }).toEqual({
          _tag: "Unreachable",
          side: "source",
          connectString: `127.0.0.1:${port}`,
          reason: "no session established within 500 ms"
        })
        const root = uniqueRoot("errors")
        const missing = yield* Effect.flip(
          endpoints({ connectString: sourceConnect(), path: root }, { connectString: targetConnect, path: root }).pipe(
            Effect.flatMap((sides) => Copier.copy().pipe(Effect.provideService(Endpoints, sides)))
          )
        )
        expect({ ...missing }).toEqual({ _tag: "PathNotFound", side: "source", path: root })

        const src = yield* client({ connectString: sourceConnect(), auth: [alice] })
        yield* src.create(root, "locked", { acl: Acl.digest("alice", "secret") })
        const denied = yield* Effect.flip(
          endpoints({ connectString: sourceConnect(), path: root }, { connectString: targetConnect, path: root }).pipe(
            Effect.flatMap((sides) => Copier.copy().pipe(Effect.provideService(Endpoints, sides)))
          )
        )
        expect({ ...denied }).toEqual({ _tag: "AccessDenied", side: "source", path: root, operation: "readMany" })
        expect(denied.message).toContain("--auth")
        yield* src.remove(root)

        // readable but not ADMIN: the server hides the digest hash; copying "alice:x" would lock everyone out
        yield* src.create(root, "masked", { acl: Acl.digest("alice", "secret", Acl.Perms.read) })
        const masked = yield* Effect.flip(
          endpoints(
            { connectString: sourceConnect(), path: root, auth: [alice] },
            { connectString: targetConnect, path: root }
          ).pipe(Effect.flatMap((sides) => Copier.copy().pipe(Effect.provideService(Endpoints, sides))))
        )
        expect({ ...masked }).toEqual({
          _tag: "AccessDenied",
          side: "source",
          path: root,
          operation: "getACL (the server hides digest hashes without ADMIN permission)"
        })
        yield* src.remove(root)
      })
  )
})

describe("ZNode.kindOf", () => {
  it("recognises node kinds by their ephemeralOwner marker", () => {
    expect(ZNode.kindOf(0n)).toBe("persistent")
    expect(ZNode.kindOf(0x100015f71100007n)).toBe("ephemeral")
    expect(ZNode.kindOf(-(2n ** 63n))).toBe("container")
    // TTL: top byte 0xFF, the TTL in the low bits
    expect(ZNode.kindOf(BigInt.asIntN(64, 0xff00_0000_0000_ea60n))).toBe("ttl")
  })
})
