import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import type { CheckResult } from "../../../src/apps/health/HealthTarget.js"
import {
  aliveOf,
  type CheckState,
  initialCheckState,
  reachedMaxFailures,
  readyOf,
  recordResult,
  taskHealthOf
} from "../../../src/apps/health/TaskHealth.js"
import { HealthCheck } from "../../../src/apps/model/AppDefinition.js"

const check = Schema.decodeUnknownSync(HealthCheck)({ gracePeriodSeconds: 10, maxConsecutiveFailures: 3 })
const startedAt = 1_000_000
const pass = (at: number): CheckResult => ({ healthy: true, message: "HTTP 200", durationMs: 1, at })
const fail = (at: number, message = "HTTP 500"): CheckResult => ({ healthy: false, message, durationMs: 1, at })
const replay = (results: ReadonlyArray<CheckResult>): CheckState =>
  results.reduce((state, result) => recordResult(state, check, startedAt, result), initialCheckState)

describe("TaskHealth rules (pure)", () => {
  it("ignores failures within the grace period until the check first passes", () => {
    const inGrace = replay([fail(startedAt + 1_000), fail(startedAt + 5_000)])
    expect(inGrace).toEqual({ last: fail(startedAt + 5_000), consecutiveFailures: 0 })
    const afterGrace = replay([fail(startedAt + 1_000), fail(startedAt + 10_000)])
    expect(afterGrace).toEqual({
      last: fail(startedAt + 10_000),
      alive: false,
      consecutiveFailures: 1,
      lastFailureAt: startedAt + 10_000,
      lastFailureCause: "HTTP 500"
    })
    const passedOnce = replay([pass(startedAt + 1_000), fail(startedAt + 2_000)])
    expect(passedOnce).toMatchObject({ alive: false, consecutiveFailures: 1, firstSuccessAt: startedAt + 1_000 })
  })

  it("counts failures in a row; a success resets the count; the max asks for a kill (0: never)", () => {
    const t = startedAt + 20_000
    const twice = replay([fail(t), fail(t + 1)])
    expect(reachedMaxFailures(twice, check)).toBe(false)
    const thrice = replay([fail(t), fail(t + 1), fail(t + 2)])
    expect(thrice.consecutiveFailures).toBe(3)
    expect(reachedMaxFailures(thrice, check)).toBe(true)
    const reset = replay([fail(t), fail(t + 1), pass(t + 2), fail(t + 3), fail(t + 4)])
    expect(reset).toMatchObject({ consecutiveFailures: 2, lastSuccessAt: t + 2, firstSuccessAt: t + 2 })
    expect(reachedMaxFailures(reset, check)).toBe(false)
    expect(reachedMaxFailures(thrice, { ...check, maxConsecutiveFailures: 0 })).toBe(false)
  })

  it("a task is alive when all checks are, dead when one is not, unknown otherwise; ready when all are", () => {
    const alive: CheckState = { consecutiveFailures: 0, alive: true }
    const dead: CheckState = { consecutiveFailures: 1, alive: false }
    expect(aliveOf([])).toBe(true)
    expect(aliveOf([alive, alive])).toBe(true)
    expect(aliveOf([alive, initialCheckState])).toBeUndefined()
    expect(aliveOf([initialCheckState, dead])).toBe(false)
    expect(readyOf([])).toBe(true)
    expect(readyOf([{ ready: true, message: "" }, undefined])).toBe(false)
    expect(readyOf([{ ready: true, message: "" }])).toBe(true)
  })

  it("the task's health sums its checks up: largest count, latest times, the latest failure's cause", () => {
    const t = startedAt + 20_000
    const first = replay([pass(t), fail(t + 10, "HTTP 503")])
    const second = replay([fail(t + 5, "refused"), fail(t + 6, "refused"), pass(t + 20)])
    expect(
      taskHealthOf({ taskId: "web.1", checks: [first, second], readiness: [undefined], firstHealthyAt: t })
    ).toEqual({
      taskId: "web.1",
      alive: false,
      ready: false,
      consecutiveFailures: 1,
      firstHealthyAt: t,
      lastSuccessAt: t + 20,
      lastFailureAt: t + 10,
      lastFailureCause: "HTTP 503",
      checks: [fail(t + 10, "HTTP 503"), pass(t + 20)],
      readiness: [undefined],
      perCheck: [first, second]
    })
  })
})
