import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { App } from "@orchestrator/core"
import { Probe } from "@orchestrator/probe"
import { Effect, Layer, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { compactHeapAfterReports } from "../src/compactHeap.js"

// The `gc` that `--expose-gc` gives the CLI, here without the flag on the test process.
setFlagsFromString("--expose-gc")
const realGc = runInNewContext("gc") as (options: unknown) => void

type RunningApp = Awaited<ReturnType<typeof App.createApp>>

/** Runs a probe of no collectors against `app` until it published `reports` reports; returns the gc calls. */
const compactions = async (app: RunningApp, probeId: string, slackBytes: number, reports: number, withGc = true) => {
  const calls: Array<unknown> = []
  const global = globalThis as { gc?: (options: unknown) => void }
  if (withGc)
    global.gc = (options) => {
      calls.push(options)
      realGc(options)
    }
  try {
    const probe = Probe.Probe.layer({ appUrl: app.url, probeId, intervalMs: 200, builtins: false })
    const published = Effect.gen(function* () {
      const events = (yield* Probe.Probe).events
      yield* events.pipe(
        Stream.filter((event) => event._tag === "Published"),
        Stream.take(reports),
        Stream.runDrain
      )
      // The compaction runs on the same event in another fiber: let it finish.
      yield* Effect.sleep("100 millis")
    })
    await Effect.runPromise(
      published.pipe(Effect.provide(compactHeapAfterReports(slackBytes).pipe(Layer.provideMerge(probe))))
    )
  } finally {
    delete global.gc
  }
  return calls
}

describe("compactHeapAfterReports (a real probe publishing to a real app server)", () => {
  let app: RunningApp
  beforeAll(async () => {
    app = await App.createApp({ port: 0 })
  })
  afterAll(() => app.close())

  it("compacts after every report while the process grows by more than the slack", async () => {
    const calls = await compactions(app, "every-report", -1, 3)
    expect(calls.length).toBeGreaterThanOrEqual(2)
    for (const call of calls) expect(call).toEqual({ type: "major", execution: "sync", flavor: "last-resort" })
  })

  it("compacts after the first report only while the process stays within the slack", async () => {
    expect(await compactions(app, "first-report", 1024 ** 3, 4)).toEqual([
      { type: "major", execution: "sync", flavor: "last-resort" }
    ])
  })

  it("leaves a probe without --expose-gc (no gc function) publishing as before", async () => {
    expect(await compactions(app, "no-gc", -1, 2, false)).toEqual([])
    expect(app.aggregator.probes().find((p) => p.probeId === "no-gc")?.seq).toBeGreaterThanOrEqual(1)
  })
})
