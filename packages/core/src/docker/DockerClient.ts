/**
 * The shared Docker client: one dockerode instance per layer, for the probe's collectors and the scheduler's
 * containerizer alike.
 *
 * @since 0.1.0
 */
import type Dockerode from "dockerode"
import { Context, Effect, Layer, Predicate } from "effect"
import { DockerError, DockerUnavailable } from "./DockerError.js"

/**
 * Options for {@link DockerClient.layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface DockerClientOptions {
  /** The engine's unix socket; defaults to `DOCKER_HOST` when it is `unix://...`, else `/var/run/docker.sock`. */
  readonly socketPath?: string
  /** How long the start-up `ping` (and each later `ping`) may take; default 5,000 ms. */
  readonly pingTimeoutMs?: number
}

/**
 * The default engine socket for this process.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultSocketPath = (): string => {
  const host = process.env.DOCKER_HOST
  return host?.startsWith("unix://") === true ? host.slice("unix://".length) : "/var/run/docker.sock"
}

/**
 * Access to the Docker engine.
 *
 * **When to use**: provide `DockerClient.layer({ socketPath })` once and run Docker calls through `use`, which
 * turns a rejected dockerode promise into a typed {@link DockerError} and aborts the request on interruption.
 *
 * **Gotchas**: dockerode is an optional peer dependency loaded on first use of the layer, so importing this
 * module costs nothing; the layer fails with {@link DockerUnavailable} when it is missing or the engine does
 * not answer `ping`.
 *
 * @example
 * ```ts
 * import { DockerClient } from "@orchestrator/core/docker"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const docker = yield* DockerClient
 *   return yield* docker.use("listContainers", (d, signal) => d.listContainers({ all: true, abortSignal: signal }))
 * }).pipe(Effect.provide(DockerClient.layer({ socketPath: "/var/run/docker.sock" })))
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export class DockerClient extends Context.Service<
  DockerClient,
  {
    /** The dockerode instance, for calls `use` does not cover (streams, hijacked attach). */
    readonly docker: Dockerode
    readonly socketPath: string
    /** `GET /_ping`: succeeds when the engine answers. */
    readonly ping: Effect.Effect<void, DockerUnavailable>
    /** Runs one dockerode call; `operation` names it in errors and spans. */
    readonly use: <A>(
      operation: string,
      f: (docker: Dockerode, signal: AbortSignal) => Promise<A>
    ) => Effect.Effect<A, DockerError>
  }
>()("@orchestrator/core/docker/DockerClient") {
  /**
   * A layer that loads dockerode, connects to the socket and checks it with `ping`.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (options: DockerClientOptions = {}): Layer.Layer<DockerClient, DockerUnavailable> =>
    Layer.effect(DockerClient, make(options))
}

const reasonOf = (cause: unknown): string => {
  if (Predicate.isObject(cause)) {
    const json = "json" in cause && Predicate.isObject(cause.json) ? cause.json : undefined
    if (json !== undefined && "message" in json && Predicate.isString(json.message)) return json.message
    if ("message" in cause && Predicate.isString(cause.message)) return cause.message
  }
  return String(cause)
}

const statusOf = (cause: unknown): number | undefined =>
  Predicate.isObject(cause) && "statusCode" in cause && Predicate.isNumber(cause.statusCode)
    ? cause.statusCode
    : undefined

/**
 * Builds the service: loads dockerode, creates the client and pings the engine.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("DockerClient.make")(function* (options: DockerClientOptions) {
  const socketPath = options.socketPath ?? defaultSocketPath()
  const pingTimeoutMs = options.pingTimeoutMs ?? 5_000
  const module = yield* Effect.tryPromise({
    try: () => import("dockerode"),
    catch: (cause) =>
      new DockerUnavailable({
        socketPath,
        reason: `cannot load dockerode (an optional peer dependency of @orchestrator/core): ${reasonOf(cause)}`
      })
  })
  const docker: Dockerode = new module.default({ socketPath })

  const ping = Effect.tryPromise({
    // dockerode accepts `{ abortSignal }` here, but its typings only declare `ping()`
    try: (signal) =>
      (docker.ping as (opts: { abortSignal: AbortSignal }) => Promise<unknown>).call(docker, { abortSignal: signal }),
    catch: (cause) => new DockerUnavailable({ socketPath, reason: reasonOf(cause) })
  }).pipe(
    Effect.timeoutOrElse({
      duration: pingTimeoutMs,
      orElse: () =>
        Effect.fail(new DockerUnavailable({ socketPath, reason: `no answer to ping in ${pingTimeoutMs} ms` }))
    }),
    Effect.asVoid,
    Effect.withSpan("DockerClient.ping")
  )

  const use = <A>(operation: string, f: (docker: Dockerode, signal: AbortSignal) => Promise<A>) =>
    Effect.tryPromise({
      try: (signal) => f(docker, signal),
      catch: (cause) => {
        const statusCode = statusOf(cause)
        return new DockerError({
          operation,
          reason: reasonOf(cause),
          ...(statusCode === undefined ? {} : { statusCode })
        })
      }
    }).pipe(Effect.withSpan(`DockerClient.${operation}`))

  yield* ping
  return DockerClient.of({ docker, socketPath, ping, use })
})
