import { describe, expect, it } from "@effect/vitest"
import { Canary, CanaryStateError, startCanary, WeightError } from "@orchestrator/scheduler/rollout"
import { Effect, Fiber } from "effect"
import { advance, spec } from "./helpers.js"

/** A weight setter that records every weight (the test double of a load balancer). */
const recorder = (failAt?: number) => {
  const weights: Array<number> = []
  const setter: Canary.WeightSetter = {
    setWeight: (weight) =>
      weight === failAt
        ? Effect.fail(new WeightError({ weight, reason: "load balancer refused" }))
        : Effect.sync(() => {
            weights.push(weight)
          })
  }
  return { weights, setter }
}

/** An inline analysis whose single metric reads the function `name`. */
const analysis = (name: string, fields: Record<string, unknown> = {}) =>
  spec([
    {
      name: `check-${name}`,
      successCondition: "result > 0.5",
      failureCondition: "result < 0.2",
      provider: { function: { name } },
      ...fields
    }
  ])

const functions = { good: () => 0.9, bad: () => 0.1, unsure: () => 0.3 }

describe("Canary", () => {
  it.effect("runs setWeight, timed pause and analysis steps, then promotes fully", () =>
    Effect.gen(function* () {
      const { weights, setter } = recorder()
      const canary = yield* Canary.start(
        {
          steps: [
            { setWeight: 20 },
            { pause: { durationMs: 30_000 } },
            { analysis: analysis("good") },
            { setWeight: 50 }
          ]
        },
        setter,
        { functions }
      )
      yield* advance(1_000)
      expect(yield* canary.status).toMatchObject({
        phase: "Paused",
        pauseReason: "CanaryPauseStep",
        stepIndex: 1,
        weight: 20
      })
      yield* advance(30_000)
      const done = yield* canary.awaitPhase(["Healthy"])
      expect(weights).toEqual([20, 50, 100])
      expect(done).toMatchObject({
        phase: "Healthy",
        stepIndex: 4,
        weight: 100,
        analyses: [{ kind: "step", step: 2, phase: "Successful" }]
      })
    })
  )

  it.effect("an indefinite pause waits for promote", () =>
    Effect.gen(function* () {
      const { weights, setter } = recorder()
      const canary = yield* Canary.start({ steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 60 }] }, setter)
      yield* advance(600_000)
      expect(yield* canary.status).toMatchObject({ phase: "Paused", stepIndex: 1 })
      yield* canary.promote
      yield* canary.awaitPhase(["Healthy"])
      expect(weights).toEqual([10, 60, 100])
    })
  )

  it.effect.each([
    ["Failed", "bad"],
    ["Error", "missing"]
  ] as const)("an analysis that ends %s aborts: weight 0, Degraded", ([phase, name]) =>
    Effect.gen(function* () {
      const { weights, setter } = recorder()
      const canary = yield* Canary.start(
        { steps: [{ setWeight: 20 }, { analysis: analysis(name, { consecutiveErrorLimit: 0 }) }, { setWeight: 80 }] },
        setter,
        { functions }
      )
      yield* advance(1_000)
      const status = yield* canary.awaitPhase(["Degraded"])
      expect(weights).toEqual([20, 0])
      expect(status.analyses.map((a) => a.phase)).toEqual([phase])
      expect(status.message).toMatch(
        new RegExp(`^analysis at step 1 ${phase}: metric "check-${name}" assessed ${phase}`)
      )
    })
  )

  it.effect("an inconclusive analysis pauses until promoted", () =>
    Effect.gen(function* () {
      const { weights, setter } = recorder()
      const canary = yield* Canary.start(
        { steps: [{ setWeight: 20 }, { analysis: analysis("unsure") }, { setWeight: 80 }] },
        setter,
        { functions }
      )
      yield* advance(1_000)
      expect(yield* canary.awaitPhase(["Paused"])).toMatchObject({ pauseReason: "InconclusiveAnalysis", stepIndex: 1 })
      yield* canary.promote
      yield* canary.awaitPhase(["Healthy"])
      expect(weights).toEqual([20, 80, 100])
    })
  )

  it.effect("a failing background analysis aborts; retry starts again from the first step", () =>
    Effect.gen(function* () {
      const { weights, setter } = recorder()
      let value = 0.9
      const background = spec([
        { name: "bg", interval: "10s", successCondition: "result > 0.5", provider: { function: { name: "live" } } }
      ])
      const canary = yield* Canary.start(
        {
          steps: [{ setWeight: 10 }, { pause: { durationMs: 60_000 } }, { setWeight: 50 }],
          background: { spec: background, startingStep: 1 }
        },
        setter,
        { functions: { live: () => value } }
      )
      yield* advance(25_000)
      expect(yield* canary.status).toMatchObject({ phase: "Paused", weight: 10 })
      value = 0.1
      yield* advance(10_000)
      const degraded = yield* canary.awaitPhase(["Degraded"])
      expect(weights).toEqual([10, 0])
      expect(degraded.analyses).toMatchObject([{ kind: "background", phase: "Failed" }])
      value = 0.9
      yield* canary.retry
      yield* advance(61_000)
      const healthy = yield* canary.awaitPhase(["Healthy"])
      expect(weights).toEqual([10, 0, 10, 50, 100])
      expect(healthy.analyses.map((a) => [a.kind, a.phase])).toEqual([
        ["background", "Failed"],
        ["background", "Successful"]
      ])
    })
  )

  it.effect("promoteFull skips the rest; abort sets weight 0; commands check the phase", () =>
    Effect.gen(function* () {
      const { weights, setter } = recorder()
      const canary = yield* Canary.start({ steps: [{ setWeight: 5 }, { pause: {} }, { setWeight: 50 }] }, setter)
      yield* advance(1_000)
      const retryEarly = yield* Effect.flip(canary.retry)
      expect(retryEarly).toEqual(new CanaryStateError({ command: "retry", phase: "Paused" }))
      yield* canary.abort
      expect(yield* canary.status).toMatchObject({ phase: "Degraded", weight: 0, message: "aborted by request" })
      yield* canary.promoteFull
      expect(yield* canary.status).toMatchObject({ phase: "Healthy", weight: 100 })
      expect(weights).toEqual([5, 0, 100])
      expect((yield* Effect.flip(canary.promote)).message).toBe("cannot promote a canary that is Healthy")
    })
  )

  it.effect("a weight setter failure aborts with its reason", () =>
    Effect.gen(function* () {
      const { weights, setter } = recorder(50)
      const canary = yield* Canary.start({ steps: [{ setWeight: 10 }, { setWeight: 50 }] }, setter)
      const status = yield* canary.awaitPhase(["Degraded"])
      expect(weights).toEqual([10, 0])
      expect(status.message).toBe("setWeight 50 failed")
    })
  )

  it.effect("a failed full promotion aborts and returns the setter's error", () =>
    Effect.gen(function* () {
      const { weights, setter } = recorder(100)
      const canary = yield* Canary.start({ steps: [{ setWeight: 10 }, { pause: {} }] }, setter)
      yield* advance(1_000)
      const error = yield* Effect.flip(canary.promoteFull)
      expect(error).toEqual(new WeightError({ weight: 100, reason: "load balancer refused" }))
      expect(yield* canary.status).toMatchObject({ phase: "Degraded", weight: 0, message: "full promotion failed" })
      expect(weights).toEqual([10, 0])
    })
  )

  it.effect("refuses a weight outside 0-100", () =>
    Effect.gen(function* () {
      const { weights, setter } = recorder()
      const canary = yield* Canary.start({ steps: [{ setWeight: 10 }, { setWeight: 150 }] }, setter)
      const status = yield* canary.awaitPhase(["Degraded"])
      expect([weights, status.message]).toEqual([[10, 0], "setWeight 150 is outside 0-100"])
    })
  )

  it.effect("stops with its scope", () =>
    Effect.gen(function* () {
      const { weights, setter } = recorder()
      const fiber = yield* Effect.forkChild(
        Effect.scoped(Effect.andThen(Canary.start({ steps: [{ setWeight: 10 }, { pause: {} }] }, setter), Effect.never))
      )
      yield* advance(1_000)
      yield* Fiber.interrupt(fiber)
      expect(weights).toEqual([10])
    })
  )
})

describe("startCanary (Promise facade)", () => {
  it("drives a Promise weight setter through analysis steps resolved from templates", async () => {
    const weights: Array<number> = []
    const canary = await startCanary(
      {
        steps: [
          { setWeight: 25 },
          {
            analysis: {
              template: "metrics:\n- name: ok\n  successCondition: result == 1\n  provider: {function: {name: one}}\n"
            }
          }
        ]
      },
      { setWeight: async (w) => void weights.push(w) },
      { functions: { one: () => 1 } }
    )
    const status = await canary.waitFor(["Healthy", "Degraded"])
    await canary.stop()
    expect(status.phase).toBe("Healthy")
    expect(weights).toEqual([25, 100])
  })
})
