import { describe, expect, it } from "@effect/vitest"
import { Acl, Op } from "@orchestrator/core/zookeeper"
import { Effect, Option } from "effect"
import { afterAll, beforeAll } from "vitest"
import {
  currentPid,
  removeZooKeeperServer,
  restartZooKeeperServer,
  startZooKeeperEnsemble,
  startZooKeeperServer,
  type ZooKeeperEnsembleInfo,
  type ZooKeeperServerInfo,
  waitForQuorum,
  zookeeperFixture
} from "../../../test/fixtures/index.js"
import * as Copier from "../src/Copier.js"
import { Endpoints } from "../src/Endpoints.js"
import * as Metrics from "../src/Metrics.js"
import * as SyncEngine from "../src/SyncEngine.js"
import * as Verifier from "../src/Verifier.js"
import { buildTree, client, endpoints, removeTree, uniqueRoot } from "./helpers.js"

const fixture = zookeeperFixture()
const text = (data: Uint8Array) => new TextDecoder().decode(data)

describe.skipIf(fixture === null)("SyncEngine", () => {
  let privateServer: ZooKeeperServerInfo | undefined
  beforeAll(async () => {
    privateServer = await startZooKeeperServer({ name: "zkm-sync" })
  })
  afterAll(async () => {
    if (privateServer !== undefined) await removeZooKeeperServer(privateServer)
  })
  const sourceConnect = () => privateServer?.connectString ?? ""
  const targetConnect = fixture?.standalone.connectString ?? ""

  const setup = (name: string, size = 200) =>
    Effect.gen(function* () {
      const root = uniqueRoot(name)
      const src = yield* client({ connectString: sourceConnect() })
      const tgt = yield* client({ connectString: targetConnect })
      yield* buildTree(src, root, size, 10)
      const sides = yield* endpoints(
        { connectString: sourceConnect(), path: root },
        { connectString: targetConnect, path: root }
      )
      yield* Copier.copy().pipe(Effect.provideService(Endpoints, sides))
      yield* Effect.addFinalizer(() => Effect.all([removeTree(src, root), removeTree(tgt, root)]).pipe(Effect.ignore))
      return { root, src, tgt, sides }
    })

  it.live(
    "one-way: creates, updates, deletes and sequential nodes written during sync reach the target; verify is clean",
    () =>
      Effect.gen(function* () {
        const { root, src, tgt, sides } = yield* setup("oneway", 1_000)
        const sync = yield* SyncEngine.start({ reconcileIntervalMs: 0 }).pipe(Effect.provideService(Endpoints, sides))
        yield* sync.drain()
        yield* sync.resetLag
        // a concurrent writer: 300 changes of every sort, 20 at a time
        yield* Effect.forEach(
          Array.from({ length: 100 }, (_, i) => i),
          (i) =>
            Effect.all([
              src.setData(`${root}/p${i % 10}/n${i}`, `updated ${i}`),
              src.create(`${root}/p${i % 10}/new${i}`, `new ${i}`),
              src.create(`${root}/p${i % 10}/seq-`, `s ${i}`, { mode: "persistentSequential" })
            ]),
          { concurrency: 20, discard: true }
        )
        yield* src.create(`${root}/fresh`, "subtree root")
        yield* src.multi([Op.create(`${root}/fresh/a`, "a"), Op.create(`${root}/fresh/a/b`, "b")])
        yield* src.multi([Op.remove(`${root}/p1/n11`), Op.remove(`${root}/p1/n21`)])
        expect(yield* sync.drain(30_000)).toBe(true)
        // quiet: every change has been applied
        const cold = yield* Verifier.verify().pipe(Effect.provideService(Endpoints, sides))
        expect(cold.differences).toEqual([])
        const incremental = yield* sync.verify
        expect(incremental.equal).toBe(true)
        expect(incremental.sourceDigest).toBe(cold.sourceDigest)
        // only the changed paths were read again
        expect(incremental.nodesRead).toBeLessThan(cold.nodesRead)
        expect(text((yield* tgt.getData(`${root}/fresh/a/b`)).data)).toBe("b")
        expect(Option.isNone(yield* tgt.exists(`${root}/p1/n11`))).toBe(true)
        const stats = yield* sync.stats
        expect(stats.lagSamples).toBeGreaterThanOrEqual(300)
        expect(stats.errors).toBe(0)
        expect(stats.lagP99Ms).toBeLessThan(5_000)
        const exposition = yield* Metrics.prometheus
        expect(exposition).toContain("# TYPE zk_migrate_sync_applied_total counter")
        expect(exposition).toMatch(/^zk_migrate_sync_lag_ms_bucket\{le="\+Inf"\} \d+$/m)
        expect(exposition).toContain("# TYPE zk_migrate_sync_queue_depth gauge")
      })
  )

  it.live("one-way: a change no watch reports (an ACL) is caught by reconciliation; target edits are undone", () =>
    Effect.gen(function* () {
      const { root, src, tgt, sides } = yield* setup("reconcile", 50)
      const sync = yield* SyncEngine.start({ reconcileIntervalMs: 300 }).pipe(Effect.provideService(Endpoints, sides))
      yield* sync.drain()
      yield* src.setACL(`${root}/p2`, [...Acl.openUnsafe, { perms: Acl.Perms.read, scheme: "ip", id: "10.0.0.1" }])
      yield* tgt.setData(`${root}/p3`, "edited on the target")
      yield* Effect.sleep("1 second")
      yield* sync.drain()
      const verified = yield* Verifier.verify().pipe(Effect.provideService(Endpoints, sides))
      expect(verified.differences).toEqual([])
      expect(text((yield* tgt.getData(`${root}/p3`)).data)).toBe("parent 3")
    })
  )

  it.live("pause holds every captured change (idle workers included) until resume", () =>
    Effect.gen(function* () {
      const { root, src, tgt, sides } = yield* setup("pause", 20)
      const sync = yield* SyncEngine.start({ reconcileIntervalMs: 0 }).pipe(Effect.provideService(Endpoints, sides))
      expect(yield* sync.drain()).toBe(true)
      // every worker is idle, waiting for the queue: pausing must still hold what arrives next
      yield* sync.pause
      const before = (yield* sync.stats).applied
      yield* src.setData(`${root}/p1`, "written while paused")
      yield* src.create(`${root}/p1/paused-child`, "new while paused")
      // while paused, drain cannot finish: the captured changes stay queued
      expect(yield* sync.drain(1_000)).toBe(false)
      const held = yield* sync.stats
      expect(held.applied).toBe(before)
      expect(held.queueDepth).toBeGreaterThanOrEqual(1)
      expect(text((yield* tgt.getData(`${root}/p1`)).data)).toBe("parent 1")
      expect(Option.isNone(yield* tgt.exists(`${root}/p1/paused-child`))).toBe(true)
      yield* sync.resume
      expect(yield* sync.drain(10_000)).toBe(true)
      expect(text((yield* tgt.getData(`${root}/p1`)).data)).toBe("written while paused")
      expect(text((yield* tgt.getData(`${root}/p1/paused-child`)).data)).toBe("new while paused")
    })
  )

  it.live("bidirectional: changes flow both ways without echo loops, conflicts are decided and recorded", () =>
    Effect.gen(function* () {
      const { root, src, tgt, sides } = yield* setup("bidi", 50)
      const sync = yield* SyncEngine.start({
        mode: "bidirectional",
        conflict: "source-wins",
        reconcileIntervalMs: 0
      }).pipe(Effect.provideService(Endpoints, sides))
      yield* sync.drain()
      const before = (yield* sync.stats).applied
      yield* src.setData(`${root}/p1`, "from the source")
      yield* tgt.setData(`${root}/p2`, "from the target")
      yield* tgt.create(`${root}/p2/t-child`, "target child")
      yield* src.remove(`${root}/p3/n13`)
      expect(yield* sync.drain(10_000)).toBe(true)
      yield* Effect.sleep("300 millis")
      expect(yield* sync.drain(10_000)).toBe(true)
      // four changes, four writes: the written changes read back equal and stop there
      expect((yield* sync.stats).applied - before).toBe(4)
      expect(text((yield* tgt.getData(`${root}/p1`)).data)).toBe("from the source")
      expect(text((yield* src.getData(`${root}/p2`)).data)).toBe("from the target")
      expect(text((yield* src.getData(`${root}/p2/t-child`)).data)).toBe("target child")
      expect(Option.isNone(yield* tgt.exists(`${root}/p3/n13`))).toBe(true)

      // both sides change one node while the engine is paused: a conflict, source wins
      yield* sync.pause
      yield* src.setData(`${root}/p4`, "source says")
      yield* tgt.setData(`${root}/p4`, "target says")
      // the scenario is "both changes seen while paused": give both watch notifications time to arrive before
      // resuming (on a loaded machine the target's could otherwise come after the source's change was applied)
      yield* Effect.sleep("500 millis")
      yield* sync.resume
      // Watch notifications reach the engine's sessions some time after the writers' replies: drain until the
      // conflict has been captured (or 10 s have passed).
      let conflicts = yield* sync.conflicts
      for (let i = 0; i < 100 && conflicts.length === 0; i++) {
        expect(yield* sync.drain(10_000)).toBe(true)
        conflicts = yield* sync.conflicts
        if (conflicts.length === 0) yield* Effect.sleep("100 millis")
      }
      expect(conflicts.length).toBeGreaterThanOrEqual(1)
      expect(conflicts[0]).toMatchObject({ path: "/p4", decision: "source", policy: "source-wins" })
      expect(text(conflicts[0]?.source?.data ?? new Uint8Array())).toBe("source says")
      expect(text(conflicts[0]?.target?.data ?? new Uint8Array())).toBe("target says")
      expect(text((yield* tgt.getData(`${root}/p4`)).data)).toBe("source says")
      const verified = yield* Verifier.verify().pipe(Effect.provideService(Endpoints, sides))
      expect(verified.differences).toEqual([])
    })
  )

  it.live(
    "one-way: the source server killed (kill -9) and restarted mid-sync: the engine reconnects, resumes and verifies clean",
    () =>
      Effect.gen(function* () {
        const { root, src, sides } = yield* setup("kill", 100)
        const sync = yield* SyncEngine.start({ reconcileIntervalMs: 2_000 }).pipe(
          Effect.provideService(Endpoints, sides)
        )
        yield* sync.drain()
        yield* Effect.forEach(
          Array.from({ length: 30 }, (_, i) => i),
          (i) => src.setData(`${root}/p${i % 10}/n${i + 10}`, `before ${i}`),
          {
            discard: true
          }
        )
        const server = privateServer as ZooKeeperServerInfo
        process.kill(currentPid(server), "SIGKILL")
        yield* Effect.promise(() => restartZooKeeperServer(server))
        // writes after the restart (with the writer's own retries while it reconnects)
        yield* Effect.forEach(
          Array.from({ length: 30 }, (_, i) => i),
          (i) => src.setData(`${root}/p${i % 10}/n${i + 40}`, `after ${i}`).pipe(Effect.retry({ times: 50 })),
          { discard: true }
        )
        yield* src.create(`${root}/after-restart`, "x").pipe(Effect.retry({ times: 50 }))
        yield* Effect.sleep("2500 millis")
        expect(yield* sync.drain(30_000)).toBe(true)
        const verified = yield* Verifier.verify().pipe(Effect.provideService(Endpoints, sides))
        expect(verified.differences).toEqual([])
      }),
    90_000
  )
})

describe.skipIf(fixture === null)("SyncEngine against a three-server ensemble", () => {
  let ensemble: ZooKeeperEnsembleInfo | undefined
  beforeAll(async () => {
    ensemble = await startZooKeeperEnsemble({ name: "zkm-failover" })
  }, 120_000)
  afterAll(async () => {
    await Promise.all((ensemble?.servers ?? []).map((server) => removeZooKeeperServer(server)))
  })

  it.live(
    "one-way into an ensemble whose leader is killed (kill -9) mid-sync: writes keep flowing and verify is clean",
    () =>
      Effect.gen(function* () {
        const members = ensemble as ZooKeeperEnsembleInfo
        const sourceConnect = fixture?.standalone.connectString ?? ""
        const root = uniqueRoot("failover")
        const src = yield* client({ connectString: sourceConnect })
        const tgt = yield* client({ connectString: members.connectString })
        yield* buildTree(src, root, 200, 10)
        yield* Effect.addFinalizer(() => Effect.all([removeTree(src, root), removeTree(tgt, root)]).pipe(Effect.ignore))
        const sides = yield* endpoints(
          { connectString: sourceConnect, path: root },
          { connectString: members.connectString, path: root }
        )
        yield* Copier.copy().pipe(Effect.provideService(Endpoints, sides))
        const sync = yield* SyncEngine.start({ reconcileIntervalMs: 2_000 }).pipe(
          Effect.provideService(Endpoints, sides)
        )
        yield* sync.drain()
        const { leader } = yield* Effect.promise(() => waitForQuorum(members))
        process.kill(currentPid(leader), "SIGKILL")
        yield* Effect.forEach(
          Array.from({ length: 40 }, (_, i) => i),
          (i) => src.setData(`${root}/p${i % 10}/n${i + 10}`, `during failover ${i}`),
          { discard: true }
        )
        yield* src.create(`${root}/during-failover`, "x")
        yield* Effect.promise(() => restartZooKeeperServer(leader))
        yield* Effect.sleep("2500 millis")
        expect(yield* sync.drain(60_000)).toBe(true)
        const verified = yield* Verifier.verify().pipe(Effect.provideService(Endpoints, sides))
        expect(verified.differences).toEqual([])
      }),
    120_000
  )
})
