/**
 * One HTTP(S) `GET` for health and readiness checks: a fresh connection (no keep-alive pool, as Marathon's
 * checks), certificates not verified (tasks often serve self-signed ones), a deadline for the whole exchange,
 * and at most a few bytes of the body read.
 *
 * @since 0.1.0
 */
import * as http from "node:http"
import * as https from "node:https"
import { Effect } from "effect"

/**
 * How a `GET` ended: a final status (with the start of the body when asked), only an informational (1xx)
 * status before the connection ended or the deadline passed, or no answer.
 *
 * @since 0.1.0
 * @category models
 */
export type HttpAnswer =
  | { readonly _tag: "Answered"; readonly status: number; readonly body: string }
  | { readonly _tag: "Informational"; readonly status: number }
  | { readonly _tag: "Failed"; readonly reason: string }

/**
 * Options of {@link httpGet}.
 *
 * @since 0.1.0
 * @category models
 */
export interface HttpGetOptions {
  readonly protocol: "HTTP" | "HTTPS"
  readonly host: string
  readonly port: number
  readonly path: string
  readonly timeoutMs: number
  /** How much of the body to read (0: none; the connection closes once the status is in). */
  readonly bodyBytes: number
}

const reasonOf = (error: NodeJS.ErrnoException): string => {
  switch (error.code) {
    case "ECONNREFUSED":
      return "connection refused"
    case "ECONNRESET":
      return "connection reset"
    case "EHOSTUNREACH":
      return "host unreachable"
    case "ENOTFOUND":
      return "host not found"
    default:
      return error.message
  }
}

/**
 * Sends `GET path` and resolves with the answer; never fails, and is interruptible (the request is aborted).
 *
 * @since 0.1.0
 * @category requests
 */
export const httpGet = (options: HttpGetOptions): Effect.Effect<HttpAnswer> =>
  Effect.callback<HttpAnswer>((resume) => {
    let informational: number | undefined
    let done = false
    const finish = (answer: HttpAnswer): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      request.destroy()
      resume(Effect.succeed(answer))
    }
    const ended = (reason: string): void =>
      finish(
        informational === undefined ? { _tag: "Failed", reason } : { _tag: "Informational", status: informational }
      )
    const request = (options.protocol === "HTTPS" ? https : http).request({
      host: options.host,
      port: options.port,
      path: options.path.startsWith("/") ? options.path : `/${options.path}`,
      method: "GET",
      agent: false,
      headers: { connection: "close", "user-agent": "orchestrator-health-check" },
      ...(options.protocol === "HTTPS" ? { rejectUnauthorized: false } : {})
    })
    const timer = setTimeout(() => ended(`no answer within ${options.timeoutMs} ms`), options.timeoutMs)
    request.on("information", (info) => {
      informational = info.statusCode
    })
    request.on("response", (response) => {
      const status = response.statusCode ?? 0
      if (options.bodyBytes <= 0) return finish({ _tag: "Answered", status, body: "" })
      const chunks: Array<Buffer> = []
      let size = 0
      const answered = () =>
        finish({
          _tag: "Answered",
          status,
          body: Buffer.concat(chunks).subarray(0, options.bodyBytes).toString("utf8")
        })
      response.on("data", (chunk: Buffer) => {
        chunks.push(chunk)
        size += chunk.length
        if (size >= options.bodyBytes) answered()
      })
      response.on("end", answered)
      response.on("error", answered)
    })
    request.on("error", (error) => ended(reasonOf(error)))
    request.on("close", () => ended("connection closed before an answer"))
    request.end()
    return Effect.sync(() => {
      done = true
      clearTimeout(timer)
      request.destroy()
    })
  })
