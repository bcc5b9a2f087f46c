import { describe, expect, it } from "@effect/vitest"
import { AnalysisState, type AnalysisTemplate, Expression, Phase } from "@orchestrator/scheduler/rollout"
import { metric, spec } from "./helpers.js"

const { assess, assessMetric, dueMetrics, initial, measurementPhase, nextDueAt, record } = AnalysisState
type MetricResult = AnalysisState.MetricResult

const compile = (source: string | undefined) =>
  source === undefined ? undefined : (Expression.compileSync(source) as Expression.Compiled)

const counters = (over: Partial<MetricResult> = {}): MetricResult => ({
  ...initial(spec([{ name: "m" }]), 0).results[0]!,
  phase: "Running",
  measurements: [{ phase: "Successful", startedAt: 0, finishedAt: 0 }],
  ...over
})

describe("AnalysisState.measurementPhase (Argo's EvaluateResult)", () => {
  it.each([
    // success, failure, result, phase
    [undefined, undefined, 1, "Successful"],
    ["result > 0", undefined, 1, "Successful"],
    ["result > 0", undefined, 0, "Failed"],
    [undefined, "result > 0", 1, "Failed"],
    [undefined, "result > 0", 0, "Successful"],
    ["result > 5", "result < 2", 7, "Successful"],
    ["result > 5", "result < 2", 1, "Failed"],
    ["result > 5", "result < 2", 3, "Inconclusive"],
    ["result > 0", "result > 0", 1, "Failed"],
    ["result[0] > 0", undefined, [], "Error"],
    [undefined, "result", 1, "Error"]
  ] as const)("success %s / failure %s with %j is %s", (success, failure, value, phase) => {
    const metricConditions = { successCondition: compile(success), failureCondition: compile(failure) }
    const clean = Object.fromEntries(Object.entries(metricConditions).filter(([, v]) => v !== undefined))
    expect(measurementPhase(clean, value).phase).toBe(phase)
  })

  it("names the expression in an Error measurement's message", () => {
    const out = measurementPhase({ successCondition: compile("result[0] > 0")! }, [])
    expect(out).toEqual({ phase: "Error", message: 'index out of range: 0 (length 0) (in "result[0] > 0")' })
  })
})

describe("AnalysisState.record", () => {
  it.each([
    ["Successful", { successful: 1, count: 1, consecutiveSuccess: 3, consecutiveError: 0 }],
    ["Failed", { failed: 1, count: 1, consecutiveSuccess: 0, consecutiveError: 0 }],
    ["Inconclusive", { inconclusive: 1, count: 1, consecutiveSuccess: 0, consecutiveError: 0 }],
    ["Error", { error: 1, count: 0, consecutiveSuccess: 0, consecutiveError: 3 }]
  ] as const)("a %s measurement updates the counters", (phase, expected) => {
    const before = counters({ measurements: [], consecutiveSuccess: 2, consecutiveError: 2 })
    const after = record(before, { phase, startedAt: 1, finishedAt: 2 }, 10)
    expect(after).toMatchObject(expected)
    expect(after.measurements).toEqual([{ phase, startedAt: 1, finishedAt: 2 }])
  })

  it("keeps at most `retention` measurements", () => {
    let result = counters({ measurements: [] })
    for (let i = 0; i < 15; i++) result = record(result, { phase: "Successful", startedAt: i, finishedAt: i }, 10)
    expect(result.measurements.map((m) => m.startedAt)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    expect(result.count).toBe(15)
  })
})

describe("AnalysisState.assessMetric (limits trip when strictly exceeded)", () => {
  const base = metric({ interval: "10s", count: 10, failureLimit: 2, inconclusiveLimit: 1, consecutiveErrorLimit: 3 })
  it.each([
    ["failed == failureLimit", { failed: 2, count: 2 }, "Running"],
    ["failed > failureLimit", { failed: 3, count: 3 }, "Failed"],
    ["inconclusive == inconclusiveLimit", { inconclusive: 1, count: 1 }, "Running"],
    ["inconclusive > inconclusiveLimit", { inconclusive: 2, count: 2 }, "Inconclusive"],
    ["consecutiveError == limit", { consecutiveError: 3, error: 3 }, "Running"],
    ["consecutiveError > limit", { consecutiveError: 4, error: 4 }, "Error"],
    ["count reached with failures under the limit", { count: 10, failed: 2, successful: 8 }, "Successful"],
    [
      "failure wins over inconclusive and error",
      { failed: 3, inconclusive: 2, consecutiveError: 4, count: 5 },
      "Failed"
    ],
    ["inconclusive wins over error", { inconclusive: 2, consecutiveError: 4, count: 2 }, "Inconclusive"]
  ] as const)("%s", (_, over, phase) => {
    expect(assessMetric(base, counters(over), false).phase).toBe(phase)
  })

  it.each([
    ["no measurement yet", metric({}), counters({ measurements: [] }), false, "Pending"],
    ["no measurement, terminating", metric({}), counters({ measurements: [] }), true, "Successful"],
    [
      "default limits: one failure fails",
      metric({ interval: "1s" }),
      counters({ failed: 1, count: 1 }),
      false,
      "Failed"
    ],
    [
      "default consecutiveErrorLimit 4: four errors go on",
      metric({}),
      counters({ consecutiveError: 4 }),
      false,
      "Running"
    ],
    ["default consecutiveErrorLimit 4: five errors", metric({}), counters({ consecutiveError: 5 }), false, "Error"],
    ["no count, no interval: one measurement", metric({}), counters({ count: 1, successful: 1 }), false, "Successful"],
    [
      "interval without count runs on",
      metric({ interval: "1s" }),
      counters({ count: 50, successful: 50 }),
      false,
      "Running"
    ],
    [
      "interval without count, terminating",
      metric({ interval: "1s" }),
      counters({ count: 50, successful: 50 }),
      true,
      "Successful"
    ],
    [
      "failureLimit -1 never fails",
      metric({ interval: "1s", failureLimit: -1 }),
      counters({ failed: 99, count: 99 }),
      false,
      "Running"
    ],
    [
      "consecutiveSuccessLimit reached",
      metric({ interval: "1s", count: 10, consecutiveSuccessLimit: 3 }),
      counters({ count: 5, successful: 3, failed: 0, consecutiveSuccess: 3 }),
      false,
      "Successful"
    ],
    [
      "consecutiveSuccessLimit one short",
      metric({ interval: "1s", count: 10, consecutiveSuccessLimit: 3 }),
      counters({ count: 5, consecutiveSuccess: 2 }),
      false,
      "Running"
    ],
    [
      "count reached before consecutiveSuccessLimit, with a failureLimit",
      metric({ interval: "1s", count: 4, consecutiveSuccessLimit: 3, failureLimit: 2 }),
      counters({ count: 4, successful: 2, failed: 2, consecutiveSuccess: 1 }),
      false,
      "Inconclusive"
    ],
    [
      "count reached before consecutiveSuccessLimit, failureLimit off",
      metric({ interval: "1s", count: 4, consecutiveSuccessLimit: 3, failureLimit: -1 }),
      counters({ count: 4, successful: 2, failed: 2, consecutiveSuccess: 1 }),
      false,
      "Failed"
    ],
    ["a completed phase stays", metric({}), counters({ phase: "Failed" }), false, "Failed"]
  ] as const)("%s", (_, m, result, terminating, phase) => {
    expect(assessMetric(m, result, terminating).phase).toBe(phase)
  })

  it("gives Argo's reason", () => {
    expect(assessMetric(base, counters({ failed: 3, count: 3 }), false)).toEqual({
      phase: "Failed",
      reason: "failed (3) > failureLimit (2)"
    })
  })
})

describe("AnalysisState.dueMetrics and nextDueAt", () => {
  const withResult = (s: AnalysisTemplate.RunSpec, over: Partial<MetricResult>) => {
    const state = initial(s, 0)
    return { ...state, results: [{ ...state.results[0]!, ...over }] }
  }
  it.each([
    ["first measurement at once", { interval: "30s" }, {}, 0, true],
    ["initialDelay not yet over", { initialDelay: "1m" }, {}, 59_999, false],
    ["initialDelay over", { initialDelay: "1m" }, {}, 60_000, true],
    ["interval not yet over", { interval: "30s" }, { measurements: [ok(1000)], count: 1 }, 30_999, false],
    ["interval over", { interval: "30s" }, { measurements: [ok(1000)], count: 1 }, 31_000, true],
    ["count reached", { interval: "30s", count: 1 }, { measurements: [ok(0)], count: 1 }, 99_999, false],
    ["error retried after 10 s", { interval: "1m" }, { measurements: [err(0)], error: 1 }, 10_000, true],
    ["error not retried before 10 s", { interval: "1m" }, { measurements: [err(0)], error: 1 }, 9_999, false],
    [
      "error retried at the interval when shorter",
      { interval: "3s" },
      { measurements: [err(0)], error: 1 },
      3_000,
      true
    ],
    ["error without interval retried after 10 s", {}, { measurements: [err(0)], error: 1 }, 10_000, true],
    ["completed metric", { interval: "1s" }, { phase: "Successful" as const, measurements: [ok(0)] }, 5_000, false]
  ] as const)("%s", (_, fields, over, now, due) => {
    const s = spec([{ name: "m", ...fields }])
    expect(dueMetrics(s, withResult(s, over), now).length === 1).toBe(due)
  })

  it("sleeps until the earliest due metric", () => {
    const s = spec([
      { name: "a", interval: "30s" },
      { name: "b", interval: "10s" }
    ])
    const state = initial(s, 0)
    const measured = {
      ...state,
      results: state.results.map((r) => ({ ...r, phase: "Running" as const, count: 1, measurements: [ok(500)] }))
    }
    expect(nextDueAt(s, measured)).toBe(10_500)
  })

  it("measures nothing once the run terminates", () => {
    const s = spec([{ name: "m", interval: "1s" }])
    expect(dueMetrics(s, { ...initial(s, 0), terminate: true }, 10_000)).toEqual([])
  })
})

describe("AnalysisState.assess (run phase)", () => {
  const twoMetrics = spec([
    { name: "a", interval: "1s" },
    { name: "b", interval: "1s", count: 2 }
  ])
  const at = (phases: [Phase.Phase, Phase.Phase], over: Partial<AnalysisState.RunState> = {}) => {
    const state = initial(twoMetrics, 0)
    return {
      ...state,
      ...over,
      results: state.results.map((r, i) => ({ ...r, phase: phases[i]!, measurements: [ok(0)] }))
    }
  }
  it.each([
    [["Running", "Running"], "Running"],
    [["Running", "Successful"], "Running"],
    [["Successful", "Successful"], "Successful"],
    [["Successful", "Inconclusive"], "Inconclusive"],
    [["Inconclusive", "Error"], "Error"],
    [["Error", "Failed"], "Failed"],
    [["Failed", "Successful"], "Failed"]
  ] as const)("metrics %j make the run %s", (phases, phase) => {
    expect(assess(twoMetrics, at([...phases])).phase).toBe(phase)
  })

  it("a failed metric terminates the run: open-ended metrics become Successful", () => {
    const state = at(["Running", "Failed"])
    const assessed = assess(twoMetrics, state)
    expect(assessed.results.map((r) => r.phase)).toEqual(["Successful", "Failed"])
    expect(assessed.phase).toBe("Failed")
    expect(assessed.message).toBe('metric "b" assessed Failed')
  })

  it("a terminate request ends the run Successful when nothing failed", () => {
    const assessed = assess(twoMetrics, at(["Running", "Running"], { terminate: true }))
    expect(assessed.phase).toBe("Successful")
    expect(assessed.message).toBe("run terminated")
  })

  it("dry-run metrics never change the run's phase but are summarized", () => {
    const s = spec([{ name: "a" }, { name: "b" }], { dryRun: [{ metricName: "b" }] })
    const state = initial(s, 0)
    const withCounts = {
      ...state,
      results: [
        { ...state.results[0]!, count: 1, successful: 1, measurements: [ok(0)] },
        {
          ...state.results[1]!,
          count: 1,
          failed: 1,
          measurements: [{ phase: "Failed" as const, startedAt: 0, finishedAt: 0 }]
        }
      ]
    }
    const assessed = assess(s, withCounts)
    expect(assessed.results.map((r) => [r.phase, r.dryRun])).toEqual([
      ["Successful", false],
      ["Failed", true]
    ])
    expect(assessed.phase).toBe("Successful")
    expect(assessed.dryRunSummary).toEqual({ count: 1, successful: 0, failed: 1, inconclusive: 0, error: 0 })
  })

  it("orders phases as Argo does", () => {
    expect(Phase.order).toEqual(["Successful", "Running", "Pending", "Inconclusive", "Error", "Failed"])
    expect(Phase.worst(["Successful", "Error", "Inconclusive"])).toBe("Error")
  })
})

function ok(at: number): AnalysisState.Measurement {
  return { phase: "Successful", startedAt: at, finishedAt: at }
}
function err(at: number): AnalysisState.Measurement {
  return { phase: "Error", startedAt: at, finishedAt: at, message: "boom" }
}
