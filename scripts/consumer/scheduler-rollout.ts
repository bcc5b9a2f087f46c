// A consumer of @orchestrator/scheduler/rollout's Promise facade: judge two fixed samples, then run an
// analysis from an Argo-style template with a function provider.
import { judge, runAnalysis } from "@orchestrator/scheduler/rollout"

const check = (condition: boolean, what: string): void => {
  if (!condition) throw new Error(`consumer check failed: ${what}`)
  console.log(`ok - ${what}`)
}

const control = [101, 99, 100, 102, 98, 100, 101, 99, 103, 97, 100, 102]
const slower = control.map((v) => v + 25)

const same = judge({
  metrics: [{ name: "latency", control, experiment: control.map((v) => v + 0.5), direction: "increase" }]
})
check(same.phase === "Successful" && same.score === 100, "a canary like its baseline passes the judge")

const worse = judge({
  metrics: [{ name: "latency", control, experiment: slower, direction: "increase", critical: true }]
})
const latency = worse.metrics[0]
check(
  worse.phase === "Failed" && latency !== undefined && latency.classification === "High",
  "a slower canary fails the judge"
)
check((latency?.statistics.mannWhitney?.pValue ?? 1) < 0.01, "the judge reports the Mann-Whitney statistics")

const run = await runAnalysis({
  template: [
    "apiVersion: argoproj.io/v1alpha1",
    "kind: AnalysisTemplate",
    "metadata:",
    "  name: errors",
    "spec:",
    "  args:",
    "  - name: max",
    "  metrics:",
    "  - name: error-rate",
    '    successCondition: result < asFloat("{{args.max}}")',
    "    provider:",
    "      function:",
    "        name: errorRate",
    ""
  ].join("\n"),
  args: { max: "0.01" },
  functions: { errorRate: async () => 0.002 }
})
check(
  run.phase === "Successful" && run.results[0]?.measurements[0]?.value === "0.002",
  "an analysis with a function provider succeeds"
)
console.log("consumer (scheduler rollout): all checks passed")
