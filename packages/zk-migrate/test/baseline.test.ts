import { existsSync, rmSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { zookeeperFixture } from "../../../test/fixtures/index.js"
import { parseBaseline } from "../src/internal/baselineStore.js"
import { crash, run, start, waitFor } from "./cliHarness.js"
import { scenario } from "./helpers.js"

const fixture = zookeeperFixture()

describe("baseline file", () => {
  it("keeps the last line per path, honours deletions and skips a torn last line", () => {
    const map = parseBaseline(
      `# zk-migrate baseline v1\naa "/a"\nbb "/b"\ncc "/a"\n- "/b"\ndd "/with space"\nee "/torn`
    )
    expect([...map]).toEqual([
      ["/a", "cc"],
      ["/with space", "dd"]
    ])
  })
})

interface SyncStats {
  readonly conflicts: number
  readonly applied: number
}

describe.skipIf(fixture === null)("bidirectional sync after a crash (kill -9)", () => {
  it.live(
    "knows which side changed while it was down: one-sided changes flow with no conflict",
    () =>
      Effect.gen(function* () {
        const { root, src, tgt, stateFile, common } = yield* scenario("baseline", 200, 10)
        expect((yield* run(["copy", "--mode", "bidirectional", ...common])).code).toBe(0)

        const sync = start(["sync", "--mode", "bidirectional", ...common])
        expect(yield* waitFor(() => sync.stdout().includes("caught up"))).toBe(true)
        yield* tgt.setData(`${root}/p1`, "agreed while running")
        yield* waitFor(() =>
          Effect.runPromise(
            src.getData(`${root}/p1`).pipe(Effect.map((n) => Buffer.from(n.data).toString() === "agreed while running"))
          )
        )
        yield* Effect.sleep("400 millis") // past the baseline file's flush period
        yield* crash(sync)
        expect(existsSync(`${stateFile}.baseline`)).toBe(true)

        // while no engine runs: each node changes on one side only
        yield* tgt.setData(`${root}/p2`, "changed on the target")
        yield* src.setData(`${root}/p1`, "changed on the source")
        yield* tgt.remove(`${root}/p3/n13`)
        const resumed = yield* run(["resume", "--state", stateFile, "--exit-when-synced", "--json"])
        expect(resumed.code).toBe(0)
        expect(resumed.stderr).not.toContain("conflict")
        expect((JSON.parse(resumed.stdout) as SyncStats).conflicts).toBe(0)
        expect(Buffer.from((yield* src.getData(`${root}/p2`)).data).toString()).toBe("changed on the target")
        expect(Buffer.from((yield* tgt.getData(`${root}/p1`)).data).toString()).toBe("changed on the source")
        expect(Option.isNone(yield* src.exists(`${root}/p3/n13`))).toBe(true)

        // without the file the same situation is a conflict (source-wins undoes the target's change)
        rmSync(`${stateFile}.baseline`)
        yield* tgt.setData(`${root}/p4`, "changed on the target")
        const blind = yield* run(["resume", "--state", stateFile, "--exit-when-synced", "--json"])
        expect((JSON.parse(blind.stdout) as SyncStats).conflicts).toBe(1)
        expect(blind.stderr).toContain("conflict /p4: source wins (source-wins)")
        expect(Buffer.from((yield* tgt.getData(`${root}/p4`)).data).toString()).toBe("parent 4")
        const verify = yield* run(["verify", ...common])
        expect(verify.stdout).toContain("equal: 200 nodes")
      }),
    120_000
  )
})
