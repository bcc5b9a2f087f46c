import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Autoscale } from "../../../src/apps/model/AppDefinition.js"
import { autoscaleDecision, type Sample } from "../../../src/apps/plan/index.js"

const spec = (input: Record<string, unknown> = {}): Autoscale =>
  Schema.decodeUnknownSync(Autoscale)({ metric: "cpu", target: 50, min: 1, max: 10, ...input })

const now = 1_000_000
/** `values` as samples 1 s apart, the last at `now`. */
const samples = (...values: ReadonlyArray<number>): ReadonlyArray<Sample> =>
  values.map((value, i) => ({ at: now - (values.length - 1 - i) * 1000, value }))

describe("autoscaleDecision", () => {
  it("scales to ceil(instances x mean / target)", () => {
    expect(autoscaleDecision(spec(), { instances: 4, samples: samples(70, 80, 90), now })).toEqual({
      instances: 7,
      reason: "cpu averaged 80 over 30s (3 sample(s)), target 50: ratio 1.60, ceil(4 x 1.60) = 7 -> 7 instance(s)"
    })
    expect(autoscaleDecision(spec(), { instances: 4, samples: samples(20, 30), now })?.instances).toBe(2)
  })

  it("does nothing within the tolerance of the target", () => {
    expect(autoscaleDecision(spec(), { instances: 4, samples: samples(55), now })).toBeUndefined()
    expect(autoscaleDecision(spec(), { instances: 4, samples: samples(45), now })).toBeUndefined()
    expect(autoscaleDecision(spec({ tolerance: 0 }), { instances: 4, samples: samples(55), now })?.instances).toBe(5)
  })

  it("averages only the samples inside the window, and only finite ones", () => {
    const old = { at: now - 31_000, value: 1000 }
    expect(autoscaleDecision(spec(), { instances: 2, samples: [old, ...samples(100)], now })?.instances).toBe(4)
    expect(autoscaleDecision(spec(), { instances: 2, samples: [old], now })).toBeUndefined()
    expect(autoscaleDecision(spec(), { instances: 2, samples: [{ at: now, value: Number.NaN }], now })).toBeUndefined()
    expect(autoscaleDecision(spec(), { instances: 2, samples: [{ at: now + 5000, value: 100 }], now })).toBeUndefined()
  })

  it("makes no decision without samples", () => {
    expect(autoscaleDecision(spec(), { instances: 3, samples: [], now })).toBeUndefined()
  })

  it("waits for the cool-down after the last change", () => {
    const input = { instances: 2, samples: samples(100), now }
    expect(autoscaleDecision(spec({ cooldownSeconds: 60 }), { ...input, lastChangeAt: now - 59_000 })).toBeUndefined()
    expect(autoscaleDecision(spec({ cooldownSeconds: 60 }), { ...input, lastChangeAt: now - 60_000 })?.instances).toBe(
      4
    )
  })

  it("at most doubles per step", () => {
    expect(autoscaleDecision(spec(), { instances: 2, samples: samples(500), now })).toEqual({
      instances: 4,
      reason:
        "cpu averaged 500 over 30s (1 sample(s)), target 50: ratio 10.00, ceil(2 x 10.00) = 20, limited to double (4) -> 4 instance(s)"
    })
  })

  it("clamps to [min, max], and does nothing when clamping leaves the count unchanged", () => {
    expect(autoscaleDecision(spec({ max: 5 }), { instances: 4, samples: samples(100), now })).toEqual({
      instances: 5,
      reason:
        "cpu averaged 100 over 30s (1 sample(s)), target 50: ratio 2.00, ceil(4 x 2.00) = 8, clamped to [1, 5] -> 5 instance(s)"
    })
    expect(autoscaleDecision(spec({ min: 2 }), { instances: 3, samples: samples(1), now })?.instances).toBe(2)
    expect(autoscaleDecision(spec({ min: 3 }), { instances: 3, samples: samples(1), now })).toBeUndefined()
    expect(autoscaleDecision(spec({ max: 4 }), { instances: 4, samples: samples(100), now })).toBeUndefined()
  })

  it("scales to 0 only when min is 0", () => {
    expect(autoscaleDecision(spec({ min: 0 }), { instances: 3, samples: samples(0), now })?.instances).toBe(0)
    expect(autoscaleDecision(spec({ min: 1 }), { instances: 3, samples: samples(0), now })?.instances).toBe(1)
  })

  it("brings instances outside [min, max] back at once, even without samples or in the cool-down", () => {
    expect(autoscaleDecision(spec({ min: 2 }), { instances: 0, samples: [], lastChangeAt: now, now })).toEqual({
      instances: 2,
      reason: "0 instance(s) is below the autoscale minimum 2"
    })
    expect(autoscaleDecision(spec({ max: 3 }), { instances: 5, samples: [], now })).toEqual({
      instances: 3,
      reason: "5 instance(s) is above the autoscale maximum 3"
    })
  })

  it("leaves an app at 0 instances alone when min is 0", () => {
    expect(autoscaleDecision(spec({ min: 0 }), { instances: 0, samples: samples(100), now })).toBeUndefined()
  })
})
