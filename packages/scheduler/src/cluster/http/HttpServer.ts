/**
 * A small JSON HTTP server for the master's and the agent's REST APIs: routes with `:param` segments, bodies
 * read (1 MB at most) and parsed, typed request errors turned into 4xx answers with a JSON body that names
 * the problem, and the listener closed with its scope.
 *
 * @since 0.1.0
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Cause, Effect, Exit, Fiber, Schema, Stream } from "effect"
import { InvalidRequest, type RequestError, statusOf } from "../ClusterError.js"

/**
 * A parsed request.
 *
 * @since 0.1.0
 * @category models
 */
export interface Request {
  readonly method: string
  readonly path: string
  readonly params: Readonly<Record<string, string>>
  readonly query: URLSearchParams
  /** The parsed JSON body, `undefined` when there is none. */
  readonly body: unknown
  /** The request's headers (lower-case names). */
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
}

/**
 * An answer: JSON unless `contentType` says otherwise (then `body` is sent as text). With `stream`, the
 * body is that stream's chunks written as they come (server-sent events, long downloads) until the stream
 * ends, the client goes away or the server closes; `body` is then ignored.
 *
 * @since 0.1.0
 * @category models
 */
export interface Response {
  readonly status: number
  readonly body: unknown
  readonly contentType?: string
  readonly stream?: Stream.Stream<string>
}

/**
 * A client that reads a stream slower than it is written is cut off once this many bytes wait for it.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxStreamBacklogBytes = 8 * 1024 * 1024

/**
 * A route: `pattern` like `/api/v1/tasks/:taskId`; a parameter with a star after its name takes one or
 * more segments (`:appId*` then `tasks` matches `/v2/apps/prod/web/tasks` with `appId` = `prod/web`).
 * The first route that matches wins.
 *
 * @since 0.1.0
 * @category models
 */
export interface Route {
  readonly method: string
  readonly pattern: string
  readonly handle: (request: Request) => Effect.Effect<Response, RequestError>
}

/**
 * A route answering 200 with what `handle` returns as JSON.
 *
 * @since 0.1.0
 * @category constructors
 */
export const route = (
  method: string,
  pattern: string,
  handle: (request: Request) => Effect.Effect<unknown, RequestError>
): Route => ({
  method,
  pattern,
  handle: (request) => Effect.map(handle(request), (body) => ({ status: 200, body }))
})

/**
 * The server could not listen.
 *
 * @since 0.1.0
 * @category errors
 */
export class ListenError extends Schema.TaggedError<ListenError>()("ListenError", {
  host: Schema.String,
  port: Schema.Int,
  reason: Schema.String
}) {
  override get message(): string {
    return `cannot listen on ${this.host}:${this.port}: ${this.reason}`
  }
}

const maxBodyBytes = 1024 * 1024

const decodeSegment = (segment: string): string => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/**
 * Matches pattern segments from `at` against path parts from `from`: `:name` takes one segment, `:name` with a
 * star one or more (joined with `/`, e.g. a Marathon app id `prod/web`), anything else must be equal.
 */
const matchSegments = (
  pattern: ReadonlyArray<string>,
  at: number,
  parts: ReadonlyArray<string>,
  from: number,
  params: Record<string, string>
): boolean => {
  if (at === pattern.length) return from === parts.length
  const segment = pattern[at]!
  if (segment.startsWith(":") && segment.endsWith("*")) {
    const rest = pattern.length - at - 1
    for (let end = parts.length - rest; end > from; end--) {
      if (matchSegments(pattern, at + 1, parts, end, params)) {
        params[segment.slice(1, -1)] = parts.slice(from, end).map(decodeSegment).join("/")
        return true
      }
    }
    return false
  }
  if (from === parts.length) return false
  if (segment.startsWith(":")) {
    if (!matchSegments(pattern, at + 1, parts, from + 1, params)) return false
    params[segment.slice(1)] = decodeSegment(parts[from]!)
    return true
  }
  return segment === parts[from] && matchSegments(pattern, at + 1, parts, from + 1, params)
}

const matchRoute = (
  routes: ReadonlyArray<Route>,
  method: string,
  path: string
): { readonly route: Route; readonly params: Record<string, string> } | "method" | undefined => {
  const parts = path.split("/").filter((p) => p !== "")
  let pathMatched = false
  for (const candidate of routes) {
    const pattern = candidate.pattern.split("/").filter((p) => p !== "")
    const params: Record<string, string> = {}
    if (!matchSegments(pattern, 0, parts, 0, params)) continue
    pathMatched = true
    if (candidate.method === method) return { route: candidate, params }
  }
  return pathMatched ? "method" : undefined
}

/** A body over {@link maxBodyBytes}: answered `413` (the rest of it is read and dropped, so the answer arrives). */
class BodyTooLarge {
  readonly message = `body: larger than ${maxBodyBytes} bytes`
}

const readBody = (req: IncomingMessage): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? Number.NaN)
    if (declared > maxBodyBytes) {
      req.resume()
      reject(new BodyTooLarge())
      return
    }
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBodyBytes) {
        req.off("data", onData)
        chunks.length = 0
        req.resume()
        reject(new BodyTooLarge())
        return
      }
      chunks.push(chunk)
    }
    req.on("data", onData)
    req.on("error", reject)
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      if (text.trim() === "") return resolve(undefined)
      try {
        resolve(JSON.parse(text))
      } catch (cause) {
        reject(new InvalidRequest({ field: "body", reason: `not JSON: ${(cause as Error).message}` }))
      }
    })
  })

/**
 * The JSON body of an error answer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const errorBody = (error: RequestError): Record<string, unknown> => ({
  error: error._tag,
  message: error.message,
  ...(error._tag === "NotLeader" && error.leader !== undefined ? { leader: error.leader } : {}),
  ...(error._tag === "InvalidRequest" ? { field: error.field } : {})
})

const send = (res: ServerResponse, response: Response): void => {
  const text = response.contentType === undefined ? JSON.stringify(response.body ?? null) : String(response.body ?? "")
  res.writeHead(response.status, {
    "content-type": response.contentType ?? "application/json",
    "content-length": Buffer.byteLength(text)
  })
  res.end(text)
}

/**
 * Serves `routes` on `host:port` (port 0: a free one) until the scope closes; returns the bound port.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serve = Effect.fn("HttpServer.serve")(function* (options: {
  readonly host: string
  readonly port: number
  readonly routes: ReadonlyArray<Route>
}) {
  // handlers run as fibers of their own (long polls among them): interrupted when the server closes
  const inFlight = new Set<Fiber.Fiber<Response, RequestError>>()
  const run = (effect: Effect.Effect<Response, RequestError>): Promise<Exit.Exit<Response, RequestError>> => {
    const fiber = Effect.runFork(effect)
    inFlight.add(fiber)
    return Effect.runPromise(Fiber.await(fiber)).finally(() => inFlight.delete(fiber))
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost")
    const method = req.method ?? "GET"
    const matched = matchRoute(options.routes, method, url.pathname)
    if (matched === undefined || matched === "method") {
      req.resume()
      const status = matched === undefined ? 404 : 405
      send(res, {
        status,
        body: {
          error: matched === undefined ? "NotFound" : "MethodNotAllowed",
          message: matched === undefined ? `no route ${url.pathname}` : `${method} not allowed on ${url.pathname}`
        }
      })
      return
    }
    let body: unknown
    try {
      body = await readBody(req)
    } catch (error) {
      if (error instanceof InvalidRequest) send(res, { status: 400, body: errorBody(error) })
      else if (error instanceof BodyTooLarge)
        send(res, { status: 413, body: { error: "PayloadTooLarge", message: error.message, field: "body" } })
      else res.destroy()
      return
    }
    const exit = await run(
      matched.route.handle({
        method,
        path: url.pathname,
        params: matched.params,
        query: url.searchParams,
        body,
        headers: req.headers
      })
    )
    if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) {
      res.destroy()
      return
    }
    if (Exit.isSuccess(exit)) {
      const stream = exit.value.stream
      if (stream === undefined) return send(res, exit.value)
      res.writeHead(exit.value.status, {
        "content-type": exit.value.contentType ?? "text/event-stream",
        "cache-control": "no-cache",
        "x-accel-buffering": "no"
      })
      res.flushHeaders()
      const writing = Effect.runFork(
        Stream.runForEach(stream, (chunk) =>
          res.write(chunk)
            ? Effect.void
            : res.writableLength > maxStreamBacklogBytes
              ? Effect.sync(() => res.destroy())
              : // wait until the client has read what is buffered (or is gone), so the stream's producer feels it
                Effect.callback<void>((resume) => {
                  const done = () => {
                    res.off("drain", done)
                    res.off("close", done)
                    resume(Effect.void)
                  }
                  res.once("drain", done)
                  res.once("close", done)
                })
        )
      )
      // the response closes when it ends or when the client goes away (its socket closes)
      res.once("close", () => Effect.runFork(Fiber.interrupt(writing)))
      await run(Effect.onInterrupt(Fiber.join(writing), () => Fiber.interrupt(writing)).pipe(Effect.as(exit.value)))
      if (!res.destroyed) res.end()
      return
    }
    const failure = Cause.findErrorOption(exit.cause)
    if (failure._tag === "Some") return send(res, { status: statusOf(failure.value), body: errorBody(failure.value) })
    send(res, { status: 500, body: { error: "InternalError", message: Cause.pretty(exit.cause) } })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((cause) => {
      if (!res.headersSent) send(res, { status: 500, body: { error: "InternalError", message: String(cause) } })
    })
  })
  server.keepAliveTimeout = 30_000
  const port = yield* Effect.acquireRelease(
    Effect.callback<number, ListenError>((resume) => {
      server.once("error", (cause) =>
        resume(Effect.fail(new ListenError({ host: options.host, port: options.port, reason: cause.message })))
      )
      server.listen(options.port, options.host, () => resume(Effect.succeed((server.address() as AddressInfo).port)))
    }),
    () =>
      Effect.gen(function* () {
        yield* Effect.forEach([...inFlight], (fiber) => Fiber.interrupt(fiber), {
          concurrency: "unbounded",
          discard: true
        })
        yield* Effect.callback<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
      })
  )
  return { port }
})
