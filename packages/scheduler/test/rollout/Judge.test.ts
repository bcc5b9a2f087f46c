import { describe, expect, it } from "@effect/vitest"
import { Judge, judge } from "@orchestrator/scheduler/rollout"

/** A deterministic pseudo-random sample (a linear congruential generator; no Math.random in tests). */
const sample = (n: number, center: number, spread: number, seed: number): Array<number> => {
  let state = seed
  return Array.from({ length: n }, () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return center + spread * (state / 2147483648 - 0.5)
  })
}

const control = sample(50, 100, 20, 1)
const same = sample(50, 100, 20, 2)
const higher = sample(50, 140, 20, 3)
const lower = sample(50, 60, 20, 4)

describe("Judge.classify", () => {
  it.each([
    ["a canary like the control passes", same, "either", "Pass"],
    ["a higher canary is High", higher, "either", "High"],
    ["a lower canary is Low", lower, "either", "Low"],
    ["a higher canary passes when only decreases are bad", higher, "decrease", "Pass"],
    ["a lower canary passes when only increases are bad", lower, "increase", "Pass"],
    ["a higher canary is High when increases are bad", higher, "increase", "High"]
  ] as const)("%s", (_, experiment, direction, classification) => {
    const verdict = Judge.classify({ name: "latency", control, experiment, direction })
    expect(verdict.classification).toBe(classification)
  })

  it("reports the statistics per metric", () => {
    const verdict = Judge.classify({ name: "latency", control, experiment: higher })
    const { statistics } = verdict
    expect(statistics.control).toMatchObject({ count: 50, removedNaN: 0, removedOutliers: 0 })
    expect(statistics.mannWhitney).toMatchObject({ method: "normal", nx: 50, ny: 50, confLevel: 0.98 })
    expect(statistics.mannWhitney!.lower).toBeGreaterThan(statistics.band!.upper)
    expect(statistics.band!.upper).toBeCloseTo(0.25 * Math.abs(statistics.mannWhitney!.estimate), 12)
    expect(statistics.meanRatio).toBeCloseTo(statistics.experiment.mean / statistics.control.mean, 12)
    expect(statistics.cles).toBeGreaterThan(0.9)
    expect(verdict.reason).toMatch(/^98% interval of the shift \[.*\] is above the tolerance band/)
  })

  it("passes identical data and constant data without a test", () => {
    expect(Judge.classify({ name: "m", control: [1, 2, 3], experiment: [3, 2, 1] }).reason).toBe(
      "the experiment and control data are identical"
    )
    expect(Judge.classify({ name: "m", control: [5, 5], experiment: [5, 5, 5] }).reason).toBe("every value is the same")
  })

  it("refuses more than maxPairs pairs instead of running out of memory", () => {
    const big = new Array<number>(2_001).fill(1)
    const verdict = Judge.classify({ name: "m", control: big, experiment: [...big.slice(1), 2] })
    expect([verdict.classification, verdict.reason]).toEqual([
      "Error",
      "2001 control × 2001 experiment values exceed 4000000 pairs; aggregate them first"
    ])
    expect(Judge.validateRequest({ metrics: [{ name: "m", control: big, experiment: big }] })).toEqual([
      "metrics[0]: control × experiment has 4004001 pairs, more than 4000000"
    ])
  })

  it("removes NaN and null, or replaces them", () => {
    const removed = Judge.classify({ name: "m", control: [1, NaN, 2, null, 3], experiment: [1, 2, 3] })
    expect(removed.statistics.control).toMatchObject({ count: 3, removedNaN: 2 })
    const replaced = Judge.classify({ name: "m", control: [1, NaN, 2], experiment: [1, 2, 0], nanStrategy: "replace" })
    expect(replaced.statistics.control).toMatchObject({ count: 3, removedNaN: 0, min: 0 })
  })

  it("removes outliers outside Q1 - 3 IQR .. Q3 + 3 IQR when asked", () => {
    const withSpike = [...control.slice(0, 20), 10_000]
    const verdict = Judge.classify({
      name: "m",
      control: withSpike,
      experiment: same.slice(0, 20),
      removeOutliers: true
    })
    expect(verdict.statistics.control).toMatchObject({ count: 20, removedOutliers: 1 })
    expect(verdict.statistics.control.max).toBeLessThan(10_000)
  })

  it.each([
    ["no data", false, "NoData", "no data (experiment)"],
    ["no data when data is required", true, "NoDataFail", "no data (experiment) and the metric must have data"]
  ] as const)("%s", (_, mustHaveData, classification, reason) => {
    const verdict = Judge.classify({ name: "m", control: [1, 2], experiment: [NaN], mustHaveData })
    expect([verdict.classification, verdict.reason]).toEqual([classification, reason])
  })

  it("gates a significant shift by the effect size", () => {
    const small = control.map((v) => v * 1.08)
    expect(Judge.classify({ name: "m", control, experiment: small, direction: "increase" }).classification).toBe("High")
    const gated = Judge.classify({
      name: "m",
      control,
      experiment: small,
      direction: "increase",
      effectSize: { measure: "meanRatio", allowedIncrease: 1.1 }
    })
    expect(gated.classification).toBe("Pass")
    expect(gated.reason).toBe("a significant increase, but meanRatio 1.08 < allowed 1.1")
    const byCles = Judge.classify({
      name: "m",
      control,
      experiment: higher,
      effectSize: { measure: "cles", allowedIncrease: 0.8 }
    })
    expect(byCles.classification).toBe("High")
  })

  it("the variance-aware check catches a canary with the same median and a much larger spread", () => {
    const wide = sample(50, 100, 80, 2)
    const plain = Judge.classify({ name: "m", control, experiment: wide })
    expect(plain.classification).toBe("Pass")
    const aware = Judge.classify({ name: "m", control, experiment: wide, varianceCheck: true })
    expect(aware.classification).toBe("HighVariance")
    expect(aware.statistics.spread!.madRatio).toBeGreaterThan(2)
    expect(Judge.classify({ name: "m", control, experiment: same, varianceCheck: true }).classification).toBe("Pass")
  })
})

describe("Judge.judge (scores)", () => {
  const metric = (
    name: string,
    experiment: Array<number>,
    extra: Partial<Judge.MetricInput> = {}
  ): Judge.MetricInput => ({
    name,
    control,
    experiment,
    ...extra
  })

  it("scores groups and a weighted total and maps it to a phase", () => {
    const judgement = judge({
      metrics: [
        metric("a", same, { group: "latency" }),
        metric("b", higher, { group: "latency" }),
        metric("c", same, { group: "errors" }),
        metric("d", [NaN], { group: "errors" })
      ],
      groupWeights: { latency: 60, errors: 40 }
    })
    expect(judgement.groups).toEqual([
      { name: "latency", score: 50, weight: 60, noData: false, counts: { Pass: 1, High: 1 } },
      { name: "errors", score: 100, weight: 40, noData: false, counts: { Pass: 1, NoData: 1 } }
    ])
    expect(judgement.score).toBeCloseTo(70, 10)
    expect([judgement.classification, judgement.phase]).toEqual(["Fail", "Failed"])
    expect(judgement.reason).toBe("score 70 (pass >= 95, marginal >= 75)")
  })

  it.each([
    [{ pass: 95, marginal: 75 }, "Fail", "Failed"],
    [{ pass: 95, marginal: 70 }, "Marginal", "Inconclusive"],
    [{ pass: 70, marginal: 50 }, "Pass", "Successful"]
  ] as const)("thresholds %j at score 70 give %s", (thresholds, classification, phase) => {
    const judgement = judge({
      metrics: [
        metric("a", same, { group: "x" }),
        metric("b", higher, { group: "x" }),
        metric("c", same, { group: "y" })
      ],
      groupWeights: { x: 60, y: 40 },
      thresholds
    })
    expect([judgement.score, judgement.classification, judgement.phase]).toEqual([70, classification, phase])
  })

  it("a failed critical metric fails the judgement with score 0", () => {
    const judgement = judge({
      metrics: [metric("a", same), metric("b", same), metric("c", higher, { critical: true })]
    })
    expect([judgement.score, judgement.phase, judgement.reason]).toEqual([
      0,
      "Failed",
      "critical metric c (High) failed"
    ])
  })

  it("without data anywhere it fails", () => {
    const judgement = judge({ metrics: [metric("a", [])] })
    expect([judgement.phase, judgement.reason]).toEqual(["Failed", "no metric had data"])
  })

  it("reports invalid input per field instead of throwing", () => {
    const bad = {
      metrics: [{ name: "", control: "x", experiment: [1], direction: "up", tolerance: -1 }],
      thresholds: { pass: 50, marginal: 90 }
    }
    expect(Judge.validateRequest(bad)).toEqual([
      "metrics[0].name: Expected a value with a length of at least 1",
      "metrics[0].control: Expected array",
      'metrics[0].direction: Expected "increase" | "decrease" | "either"',
      "metrics[0].tolerance: Expected a value greater than or equal to 0",
      "thresholds.marginal: must not exceed thresholds.pass"
    ])
    const judgement = judge(bad as unknown as Judge.JudgeRequest)
    expect(judgement.phase).toBe("Failed")
    expect(judgement.metrics[0]!.classification).toBe("Error")
    expect(judge(null as unknown as Judge.JudgeRequest)).toMatchObject({
      phase: "Failed",
      errors: ["request: Expected object"]
    })
    expect(judge({} as Judge.JudgeRequest)).toMatchObject({ phase: "Failed", errors: ["metrics: Missing key"] })
    expect(judge({ metrics: [metric("a", same, { group: "g" })], groupWeights: { other: 1 } }).errors).toEqual([
      'groupWeights: no weight for group "g"'
    ])
  })

  it("judges 100 metrics of 50 vs 50 samples", () => {
    const metrics = Array.from({ length: 100 }, (_, i) => metric(`m${i}`, sample(50, 100 + (i % 3), 20, i + 10)))
    const judgement = judge({ metrics })
    expect(judgement.metrics).toHaveLength(100)
    expect(judgement.groups[0]!.counts.Pass! + (judgement.groups[0]!.counts.High ?? 0)).toBe(100)
  })
})
