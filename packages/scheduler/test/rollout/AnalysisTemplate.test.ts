import { describe, expect, it } from "@effect/vitest"
import { AnalysisTemplate, TemplateError } from "@orchestrator/scheduler/rollout"
import { Effect } from "effect"

// The success-rate template of Argo Rollouts' analysis docs, unchanged.
const argoTemplate = `
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  args:
  - name: service-name
  - name: prometheus-port
    value: "9090"
  - name: api-token
    valueFrom:
      secretKeyRef:
        name: token-secret
        key: apiToken
  metrics:
  - name: success-rate
    interval: 5m
    initialDelay: 30s
    # NOTE: prometheus queries return results in the form of a vector.
    # So it is common to access the index 0 of the returned array to obtain the value
    successCondition: result[0] >= 0.95
    failureLimit: 3
    provider:
      prometheus:
        address: http://prometheus.example.com:{{args.prometheus-port}}
        timeout: 20
        headers:
        - key: Authorization
          value: "Bearer {{args.api-token}}"
        query: |
          sum(irate(
            istio_requests_total{reporter="source",destination_service=~"{{args.service-name}}",response_code!~"5.*"}[5m]
          )) /
          sum(irate(
            istio_requests_total{reporter="source",destination_service=~"{{args.service-name}}"}[5m]
          ))
  - name: smoke
    count: 3
    interval: 10s
    failureCondition: result.status != "ok"
    provider:
      web:
        url: "http://smoke.example/{{args.service-name}}/health"
        timeoutSeconds: 5
        jsonPath: "{$.data}"
  dryRun:
  - metricName: smo.*
  measurementRetention:
  - metricName: success-rate
    limit: 20
`

const resolveErr = (yaml: string, options: AnalysisTemplate.ResolveOptions = {}) =>
  Effect.flip(Effect.flatMap(AnalysisTemplate.parseYaml(yaml), (t) => AnalysisTemplate.resolve(t, options)))

const oneMetric = (fields: string) => `
metrics:
- name: m
${fields}
`

describe("AnalysisTemplate", () => {
  it.effect("parses Argo's own AnalysisTemplate YAML and resolves args and secrets", () =>
    Effect.gen(function* () {
      const templates = yield* AnalysisTemplate.parseYaml(argoTemplate)
      expect(templates.map((t) => [t.kind, t.name])).toEqual([["AnalysisTemplate", "success-rate"]])
      const spec = yield* AnalysisTemplate.resolve(templates, {
        args: { "service-name": "checkout.default.svc" },
        secrets: { "token-secret": { apiToken: "s3cr3t" } }
      })
      const [rate, smoke] = spec.metrics
      expect(rate).toMatchObject({
        name: "success-rate",
        intervalMs: 300_000,
        initialDelayMs: 30_000,
        failureLimit: 3,
        inconclusiveLimit: 0,
        consecutiveErrorLimit: 4,
        consecutiveSuccessLimit: 0,
        dryRun: false,
        retention: 20,
        provider: {
          type: "prometheus",
          address: "http://prometheus.example.com:9090",
          timeoutMs: 20_000,
          headers: [{ key: "Authorization", value: "Bearer s3cr3t" }]
        }
      })
      expect(rate!.count).toBeUndefined()
      expect(rate!.provider.type === "prometheus" && rate!.provider.query).toContain(
        'destination_service=~"checkout.default.svc"'
      )
      expect(rate!.successCondition?.source).toBe("result[0] >= 0.95")
      expect(smoke).toMatchObject({
        name: "smoke",
        count: 3,
        intervalMs: 10_000,
        dryRun: true,
        retention: 10,
        provider: {
          type: "web",
          method: "GET",
          url: "http://smoke.example/checkout.default.svc/health",
          timeoutMs: 5_000,
          jsonPath: "{$.data}"
        }
      })
      expect(spec.secrets).toEqual(["s3cr3t"])
    })
  )

  it.effect("defaults: no count and no interval measure once; web timeout 10 s", () =>
    Effect.gen(function* () {
      const [templates] = [
        yield* AnalysisTemplate.parseYaml(oneMetric("  provider:\n    web:\n      url: http://x/y\n"))
      ]
      const spec = yield* AnalysisTemplate.resolve(templates)
      expect(spec.metrics[0]).toMatchObject({ count: 1, failureLimit: 0, provider: { timeoutMs: 10_000 } })
    })
  )

  it.effect.each([
    [
      "a missing arg",
      argoTemplate,
      { secrets: { "token-secret": { apiToken: "t" } } },
      { field: "args.service-name", reason: "has no value" }
    ],
    [
      "a missing secret",
      argoTemplate,
      { args: { "service-name": "x" } },
      { field: "args.api-token", reason: 'secret "token-secret" has no key "apiToken"' }
    ],
    [
      "an undeclared placeholder",
      oneMetric("  provider:\n    web:\n      url: http://x/{{args.nope}}\n"),
      {},
      { metric: "m", field: "args", reason: "unresolved {{args.nope}}" }
    ],
    [
      "a bad interval",
      oneMetric("  interval: 5 minutes\n  provider:\n    web:\n      url: http://x/\n"),
      {},
      { metric: "m", field: "interval", reason: 'must be a duration such as "30s" or "1m", got "5 minutes"' }
    ],
    [
      "count > 1 without interval",
      oneMetric("  count: 3\n  provider:\n    web:\n      url: http://x/\n"),
      {},
      { metric: "m", field: "interval", reason: "must be set when count > 1" }
    ],
    [
      "count below failureLimit",
      oneMetric("  count: 2\n  interval: 1s\n  failureLimit: 3\n  provider:\n    web:\n      url: http://x/\n"),
      {},
      { metric: "m", field: "count", reason: "must be >= failureLimit (3)" }
    ],
    [
      "a negative consecutiveErrorLimit",
      oneMetric("  consecutiveErrorLimit: -2\n  provider:\n    web:\n      url: http://x/\n"),
      {},
      { metric: "m", field: "consecutiveErrorLimit", reason: "must be >= 0, got -2" }
    ],
    [
      "a bad condition",
      oneMetric("  successCondition: result[0] >=\n  provider:\n    web:\n      url: http://x/\n"),
      {},
      {
        metric: "m",
        field: "successCondition",
        reason: 'unexpected end of expression at position 12 (in "result[0] >=")'
      }
    ],
    [
      "an unsupported provider",
      oneMetric("  provider:\n    datadog:\n      query: x\n"),
      {},
      {
        metric: "m",
        field: "provider.datadog",
        reason: 'provider "datadog" is not supported here (supported: prometheus, web, timeSeries, function)'
      }
    ],
    [
      "two providers",
      oneMetric("  provider:\n    web:\n      url: http://x/\n    prometheus:\n      address: http://p/\n"),
      {},
      {
        metric: "m",
        field: "provider",
        reason: "must name exactly one provider (prometheus, web, timeSeries, function), got 2"
      }
    ],
    [
      "a prometheus address that is no URL",
      oneMetric("  provider:\n    prometheus:\n      address: prometheus:9090/x\n      query: up\n"),
      {},
      { metric: "m", field: "provider.prometheus.address", reason: 'must be an http(s) URL, got "prometheus:9090/x"' }
    ],
    [
      "a GET with a body",
      oneMetric("  provider:\n    web:\n      url: http://x/\n      body: '{}'\n"),
      {},
      { metric: "m", field: "provider.web.body", reason: "needs method POST or PUT" }
    ]
  ] as const)("names the metric and the field for %s", ([, yaml, options, expected]) =>
    Effect.gen(function* () {
      const error = yield* resolveErr(yaml, options)
      expect(error).toBeInstanceOf(TemplateError)
      expect({ ...error }).toMatchObject(expected)
    })
  )

  it.effect.each([
    ["invalid YAML", "metrics: [", "document 1"],
    ["no metrics", "kind: AnalysisTemplate\nspec:\n  args: []\n", "spec.metrics"],
    [
      "a duplicate metric",
      "metrics:\n- name: a\n  provider: {web: {url: 'http://x/'}}\n- name: a\n  provider: {web: {url: 'http://x/'}}\n",
      "metrics[1].name"
    ],
    ["a wrong kind", "kind: Rollout\nspec: {}\n", "kind"]
  ] as const)("rejects %s", ([, yaml, field]) =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(AnalysisTemplate.parseYaml(yaml))
      expect(error.field).toBe(field)
    })
  )

  it.effect("redacts secrets from errors", () =>
    Effect.gen(function* () {
      const yaml = oneMetric(
        "  provider:\n    web:\n      url: 'http://x/{{args.token}}'\n      method: GET\n      timeoutSeconds: '{{args.token}}'\n"
      )
      const error = yield* resolveErr(`args:\n- name: token\n${yaml}`, { secretArgs: { token: "hunter2" } })
      expect(error.message).not.toContain("hunter2")
      expect(error.message).toContain("*****")
    })
  )

  it.effect("merges several templates and their args", () =>
    Effect.gen(function* () {
      const a = yield* AnalysisTemplate.parseYaml(
        `args:\n- name: x\n  value: "1"\n${oneMetric("  provider: {function: {name: f}}")}`
      )
      const b = yield* AnalysisTemplate.parseYaml(
        "metrics:\n- name: n\n  successCondition: result == {{args.x}}\n  provider: {function: {name: f}}\n"
      )
      const spec = yield* AnalysisTemplate.resolve([...a, ...b])
      expect(spec.metrics.map((m) => m.name)).toEqual(["m", "n"])
      expect(spec.metrics[1]!.successCondition!.source).toBe("result == 1")
      const clash = yield* Effect.flip(AnalysisTemplate.resolve([...a, ...b, ...b]))
      expect({ ...clash }).toMatchObject({ metric: "n", field: "name", reason: "appears in two templates" })
      const twoValues = yield* Effect.flip(AnalysisTemplate.resolve([...a, ...a]))
      expect({ ...twoValues }).toMatchObject({
        field: "args.x",
        reason: "has a value in two templates (Argo refuses to merge them)"
      })
      const overridden = yield* AnalysisTemplate.resolve([...a, ...b], { args: { x: "2" } })
      expect(overridden.metrics[1]!.successCondition!.source).toBe("result == 2")
    })
  )
})
