/**
 * The control channel client: the probe keeps a WebSocket open to the app
 * (`GET /api/v1/probe/ws?agent_id=…`, with the bearer token), runs the control requests the app sends with
 * the plugin registry's `runControl`, and answers with their results. Controls that return
 * `Pipes.stream(...)` open a pipe on the channel (logs, terminals); input, resizes and closes for pipes come
 * back the same way.
 *
 * - Reconnects with capped, jittered exponential backoff (reset after a connection that opened), and pings
 *   the app to notice connections that died silently.
 * - When the app refuses the upgrade, `lastError` gives its status and error message
 *   (`the app refused the control channel: HTTP 404: unknown agent "…": register first`).
 * - Refuses every control while controls are disabled (`--no-controls`, or the app's agent config), with a
 *   result that says why.
 * - Runs controls concurrently, at most `maxConcurrentControls` at a time; each is bounded by its own timeout
 *   in the registry.
 *
 * @since 0.1.0
 */
import { ControlProtocol, type PluginRegistry, type Report } from "@orchestrator/core"
import { Duration, Effect, FiberSet, Schema, type Scope } from "effect"
import { WebSocket } from "ws"
import { forever } from "./internal/loop.js"
import { PipeHub } from "./internal/pipeHub.js"
import { isPipeStream } from "./Pipes.js"
import { backoff } from "./Publisher.js"

/**
 * What the control channel needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface ControlChannelOptions {
  /** The app's base URL (`http://…` or `https://…`). */
  readonly appUrl: string
  readonly token?: string
  /** The agent id, read at each connection (it is known once registered). */
  readonly agentId: () => string
  /** The host id passed to controls. */
  readonly hostId: string
  readonly registry: PluginRegistry.PluginRegistryService
  /** Waits until the probe is registered (the app refuses unknown agents). */
  readonly ready: Effect.Effect<void>
  /** Why controls are refused right now, or `undefined` when they run. */
  readonly refusal: () => string | undefined
  /** The node a request targets, from the last collection, so `appliesTo` can be checked. */
  readonly lookup?: (topology: string, id: string) => Report.Node | undefined
  readonly backoffInitialMs?: number
  readonly backoffMaxMs?: number
  /** Handshake timeout (default 10 s). */
  readonly connectTimeoutMs?: number
  /** Ping period; a connection that misses a pong for one period is dropped (default 30 s). */
  readonly pingIntervalMs?: number
  /** The most controls running at once (default 32). */
  readonly maxConcurrentControls?: number
  /** The most open pipes (default 64). */
  readonly maxPipes?: number
}

/**
 * Counters for monitoring.
 *
 * @since 0.1.0
 * @category models
 */
export interface ControlChannelStats {
  readonly connected: boolean
  /** Connections opened. */
  readonly connects: number
  /** Controls that ran and succeeded. */
  readonly controlsOk: number
  /** Controls that ran and failed, or were not found. */
  readonly controlsFailed: number
  /** Controls refused (disabled or busy). */
  readonly controlsRefused: number
  readonly pipesOpen: number
  readonly lastError: string | undefined
}

/**
 * A running control channel.
 *
 * @since 0.1.0
 * @category models
 */
export interface ControlChannel {
  readonly stats: () => ControlChannelStats
}

/**
 * The channel could not be opened or dropped.
 *
 * @since 0.1.0
 * @category errors
 */
export class ControlChannelError extends Schema.TaggedError<ControlChannelError>()("ControlChannelError", {
  url: Schema.String,
  message: Schema.String
}) {}

const decodeMessage = Schema.decodeUnknownExit(ControlProtocol.AppToProbe)

/**
 * The WebSocket URL of the control channel for an app URL and agent id.
 *
 * @since 0.1.0
 * @category constructors
 */
export const channelUrl = (appUrl: string, agentId: string): string => {
  const url = new URL(`${appUrl.replace(/\/+$/, "")}/api/v1/probe/ws`)
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:"
  url.searchParams.set("agent_id", agentId)
  return url.toString()
}

/**
 * Starts the control channel in the current scope: it connects once the probe is registered and stays
 * connected until the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function* (
  options: ControlChannelOptions
): Effect.fn.Return<ControlChannel, never, Scope.Scope> {
  const maxConcurrent = options.maxConcurrentControls ?? 32
  const maxPipes = options.maxPipes ?? 64
  const pingIntervalMs = options.pingIntervalMs ?? 30_000
  const counters = { connects: 0, controlsOk: 0, controlsFailed: 0, controlsRefused: 0 }
  let lastError: string | undefined
  let current: { readonly socket: WebSocket; readonly hub: PipeHub } | undefined
  let running = 0

  const connect = (url: string) =>
    Effect.callback<WebSocket, ControlChannelError>((resume) => {
      const socket = new WebSocket(url, {
        headers: options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {},
        handshakeTimeout: options.connectTimeoutMs ?? 10_000,
        maxPayload: 16 * 1024 * 1024
      })
      let settled = false
      const fail = (message: string) => {
        if (settled) return
        settled = true
        resume(Effect.fail(new ControlChannelError({ url, message })))
      }
      socket.on("error", (error) => fail(error.message))
      socket.once("unexpected-response", (_request, response) => {
        // The app says why in a small JSON error (unknown agent, missing token): read it into the message.
        const chunks: Array<Buffer> = []
        let size = 0
        response.on("data", (chunk: Buffer) => {
          if (size < maxRefusalBytes) chunks.push(chunk)
          size += chunk.length
        })
        const refused = () => {
          const detail = errorMessageOf(Buffer.concat(chunks).toString("utf8"))
          fail(
            `the app refused the control channel: HTTP ${response.statusCode}${detail !== undefined ? `: ${detail}` : ""}`
          )
          socket.terminate()
        }
        response.once("end", refused)
        response.once("error", refused)
      })
      socket.once("open", () => {
        if (settled) return
        settled = true
        resume(Effect.succeed(socket))
      })
      socket.once("close", () => fail("closed before it opened"))
      return Effect.sync(() => {
        settled = true
        socket.terminate()
      })
    })

  /** One connection: serves it until it closes. */
  const session = Effect.fnUntraced(function* (socket: WebSocket) {
    const run = yield* FiberSet.makeRuntime<never>()
    const send = (message: ControlProtocol.ProbeToApp): boolean => {
      if (socket.readyState !== WebSocket.OPEN) return false
      socket.send(JSON.stringify(message))
      return true
    }
    const hub = new PipeHub({ send, buffered: () => socket.bufferedAmount })
    current = { socket, hub }
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        hub.closeAll("control channel closed")
        if (current?.socket === socket) current = undefined
        socket.terminate()
      })
    )

    const answer = (result: ControlProtocol.ControlResult) => {
      try {
        send({ type: "control.result", result })
      } catch (error) {
        send({
          type: "control.result",
          result: { id: result.id, ok: false, error: `the control's result cannot be sent: ${String(error)}` }
        })
      }
    }

    const runControl = (request: ControlProtocol.ControlRequest) =>
      Effect.gen(function* () {
        const refusal = options.refusal()
        if (refusal !== undefined || running >= maxConcurrent) {
          counters.controlsRefused++
          answer({ id: request.id, ok: false, error: refusal ?? `the probe is busy: ${running} controls running` })
          return
        }
        running++
        const node = options.lookup?.(request.topology, request.nodeId)
        const outcome = yield* Effect.result(
          options.registry.runControl(request, {
            hostId: options.hostId,
            probeId: options.agentId(),
            ...(node !== undefined ? { node } : {})
          })
        ).pipe(
          Effect.ensuring(
            Effect.sync(() => {
              running--
            })
          )
        )
        if (outcome._tag === "Failure") {
          counters.controlsFailed++
          answer({ id: request.id, ok: false, error: outcome.failure.message })
          return
        }
        counters.controlsOk++
        const value = outcome.success
        if (!isPipeStream(value)) {
          answer(value === undefined ? { id: request.id, ok: true } : { id: request.id, ok: true, result: value })
          return
        }
        if (hub.size >= maxPipes) {
          answer({ id: request.id, ok: false, error: `too many open pipes (${maxPipes})` })
          return
        }
        const pipe = hub.open()
        answer({
          id: request.id,
          ok: true,
          pipeId: pipe.id,
          ...(value.result !== undefined ? { result: value.result } : {})
        })
        try {
          const attached = value.attach(pipe)
          if (attached !== undefined && typeof attached.then === "function") {
            attached.then(undefined, (error: unknown) => pipe.close(`the stream failed: ${describe(error)}`))
          }
        } catch (error) {
          pipe.close(`the stream failed: ${describe(error)}`)
        }
      })

    socket.on("message", (data, isBinary) => {
      if (isBinary) return
      let parsed: unknown
      try {
        parsed = JSON.parse(data.toString())
      } catch {
        return
      }
      const decoded = decodeMessage(parsed)
      if (decoded._tag === "Failure") return
      const message = decoded.value
      switch (message.type) {
        case "control":
          run(runControl(message.request))
          return
        case "pipe.input":
          hub.input(message.pipeId, message.data)
          return
        case "pipe.resize":
          hub.resize(message.pipeId, message.cols, message.rows)
          return
        case "pipe.close":
          hub.close(message.pipeId, "closed by the client", false)
      }
    })

    let alive = true
    socket.on("pong", () => {
      alive = true
    })
    const ping = setInterval(() => {
      if (!alive) {
        lastError = `no pong from the app within ${pingIntervalMs} ms`
        socket.terminate()
        return
      }
      alive = false
      socket.ping()
    }, pingIntervalMs)
    ping.unref()
    yield* Effect.addFinalizer(() => Effect.sync(() => clearInterval(ping)))

    const closed = yield* Effect.callback<{ readonly code: number; readonly reason: string }>((resume) => {
      if (socket.readyState === WebSocket.CLOSED) return resume(Effect.succeed({ code: 1006, reason: "" }))
      socket.once("close", (code, reason) => resume(Effect.succeed({ code, reason: reason.toString() })))
    })
    lastError = `control channel closed (${closed.code}${closed.reason !== "" ? `: ${closed.reason}` : ""})`
    yield* Effect.logDebug(lastError)
  }, Effect.scoped)

  const schedule = backoff(options.backoffInitialMs ?? 500, options.backoffMaxMs ?? 30_000)
  const attempt = Effect.gen(function* () {
    yield* options.ready
    const url = channelUrl(options.appUrl, options.agentId())
    const socket = yield* connect(url).pipe(
      Effect.tapError((error) =>
        Effect.sync(() => {
          lastError = error.message
        })
      )
    )
    counters.connects++
    yield* Effect.logDebug(`control channel open: ${url.replace(/agent_id=[^&]*/, "agent_id=…")}`)
    yield* session(socket)
  })

  // After a connection that opened and then closed, wait a little before the next one, so an app that keeps
  // closing it is not hammered.
  yield* forever(
    "control channel",
    attempt.pipe(Effect.retry(schedule), Effect.andThen(Effect.sleep(Duration.millis(options.backoffInitialMs ?? 500))))
  ).pipe(Effect.forkScoped)

  return {
    stats: () => ({
      connected: current !== undefined && current.socket.readyState === WebSocket.OPEN,
      ...counters,
      pipesOpen: current?.hub.size ?? 0,
      lastError
    })
  }
})

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** The most of a refused upgrade's body that is read (the app answers a small JSON error). */
const maxRefusalBytes = 64 * 1024

/** The `error.message` (or a string `error`) of the app's JSON error body. */
const errorMessageOf = (text: string): string | undefined => {
  try {
    const body: unknown = JSON.parse(text)
    if (typeof body !== "object" || body === null || !("error" in body)) return undefined
    const error: unknown = body.error
    if (typeof error === "string") return error
    if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") {
      return error.message
    }
  } catch {
    // not JSON
  }
  return undefined
}
