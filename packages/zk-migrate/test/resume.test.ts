import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { zookeeperFixture } from "../../../test/fixtures/index.js"
import { crash, hangAt, run, start, waitFor } from "./cliHarness.js"
import { type Scenario, scenario } from "./helpers.js"

const fixture = zookeeperFixture()

/** `resume` finishes an interrupted cutover: the sync turned around (target -> source) and recorded. */
const resumeFinishesCutover = (stateFile: string, state: Scenario["state"]) =>
  Effect.gen(function* () {
    const resumed = yield* run(["resume", "--state", stateFile, "--exit-when-synced"])
    expect(resumed.stderr).toContain("cutover done in")
    expect(resumed.code).toBe(0)
    expect(state()).toMatchObject({ phase: "cutover", direction: "reverse" })
    expect(state().pending).toBeUndefined()
  })

describe.skipIf(fixture === null)("zk-migrate resume after the CLI is killed (kill -9)", () => {
  it.live(
    "finishes an interrupted copy: copies only what is missing, then verify is clean",
    () =>
      Effect.gen(function* () {
        const { root, tgt, stateFile, common, state } = yield* scenario("resume-copy", 4_000)
        expect((yield* run(["plan", ...common])).code).toBe(0)
        const copy = start(["copy", ...common])
        const midway = yield* waitFor(() =>
          Effect.runPromise(
            tgt.getChildren(root).pipe(
              Effect.map((children) => children.length > 0),
              Effect.orElseSucceed(() => false)
            )
          )
        )
        expect(midway).toBe(true)
        yield* crash(copy)
        expect(state().pending?.operation).toBe("copy")

        const status = yield* run(["status", "--state", stateFile])
        expect(status.stdout).toContain("interrupted: copy")
        expect(status.stdout).toContain("resume: finish the interrupted copy")

        const resumed = yield* run(["resume", "--state", stateFile, "--json"])
        expect(resumed.code).toBe(0)
        const report = JSON.parse(resumed.stdout) as { action: { _tag: string }; copy: { created: number } }
        expect(report.action._tag).toBe("Copy")
        // the killed copy had written part of the tree: the resumed one writes the rest, not everything
        expect(report.copy.created).toBeGreaterThan(0)
        expect(report.copy.created).toBeLessThan(4_001)
        expect(state()).toMatchObject({ phase: "copied" })
        expect(state().pending).toBeUndefined()

        const again = yield* run(["status", "--state", stateFile])
        expect(again.stdout).toContain("resume: nothing to resume: nothing was interrupted; the next phase is sync")
        const verify = yield* run(["verify", ...common])
        expect(verify.stdout).toContain("equal: 4001 nodes")
      }),
    120_000
  )

  it.live(
    "finishes an interrupted cutover idempotently (killed after the switch), then keeps syncing target -> source",
    () =>
      Effect.gen(function* () {
        const { root, src, tgt, stateFile, common, state } = yield* scenario("resume-cutover", 300)
        expect((yield* run(["copy", ...common])).code).toBe(0)
        const cutover = yield* hangAt(["cutover", ...common], "cutover:switched")
        // (no write on the source here: past the switch the source is the replica, and whether the hung
        // process's reverse sync undoes such a write before it dies is a race; the test below writes before it)
        yield* crash(cutover)
        expect(state()).toMatchObject({ phase: "syncing", pending: { operation: "cutover" } })
        const status = yield* run(["status", "--state", stateFile])
        expect(status.stdout).toContain("resume: finish the interrupted cutover")

        yield* resumeFinishesCutover(stateFile, state)
        const verify = yield* run(["verify", ...common])
        expect(verify.stdout).toContain("equal: 301 nodes")

        // resuming again continues the reverse sync: a write on the new ensemble reaches the old one
        yield* tgt.create(`${root}/after-cutover`, "new")
        const again = yield* run(["resume", "--state", stateFile, "--exit-when-synced"])
        expect(again.stderr).toContain("resume: continue the sync target -> source")
        expect(again.code).toBe(0)
        expect(Option.isSome(yield* src.exists(`${root}/after-cutover`))).toBe(true)
        expect(state()).toMatchObject({ phase: "cutover", direction: "reverse" })
      }),
    120_000
  )

  it.live(
    "finishes a cutover interrupted before the switch: a write on the source during the hang reaches the target",
    () =>
      Effect.gen(function* () {
        const { root, src, tgt, stateFile, common, state } = yield* scenario("resume-cutover-early", 100)
        expect((yield* run(["copy", ...common])).code).toBe(0)
        const cutover = yield* hangAt(["cutover", ...common], "cutover:verified")
        // the sync still flows forward and the applications still write to the source
        yield* src.setData(`${root}/p7`, "written during the cutover")
        yield* crash(cutover)
        expect(state()).toMatchObject({ phase: "syncing", direction: "forward", pending: { operation: "cutover" } })
        yield* resumeFinishesCutover(stateFile, state)
        expect(Buffer.from((yield* tgt.getData(`${root}/p7`)).data).toString()).toBe("written during the cutover")
        expect((yield* run(["verify", ...common])).stdout).toContain("equal: 101 nodes")
      }),
    120_000
  )

  it.live(
    "finishes an interrupted rollback: the target's writes reach the source, then the sync flows forward",
    () =>
      Effect.gen(function* () {
        const { root, src, tgt, stateFile, common, state } = yield* scenario("resume-rollback", 200)
        expect((yield* run(["copy", ...common])).code).toBe(0)
        expect((yield* run(["cutover", "--exit-when-synced", ...common])).code).toBe(0)
        yield* tgt.setData(`${root}/p3`, "written on the new ensemble")
        const rollback = yield* hangAt(["rollback", ...common], "rollback:switched")
        yield* crash(rollback)
        expect(state()).toMatchObject({ phase: "cutover", pending: { operation: "rollback" } })

        const resumed = yield* run(["resume", "--state", stateFile, "--exit-when-synced"])
        expect(resumed.code).toBe(0)
        expect(state()).toMatchObject({ phase: "rolledBack", direction: "forward" })
        expect(Buffer.from((yield* src.getData(`${root}/p3`)).data).toString()).toBe("written on the new ensemble")
        const verify = yield* run(["verify", ...common])
        expect(verify.stdout).toContain("equal: 201 nodes")
      }),
    120_000
  )
})
