import { describe, expect, it } from "@effect/vitest"
import {
  Analysis,
  Expression,
  ExpressionError,
  runAnalysis,
  startAnalysis,
  TemplateError
} from "@orchestrator/scheduler/rollout"
import { Effect, Fiber, Stream } from "effect"
import { advance, spec } from "./helpers.js"

/** A function provider returning `values` in order (then the last one), counting its calls in `calls`. */
const sequence = (values: ReadonlyArray<unknown>, calls: Array<number>) => () => {
  calls.push(calls.length)
  const value = values[Math.min(calls.length - 1, values.length - 1)]
  if (value instanceof Error) throw value
  return value
}

describe("Analysis (driven by the clock)", () => {
  it.effect("takes `count` measurements `interval` apart and succeeds under the failureLimit", () =>
    Effect.gen(function* () {
      const calls: Array<number> = []
      const s = spec([{ name: "rate", interval: "10s", count: 3, failureLimit: 1, successCondition: "result >= 0.9" }])
      const handle = yield* Analysis.start(s, { functions: { f: sequence([0.99, 0.5, 0.95], calls) } })
      const changes = yield* Effect.forkChild(
        handle.changes.pipe(
          Stream.takeUntil((state) => state.phase === "Successful"),
          Stream.map((state) => `${state.phase}:${state.results[0]!.count}`),
          Stream.runCollect
        )
      )
      yield* advance(25_000)
      const final = yield* handle.await
      expect(yield* Fiber.join(changes)).toEqual(["Pending:0", "Running:1", "Running:2", "Successful:3"])
      expect(final.phase).toBe("Successful")
      const [rate] = final.results
      expect(rate!.measurements.map((m) => [m.phase, m.value, m.startedAt])).toEqual([
        ["Successful", "0.99", 0],
        ["Failed", "0.5", 10_000],
        ["Successful", "0.95", 20_000]
      ])
      expect(rate).toMatchObject({ phase: "Successful", count: 3, successful: 2, failed: 1 })
    })
  )

  it.effect("fails a metric when failures exceed the limit and terminates the other metrics", () =>
    Effect.gen(function* () {
      const s = spec([
        {
          name: "errors",
          interval: "10s",
          failureLimit: 1,
          successCondition: "result < 0.05",
          provider: { function: { name: "errors" } }
        },
        { name: "background", interval: "5s", successCondition: "true", provider: { function: { name: "ok" } } }
      ])
      const calls: Array<number> = []
      const handle = yield* Analysis.start(s, { functions: { errors: sequence([0.01, 0.2, 0.3], calls), ok: () => 1 } })
      yield* advance(30_000)
      const final = yield* handle.await
      expect(final.phase).toBe("Failed")
      expect(final.message).toBe('metric "errors" assessed Failed due to failed (2) > failureLimit (1)')
      expect(final.results.map((r) => [r.name, r.phase, r.count])).toEqual([
        ["errors", "Failed", 3],
        ["background", "Successful", 5]
      ])
      expect(final.results[0]!.measurements.map((m) => m.startedAt)).toEqual([0, 10_000, 20_000])
    })
  )

  it.effect("retries errors after 10 s without counting them and ends Error after consecutiveErrorLimit", () =>
    Effect.gen(function* () {
      const calls: Array<number> = []
      const s = spec(
        [{ name: "m", interval: "1m", successCondition: "result > 0" }],
        { args: [{ name: "token" }] },
        { secretArgs: { token: "tok-123" } }
      )
      const fail = new Error("backend said no to tok-123")
      const handle = yield* Analysis.start(s, { functions: { f: sequence([fail], calls) } })
      yield* advance(60_000)
      const final = yield* handle.await
      expect(final.results[0]!.measurements.map((m) => m.startedAt)).toEqual([0, 10_000, 20_000, 30_000, 40_000])
      expect(final.phase).toBe("Error")
      expect(final.results[0]).toMatchObject({ count: 0, error: 5, consecutiveError: 5, phase: "Error" })
      expect(final.results[0]!.measurements[0]!.message).toBe(
        'function provider (metric "m"): backend said no to *****'
      )
      expect(final.message).toBe(
        'metric "m" assessed Error due to function provider (metric "m"): backend said no to *****'
      )
    })
  )

  it.effect("an error streak that recovers resets the consecutive count", () =>
    Effect.gen(function* () {
      const calls: Array<number> = []
      const boom = new Error("boom")
      const s = spec([{ name: "m", interval: "20s", count: 2, successCondition: "result > 0" }])
      const handle = yield* Analysis.start(s, { functions: { f: sequence([boom, boom, boom, boom, 1, 1], calls) } })
      yield* advance(70_000)
      const final = yield* handle.await
      expect(final.phase).toBe("Successful")
      expect(final.results[0]).toMatchObject({ count: 2, error: 4, consecutiveError: 0 })
      expect(final.results[0]!.measurements.map((m) => m.startedAt)).toEqual([
        0, 10_000, 20_000, 30_000, 40_000, 60_000
      ])
    })
  )

  it.effect("waits for initialDelay and stops open-ended metrics on terminate", () =>
    Effect.gen(function* () {
      const calls: Array<number> = []
      const s = spec([{ name: "m", interval: "10s", initialDelay: "30s", successCondition: "result == 1" }])
      const handle = yield* Analysis.start(s, { functions: { f: sequence([1], calls) } })
      yield* advance(29_000)
      expect(calls).toEqual([])
      yield* advance(25_000)
      const running = yield* handle.state
      expect(running.results[0]!.measurements.map((m) => m.startedAt)).toEqual([30_000, 40_000, 50_000])
      yield* handle.terminate
      const final = yield* handle.await
      expect(final.phase).toBe("Successful")
      expect(final.message).toBe("run terminated")
      expect(final.results[0]).toMatchObject({ phase: "Successful", count: 3 })
    })
  )

  it.effect("times out a provider that hangs", () =>
    Effect.gen(function* () {
      const s = spec([
        { name: "m", consecutiveErrorLimit: 0, provider: { function: { name: "hang", timeoutSeconds: 2 } } }
      ])
      const handle = yield* Analysis.start(s, { functions: { hang: () => new Promise(() => {}) } })
      yield* advance(3_000)
      const final = yield* handle.await
      expect(final.phase).toBe("Error")
      expect(final.results[0]!.measurements[0]!.message).toBe(
        'function provider (metric "m"): no answer within 2000 ms'
      )
    })
  )

  it.effect("reports an unknown function as an Error measurement naming the registered ones", () =>
    Effect.gen(function* () {
      const s = spec([{ name: "m", consecutiveErrorLimit: 0 }])
      const final = yield* Analysis.run(s, { functions: { other: () => 1 } })
      expect(final.results[0]!.measurements[0]!.message).toBe(
        'function provider (metric "m"): no function "f" is registered (registered: other)'
      )
    })
  )

  it.effect("survives provider values that cannot be printed or compared", () =>
    Effect.gen(function* () {
      const circular: Record<string, unknown> = { ok: true }
      circular.self = circular
      const s = spec([
        { name: "circular", successCondition: "result.ok", provider: { function: { name: "circular" } } },
        {
          name: "big",
          consecutiveErrorLimit: 0,
          successCondition: "result > 1",
          provider: { function: { name: "big" } }
        }
      ])
      const final = yield* Analysis.run(s, { functions: { circular: () => circular, big: () => 10n } })
      expect(final.results.map((r) => [r.phase, r.measurements[0]!.value])).toEqual([
        ["Successful", "[object Object]"],
        ["Error", "10"]
      ])
    })
  )

  it.effect("dry-run metrics do not fail the run", () =>
    Effect.gen(function* () {
      const s = spec(
        [
          { name: "real", successCondition: "result > 0" },
          { name: "trial", successCondition: "result > 5" }
        ],
        { dryRun: [{ metricName: "tri.*" }] }
      )
      const final = yield* Analysis.run(s, { functions: { f: () => 1 } })
      expect(final.phase).toBe("Successful")
      expect(final.results.map((r) => r.phase)).toEqual(["Successful", "Failed"])
      expect(final.dryRunSummary).toEqual({ count: 1, successful: 0, failed: 1, inconclusive: 0, error: 0 })
    })
  )
})

describe("runAnalysis (Promise facade)", () => {
  it("runs an Argo-style template with a function provider", async () => {
    const final = await runAnalysis({
      template:
        "metrics:\n- name: errors\n  successCondition: result < {{args.max}}\n  provider:\n    function:\n      name: errorRate\n",
      args: { max: "0.01" },
      functions: { errorRate: async ({ metric }) => (metric === "errors" ? 0.002 : 1) }
    })
    expect(final.phase).toBe("Successful")
    expect(final.results[0]!.measurements[0]!.value).toBe("0.002")
  })

  it("rejects a bad template with a TemplateError", async () => {
    const error = await runAnalysis({ template: "metrics:\n- name: m\n  provider: {}\n" }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TemplateError)
    expect((error as TemplateError).message).toBe(
      'metric "m": provider: must name exactly one provider (prometheus, web, timeSeries, function), got 0'
    )
  })

  it("starts an open-ended analysis, reports its state and terminates it", async () => {
    let calls = 0
    const updates: Array<string> = []
    let firstRound = (): void => {}
    const measured = new Promise<void>((resolve) => {
      firstRound = resolve
    })
    const controller = await startAnalysis({
      template: "metrics:\n- name: live\n  interval: 1h\n  provider: {function: {name: f}}\n",
      functions: { f: () => ++calls },
      onUpdate: (state) => {
        updates.push(state.phase)
        firstRound()
      }
    })
    await measured
    const running = await controller.state()
    expect([running.phase, running.results[0]!.count]).toEqual(["Running", 1])
    const final = await controller.terminate()
    expect([final.phase, final.message, calls]).toEqual(["Successful", "run terminated", 1])
    expect(await controller.done).toBe(final)
    expect(updates).toEqual(["Running", "Successful"])
  })

  it("rejects an unresolvable template when starting", async () => {
    const error = await startAnalysis({
      template: { metrics: [{ name: "m", provider: { web: { url: "{{args.u}}" } } }] }
    }).catch((e: unknown) => e)
    expect((error as TemplateError).message).toBe('metric "m": args: unresolved {{args.u}}')
  })

  it.effect("compiles expressions as an Effect too", () =>
    Effect.gen(function* () {
      const compiled = yield* Expression.compile("result > 1")
      expect(Expression.condition(compiled, 2)).toBe(true)
      const error = yield* Effect.flip(Expression.compile("result >"))
      expect(error).toBeInstanceOf(ExpressionError)
      expect(error.message).toBe('unexpected end of expression at position 8 (in "result >")')
    })
  )
})
