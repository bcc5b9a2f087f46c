/**
 * A small Docker Engine API client over the engine's unix socket, with node:http only (no dockerode on the hot
 * path): JSON requests with a hard deadline, long-lived streams (events, logs) and hijacked connections
 * (exec and attach terminals). Counts its requests so costs can be measured.
 */
import { type IncomingMessage, request } from "node:http"
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

/**
 * Makes a client for the engine at `socketPath`. Each request opens its own connection (a unix socket
 * connect costs microseconds, and no idle connection outlives a dockerd restart).
 */
export const makeEngine = (socketPath: string, defaults: { readonly timeoutMs?: number } = {}): Engine => {
  let requests = 0
  const defaultTimeoutMs = defaults.timeoutMs ?? 10_000

  const send = (method: string, path: string, options: RequestOptions = {}): Promise<EngineAnswer> =>
    new Promise((resolve, reject) => {
      const operation = `${method} ${path.split("?")[0]}`
      requests++
      const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body))
      let settled = false
      const finish = (error: DockerEngineError | undefined, answer?: EngineAnswer) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (error !== undefined) reject(error)
        else resolve(answer!)
      }
      const req = request(
        {
          socketPath,
          method,
          path,
          headers: headersFor(payload),
          agent: false,
          ...(options.signal !== undefined ? { signal: options.signal } : {})
        },
        (res) => {
          const chunks: Array<Buffer> = []
          let size = 0
          res.on("data", (chunk: Buffer) => {
            size += chunk.length
            if (size > maxAnswerBytes) {
              req.destroy()
              finish(
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
            finish(undefined, {
              status: res.statusCode ?? 0,
              contentType: res.headers["content-type"],
              body: Buffer.concat(chunks)
            })
          )
          res.on("error", (error) => finish(classify(socketPath, operation, error)))
          res.on("close", () => {
            if (!res.complete) {
              finish(
                classify(
                  socketPath,
                  operation,
                  Object.assign(new Error("the engine closed the connection mid-answer"), { code: "ECONNRESET" })
                )
              )
            }
          })
        }
      )
      const timeoutMs = options.timeoutMs ?? defaultTimeoutMs
      const timer = setTimeout(() => {
        req.destroy()
        finish(
          new DockerEngineError({
            operation,
            reason: "timeout",
            message: `${operation}: no answer within ${timeoutMs} ms`
          })
        )
      }, timeoutMs)
      timer.unref()
      req.on("error", (error) => finish(classify(socketPath, operation, error)))
      req.end(payload)
    })

  const json = async (
    method: string,
    path: string,
    options: RequestOptions & { readonly accept?: ReadonlyArray<number> } = {}
  ): Promise<unknown> => {
    const answer = await send(method, path, options)
    const operation = `${method} ${path.split("?")[0]}`
    if (answer.status >= 300 && !(options.accept ?? []).includes(answer.status)) {
      throw new DockerEngineError({
        operation,
        reason: "status",
        status: answer.status,
        message: engineMessage(answer.body)
      })
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
  ): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const operation = `${method} ${path.split("?")[0]}`
      requests++
      const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body))
      let settled = false
      const req = request(
        {
          socketPath,
          method,
          path,
          headers: headersFor(payload),
          agent: false,
          ...(options.signal !== undefined ? { signal: options.signal } : {})
        },
        (res) => {
          clearTimeout(timer)
          const status = res.statusCode ?? 0
          if (status >= 200 && status < 300) {
            settled = true
            resolve(res)
            return
          }
          const chunks: Array<Buffer> = []
          res.on("data", (chunk: Buffer) => chunks.push(chunk))
          res.on("end", () => {
            settled = true
            reject(
              new DockerEngineError({
                operation,
                reason: "status",
                status,
                message: engineMessage(Buffer.concat(chunks))
              })
            )
          })
          res.on("error", (error) => {
            settled = true
            reject(classify(socketPath, operation, error))
          })
        }
      )
      const timeoutMs = options.connectTimeoutMs ?? defaultTimeoutMs
      const timer = setTimeout(() => {
        if (settled) return
        settled = true
        req.destroy()
        reject(
          new DockerEngineError({
            operation,
            reason: "timeout",
            message: `${operation}: no answer within ${timeoutMs} ms`
          })
        )
      }, timeoutMs)
      timer.unref()
      req.on("error", (error) => {
        clearTimeout(timer)
        if (settled) return
        settled = true
        reject(classify(socketPath, operation, error))
      })
      req.end(payload)
    })

  const hijack = (method: string, path: string, options: RequestOptions = {}): Promise<Hijacked> =>
    new Promise((resolve, reject) => {
      const operation = `${method} ${path.split("?")[0]}`
      requests++
      const payload = Buffer.from(JSON.stringify(options.body ?? {}))
      let settled = false
      const settle = (error: DockerEngineError | undefined, value?: Hijacked) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (error !== undefined) reject(error)
        else resolve(value!)
      }
      const req = request({
        socketPath,
        method,
        path,
        headers: {
          host: "docker",
          "content-type": "application/json",
          "content-length": payload.length,
          connection: "Upgrade",
          upgrade: "tcp"
        },
        agent: false,
        ...(options.signal !== undefined ? { signal: options.signal } : {})
      })
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
            new DockerEngineError({
              operation,
              reason: "status",
              status,
              message:
                status >= 300
                  ? engineMessage(Buffer.concat(chunks))
                  : `${operation}: the engine did not upgrade the connection`
            })
          )
        })
      })
      const timeoutMs = options.timeoutMs ?? defaultTimeoutMs
      const timer = setTimeout(() => {
        req.destroy()
        settle(
          new DockerEngineError({
            operation,
            reason: "timeout",
            message: `${operation}: no answer within ${timeoutMs} ms`
          })
        )
      }, timeoutMs)
      timer.unref()
      req.on("error", (error) => settle(classify(socketPath, operation, error)))
      req.end(payload)
    })

  return { socketPath, requests: () => requests, send, json, stream, hijack }
}

/** Encodes a container reference (full id, short id or name) for a URL path, refusing anything else. */
export const containerRef = (ref: string): string | undefined =>
  /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(ref) ? encodeURIComponent(ref) : undefined
