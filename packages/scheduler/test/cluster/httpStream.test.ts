import { request } from "node:http"
import { Effect, Exit, Layer, Schedule, Scope, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { Master, route } from "../../src/cluster/index.js"
import { serve } from "../../src/cluster/http/HttpServer.js"

/** Reads a streamed answer until `done` says enough, then closes the connection. */
const readStream = (
  url: string,
  done: (text: string) => boolean
): Promise<{ status: number; type: string; text: string }> =>
  new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let text = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => {
        text += chunk
        if (done(text)) {
          resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), text })
          req.destroy()
        }
      })
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), text }))
    })
    req.on("error", reject)
    req.end()
  })

describe("HttpServer stream answers", () => {
  it("writes a stream's chunks as they come and stops the stream when the client goes away", async () => {
    let stopped = false
    const scope = Effect.runSync(Scope.make())
    const { port } = await Effect.runPromise(
      serve({
        host: "127.0.0.1",
        port: 0,
        routes: [
          {
            method: "GET",
            pattern: "/events",
            handle: () =>
              Effect.succeed({
                status: 200,
                body: null,
                stream: Stream.fromSchedule(Schedule.spaced("20 millis")).pipe(
                  Stream.map((n) => `data: ${n}\n\n`),
                  Stream.ensuring(Effect.sync(() => (stopped = true)))
                )
              })
          },
          {
            method: "GET",
            pattern: "/finite",
            handle: () =>
              Effect.succeed({ status: 201, body: null, contentType: "text/plain", stream: Stream.make("a", "b", "c") })
          }
        ]
      }).pipe(Scope.provide(scope))
    )
    const events = await readStream(`http://127.0.0.1:${port}/events`, (text) => text.includes("data: 3\n\n"))
    expect(events.status).toBe(200)
    expect(events.type).toBe("text/event-stream")
    expect(events.text.startsWith("data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\n")).toBe(true)
    await expect.poll(() => stopped).toBe(true)
    const finite = await readStream(`http://127.0.0.1:${port}/finite`, () => false)
    expect(finite).toEqual({ status: 201, type: "text/plain", text: "abc" })
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })
})

describe("Master.mount and Master.addMetrics", () => {
  it("serves extra routes and metrics while their scope is open, and not after", async () => {
    const scope = Effect.runSync(Scope.make())
    const master = await Effect.runPromise(
      Layer.buildWithScope(Master.layer({ host: "127.0.0.1", port: 0 }), scope).pipe(
        Effect.map((context) => context.mapUnsafe.get(Master.key) as Master["Service"])
      )
    )
    const base = `http://127.0.0.1:${master.port}`
    const extra = Effect.runSync(Scope.make())
    await Effect.runPromise(
      Effect.all([
        master.mount([route("GET", "/v2/hello", (r) => Effect.succeed({ hello: r.query.get("name") }))]),
        master.addMetrics(Effect.succeed("apps_running 3\n"))
      ]).pipe(Scope.provide(extra))
    )
    const hello = await fetch(`${base}/v2/hello?name=web`)
    expect(await hello.json()).toEqual({ hello: "web" })
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toContain("apps_running 3")
    expect(metrics.indexOf("apps_running")).toBeGreaterThan(0)
    await Effect.runPromise(Scope.close(extra, Exit.void))
    expect((await fetch(`${base}/v2/hello`)).status).toBe(404)
    expect(await (await fetch(`${base}/metrics`)).text()).not.toContain("apps_running")
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })
})

describe("HttpServer routes", () => {
  it("matches multi-segment parameters, first route first, and passes headers", async () => {
    const scope = Effect.runSync(Scope.make())
    const echo = (name: string) =>
      route("GET", name, (r) => Effect.succeed({ route: name, params: r.params, agent: r.headers["x-test"] }))
    const { port } = await Effect.runPromise(
      serve({
        host: "127.0.0.1",
        port: 0,
        routes: [
          echo("/v2/apps/:appId*/tasks/:taskId"),
          echo("/v2/apps/:appId*/tasks"),
          echo("/v2/apps/:appId*"),
          echo("/v2/one/:id")
        ]
      }).pipe(Scope.provide(scope))
    )
    const get = async (path: string) => {
      const answer = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { "x-test": "yes" } })
      return { status: answer.status, body: (await answer.json()) as Record<string, unknown> }
    }
    expect((await get("/v2/apps/prod/web")).body).toEqual({
      route: "/v2/apps/:appId*",
      params: { appId: "prod/web" },
      agent: "yes"
    })
    expect((await get("/v2/apps/prod/web/tasks")).body.params).toEqual({ appId: "prod/web" })
    expect((await get("/v2/apps/a/b/c/tasks/t%2E1")).body.params).toEqual({ appId: "a/b/c", taskId: "t.1" })
    expect((await get("/v2/apps/%E0%A4%A")).body.params).toEqual({ appId: "%E0%A4%A" })
    expect((await get("/v2/apps")).status).toBe(404)
    expect((await get("/v2/one/a/b")).status).toBe(404)
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })
})
