import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { zookeeperFixture } from "../../../test/fixtures/index.js"
import { crash, run, start, waitFor } from "./cliHarness.js"
import { buildTree, client, removeTree, uniqueRoot } from "./helpers.js"

const fixture = zookeeperFixture()
describe("zk-migrate CLI", () => {
  it.live("explains bad command lines and bad connection strings", () =>
    Effect.gen(function* () {
      const usage = yield* run(["copy", "--source", "127.0.0.1:1"])
      expect(usage.code).toBe(2)
      expect(usage.stderr).toContain("error: copy needs --source and --target")
      expect(usage.stderr).toContain("usage: zk-migrate")
      const mode = yield* run(["sync", "--source", "a:1", "--target", "b:1", "--mode", "sideways"])
      expect(mode.code).toBe(2)
      expect(mode.stderr).toContain('error: --mode "sideways": expected one of one-way, bidirectional')
      const bad = yield* run(["plan", "--source", "zk1:2181,:x", "--target", "127.0.0.1:1"])
      expect(bad.code).toBe(1)
      expect(bad.stderr).toContain('error: invalid ZooKeeper connection string "zk1:2181,:x": ":x" is not host[:port]')
    })
  )
})

describe.skipIf(fixture === null)("zk-migrate CLI against real servers", () => {
  const sourceConnect = fixture?.standalone.connectString ?? ""
  const targetConnect = fixture?.ensemble.connectString ?? ""

  it.live(
    "resumes after the sync process is killed (kill -9) and ends with verify clean",
    () =>
      Effect.gen(function* () {
        const dir = mkdtempSync(join(tmpdir(), "zkm-cli-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
        const root = uniqueRoot("cli")
        const src = yield* client({ connectString: sourceConnect })
        const tgt = yield* client({ connectString: targetConnect })
        yield* buildTree(src, root, 200, 10)
        yield* Effect.addFinalizer(() => Effect.all([removeTree(src, root), removeTree(tgt, root)]).pipe(Effect.ignore))
        const common = [
          "--source",
          sourceConnect,
          "--target",
          targetConnect,
          "--path",
          root,
          "--state",
          join(dir, "state.json")
        ]

        const plan = yield* run(["plan", ...common])
        expect(plan.stdout).toContain("source: 201 nodes")
        const copy = yield* run(["copy", ...common])
        expect(copy.code).toBe(0)
        expect(copy.stdout).toContain("created 201")

        const sync = start(["sync", ...common])
        yield* waitFor(() => sync.stdout().includes("caught up"))
        expect(sync.stdout()).toContain("caught up")
        yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          (i) => src.setData(`${root}/p${i % 10}`, `during ${i}`),
          {
            discard: true
          }
        )
        yield* Effect.sleep("300 millis")
        yield* crash(sync)
        // changes while no engine runs
        yield* src.create(`${root}/while-down`, "x")
        yield* src.remove(`${root}/p3/n13`)

        const resumed = yield* run(["sync", "--exit-when-synced", ...common])
        expect(resumed.code).toBe(0)
        const verify = yield* run(["verify", ...common])
        expect(verify.stdout).toContain("equal: 201 nodes")
        expect(verify.code).toBe(0)
        const status = yield* run(["status", "--state", join(dir, "state.json")])
        expect(status.stdout).toContain("phase verified (sync forward)")
      }),
    90_000
  )
})
