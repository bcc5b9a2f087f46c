/**
 * A small HTTP client for talking to the app server: node:http(s) with a keep-alive agent, a hard timeout per
 * request, bounded answers, and failures classified by whether the request may have reached the server.
 */
import type * as Http from "node:http"
import type * as Https from "node:https"
import { Effect, Schema } from "effect"
import { http, https } from "./nodeHttp.js"

/** Error codes raised before a single byte reached the server: the request was certainly not delivered. */
const notDeliveredCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL"
])

/** The most of an answer the client reads; the app's answers are small JSON documents. */
const maxAnswerBytes = 1024 * 1024

/**
 * A request failed without an HTTP answer. `delivered` is `"no"` when the server certainly never saw it
 * (connection refused, name not found) and `"unknown"` otherwise (timeout, reset after sending).
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  url: Schema.String,
  reason: Schema.Literals(["refused", "timeout", "reset", "other"]),
  delivered: Schema.Literals(["no", "unknown"]),
  message: Schema.String
}) {}

/** An HTTP answer, whatever its status. */
export interface Answer {
  readonly status: number
  readonly text: string
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  readonly json: unknown
}

/** One request. */
export interface RequestOptions {
  readonly method: "GET" | "POST" | "PUT"
  readonly url: URL
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: Uint8Array
  readonly timeoutMs: number
}

/** A client bound to one keep-alive agent per protocol. */
export interface HttpClient {
  request(options: RequestOptions): Effect.Effect<Answer, TransportError>
  /** Closes idle sockets. */
  close(): void
}

/** Makes a client; call `close` when done (the Publisher does it in its finalizer). */
export const makeClient = (): HttpClient => {
  const agentOptions: Http.AgentOptions = { keepAlive: true, maxSockets: 4, keepAliveMsecs: 10_000 }
  const agents: { readonly http: Http.Agent; https: Https.Agent | undefined } = {
    http: new http.Agent(agentOptions),
    https: undefined
  }
  const request = (options: RequestOptions): Effect.Effect<Answer, TransportError> =>
    Effect.callback<Answer, TransportError>((resume) => {
      const secure = options.url.protocol === "https:"
      const url = options.url.toString()
      let settled = false
      const fail = (reason: TransportError["reason"], delivered: TransportError["delivered"], message: string) => {
        if (settled) return
        settled = true
        resume(Effect.fail(new TransportError({ url, reason, delivered, message })))
      }
      const headers: Record<string, string | number> = { ...options.headers }
      if (options.body !== undefined) headers["content-length"] = options.body.byteLength
      let req: Http.ClientRequest
      if (secure) {
        const tls = https()
        agents.https ??= new tls.Agent(agentOptions)
        req = tls.request(options.url, { method: options.method, headers, agent: agents.https })
      } else {
        req = http.request(options.url, { method: options.method, headers, agent: agents.http })
      }
      const timer = setTimeout(() => {
        fail("timeout", "unknown", `no answer from ${url} within ${options.timeoutMs} ms`)
        req.destroy()
      }, options.timeoutMs)
      req.on("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        const code = error.code ?? ""
        if (notDeliveredCodes.has(code)) fail("refused", "no", `cannot reach ${options.url.origin}: ${code}`)
        // A kept-alive socket the server closed while idle: the request never reached it.
        else if (req.reusedSocket && code === "ECONNRESET")
          fail("reset", "no", `${url}: idle connection closed by the app`)
        else fail(code === "ECONNRESET" || code === "EPIPE" ? "reset" : "other", "unknown", `${url}: ${error.message}`)
      })
      req.on("response", (res) => {
        const chunks: Array<Buffer> = []
        let size = 0
        res.on("data", (chunk: Buffer) => {
          size += chunk.length
          if (size <= maxAnswerBytes) chunks.push(chunk)
        })
        res.on("error", (error) => {
          clearTimeout(timer)
          fail("reset", "unknown", `${url}: ${error.message}`)
        })
        res.on("end", () => {
          clearTimeout(timer)
          if (settled) return
          settled = true
          const text = Buffer.concat(chunks).toString("utf8")
          let json: unknown
          try {
            json = text.length > 0 ? JSON.parse(text) : undefined
          } catch {
            json = undefined
          }
          resume(Effect.succeed({ status: res.statusCode ?? 0, text, json }))
        })
      })
      req.end(options.body)
      return Effect.sync(() => {
        clearTimeout(timer)
        settled = true
        req.destroy()
      })
    })
  return {
    request,
    close: () => {
      agents.http.destroy()
      agents.https?.destroy()
    }
  }
}
