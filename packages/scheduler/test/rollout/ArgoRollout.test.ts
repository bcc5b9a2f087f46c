import { describe, expect, it } from "@effect/vitest"
import { AnalysisTemplate, ArgoRollout, Canary, startArgoCanary } from "@orchestrator/scheduler/rollout"
import { Effect } from "effect"
import { advance } from "./helpers.js"

// The background-analysis example of Argo Rollouts' analysis docs, with a function provider instead of
// Prometheus (the test has no Istio), and an inline analysis step.
const rollout = `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: guestbook
spec:
  replicas: 5
  strategy:
    canary:
      analysis:
        templates:
        - templateName: success-rate
        startingStep: 2 # delay starting analysis run until setWeight: 40%
        args:
        - name: service-name
          value: guestbook-svc.default.svc.cluster.local
      steps:
      - setWeight: 20
      - pause: {duration: 10m}
      - setWeight: 40
      - pause: {duration: 600}
      - analysis:
          templates:
          - templateName: smoke
          args:
          - name: service-name
            value: guestbook-svc.default.svc.cluster.local
      - setWeight: 80
      - pause: {}
`

const templates = `
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  args:
  - name: service-name
  metrics:
  - name: success-rate
    interval: 5m
    successCondition: result >= 0.95
    failureLimit: 3
    provider:
      function:
        name: successRate
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: smoke
spec:
  args:
  - name: service-name
  metrics:
  - name: smoke
    successCondition: result == "{{args.service-name}}"
    provider:
      function:
        name: smoke
`

describe("ArgoRollout.canarySpec", () => {
  it.effect("reads an Argo Rollout's canary steps and background analysis", () =>
    Effect.gen(function* () {
      const spec = yield* ArgoRollout.canarySpec(rollout, { templates: yield* AnalysisTemplate.parseYaml(templates) })
      expect(
        spec.steps.map((s) => ("analysis" in s ? { analysis: s.analysis.metrics.map((m) => m.name) } : s))
      ).toEqual([
        { setWeight: 20 },
        { pause: { durationMs: 600_000 } },
        { setWeight: 40 },
        { pause: { durationMs: 600_000 } },
        { analysis: ["smoke"] },
        { setWeight: 80 },
        { pause: {} }
      ])
      expect(spec.background?.startingStep).toBe(2)
      expect(spec.background?.spec.args).toEqual({ "service-name": "guestbook-svc.default.svc.cluster.local" })
    })
  )

  it.effect("drives the canary driver through the Rollout's steps", () =>
    Effect.gen(function* () {
      const spec = yield* ArgoRollout.canarySpec(rollout, { templates: yield* AnalysisTemplate.parseYaml(templates) })
      const weights: Array<number> = []
      const canary = yield* Canary.start(
        spec,
        { setWeight: (w) => Effect.sync(() => void weights.push(w)) },
        { functions: { successRate: () => 0.99, smoke: ({ args }) => args["service-name"] } }
      )
      yield* advance(21 * 60_000)
      const paused = yield* canary.status
      expect([paused.phase, paused.stepIndex, weights]).toEqual(["Paused", 6, [20, 40, 80]])
      yield* canary.promote
      const done = yield* canary.awaitPhase(["Healthy"])
      expect(weights).toEqual([20, 40, 80, 100])
      expect(done.analyses.map((a) => [a.kind, a.step, a.phase])).toEqual([
        ["step", 4, "Successful"],
        ["background", 6, "Successful"]
      ])
    })
  )

  it.effect.each([
    [
      "an unsupported step",
      "      steps:\n      - setCanaryScale: {replicas: 1}\n",
      "spec.strategy.canary.steps[0].setCanaryScale"
    ],
    ["a weight over 100", "      steps:\n      - setWeight: 120\n", "spec.strategy.canary.steps[0].setWeight"],
    ["a bad pause", "      steps:\n      - pause: {duration: soon}\n", "spec.strategy.canary.steps[0].pause.duration"],
    [
      "an unknown template",
      "      steps:\n      - analysis:\n          templates:\n          - templateName: nope\n",
      "templates[0].templateName"
    ],
    [
      "a Kubernetes-only arg",
      "      steps:\n      - analysis:\n          templates:\n          - templateName: smoke\n          args:\n          - name: service-name\n            valueFrom: {podTemplateHashValue: Latest}\n",
      "args[0].valueFrom"
    ]
  ] as const)("names the field of %s", ([, steps, field]) =>
    Effect.gen(function* () {
      const yaml = `kind: Rollout\nspec:\n  strategy:\n    canary:\n${steps}`
      const error = yield* Effect.flip(
        ArgoRollout.canarySpec(yaml, { templates: yield* AnalysisTemplate.parseYaml(templates) })
      )
      expect(error.field).toBe(field)
    })
  )
})

describe("startArgoCanary (Promise facade)", () => {
  it("starts a canary from Rollout and template YAML", async () => {
    const weights: Array<number> = []
    const canary = await startArgoCanary(
      {
        rollout:
          "kind: Rollout\nspec:\n  strategy:\n    canary:\n      steps:\n      - setWeight: 30\n      - analysis:\n          templates:\n          - templateName: smoke\n          args:\n          - name: service-name\n            value: web\n",
        templates
      },
      { setWeight: (w) => void weights.push(w) },
      { functions: { smoke: () => "web" } }
    )
    const status = await canary.waitFor(["Healthy", "Degraded"])
    await canary.stop()
    expect([status.phase, weights]).toEqual(["Healthy", [30, 100]])
  })
})
