/**
 * A small Docker Engine API client over the engine's unix socket, with node:http only (no dockerode on the hot
 * path): JSON requests with a hard deadline, long-lived streams (events, logs) and hijacked connections
 * (exec and attach terminals). Counts its requests so costs can be measured.
 */
import { http } from "../nodeHttp.js"
import type { ClientRequest, IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import { Schema } from "effect"

/**
 * The engine socket for this process: `DOCKER_HOST` when it is `unix://...`, else `/var/run/docker.sock`.
 */
export const defaultSocketPath = (): string => {
  const host = process.env.DOCKER_HOST
  return host?.startsWith("unix://") === true ? host.slice("unix://".length) : "/var/run/docker.sock"
}

/**
 * A request to the engine failed: it could not be reached (`unreachable`), took too long (`timeout`), was
 * aborted by the caller (`aborted`), answered an error status (`status`, with the engine's own message), or
 * answered something that is not the JSON it should be (`malformed`).
 */
export class DockerEngineError extends Schema.TaggedError<DockerEngineError>()("DockerEngineError", {
  /** `GET /containers/json`. */
  operation: Schema.String,
  reason: Schema.Literals(["unreachable", "timeout", "aborted", "status", "malformed"]),
  status: Schema.optionalKey(Schema.Number),
  message: Schema.String
}) {}

/** Options of one request. */
export interface RequestOptions {
  /** A JSON body. */
  readonly body?: unknown
  /** The most the whole request may take (default: the client's). */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal | undefined
}

/** An engine answer, whatever its status. */
export interface EngineAnswer {
  readonly status: number
  readonly contentType: string | undefined
  readonly body: Buffer
}

/** A hijacked connection (exec or attach): raw bytes both ways, plus what arrived with the upgrade. */
export interface Hijacked {
  readonly socket: Duplex
  readonly head: Buffer
}

/** The client. */
export interface Engine {
  readonly socketPath: string
  /** Requests sent since the client was made (streams and hijacks included). */
  readonly requests: () => number
  /** Sends a request and reads the whole answer, whatever its status. */
  send(method: string, path: string, options?: RequestOptions): Promise<EngineAnswer>
  /** Sends a request and parses its JSON answer; any status of 300 or more (but those in `accept`) fails. */
  json(
    method: string,
    path: string,
    options?: RequestOptions & { readonly accept?: ReadonlyArray<number> }
  ): Promise<unknown>
  /** Opens a streaming answer (events, logs); fails unless the status is 2xx. The caller consumes it. */
  stream(
    method: string,
    path: string,
    options?: Omit<RequestOptions, "timeoutMs"> & { readonly connectTimeoutMs?: number }
  ): Promise<IncomingMessage>
  /** Sends a request asking for a protocol upgrade (`Upgrade: tcp`) and hands over the raw connection. */
  hijack(method: string, path: string, options?: RequestOptions): Promise<Hijacked>
}

/** The most of a JSON answer the client reads (a list of a thousand containers is about 2 MB). */
const maxAnswerBytes = 64 * 1024 * 1024

const unreachableCodes = new Set(["ENOENT", "ECONNREFUSED", "EACCES", "ECONNRESET", "EPIPE", "ENOTSOCK", "ENOTDIR"])

/** What an error of node:http means, in the words of the engine client. */
const classify = (socketPath: string, operation: string, error: unknown): DockerEngineError => {
  if (error instanceof DockerEngineError) return error
  const code = (error as { code?: unknown }).code
  const message = error instanceof Error ? error.message : String(error)
  if ((error as { name?: unknown }).name === "AbortError" || code === "ABORT_ERR") {
    return new DockerEngineError({ operation, reason: "aborted", message: `${operation}: aborted` })
  }
  if (typeof code === "string" && unreachableCodes.has(code)) {
    const hint = code === "EACCES" ? " (permission denied: run the probe as root or in the docker group)" : ""
    return new DockerEngineError({
      operation,
      reason: "unreachable",
      message: `cannot reach the Docker engine at ${socketPath}: ${message}${hint}`
    })
  }
  return new DockerEngineError({ operation, reason: "unreachable", message: `${operation}: ${message}` })
}

/** The engine's own message in an error answer (`{"message": "No such container: x"}`), else the raw text. */
export const engineMessage = (body: Buffer): string => {
  const text = body.toString("utf8").trim()
  try {
    const parsed = JSON.parse(text) as { message?: unknown }
    if (typeof parsed.message === "string") return parsed.message
  } catch {
    // not JSON: the text itself
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

/** Request headers, with a JSON body's type and length when there is one. */
const headersFor = (payload: Buffer | undefined): Record<string, string | number> =>
  payload === undefined
    ? { host: "docker" }
    : { host: "docker", "content-type": "application/json", "content-length": payload.length }

/** How errors name a request: its method and path without the query (`GET /containers/json`). */
const operationOf = (method: string, path: string): string => `${method} ${path.split("?")[0]}`

/** The engine answered an error status; `body` holds its message. */
const statusError = (operation: string, status: number, body: Buffer): DockerEngineError =>
  new DockerEngineError({ operation, reason: "status", status, message: engineMessage(body) })

/** Settles a request's promise, once: later calls (a late error, the deadline) do nothing. */
type Settle<A> = (error: DockerEngineError | undefined, value?: A) => void

/** One request on a connection of its own. */
interface Exchange {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string | number>
  readonly payload: Buffer | undefined
  readonly signal: AbortSignal | undefined
  /** The deadline: past it, the request is destroyed and fails with a `timeout`. */
  readonly timeoutMs: number
}

/**
 * Makes a client for the engine at `socketPath`. Each request opens its own connection (a unix socket
 * connect costs microseconds, and no idle connection outlives a dockerd restart).
 */
export const makeEngine = (socketPath: string, defaults: { readonly timeoutMs?: number } = {}): Engine => {
  let requests = 0
  const defaultTimeoutMs = defaults.timeoutMs ?? 10_000

  /**
   * Sends a request and settles its promise once: `wire` listens for the answer and settles, or stops the
   * deadline early (`disarm`) once what it waits for has begun; a connection error or the deadline fails it.
   */
  const exchange = <A>(
    operation: string,
    options: Exchange,
    wire: (req: ClientRequest, settle: Settle<A>, disarm: () => void) => void
  ): Promise<A> =>
    new Promise((resolve, reject) => {
      requests++
      let settled = false
      const settle: Settle<A> = (error, value) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (error !== undefined) reject(error)
        else resolve(value!)
      }
      const req = http.request({
        socketPath,
        method: options.method,
        path: options.path,
        headers: options.headers,
        agent: false,
        ...(options.signal !== undefined ? { signal: options.signal } : {})
      })
      wire(req, settle, () => clearTimeout(timer))
      const timer = setTimeout(() => {
        req.destroy()
        settle(
          new DockerEngineError({
            operation,
            reason: "timeout",
            message: `${operation}: no answer within ${options.timeoutMs} ms`
          })
        )
      }, options.timeoutMs)
      timer.unref()
      req.on("error", (error) => settle(classify(socketPath, operation, error)))
      req.end(options.payload)
    })

  /** A request with a JSON body when `options` has one. */
  const exchangeFor = (
    method: string,
    path: string,
    options: Pick<RequestOptions, "body" | "signal">,
    timeoutMs: number
  ): Exchange => {
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body))
    return { method, path, headers: headersFor(payload), payload, signal: options.signal, timeoutMs }
  }

  const send = (method: string, path: string, options: RequestOptions = {}): Promise<EngineAnswer> => {
    const operation = operationOf(method, path)
    return exchange<EngineAnswer>(
      operation,
      exchangeFor(method, path, options, options.timeoutMs ?? defaultTimeoutMs),
      (req, settle) =>
        req.on("response", (res) => {
          const chunks: Array<Buffer> = []
          let size = 0
          res.on("data", (chunk: Buffer) => {
            size += chunk.length
            if (size > maxAnswerBytes) {
              req.destroy()
              settle(
                new DockerEngineError({
                  operation,
                  reason: "malformed",
                  message: `${operation}: answer over ${maxAnswerBytes} bytes`
                })
              )
              return
            }
            chunks.push(chunk)
          })
          res.on("end", () =>
            settle(undefined, {
              status: res.statusCode ?? 0,
              contentType: res.headers["content-type"],
              body: Buffer.concat(chunks)
            })
          )
          res.on("error", (error) => settle(classify(socketPath, operation, error)))
          res.on("close", () => {
            if (!res.complete) {
              settle(
                classify(
                  socketPath,
                  operation,
                  Object.assign(new Error("the engine closed the connection mid-answer"), { code: "ECONNRESET" })
                )
              )
            }
          })
        })
    )
  }

  const json = async (
    method: string,
    path: string,
    options: RequestOptions & { readonly accept?: ReadonlyArray<number> } = {}
  ): Promise<unknown> => {
    const answer = await send(method, path, options)
    const operation = operationOf(method, path)
    if (answer.status >= 300 && !(options.accept ?? []).includes(answer.status)) {
      throw statusError(operation, answer.status, answer.body)
    }
    if (answer.body.length === 0) return undefined
    try {
      return JSON.parse(answer.body.toString("utf8"))
    } catch (error) {
      throw new DockerEngineError({
        operation,
        reason: "malformed",
        status: answer.status,
        message: `${operation}: the engine answered malformed JSON (${(error as Error).message})`
      })
    }
  }

  const stream = (
    method: string,
    path: string,
    options: Omit<RequestOptions, "timeoutMs"> & { readonly connectTimeoutMs?: number } = {}
  ): Promise<IncomingMessage> => {
    const operation = operationOf(method, path)
    return exchange<IncomingMessage>(
      operation,
      exchangeFor(method, path, options, options.connectTimeoutMs ?? defaultTimeoutMs),
      (req, settle, disarm) =>
        req.on("response", (res) => {
          // the deadline is for the answer to begin: a stream may then last as long as it likes
          disarm()
          const status = res.statusCode ?? 0
          if (status >= 200 && status < 300) {
            settle(undefined, res)
            return
          }
          const chunks: Array<Buffer> = []
          res.on("data", (chunk: Buffer) => chunks.push(chunk))
          res.on("end", () => settle(statusError(operation, status, Buffer.concat(chunks))))
          res.on("error", (error) => settle(classify(socketPath, operation, error)))
        })
    )
  }

  const hijack = (method: string, path: string, options: RequestOptions = {}): Promise<Hijacked> => {
    const operation = operationOf(method, path)
    const payload = Buffer.from(JSON.stringify(options.body ?? {}))
    const headers = {
      host: "docker",
      "content-type": "application/json",
      "content-length": payload.length,
      connection: "Upgrade",
      upgrade: "tcp"
    }
    return exchange<Hijacked>(
      operation,
      { method, path, headers, payload, signal: options.signal, timeoutMs: options.timeoutMs ?? defaultTimeoutMs },
      (req, settle) => {
        req.on("upgrade", (_res, socket, head) => {
          socket.setTimeout(0)
          // nothing reads it until the caller attaches: keep what arrives buffered instead of flowing away
          socket.pause()
          settle(undefined, { socket, head })
        })
        req.on("response", (res) => {
          const chunks: Array<Buffer> = []
          res.on("data", (chunk: Buffer) => chunks.push(chunk))
          res.on("end", () => {
            const status = res.statusCode ?? 0
            settle(
              status >= 300
                ? statusError(operation, status, Buffer.concat(chunks))
                : new DockerEngineError({
                    operation,
                    reason: "status",
                    status,
                    message: `${operation}: the engine did not upgrade the connection`
                  })
            )
          })
        })
      }
    )
  }

  return { socketPath, requests: () => requests, send, json, stream, hijack }
}

/** Encodes a container reference (full id, short id or name) for a URL path, refusing anything else. */
export const containerRef = (ref: string): string | undefined =>
  /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(ref) ? encodeURIComponent(ref) : undefined
