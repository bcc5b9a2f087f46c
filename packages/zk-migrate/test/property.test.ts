import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { zookeeperFixture } from "../../../test/fixtures/index.js"
import * as SyncEngine from "../src/SyncEngine.js"
import * as Verifier from "../src/Verifier.js"
import { client, endpoints, removeTree, uniqueRoot } from "./helpers.js"

const fixture = zookeeperFixture()

/** A small namespace so that random writes collide: creates, updates and deletes of the same nodes. */
const paths = ["/a", "/b", "/c", "/a/x", "/a/y", "/b/x"] as const
const write = fc.record({
  side: fc.constantFrom("source", "target"),
  op: fc.constantFrom("create", "set", "delete"),
  path: fc.constantFrom(...paths),
  value: fc.string({ maxLength: 8 }),
  pauseMs: fc.constantFrom(0, 0, 0, 5, 20)
})

describe.skipIf(fixture === null)("bidirectional sync, property", () => {
  const sourceConnect = fixture?.standalone.connectString ?? ""
  const targetConnect = fixture?.ensemble.connectString ?? ""

  it.live(
    "after any sequence of writes on both sides and a quiet period, verify reports equal",
    () =>
      Effect.gen(function* () {
        const src = yield* client({ connectString: sourceConnect })
        const tgt = yield* client({ connectString: targetConnect })
        const runOne = (writes: ReadonlyArray<typeof write extends fc.Arbitrary<infer A> ? A : never>) =>
          Effect.gen(function* () {
            const root = uniqueRoot("prop")
            yield* Effect.all([src.mkdirp(root), tgt.mkdirp(root)])
            yield* Effect.addFinalizer(() =>
              Effect.all([removeTree(src, root), removeTree(tgt, root)]).pipe(Effect.ignore)
            )
            const sides = yield* endpoints(
              { connectString: sourceConnect, path: root },
              { connectString: targetConnect, path: root }
            )
            const sync = yield* SyncEngine.startBetween(sides.source, sides.target, {
              mode: "bidirectional",
              conflict: "last-writer-wins",
              reconcileIntervalMs: 500
            })
            for (const w of writes) {
              const zk = w.side === "source" ? src : tgt
              const abs = `${root}${w.path}`
              const apply =
                w.op === "create" ? zk.create(abs, w.value) : w.op === "set" ? zk.setData(abs, w.value) : zk.remove(abs)
              // a write that the other side's state makes impossible (exists, missing, not empty) is skipped
              yield* apply.pipe(Effect.ignore)
              if (w.pauseMs > 0) yield* Effect.sleep(w.pauseMs)
            }
            // quiet period: long enough for one reconciliation scan after the last write
            yield* Effect.sleep("700 millis")
            yield* sync.drain(20_000)
            const report = yield* Verifier.verifyBetween(sides.source, sides.target, { counters: false })
            return report.differences
          }).pipe(Effect.scoped)
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 15 }), async (writes) => {
              const differences = await Effect.runPromise(runOne(writes))
              expect(differences).toEqual([])
            }),
            { numRuns: 12 }
          )
        )
      }),
    120_000
  )
})
