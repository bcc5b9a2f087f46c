/**
 * A small HTTP server for a running migration: `GET /metrics` (Prometheus text format, every
 * `zk_migrate_*` metric) and `GET /status` (JSON from a caller-given effect, e.g. the state file and the
 * sync's counters). Off by default in the CLI (`--metrics-port`); binds loopback unless told otherwise.
 * Bounded: GET/HEAD only, no request bodies, short timeouts, a connection cap.
 *
 * @since 0.1.0
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { type Context, Effect, type Scope } from "effect"
import { MetricsServerError } from "./Errors.js"
import { prometheus } from "./Metrics.js"

/**
 * Settings of {@link serve}.
 *
 * @since 0.1.0
 * @category models
 */
export interface MetricsServerOptions {
  /** `0` picks a free port (see the returned address). */
  readonly port: number
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** The `/status` document (serialised as JSON; bigints as strings, bytes as base64). */
  readonly status: Effect.Effect<unknown>
  /** Connections served at once (default 32). */
  readonly maxConnections?: number
}

/**
 * Where the server listens.
 *
 * @since 0.1.0
 * @category models
 */
export interface MetricsServerAddress {
  readonly host: string
  readonly port: number
  readonly url: string
}

/**
 * JSON with bigints as strings and bytes as base64 (ZooKeeper stats and node data).
 *
 * @since 0.1.0
 * @category utils
 */
export const toJson = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v
  )

const reply = (response: ServerResponse, code: number, type: string, body: string): void => {
  response.writeHead(code, { "content-type": type, "content-length": Buffer.byteLength(body), connection: "close" })
  response.end(body)
}

/**
 * Serves `/metrics` and `/status` until the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serve = (
  options: MetricsServerOptions
): Effect.Effect<MetricsServerAddress, MetricsServerError, Scope.Scope> =>
  Effect.gen(function* () {
    const host = options.host ?? "127.0.0.1"
    const context: Context.Context<never> = yield* Effect.context<never>()
    const run = Effect.runPromiseWith(context)
    const handle = (request: IncomingMessage, response: ServerResponse): void => {
      const path = (request.url ?? "/").split("?")[0]
      if (request.method !== "GET" && request.method !== "HEAD") {
        response.setHeader("allow", "GET, HEAD")
        reply(response, 405, "text/plain", "method not allowed\n")
        return
      }
      const body =
        path === "/metrics"
          ? run(prometheus).then((text) => ({ type: "text/plain; version=0.0.4", text }))
          : path === "/status"
            ? run(options.status).then((value) => ({ type: "application/json", text: `${toJson(value)}\n` }))
            : undefined
      if (body === undefined) {
        reply(response, 404, "text/plain", "not found: try /metrics or /status\n")
        return
      }
      body.then(
        ({ type, text }) => reply(response, 200, type, text),
        (error: unknown) =>
          reply(response, 500, "text/plain", `${error instanceof Error ? error.message : String(error)}\n`)
      )
    }
    const server = createServer({ requestTimeout: 5_000, headersTimeout: 5_000 }, handle)
    server.maxConnections = options.maxConnections ?? 32
    server.keepAliveTimeout = 1_000
    const port = yield* Effect.acquireRelease(
      Effect.callback<number, MetricsServerError>((resume) => {
        const onError = (error: NodeJS.ErrnoException) =>
          resume(
            Effect.fail(
              new MetricsServerError({
                host,
                port: options.port,
                reason:
                  error.code === "EADDRINUSE"
                    ? "the address is in use"
                    : error.code === "EACCES"
                      ? "permission denied"
                      : error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND"
                        ? "no such local address"
                        : error.message
              })
            )
          )
        server.once("error", onError)
        server.listen(options.port, host, () => {
          server.off("error", onError)
          const address = server.address()
          resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : options.port))
        })
      }),
      () =>
        Effect.callback<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    const shown = host.includes(":") ? `[${host}]` : host
    return { host, port, url: `http://${shown}:${port}` }
  })
