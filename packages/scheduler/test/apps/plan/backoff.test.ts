import { describe, expect, it } from "vitest"
import { backoffState, launchDelayMs } from "../../../src/apps/plan/index.js"
import { app } from "./helpers.js"

describe("launchDelayMs", () => {
  const defaults = app()

  it("is 0 without failures, then backoffSeconds x backoffFactor^(n-1) with Marathon's defaults", () => {
    expect([0, 1, 2, 3, 10].map((n) => launchDelayMs(defaults, n))).toEqual([0, 1000, 1150, 1322, 3518])
  })

  it("is capped at maxLaunchDelaySeconds (reached after 42 failures with the defaults)", () => {
    expect(launchDelayMs(defaults, 41)).toBeLessThan(300_000)
    expect(launchDelayMs(defaults, 42)).toBe(300_000)
    expect(launchDelayMs(defaults, 10_000)).toBe(300_000)
  })

  it("follows the app's own settings, including no backoff at all", () => {
    const custom = app({ backoffSeconds: 2, backoffFactor: 2, maxLaunchDelaySeconds: 10 })
    expect([1, 2, 3, 4, 5].map((n) => launchDelayMs(custom, n))).toEqual([2000, 4000, 8000, 10_000, 10_000])
    expect(launchDelayMs(app({ backoffSeconds: 0 }), 5)).toBe(0)
    expect(launchDelayMs(app({ backoffSeconds: 5, maxLaunchDelaySeconds: 3 }), 1)).toBe(3000)
  })

  it("treats a nonsensical failure count as no failure", () => {
    expect([-1, Number.NaN, 0.5].map((n) => launchDelayMs(defaults, n))).toEqual([0, 0, 0])
  })
})

describe("backoffState", () => {
  const custom = app({ backoffSeconds: 2, backoffFactor: 2, maxLaunchDelaySeconds: 10 })

  it("without failures: no delay, a launch is overdue at once", () => {
    expect(backoffState(custom, 0, undefined, 5000)).toEqual({
      delayMs: 0,
      nextLaunchAt: 5000,
      timeLeftMs: 0,
      delayed: false,
      overdue: true,
      stuck: false
    })
  })

  it("delays the next launch from the last failure, then reports it overdue", () => {
    expect(backoffState(custom, 2, 10_000, 11_000)).toEqual({
      delayMs: 4000,
      nextLaunchAt: 14_000,
      timeLeftMs: 3000,
      delayed: true,
      overdue: false,
      stuck: false
    })
    expect(backoffState(custom, 2, 10_000, 14_000)).toMatchObject({ timeLeftMs: 0, delayed: false, overdue: true })
  })

  it("reports the app stuck once the delay reached its maximum", () => {
    expect(backoffState(custom, 3, 0, 0).stuck).toBe(false)
    expect(backoffState(custom, 4, 0, 0)).toEqual({
      delayMs: 10_000,
      nextLaunchAt: 10_000,
      timeLeftMs: 10_000,
      delayed: true,
      overdue: false,
      stuck: true
    })
    expect(backoffState(app({ backoffSeconds: 0 }), 50, 0, 0).stuck).toBe(false)
  })
})
