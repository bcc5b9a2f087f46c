/**
 * The app server: REST + WebSocket API over the aggregator, views, time series and the control channel.
 * Probes publish reports to it and hold control channels; the UI and other clients query views, subscribe
 * to live deltas and run controls.
 *
 * @since 0.1.0
 */
import { StringInterner } from "./internal/report/compact.js"
import { createServer, type Server } from "node:http"
import { Context, Effect, Layer, Schedule, Schema, Stream } from "effect"
import { AgentRegistry } from "./AgentRegistry.js"
import { builtinViewsPlugin } from "./BuiltinPlugin.js"
import { Aggregator, type IngestResult } from "./Aggregator.js"
import { type AppServerConfig, type ConfigError, decodeConfig, defaults, isLoopback } from "./AppServerConfig.js"
import type { AppContext, SeriesFacade, ViewsFacade } from "./internal/server/AppContext.js"
import { AppMetrics } from "./internal/server/AppMetrics.js"
import { Auth } from "./internal/server/Auth.js"
import { ClientHub } from "./internal/server/ClientHub.js"
import { ControlHub } from "./internal/server/ControlHub.js"
import { makeHttpHandler } from "./internal/server/HttpHandler.js"
import { type Route, Router } from "./internal/server/Router.js"
import { agentRoutes } from "./internal/server/routes/agents.js"
import { authRoutes } from "./internal/server/routes/auth.js"
import { controlRoutes } from "./internal/server/routes/control.js"
import { queryRoutes } from "./internal/server/routes/query.js"
import { reportRoutes } from "./internal/server/routes/reports.js"
import { systemRoutes } from "./internal/server/routes/system.js"
import { makeSeriesFacade } from "./internal/server/series.js"
import { makeUpgradeHandler } from "./internal/server/Upgrade.js"
import { makeViewsFacade } from "./internal/server/views.js"
import { PluginRegistry } from "./PluginRegistry.js"
import type { Report } from "./Report.js"
import { summarizeReport, TimeSeriesStore } from "./TimeSeriesStore.js"

/**
 * The version the server reports at `/api/v1/ping` and in `/openapi.json`.
 *
 * @since 0.1.0
 * @category constants
 */
export const version = "0.1.0"

/**
 * Raised when the server cannot start (the port is taken, the address is not on this machine...).
 *
 * @since 0.1.0
 * @category errors
 */
export class AppServerError extends Schema.TaggedError<AppServerError>()("AppServerError", {
  host: Schema.String,
  port: Schema.Int,
  reason: Schema.String
}) {
  override get message(): string {
    return `app server could not listen on ${this.host}:${this.port}: ${this.reason}`
  }
}

/**
 * A running app server.
 *
 * @since 0.1.0
 * @category models
 */
export interface AppServerShape {
  /** The base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  readonly host: string
  /** The bound port (useful with `port: 0`). */
  readonly port: number
  readonly config: AppServerConfig
  readonly agents: AgentRegistry
  /** Views, details and search as the API serves them. */
  readonly views: ViewsFacade
  /** Whether state-changing requests are refused (non-loopback bind without a token). */
  readonly controlsLocked: boolean
  /** Applies a report as `POST /api/v1/reports` does (aggregator, time series, agent bookkeeping). */
  readonly ingest: (report: Report, bytes?: number) => Promise<IngestResult>
  /** Renders subscribed views and sends WebSocket deltas now, instead of after the coalescing window. */
  readonly flush: () => void
}

/**
 * The app server service.
 *
 * @since 0.1.0
 * @category services
 */
export class AppServer extends Context.Service<AppServer, AppServerShape>()("@orchestrator/core/AppServer") {
  /**
   * The server alone; it needs the aggregator, the time-series store and the plugin registry.
   *
   * @since 0.1.0
   * @category layers
   */
  static layer(
    config: Partial<AppServerConfig> = {}
  ): Layer.Layer<AppServer, AppServerError | ConfigError, Aggregator | TimeSeriesStore | PluginRegistry> {
    return Layer.effect(AppServer, Effect.flatMap(decodeConfig({ ...defaults, ...config }), make))
  }

  /**
   * The server with everything it needs, configured from one config.
   *
   * @since 0.1.0
   * @category layers
   */
  static layerAll(
    config: Partial<AppServerConfig> = {}
  ): Layer.Layer<
    AppServer | Aggregator | TimeSeriesStore | PluginRegistry,
    AppServerError | ConfigError | Schema.SchemaError
  > {
    const full = { ...defaults, ...config }
    return AppServer.layer(full).pipe(
      Layer.provideMerge(
        Layer.mergeAll(
          Aggregator.layer({
            staleNodeThresholdMs: full.staleNodeThresholdMs,
            maxNodesPerTopology: full.maxNodesPerTopology
          }),
          TimeSeriesStore.layer({
            maxDataAgeMs: full.maxDataAgeMs,
            cleanupIntervalMs: full.cleanupIntervalMs,
            maxSeries: full.maxSeries
          }),
          PluginRegistry.layer
        )
      )
    )
  }
}

const listen = (server: Server, host: string, port: number) =>
  Effect.callback<number, AppServerError>((resume) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === "EADDRINUSE"
          ? "the port is already in use (pick another with --port)"
          : error.code === "EADDRNOTAVAIL"
            ? "the address is not on this machine"
            : error.message
      resume(Effect.fail(new AppServerError({ host, port, reason })))
    }
    server.once("error", onError)
    server.listen(port, host, () => {
      server.off("error", onError)
      const address = server.address()
      resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : port))
    })
  })

const make = Effect.fnUntraced(function* (config: AppServerConfig) {
  const aggregator = yield* Aggregator
  const timeseries = yield* TimeSeriesStore
  const plugins = yield* PluginRegistry
  // The built-in views come in through the plugin contract like any other view.
  yield* plugins.registerScoped(builtinViewsPlugin).pipe(Effect.orDie)
  const context = yield* Effect.context<never>()
  const run = Effect.runPromiseWith(context)

  const exposed = !isLoopback(config.host)
  const controlsLocked = exposed && config.token === undefined
  if (controlsLocked) {
    yield* Effect.logWarning(
      `\n!!! The app server is bound to ${config.host} WITHOUT a token: anyone who can reach it can read your ` +
        "topology. State-changing controls are DISABLED. Start it with --token (or APP_TOKEN) to secure it. !!!\n"
    )
  }
  const agents = new AgentRegistry(config.maxAgents)
  const auth = new Auth(config.token, !controlsLocked)
  const controls = new ControlHub(config.controlTimeoutMs, (probeId, connected) =>
    agents.setConnected(probeId, connected)
  )
  let metrics: AppMetrics | undefined
  const views = makeViewsFacade(aggregator, timeseries.store, plugins, agents, (view, seconds) =>
    metrics?.renderSeconds.observe({ view }, seconds)
  )
  const series: SeriesFacade = makeSeriesFacade(timeseries.store)
  const clients = new ClientHub(views, controls, {
    flushIntervalMs: config.deltaIntervalMs,
    maxBufferedBytes: config.maxClientBufferBytes,
    pingIntervalMs: 30_000,
    maxClients: config.maxClients,
    onFlush: (ms) => metrics?.flushSeconds.observe(ms / 1000),
    onDropped: () => metrics?.clientsDropped.inc()
  })
  metrics = new AppMetrics({
    nodes: () => aggregator.stats().nodes,
    probes: () => aggregator.stats().probes,
    clients: () => clients.size,
    series: () => timeseries.store.stats().series
  })
  const ingest = (report: Report, bytes: number): Promise<IngestResult> =>
    run(
      Effect.tap(aggregator.ingest(report), (result) =>
        Effect.sync(() => {
          if (result._tag !== "Accepted") return
          agents.reported(report.probeId, Date.now())
          timeseries.store.recordReport(report)
          timeseries.store.recordAgentReport(report.probeId, summarizeReport(report, bytes))
        })
      )
    )
  const app: AppContext = {
    config,
    aggregator,
    agents,
    auth,
    controls,
    clients,
    metrics,
    views,
    series,
    pluginHealth: () => plugins.health(),
    ingest,
    run,
    controlsLocked,
    interner: new StringInterner(),
    startedAt: Date.now()
  }
  const routes = [
    ...agentRoutes(app),
    ...reportRoutes(app),
    ...queryRoutes(app),
    ...controlRoutes(app),
    ...authRoutes(app)
  ]
  const allRoutes: ReadonlyArray<Route> = [...routes, ...systemRoutes(app, () => allRoutes, version)]
  const router = new Router(allRoutes)
  const upgrade = makeUpgradeHandler(app)

  const server = createServer({
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.headersTimeoutMs + config.bodyTimeoutMs,
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(config.headersTimeoutMs / 4))),
    maxHeaderSize: 64 * 1024
  })
  const handler = makeHttpHandler(app, router)
  server.on("request", (req, res) => void handler(req, res))
  server.on("upgrade", upgrade.handle)
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n")
    else socket.destroy()
  })

  yield* Stream.runForEach(aggregator.changes, () => Effect.sync(() => clients.changed())).pipe(Effect.forkScoped)
  // Agents that went quiet (ten stale thresholds, at least ten minutes) leave the registry, so churning
  // agent ids cannot fill it.
  const agentTtlMs = Math.max(10 * config.staleNodeThresholdMs, 10 * 60_000)
  yield* Effect.suspend(() => {
    const expired = agents.expire(Date.now() - agentTtlMs)
    return expired.length > 0 ? Effect.logInfo(`forgot ${expired.length} silent agent(s)`) : Effect.void
  }).pipe(Effect.repeat(Schedule.spaced(Math.min(agentTtlMs / 10, 60_000))), Effect.forkScoped)

  const port = yield* Effect.acquireRelease(listen(server, config.host, config.port), () =>
    Effect.callback<void>((resume) => {
      clients.close()
      controls.close()
      upgrade.close()
      server.close(() => resume(Effect.void))
      server.closeIdleConnections()
      const force = setTimeout(() => server.closeAllConnections(), 5_000)
      force.unref()
    })
  )
  const urlHost = config.host.includes(":") ? `[${config.host}]` : config.host
  yield* Effect.logInfo(`app server listening on http://${urlHost}:${port}`)
  return AppServer.of({
    url: `http://${urlHost}:${port}`,
    host: config.host,
    port,
    config,
    agents,
    views,
    controlsLocked,
    ingest: (report, bytes = 0) => ingest(report, bytes),
    flush: () => clients.flush()
  })
})
