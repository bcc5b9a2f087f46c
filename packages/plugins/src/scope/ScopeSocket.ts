/**
 * HTTP to a Scope plugin over its Unix socket: `GET /report` and `POST /control`, each with a timeout and a
 * cap on the response size (a plugin answering more is cut off, never buffered whole).
 *
 * @since 0.1.0
 */
import * as http from "node:http"
import { Effect, Schema } from "effect"

/**
 * Limits of one request.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestLimits {
  /** The most the whole request may take, in ms (Scope's protocol: 500). */
  readonly timeoutMs: number
  /** The largest response body accepted, in bytes (default 50 MiB). */
  readonly maxBytes: number
}

/**
 * Scope's limits: 500 ms per request, 50 MiB per response.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultLimits: RequestLimits = { timeoutMs: 500, maxBytes: 50 * 1024 * 1024 }

/**
 * A request to a Scope plugin failed: unreachable socket, timeout, a response too large, an HTTP error
 * status, or a body that is not JSON.
 *
 * @since 0.1.0
 * @category errors
 */
export class ScopeRequestError extends Schema.TaggedError<ScopeRequestError>()("ScopeRequestError", {
  socket: Schema.String,
  path: Schema.String,
  reason: Schema.Literals(["unreachable", "timeout", "too-large", "status", "invalid-json"]),
  message: Schema.String
}) {}

/**
 * Sends one request and decodes the JSON answer.
 *
 * @since 0.1.0
 * @category requests
 */
export const request = (
  socket: string,
  method: "GET" | "POST",
  path: string,
  body: unknown,
  limits: RequestLimits = defaultLimits
): Effect.Effect<unknown, ScopeRequestError> =>
  Effect.callback<unknown, ScopeRequestError>((resume, signal) => {
    const fail = (reason: ScopeRequestError["reason"], message: string) =>
      resume(
        Effect.fail(
          new ScopeRequestError({ socket, path, reason, message: `${method} ${path} on ${socket}: ${message}` })
        )
      )
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = http.request({
      socketPath: socket,
      path,
      method,
      headers:
        payload === undefined
          ? {}
          : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
    })
    const timer = setTimeout(() => {
      req.destroy()
      fail("timeout", `no complete answer within ${limits.timeoutMs} ms`)
    }, limits.timeoutMs)
    const done = () => clearTimeout(timer)
    req.on("error", (error) => {
      done()
      fail("unreachable", error.message)
    })
    req.on("response", (res) => {
      const declared = Number(res.headers["content-length"] ?? 0)
      if (declared > limits.maxBytes) {
        done()
        req.destroy()
        return fail("too-large", `response of ${declared} bytes exceeds the ${limits.maxBytes}-byte cap`)
      }
      const chunks: Array<Buffer> = []
      let size = 0
      res.on("data", (chunk: Buffer) => {
        size += chunk.length
        if (size > limits.maxBytes) {
          done()
          req.destroy()
          fail("too-large", `response exceeds the ${limits.maxBytes}-byte cap`)
          return
        }
        chunks.push(chunk)
      })
      res.on("end", () => {
        done()
        if (size > limits.maxBytes) return
        const text = Buffer.concat(chunks).toString("utf8")
        if ((res.statusCode ?? 500) >= 400) {
          return fail("status", `HTTP ${res.statusCode}: ${text.slice(0, 200)}`)
        }
        try {
          resume(Effect.succeed(text.trim() === "" ? {} : (JSON.parse(text) as unknown)))
        } catch (error) {
          fail("invalid-json", `the answer is not JSON (${(error as Error).message})`)
        }
      })
      res.on("error", (error) => {
        done()
        fail("unreachable", error.message)
      })
    })
    signal.addEventListener("abort", () => {
      done()
      req.destroy()
    })
    req.end(payload)
  })

/**
 * `GET /report`.
 *
 * @since 0.1.0
 * @category requests
 */
export const getReport = (socket: string, limits?: RequestLimits): Effect.Effect<unknown, ScopeRequestError> =>
  request(socket, "GET", "/report", undefined, limits)

/**
 * The body of `POST /control`, as Scope sends it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScopeControlRequest {
  readonly AppID: string
  readonly NodeID: string
  readonly Control: string
}

/**
 * `POST /control`; fails with the plugin's `error` when it answers one.
 *
 * @since 0.1.0
 * @category requests
 */
export const postControl = (
  socket: string,
  body: ScopeControlRequest,
  limits?: RequestLimits
): Effect.Effect<unknown, ScopeRequestError> =>
  Effect.flatMap(request(socket, "POST", "/control", body, limits), (answer) => {
    const error = (answer as { readonly error?: unknown } | null)?.error
    return typeof error === "string" && error !== ""
      ? Effect.fail(new ScopeRequestError({ socket, path: "/control", reason: "status", message: error }))
      : Effect.succeed(answer)
  })
