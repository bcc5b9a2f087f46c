import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { zookeeperFixture } from "../../../test/fixtures/index.js"
import { Endpoints } from "../src/Endpoints.js"
import * as Migration from "../src/Migration.js"
import * as Verifier from "../src/Verifier.js"
import { buildTree, client, endpoints, removeTree, uniqueRoot } from "./helpers.js"

const fixture = zookeeperFixture()
const text = (data: Uint8Array) => new TextDecoder().decode(data)

describe.skipIf(fixture === null)("Migration phases", () => {
  // the shared standalone server and one member of the shared ensemble: two independent ensembles
  const sourceConnect = fixture?.standalone.connectString ?? ""
  const targetConnect = fixture?.ensemble.connectString ?? ""

  it.live("plan -> copy -> sync -> verify -> cutover -> rollback, with the state persisted at each phase", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "zkm-state-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const stateFile = join(dir, "state.json")
      const root = uniqueRoot("phases")
      const src = yield* client({ connectString: sourceConnect })
      const tgt = yield* client({ connectString: targetConnect })
      yield* buildTree(src, root, 300, 10)
      yield* src.create(`${root}/eph`, "e", { mode: "ephemeral" })
      yield* Effect.addFinalizer(() => Effect.all([removeTree(src, root), removeTree(tgt, root)]).pipe(Effect.ignore))
      const sides = yield* endpoints(
        { connectString: sourceConnect, path: root },
        { connectString: targetConnect, path: root }
      )
      const options: Migration.MigrationOptions = { stateFile }
      const run = <A, E>(effect: Effect.Effect<A, E, Endpoints>) => effect.pipe(Effect.provideService(Endpoints, sides))

      const plan = yield* run(Migration.plan(options))
      expect(plan).toMatchObject({ nodes: 302, targetNodes: 0, targetDifferences: 0 })
      expect(plan.kinds).toEqual({ persistent: 301, ephemeral: 1, container: 0, ttl: 0 })
      expect(plan.problems).toEqual(["1 ephemeral nodes will not be copied (they belong to client sessions)"])

      const copied = yield* run(Migration.copy(options))
      expect(copied.created).toBe(301)
      const handle = yield* Migration.sync(options, { reconcileIntervalMs: 0 }).pipe(
        Effect.provideService(Endpoints, sides)
      )
      yield* src.setData(`${root}/p1`, "written during sync")
      expect(yield* handle.drain(10_000)).toBe(true)
      const verified = yield* run(Migration.verify(options, handle))
      expect(verified.equal).toBe(true)
      expect((yield* Migration.status(stateFile)).phase).toBe("verified")

      const cut = yield* run(Migration.cutover(options, handle))
      expect(cut.verify.equal).toBe(true)
      expect(cut.durationMs).toBeLessThan(30_000)
      const afterCutover = yield* Migration.status(stateFile)
      expect(afterCutover).toMatchObject({ phase: "cutover", direction: "reverse" })
      // the applications now write to the target; the old ensemble stays current
      yield* tgt.setData(`${root}/p2`, "written on the target after cutover")
      yield* tgt.create(`${root}/p2/new`, "new after cutover")
      expect(yield* handle.drain(10_000)).toBe(true)
      expect(text((yield* src.getData(`${root}/p2`)).data)).toBe("written on the target after cutover")
      expect(text((yield* src.getData(`${root}/p2/new`)).data)).toBe("new after cutover")

      // rollback: nothing written on the target is lost, and the source leads again
      yield* tgt.setData(`${root}/p3`, "last write before rollback")
      yield* run(Migration.rollback(options, handle))
      expect(text((yield* src.getData(`${root}/p3`)).data)).toBe("last write before rollback")
      expect(yield* Migration.status(stateFile)).toMatchObject({ phase: "rolledBack", direction: "forward" })
      yield* src.setData(`${root}/p4`, "source leads again")
      expect(yield* handle.drain(10_000)).toBe(true)
      expect(text((yield* tgt.getData(`${root}/p4`)).data)).toBe("source leads again")
      expect(Option.isSome(yield* tgt.exists(`${root}/p2/new`))).toBe(true)
      expect((yield* run(Verifier.verify())).equal).toBe(true)

      const persisted = JSON.parse(readFileSync(stateFile, "utf8")) as { history: ReadonlyArray<{ phase: string }> }
      expect(persisted.history.map((h) => h.phase)).toEqual([
        "planned",
        "copied",
        "syncing",
        "verified",
        "cutover",
        "rolledBack"
      ])
    })
  )

  it.live("refuses phases out of order with a clear error", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "zkm-state-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const stateFile = join(dir, "state.json")
      const missing = yield* Effect.flip(Migration.status(stateFile))
      expect(missing.message).toBe(`migration state: no migration state in ${stateFile} (run plan first)`)
      const root = uniqueRoot("order")
      const src = yield* client({ connectString: sourceConnect })
      yield* src.create(root, "r")
      yield* Effect.addFinalizer(() => removeTree(src, root).pipe(Effect.ignore))
      const sides = yield* endpoints(
        { connectString: sourceConnect, path: root },
        { connectString: targetConnect, path: root }
      )
      const early = yield* Effect.flip(Migration.finalize({ stateFile }).pipe(Effect.provideService(Endpoints, sides)))
      expect(early.message).toBe("migration state: finalize follows cutover (phase is planned)")
    })
  )
})
