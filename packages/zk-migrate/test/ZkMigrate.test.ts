import { readFileSync, writeFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { zookeeperFixture } from "../../../test/fixtures/index.js"
import { createMigration } from "../src/ZkMigrate.js"
import { scenario } from "./helpers.js"

const fixture = zookeeperFixture()

describe.skipIf(fixture === null)("Promise facade: resume", () => {
  it.live("finishes a copy the state file marks as interrupted, then resumes the sync", () =>
    Effect.gen(function* () {
      const { root, src, tgt, sourceConnect, targetConnect, stateFile } = yield* scenario("facade", 100, 10)
      const migration = yield* Effect.promise(() =>
        createMigration({
          source: { connectString: sourceConnect, path: root, sessionTimeoutMs: 4_000 },
          target: { connectString: targetConnect, path: root, sessionTimeoutMs: 4_000 },
          stateFile
        })
      )
      yield* Effect.addFinalizer(() => Effect.promise(() => migration.close()))
      yield* Effect.promise(() => migration.plan())
      yield* Effect.promise(() => migration.copy())
      // as if the copy had died after writing part of the tree: the mark is back and 5 leaves are gone
      const state = JSON.parse(readFileSync(stateFile, "utf8")) as Record<string, unknown>
      writeFileSync(stateFile, JSON.stringify({ ...state, phase: "planned", pending: { operation: "copy", at: "x" } }))
      yield* Effect.forEach([0, 10, 20, 30, 40], (i) => tgt.remove(`${root}/p${i % 10}/n${i}`), { discard: true })

      const resumed = yield* Effect.promise(() => migration.resume())
      expect(resumed.action).toEqual({
        _tag: "Copy",
        settings: { overwrite: false, deleteExtra: false, maxPaddingSteps: 10_000 }
      })
      expect(resumed.copy).toMatchObject({ created: 5, unchanged: 96 })
      expect(resumed.sync).toBeUndefined()
      expect(yield* Effect.promise(() => migration.status())).toMatchObject({ phase: "copied" })

      yield* src.setData(`${root}/p1`, "while no sync ran")
      const nothing = yield* Effect.promise(() => migration.resume())
      expect(nothing.action._tag).toBe("Nothing")
      const sync = yield* Effect.promise(() => migration.startSync({ reconcileIntervalMs: 0 }))
      yield* Effect.promise(() => sync.stop())
      const again = yield* Effect.promise(() => migration.resume({ reconcileIntervalMs: 0 }))
      expect(again.action).toEqual({ _tag: "Sync", direction: "forward" })
      const report = yield* Effect.promise(() => (again.sync as NonNullable<typeof again.sync>).verify())
      yield* Effect.promise(() => (again.sync as NonNullable<typeof again.sync>).stop())
      expect(report.equal).toBe(true)
      expect(Buffer.from((yield* tgt.getData(`${root}/p1`)).data).toString()).toBe("while no sync ran")
    })
  )
})
