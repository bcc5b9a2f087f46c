import { describe, expect, it } from "@effect/vitest"
import { TimeSeriesStore } from "@orchestrator/core"
import { type AnalysisState, runAnalysis } from "@orchestrator/scheduler/rollout"

const store = TimeSeriesStore.make({ resolutionMs: 1_000, precision: "float64" })
const now = Date.now()
for (const [ago, value] of [
  [4_000, 20],
  [3_000, 40],
  [2_000, 30],
  [1_000, 50]
] as const) {
  store.record("web-1;<container>", "cpu_usage_percent", now - ago, value)
}

const metric = (aggregate: string, condition: string) =>
  `metrics:\n- name: cpu\n  consecutiveErrorLimit: 0\n  successCondition: ${condition}\n  provider:\n    timeSeries:\n      nodeId: "web-1;<container>"\n      metric: cpu_usage_percent\n      window: 1m\n      aggregate: ${aggregate}\n`

const value = (state: AnalysisState.RunState) => state.results[0]!.measurements[0]!

describe("Time-series provider (core TimeSeriesStore)", () => {
  it.each([
    ["latest", "result == 50", "50"],
    ["avg", "result == 35", "35"],
    ["min", "result == 20", "20"],
    ["max", "result == 50", "50"],
    ["values", "len(result) == 4 && result[0] == 20", "[20,40,30,50]"]
  ])("aggregates %s", async (aggregate, condition, text) => {
    const state = await runAnalysis({ template: metric(aggregate, condition), timeSeries: store })
    expect([value(state).phase, value(state).value]).toEqual(["Successful", text])
  })

  it("an unknown series is nil for aggregates", async () => {
    const template = metric("avg", "isNil(result)").replace("cpu_usage_percent", "no_such_metric")
    const state = await runAnalysis({ template, timeSeries: store })
    expect([value(state).phase, value(state).value]).toEqual(["Successful", "<nil>"])
  })

  it("without a store the measurement is an Error", async () => {
    const state = await runAnalysis({ template: metric("avg", "result < 90") })
    expect(value(state)).toMatchObject({
      phase: "Error",
      message: 'timeSeries provider (metric "cpu"): no time-series store was given to the analysis'
    })
  })
})
