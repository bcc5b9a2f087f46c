import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type AnalysisState, runAnalysis } from "@orchestrator/scheduler/rollout"

interface Seen {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

let server: http.Server
let base: string
const seen: Array<Seen> = []

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = ""
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString()
    })
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body })
      const json = (status: number, value: unknown) =>
        res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(value))
      switch (req.url) {
        case "/status":
          return json(200, { data: { ok: true, rate: 0.998, items: [{ v: 1 }, { v: 2 }] } })
        case "/echo":
          return json(200, { received: JSON.parse(body || "null"), auth: req.headers.authorization ?? null })
        case "/broken":
          return json(503, { error: "down" })
        case "/text":
          return res.writeHead(200).end("not json")
        case "/slow":
          return setTimeout(() => json(200, { late: true }), 3_000)
        default:
          return json(404, {})
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const webMetric = (web: string, condition = "") =>
  `metrics:\n- name: web\n  consecutiveErrorLimit: 0\n${condition}  provider:\n    web:\n${web}`

const first = (state: AnalysisState.RunState) => {
  const m = state.results[0]!.measurements[0]!
  return { phase: m.phase, value: m.value, message: m.message }
}

describe("Web provider (local HTTP server)", () => {
  it("GETs a URL and picks the value with Argo's {$.path} jsonPath", async () => {
    const state = await runAnalysis({
      template: webMetric(
        `      url: ${base}/status\n      jsonPath: "{$.data.ok}"\n`,
        "  successCondition: result == true\n"
      )
    })
    expect(first(state)).toEqual({ phase: "Successful", value: "true", message: undefined })
  })

  it("returns several matches as an array and a whole document without jsonPath", async () => {
    const many = await runAnalysis({
      template: webMetric(
        `      url: ${base}/status\n      jsonPath: "{$.data.items[*].v}"\n`,
        "  successCondition: len(result) == 2 && result[1] == 2\n"
      )
    })
    expect(first(many).phase).toBe("Successful")
    const whole = await runAnalysis({
      template: webMetric(`      url: ${base}/status\n`, "  successCondition: result.data.rate > 0.99\n")
    })
    expect(first(whole).phase).toBe("Successful")
  })

  it("POSTs a JSON body with headers (a secret token stays out of messages)", async () => {
    seen.length = 0
    const state = await runAnalysis({
      template: `args:\n- name: token\n${webMetric(
        `      url: ${base}/echo\n      method: POST\n      headers:\n      - key: Authorization\n        value: "Bearer {{args.token}}"\n      jsonBody:\n        service: checkout\n        window: 5m\n      jsonPath: "{$.auth}"\n`,
        "  successCondition: result == 'nope'\n"
      )}`,
      secretArgs: { token: "t0ps3cret" }
    })
    expect(seen[0]).toMatchObject({ method: "POST", body: '{"service":"checkout","window":"5m"}' })
    expect(seen[0]!.headers["content-type"]).toBe("application/json")
    expect(seen[0]!.headers.authorization).toBe("Bearer t0ps3cret")
    expect(first(state)).toEqual({ phase: "Failed", value: "Bearer *****", message: undefined })
  })

  it.each([
    ["/broken", 'web provider (metric "web"): received non 2xx response code: 503'],
    ["/text", 'web provider (metric "web"): the answer is not JSON: not json'],
    [
      '/status\n      jsonPath: "{$.data.missing}"',
      'web provider (metric "web"): jsonPath {$.data.missing} matched nothing'
    ]
  ])("makes %s an Error measurement", async (path, message) => {
    const state = await runAnalysis({ template: webMetric(`      url: ${base}${path}\n`) })
    expect(first(state)).toMatchObject({ phase: "Error", message })
    expect(state.phase).toBe("Error")
  })

  it("times out after timeoutSeconds", async () => {
    const state = await runAnalysis({ template: webMetric(`      url: ${base}/slow\n      timeoutSeconds: 1\n`) })
    expect(first(state)).toMatchObject({
      phase: "Error",
      message: 'web provider (metric "web"): no answer within 1000 ms'
    })
  })

  it("reports a refused connection", async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const state = await runAnalysis({ template: webMetric(`      url: http://127.0.0.1:${port}/\n`) })
    expect(first(state).phase).toBe("Error")
    expect(first(state).message).toMatch(/^web provider \(metric "web"\): fetch failed: .*ECONNREFUSED/)
  })
})
