/**
 * Request bodies of the master's HTTP server: one over the 1 MiB limit is answered `413` naming the limit (declared
 * in `content-length`, or sent chunked without one), never with a cut connection, and the server keeps serving.
 */
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { serve } from "../../src/cluster/http/HttpServer.js"

describe("HttpServer request bodies", () => {
  const scope = Effect.runSync(Scope.make())
  let base = ""
  beforeAll(async () => {
    const { port } = await Effect.runPromise(
      serve({
        host: "127.0.0.1",
        port: 0,
        routes: [
          {
            method: "POST",
            pattern: "/echo",
            handle: (request) => Effect.succeed({ status: 200, body: { got: request.body } })
          }
        ]
      }).pipe(Scope.provide(scope))
    )
    base = `http://127.0.0.1:${port}`
  })
  afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

  const big = `"${"a".repeat(2 * 1024 * 1024)}"`

  it("answers 413 to a body over the limit, declared or chunked, then serves the next request", async () => {
    const declared = await fetch(`${base}/echo`, { method: "POST", body: big })
    expect(declared.status).toBe(413)
    expect(await declared.json()).toEqual({
      error: "PayloadTooLarge",
      message: `body: larger than ${1024 * 1024} bytes`,
      field: "body"
    })
    const chunks = [big.slice(0, 600_000), big.slice(600_000)]
    const chunked = await fetch(`${base}/echo`, {
      method: "POST",
      body: new ReadableStream({
        pull(controller) {
          const next = chunks.shift()
          if (next === undefined) controller.close()
          else controller.enqueue(new TextEncoder().encode(next))
        }
      }),
      duplex: "half"
    } as RequestInit)
    expect(chunked.status).toBe(413)
    const small = await fetch(`${base}/echo`, { method: "POST", body: JSON.stringify({ ok: 1 }) })
    expect(await small.json()).toEqual({ got: { ok: 1 } })
  })
})
