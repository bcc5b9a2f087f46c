import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { EndpointError, runAnalysis, startEndpoint } from "@orchestrator/scheduler/rollout"

const sample = (n: number, center: number, seed: number): Array<number> => {
  let state = seed
  return Array.from({ length: n }, () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return center + 20 * (state / 2147483648 - 0.5)
  })
}
const control = sample(30, 100, 1)
const healthy = sample(30, 100, 2)
const slow = sample(30, 150, 3)

let endpoint: Awaited<ReturnType<typeof startEndpoint>>
beforeAll(async () => {
  endpoint = await startEndpoint({ functions: { errorRate: () => 0.004 }, maxBodyBytes: 64 * 1024 })
})
afterAll(async () => {
  await endpoint.close()
})

const post = async (path: string, body: string) => {
  const response = await fetch(`${endpoint.url}${path}`, {
    method: "POST",
    body,
    headers: { "Content-Type": "application/json" }
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

/** An Argo AnalysisTemplate whose web metric calls the endpoint, as Argo Rollouts' controller would. */
const argoWebMetric = (jsonBody: unknown, jsonPath: string, successCondition: string) => `
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: orchestrator-judge
spec:
  metrics:
  - name: canary-judge
    successCondition: ${successCondition}
    provider:
      web:
        url: ${endpoint.url}/api/v1/judge
        method: POST
        timeoutSeconds: 10
        jsonBody: ${JSON.stringify(jsonBody)}
        jsonPath: "${jsonPath}"
`

describe("Endpoint", () => {
  it("answers a judgement an Argo web metric reads with {$.result.score}", async () => {
    const pass = await runAnalysis({
      template: argoWebMetric(
        { metrics: [{ name: "latency", control, experiment: healthy, direction: "increase" }] },
        "{$.result.score}",
        "result >= 95"
      )
    })
    expect(pass.phase).toBe("Successful")
    expect(pass.results[0]!.measurements[0]!.value).toBe("100")
    const fail = await runAnalysis({
      template: argoWebMetric(
        { metrics: [{ name: "latency", control, experiment: slow, direction: "increase", critical: true }] },
        "{$.result.phase}",
        "result == 'Successful'"
      )
    })
    expect(fail.phase).toBe("Failed")
    expect(fail.results[0]!.measurements[0]!.value).toBe("Failed")
  })

  it("returns the statistics per metric", async () => {
    const { status, json } = await post(
      "/api/v1/judge",
      JSON.stringify({ metrics: [{ name: "latency", control, experiment: slow }] })
    )
    expect(status).toBe(200)
    expect(json.result).toEqual({
      score: 0,
      phase: "Failed",
      classification: "Fail",
      passed: false,
      reason: "score 0 (pass >= 95, marginal >= 75)"
    })
    const metrics = json.metrics as Array<{
      classification: string
      statistics: { mannWhitney: { method: string; nx: number } }
    }>
    expect(metrics[0]!.classification).toBe("High")
    expect(metrics[0]!.statistics.mannWhitney).toMatchObject({ method: "exact", nx: 30 })
  })

  it("judges from GET query parameters", async () => {
    const response = await fetch(
      `${endpoint.url}/api/v1/judge?control=${control.join(",")}&experiment=${healthy.join(",")}&direction=increase`
    )
    const json = (await response.json()) as { result: { phase: string } }
    expect([response.status, json.result.phase]).toEqual([200, "Successful"])
  })

  it("runs an analysis on request", async () => {
    const template =
      "metrics:\n- name: errors\n  successCondition: result < {{args.max}}\n  provider:\n    function:\n      name: errorRate\n"
    const { status, json } = await post("/api/v1/analysis", JSON.stringify({ template, args: { max: "0.01" } }))
    expect(status).toBe(200)
    expect(json.result).toEqual({ phase: "Successful", successful: true, message: "" })
    expect((json.metrics as Array<{ name: string; count: number }>)[0]).toMatchObject({ name: "errors", count: 1 })
  })

  it.each([
    [
      "/api/v1/judge",
      "{",
      400,
      { error: "invalid JSON: Expected property name or '}' in JSON at position 1 (line 1 column 2)" }
    ],
    [
      "/api/v1/judge",
      JSON.stringify({ metrics: [{ name: "a", control: [1], experiment: "x" }] }),
      400,
      { error: "invalid judge request", errors: ["metrics[0].experiment: Expected array"] }
    ],
    [
      "/api/v1/analysis",
      JSON.stringify({ template: "metrics:\n- name: m\n  interval: soon\n  provider: {function: {name: f}}\n" }),
      400,
      {
        error: "invalid analysis request",
        errors: ['metric "m": interval: must be a duration such as "30s" or "1m", got "soon"']
      }
    ],
    [
      "/api/v1/analysis",
      JSON.stringify({ args: { a: 1 } }),
      400,
      { error: "invalid analysis request", errors: ["template: Missing key", "args.a: Expected string"] }
    ],
    [
      "/api/v1/analysis",
      JSON.stringify({}),
      400,
      { error: "invalid analysis request", errors: ["template: Missing key"] }
    ],
    [
      "/api/v1/judge",
      JSON.stringify({ metrics: [], pad: "x".repeat(70 * 1024) }),
      413,
      { error: "body larger than 65536 bytes" }
    ],
    ["/nope", "{}", 404, { error: "no route /nope" }]
  ] as const)("POST %s answers clear errors (%#)", async (path, body, status, json) => {
    expect(await post(path, body)).toEqual({ status, json })
  })

  it("answers 503 beyond maxConcurrentAnalyses", async () => {
    let release = (): void => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const busy = await startEndpoint({ maxConcurrentAnalyses: 1, functions: { slow: () => gate.then(() => 1) } })
    try {
      const template = "metrics:\n- name: m\n  provider: {function: {name: slow}}\n"
      const call = () => fetch(`${busy.url}/api/v1/analysis`, { method: "POST", body: JSON.stringify({ template }) })
      const first = call()
      await new Promise((resolve) => setTimeout(resolve, 100))
      const second = await call()
      expect([second.status, await second.json()]).toEqual([
        503,
        { error: "1 analyses are already running; retry later" }
      ])
      release()
      expect((await first).status).toBe(200)
    } finally {
      release()
      await busy.close()
    }
  })

  it("fails with an EndpointError when the port is taken", async () => {
    const error = await startEndpoint({ port: endpoint.port }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EndpointError)
    expect((error as EndpointError).message).toMatch(/^analysis endpoint: listen EADDRINUSE/)
  })

  it("answers 405 with Allow for a wrong method", async () => {
    const response = await fetch(`${endpoint.url}/api/v1/analysis`)
    expect([response.status, response.headers.get("allow")]).toEqual([405, "POST"])
  })
})
