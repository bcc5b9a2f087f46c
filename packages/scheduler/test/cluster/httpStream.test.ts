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
