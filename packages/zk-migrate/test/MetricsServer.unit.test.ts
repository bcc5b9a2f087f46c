import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as MetricsServer from "../src/MetricsServer.js"

/** The `/metrics` and `/status` server in-process (the CLI test scrapes it from a running `zk-migrate sync`). */
describe("MetricsServer", () => {
  it.live("serves /metrics and /status, refuses other paths and methods, and names a busy address", () =>
    Effect.gen(function* () {
      const address = yield* MetricsServer.serve({
        port: 0,
        status: Effect.succeed({ phase: "sync", mzxid: 12n, data: new Uint8Array([1, 2, 3]) })
      })
      expect(address.url).toBe(`http://127.0.0.1:${address.port}`)
      const get = (path: string, init?: RequestInit) =>
        Effect.promise(async () => {
          const response = await fetch(`${address.url}${path}`, init)
          return {
            status: response.status,
            type: response.headers.get("content-type"),
            allow: response.headers.get("allow"),
            text: await response.text()
          }
        })
      const metrics = yield* get("/metrics")
      expect(metrics.status).toBe(200)
      expect(metrics.type).toContain("text/plain")
      const status = yield* get("/status?pretty")
      expect(status.status).toBe(200)
      expect(JSON.parse(status.text)).toEqual({ phase: "sync", mzxid: "12", data: "AQID" })
      const missing = yield* get("/nope")
      expect(missing.status).toBe(404)
      expect(missing.text).toContain("try /metrics or /status")
      const post = yield* get("/metrics", { method: "POST" })
      expect(post.status).toBe(405)
      expect(post.allow).toBe("GET, HEAD")

      const busy = yield* Effect.exit(
        Effect.scoped(MetricsServer.serve({ port: address.port, status: Effect.succeed({}) }))
      )
      expect(Exit.isFailure(busy)).toBe(true)
      if (Exit.isFailure(busy)) expect(String(busy.cause)).toContain("the address is in use")
    })
  )

  it.live("answers 500 with the reason when the status document fails", () =>
    Effect.gen(function* () {
      const address = yield* MetricsServer.serve({ port: 0, status: Effect.die(new Error("state file unreadable")) })
      const answer = yield* Effect.promise(async () => {
        const response = await fetch(`${address.url}/status`)
        return { status: response.status, text: await response.text() }
      })
      expect(answer.status).toBe(500)
    })
  )
})
