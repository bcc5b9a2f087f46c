/**
 * The publisher: everything between the probe and the app server over HTTP.
 *
 * - Registers (`POST /api/v1/agents/register`), and registers again whenever the app answers 404
 *   `unknown_agent` (the app restarted).
 * - Heartbeats every interval (`POST /api/v1/agents/heartbeat/:id`); when the app's `configVersion` differs
 *   from the one applied, fetches the agent config and applies it without a restart (interval, full-report
 *   cadence, collectors, controls); see `ProbeConfig.effective` for how it combines with local settings.
 * - Publishes gzip JSON reports (`POST /api/v1/reports`) built by the `ReportBuilder`: a 409 `resync` answer
 *   is followed at once by a full report; an unknown outcome (timeout, reset, 5xx) makes the next one full.
 * - Retries with capped, jittered exponential backoff while the app is down or slow; every request has a
 *   timeout.
 * - Keeps at most `maxQueued` collections while it cannot publish, dropping the oldest; when it can publish
 *   again, one report built from the newest collection (older metric samples folded in) supersedes them.
 *
 * All loops are fibers in the layer's scope: they start with the layer and stop with it, and none of them
 * ends on an error.
 *
 * @since 0.1.0
 */
import { gzip } from "node:zlib"
import { AgentConfig, type NodeDetails } from "@orchestrator/core"
import {
  Context,
  Duration,
  Effect,
  Latch,
  Layer,
  PubSub,
  Schedule,
  Schema,
  type Scope,
  Stream,
  SubscriptionRef
} from "effect"
import { type HttpClient, makeClient, type TransportError } from "./internal/http.js"
import { forever } from "./internal/loop.js"
import * as ProbeConfig from "./ProbeConfig.js"
import * as ReportBuilder from "./ReportBuilder.js"

/**
 * What the publisher needs to know.
 *
 * @since 0.1.0
 * @category models
 */
export interface PublisherOptions {
  /** Local settings (app URL, token, interval, timeouts, backoff, queue size). */
  readonly config: ProbeConfig.ProbeConfig
  /** The agent id to register with. */
  readonly probeId: string
  /** The host id / hostname put on reports. */
  readonly hostname: string
  /** The probe software version sent at registration. */
  readonly version?: string
  /** Collector names sent at registration. */
  readonly collectors?: () => ReadonlyArray<string>
  /** The controls the probe can run, sent at registration. */
  readonly controls?: () => ReadonlyArray<NodeDetails.ControlDescription>
}

/**
 * Counters for monitoring.
 *
 * @since 0.1.0
 * @category models
 */
export interface PublisherStats {
  readonly agentId: string
  readonly registered: boolean
  /** Successful registrations (the first and every re-registration). */
  readonly registrations: number
  /** Reports the app accepted. */
  readonly published: number
  readonly fullReports: number
  readonly deltaReports: number
  /** Failed requests of any kind (register, heartbeat, config, report). */
  readonly failed: number
  /** Compressed bytes of accepted reports. */
  readonly bytes: number
  /** Uncompressed JSON bytes of accepted reports. */
  readonly rawBytes: number
  /** Times the app asked for a full report (409) or the outcome of a send was unknown. */
  readonly resyncs: number
  /** Collections dropped because the queue was full. */
  readonly dropped: number
  /** Collections waiting to be published. */
  readonly queued: number
  /** `seq` of the last accepted report. */
  readonly lastSeq: number | undefined
  readonly lastPublishedAt: number | undefined
  readonly lastError: { readonly message: string; readonly at: number } | undefined
  readonly configVersion: number
}

/**
 * What the publisher reports as it goes.
 *
 * @since 0.1.0
 * @category models
 */
export type PublisherEvent =
  | { readonly _tag: "Registered"; readonly agentId: string; readonly configVersion: number }
  | {
      readonly _tag: "Published"
      readonly seq: number
      readonly kind: "full" | "delta"
      readonly status: "accepted" | "duplicate"
      readonly bytes: number
      readonly nodes: number
      readonly removed: number
    }
  | { readonly _tag: "Resync"; readonly reason: string }
  | {
      readonly _tag: "Failed"
      readonly operation: "register" | "heartbeat" | "config" | "publish"
      readonly message: string
      readonly status?: number
    }
  | { readonly _tag: "ConfigChanged"; readonly settings: ProbeConfig.Effective }

/**
 * A request to the app failed. `retryable` is false for answers that would fail again unchanged (a report
 * the app rejects as malformed or too large).
 *
 * @since 0.1.0
 * @category errors
 */
export class PublishError extends Schema.TaggedError<PublishError>()("PublishError", {
  operation: Schema.Literals(["register", "heartbeat", "config", "publish"]),
  message: Schema.String,
  status: Schema.optionalKey(Schema.Int),
  retryable: Schema.Boolean
}) {}

/**
 * The publisher service.
 *
 * @since 0.1.0
 * @category models
 */
export interface PublisherShape {
  /** The agent id reports carry (the app's answer to registration, normally the requested one). */
  readonly agentId: () => string
  /** Queues a collection for publishing; never blocks (the oldest queued one is dropped when full). */
  readonly offer: (snapshot: ReportBuilder.Snapshot) => Effect.Effect<void>
  /** The settings in force (local settings merged with the app's agent config). */
  readonly settings: Effect.Effect<ProbeConfig.Effective>
  /** The settings in force now and after every change. */
  readonly settingsChanges: Stream.Stream<ProbeConfig.Effective>
  /** Waits until the probe is registered. */
  readonly awaitRegistered: Effect.Effect<void>
  /** Whether the probe is registered now. */
  readonly isRegistered: () => boolean
  /** Counters, read synchronously. */
  readonly stats: () => PublisherStats
  /** Events from now on. */
  readonly events: Stream.Stream<PublisherEvent>
  /** Waits until everything queued so far was published (or dropped). */
  readonly flush: Effect.Effect<void>
}

/**
 * The publisher service.
 *
 * @since 0.1.0
 * @category services
 */
export class Publisher extends Context.Service<Publisher, PublisherShape>()("@orchestrator/probe/Publisher") {
  /**
   * A publisher with its loops running in the layer's scope.
   *
   * @since 0.1.0
   * @category layers
   */
  static layer(options: PublisherOptions): Layer.Layer<Publisher> {
    return Layer.effect(Publisher, make(options))
  }
}

/**
 * The retry schedule: exponential from `initialMs` (doubling), jittered by +/-20%, each delay capped at
 * `maxMs`. It never gives up; callers stop on errors that are not retryable.
 *
 * @since 0.1.0
 * @category constructors
 */
export const backoff = (initialMs: number, maxMs: number): Schedule.Schedule<Duration.Duration> =>
  Schedule.exponential(Duration.millis(initialMs)).pipe(
    Schedule.jittered,
    Schedule.modifyDelay(({ duration }) =>
      Effect.succeed(Duration.millis(Math.min(Math.round(Duration.toMillis(duration)), maxMs)))
    )
  )

const IngestAnswer = Schema.Struct({
  status: Schema.Literals(["accepted", "duplicate", "resync"]),
  seq: Schema.optionalKey(Schema.NullOr(Schema.Int)),
  expectedSeq: Schema.optionalKey(Schema.NullOr(Schema.Int)),
  reason: Schema.optionalKey(Schema.String)
})

const ErrorAnswer = Schema.Struct({
  error: Schema.Struct({ code: Schema.String, message: Schema.optionalKey(Schema.String) })
})

const decodeIngest = Schema.decodeUnknownOption(IngestAnswer)
const decodeErrorAnswer = Schema.decodeUnknownOption(ErrorAnswer)
const decodeRegister = Schema.decodeUnknownExit(AgentConfig.RegisterResponse)
const decodeHeartbeat = Schema.decodeUnknownExit(AgentConfig.HeartbeatResponse)
const decodeConfig = Schema.decodeUnknownExit(AgentConfig.AgentConfig)

const gzipEffect = (data: Buffer) =>
  Effect.callback<Buffer, PublishError>((resume) => {
    gzip(data, { level: 6 }, (error, result) =>
      resume(
        error === null
          ? Effect.succeed(result)
          : Effect.fail(new PublishError({ operation: "publish", message: `gzip: ${error.message}`, retryable: false }))
      )
    )
  })

const errorCode = (json: unknown): string | undefined =>
  decodeErrorAnswer(json).pipe((option) => (option._tag === "Some" ? option.value.error.code : undefined))

const describe = (status: number, json: unknown, text: string): string => {
  const answer = decodeErrorAnswer(json)
  if (answer._tag === "Some")
    return `HTTP ${status} ${answer.value.error.code}: ${answer.value.error.message ?? ""}`.trim()
  return `HTTP ${status}${text.length > 0 ? `: ${text.slice(0, 200)}` : ""}`
}

const authHint = (status: number): string =>
  status === 401 ? " (the app requires a token: pass --token or PROBE_TOKEN)" : status === 403 ? " (token refused)" : ""

/**
 * Builds a publisher and starts its loops in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function* (
  options: PublisherOptions
): Effect.fn.Return<PublisherShape, never, Scope.Scope> {
  const local = options.config
  const root = local.appUrl.replace(/\/+$/, "")
  const client: HttpClient = yield* Effect.acquireRelease(Effect.sync(makeClient), (c) => Effect.sync(() => c.close()))
  const events = yield* PubSub.sliding<PublisherEvent>(256)
  const settings = yield* SubscriptionRef.make(ProbeConfig.effective(local, undefined))
  const registered = yield* Latch.make(false)
  const needRegister = yield* Latch.make(true)
  const available = yield* Latch.make(false)
  const schedule = backoff(local.backoffInitialMs, local.backoffMaxMs)

  let agentId = options.probeId
  let agentConfig: AgentConfig.AgentConfig | undefined
  let builder = ReportBuilder.initial({ fullReportEvery: local.fullReportEvery })
  let buffer: Array<{ readonly n: number; readonly snapshot: ReportBuilder.Snapshot }> = []
  let counter = 0
  let sending = false
  let waiters: Array<{ readonly upTo: number; readonly latch: Latch.Latch }> = []
  const stats = {
    registrations: 0,
    published: 0,
    fullReports: 0,
    deltaReports: 0,
    failed: 0,
    bytes: 0,
    rawBytes: 0,
    resyncs: 0,
    dropped: 0,
    lastSeq: undefined as number | undefined,
    lastPublishedAt: undefined as number | undefined,
    lastError: undefined as { message: string; at: number } | undefined
  }

  const emit = (event: PublisherEvent) => PubSub.publish(events, event)
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    accept: "application/json",
    "user-agent": `orchestrator-probe/${options.version ?? "0.1.0"}`,
    ...(local.token !== undefined ? { authorization: `Bearer ${local.token}` } : {}),
    ...extra
  })
  const call = (method: "GET" | "POST", path: string, body?: Uint8Array, extra?: Record<string, string>) =>
    client.request({
      method,
      url: new URL(root + path),
      headers: headers(extra),
      ...(body !== undefined ? { body } : {}),
      timeoutMs: local.requestTimeoutMs
    })
  const transportError = (operation: PublishError["operation"]) => (error: TransportError) =>
    new PublishError({ operation, message: error.message, retryable: true })
  const httpError = (
    operation: PublishError["operation"],
    status: number,
    json: unknown,
    text: string,
    retryable = true
  ) =>
    new PublishError({
      operation,
      status,
      message: `${operation}: ${describe(status, json, text)}${authHint(status)}`,
      retryable
    })

  /** Whether the app has been failing since the last success: one warning per outage, not one per retry. */
  let failing = false
  const recovered = Effect.suspend(() => {
    if (!failing) return Effect.void
    failing = false
    return Effect.logInfo(`probe reaches the app at ${root} again`)
  })

  const recordFailure = (error: PublishError) =>
    Effect.gen(function* () {
      stats.failed++
      stats.lastError = { message: error.message, at: Date.now() }
      if (!failing) {
        failing = true
        yield* Effect.logWarning(`probe ${error.operation} failed: ${error.message} (retrying with backoff)`)
      }
      yield* emit({
        _tag: "Failed",
        operation: error.operation,
        message: error.message,
        ...(error.status !== undefined ? { status: error.status } : {})
      })
      yield* Effect.logDebug(`probe ${error.operation} failed: ${error.message}`)
    })

  const applyConfig = (config: AgentConfig.AgentConfig) =>
    Effect.gen(function* () {
      agentConfig = config
      const next = ProbeConfig.effective(local, config)
      const previous = SubscriptionRef.getUnsafe(settings)
      if (ProbeConfig.sameEffective(previous, next)) return
      builder = ReportBuilder.withFullReportEvery(builder, next.fullReportEvery)
      yield* SubscriptionRef.set(settings, next)
      yield* emit({ _tag: "ConfigChanged", settings: next })
      if (previous.configVersion > 0) {
        yield* Effect.logInfo(
          `probe config ${config.configVersion} applied: interval ${next.intervalMs} ms, full report every ` +
            `${next.fullReportEvery}, controls ${next.controlsEnabled ? "enabled" : "disabled"}`
        )
      }
    })

  const forgetRegistration = (reason: string) =>
    Effect.gen(function* () {
      registered.closeUnsafe()
      needRegister.openUnsafe()
      builder = ReportBuilder.resync(builder)
      yield* Effect.logInfo(`probe registering again: ${reason}`)
    })

  const registerOnce = Effect.gen(function* () {
    const request: AgentConfig.RegisterRequest = {
      agentId: options.probeId,
      hostname: options.hostname,
      version: options.version ?? "0.1.0",
      collectors: options.collectors?.() ?? [],
      controls: options.controls?.() ?? [],
      // A newly registered agent's config starts from the probe's own flags.
      config: {
        intervalMs: local.intervalMs,
        fullReportEvery: local.fullReportEvery,
        controlsEnabled: local.controlsEnabled
      }
    }
    const answer = yield* call("POST", "/api/v1/agents/register", Buffer.from(JSON.stringify(request)), {
      "content-type": "application/json"
    }).pipe(Effect.mapError(transportError("register")))
    if (answer.status !== 200) return yield* httpError("register", answer.status, answer.json, answer.text)
    const decoded = decodeRegister(answer.json)
    if (decoded._tag === "Failure") {
      return yield* new PublishError({
        operation: "register",
        message: `unexpected answer: ${answer.text.slice(0, 200)}`,
        retryable: true
      })
    }
    agentId = decoded.value.agentId
    builder = ReportBuilder.resync(builder)
    yield* applyConfig(decoded.value.config)
    stats.registrations++
    yield* recovered
    needRegister.closeUnsafe()
    registered.openUnsafe()
    yield* emit({ _tag: "Registered", agentId, configVersion: decoded.value.config.configVersion })
    yield* Effect.logInfo(`probe registered with ${root} as ${agentId}`)
  })

  const fetchConfig = Effect.gen(function* () {
    const answer = yield* call("GET", `/api/v1/agents/config/${encodeURIComponent(agentId)}`).pipe(
      Effect.mapError(transportError("config"))
    )
    if (answer.status === 404 && errorCode(answer.json) === "unknown_agent")
      return yield* forgetRegistration("unknown agent")
    if (answer.status !== 200) return yield* httpError("config", answer.status, answer.json, answer.text)
    const decoded = decodeConfig(answer.json)
    if (decoded._tag === "Failure") {
      return yield* new PublishError({
        operation: "config",
        message: `unexpected config: ${answer.text.slice(0, 200)}`,
        retryable: true
      })
    }
    yield* applyConfig(decoded.value)
  })

  const heartbeatOnce = Effect.gen(function* () {
    const answer = yield* call("POST", `/api/v1/agents/heartbeat/${encodeURIComponent(agentId)}`).pipe(
      Effect.mapError(transportError("heartbeat"))
    )
    if (answer.status === 404 && errorCode(answer.json) === "unknown_agent") {
      return yield* forgetRegistration("the app does not know this agent (restarted?)")
    }
    if (answer.status !== 200) return yield* httpError("heartbeat", answer.status, answer.json, answer.text)
    const decoded = decodeHeartbeat(answer.json)
    if (decoded._tag === "Failure") return
    const beat = decoded.value
    if (agentConfig === undefined || beat.configVersion !== agentConfig.configVersion) yield* fetchConfig
    // The app lost (or never had) the state our next delta builds on: make it full. Skipped while a report is
    // in flight, whose answer settles the question.
    if (!sending && !ReportBuilder.nextIsFull(builder) && beat.expectedSeq !== builder.lastSeq + 1) {
      builder = ReportBuilder.resync(builder)
      stats.resyncs++
      yield* emit({ _tag: "Resync", reason: `the app expects seq ${beat.expectedSeq ?? "none"} (heartbeat)` })
    }
  })

  const settle = (upTo: number) =>
    Effect.gen(function* () {
      buffer = buffer.filter((entry) => entry.n > upTo)
      if (buffer.length === 0) available.closeUnsafe()
      const done = waiters.filter((w) => w.upTo <= upTo || buffer.length === 0)
      waiters = waiters.filter((w) => !done.includes(w))
      for (const w of done) yield* w.latch.open
    })

  /** One publication: the queued collections as one report, resent at once as full after a 409. */
  const publishPending = Effect.gen(function* () {
    yield* registered.await
    const last = buffer[buffer.length - 1]
    if (last === undefined) return
    const snapshot = ReportBuilder.coalesce(buffer.map((entry) => entry.snapshot))!
    const { intervalMs } = SubscriptionRef.getUnsafe(settings)
    for (let round = 0; ; round++) {
      const built = ReportBuilder.build(builder, { probeId: agentId, hostname: options.hostname }, snapshot, intervalMs)
      const json = Buffer.from(JSON.stringify(built.report))
      const body = yield* gzipEffect(json)
      const outcome = yield* Effect.result(
        call("POST", "/api/v1/reports", body, { "content-type": "application/json", "content-encoding": "gzip" })
      )
      if (outcome._tag === "Failure") {
        const error = outcome.failure
        if (error.delivered === "no") builder = ReportBuilder.notDelivered(builder)
        else builder = ReportBuilder.resync(builder, built)
        return yield* transportError("publish")(error)
      }
      const answer = outcome.success
      const ingest = decodeIngest(answer.json)
      if (answer.status === 200 && ingest._tag === "Some") {
        const status = ingest.value.status === "duplicate" ? "duplicate" : "accepted"
        // A duplicate means the app already holds this seq from elsewhere: accept, but rebuild its state.
        builder = status === "accepted" ? ReportBuilder.accepted(builder, built) : ReportBuilder.resync(builder, built)
        stats.published++
        if (built.report.kind === "full") stats.fullReports++
        else stats.deltaReports++
        stats.bytes += body.byteLength
        stats.rawBytes += json.byteLength
        stats.lastSeq = built.report.seq
        stats.lastPublishedAt = Date.now()
        yield* settle(last.n)
        yield* recovered
        yield* emit({
          _tag: "Published",
          seq: built.report.seq,
          kind: built.report.kind,
          status,
          bytes: body.byteLength,
          nodes: built.nodes,
          removed: built.removed
        })
        return
      }
      if (answer.status === 409) {
        builder = ReportBuilder.resync(builder, built)
        stats.resyncs++
        const reason = ingest._tag === "Some" ? (ingest.value.reason ?? "resync") : "resync"
        yield* emit({ _tag: "Resync", reason })
        if (round === 0) continue
        return yield* httpError("publish", answer.status, answer.json, answer.text)
      }
      if (answer.status === 404 && errorCode(answer.json) === "unknown_agent") {
        yield* forgetRegistration("the app does not know this agent (restarted?)")
        builder = ReportBuilder.resync(builder, built)
        return yield* httpError("publish", answer.status, answer.json, answer.text)
      }
      if (answer.status === 400 || answer.status === 413 || answer.status === 422) {
        // The app refuses this report as such: sending it again would fail the same way. Drop it and start
        // over with a full report next time.
        builder = ReportBuilder.resync(builder, built)
        yield* settle(last.n)
        return yield* httpError("publish", answer.status, answer.json, answer.text, false)
      }
      if (answer.status === 401 || answer.status === 403) builder = ReportBuilder.notDelivered(builder)
      else builder = ReportBuilder.resync(builder, built)
      return yield* httpError("publish", answer.status, answer.json, answer.text)
    }
  }).pipe(
    Effect.onExit(() =>
      Effect.sync(() => {
        sending = false
      })
    ),
    Effect.tapError(recordFailure)
  )

  const markSending = Effect.sync(() => {
    sending = true
  })

  yield* forever(
    "register",
    Effect.gen(function* () {
      yield* needRegister.await
      yield* registerOnce.pipe(Effect.tapError(recordFailure), Effect.retry(schedule))
    })
  ).pipe(Effect.forkScoped)

  yield* forever(
    "heartbeat",
    Effect.gen(function* () {
      yield* registered.await
      yield* Effect.sleep(Duration.millis(SubscriptionRef.getUnsafe(settings).intervalMs))
      if (!registered.isOpen()) return
      yield* heartbeatOnce.pipe(Effect.catch(recordFailure))
    })
  ).pipe(Effect.forkScoped)

  yield* forever(
    "publish",
    Effect.gen(function* () {
      yield* available.await
      yield* markSending.pipe(
        Effect.andThen(publishPending),
        Effect.retry(
          schedule.pipe(
            Schedule.setInputType<PublishError>(),
            Schedule.while(({ input }) => input.retryable)
          )
        ),
        Effect.catch(() => Effect.void)
      )
    })
  ).pipe(Effect.forkScoped)

  const offer = (snapshot: ReportBuilder.Snapshot) =>
    Effect.sync(() => {
      buffer.push({ n: ++counter, snapshot })
      if (buffer.length > local.maxQueued) {
        buffer.splice(0, buffer.length - local.maxQueued)
        stats.dropped++
      }
      available.openUnsafe()
    })

  const flush = Effect.gen(function* () {
    if (buffer.length === 0) return
    const latch = yield* Latch.make(false)
    waiters.push({ upTo: counter, latch })
    yield* latch.await
  })

  return {
    agentId: () => agentId,
    offer,
    settings: SubscriptionRef.get(settings),
    settingsChanges: SubscriptionRef.changes(settings),
    awaitRegistered: registered.await,
    isRegistered: () => !needRegister.isOpen() && agentConfig !== undefined,
    stats: () => ({
      agentId,
      registered: agentConfig !== undefined && !needRegister.isOpen(),
      registrations: stats.registrations,
      published: stats.published,
      fullReports: stats.fullReports,
      deltaReports: stats.deltaReports,
      failed: stats.failed,
      bytes: stats.bytes,
      rawBytes: stats.rawBytes,
      resyncs: stats.resyncs,
      dropped: stats.dropped,
      queued: buffer.length,
      lastSeq: stats.lastSeq,
      lastPublishedAt: stats.lastPublishedAt,
      lastError: stats.lastError,
      configVersion: agentConfig?.configVersion ?? 0
    }),
    events: Stream.fromPubSub(events),
    flush
  } satisfies PublisherShape
})
