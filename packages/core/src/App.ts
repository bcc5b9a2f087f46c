/**
 * A Promise facade over the app server for services that do not use Effect:
 *
 * ```ts
 * import { App } from "@orchestrator/core"
 * const app = await App.createApp({ port: 8080 })
 * app.on("change", (event) => console.log(event.probeId, event.topologies))
 * const containers = app.aggregator.topology("containers")
 * await app.close()
 * ```
 *
 * @since 0.1.0
 */
import { EventEmitter } from "node:events"
import { Effect, Exit, ManagedRuntime, Stream } from "effect"
import type TypedEmitter from "typed-emitter"
import type { AgentInfo } from "./AgentConfig.js"
import { Aggregator, type AggregatorStats, type ChangeEvent, type IngestResult } from "./Aggregator.js"
import { AppServer } from "./AppServer.js"
import type { AppServerConfig } from "./AppServerConfig.js"
import type { ProbeSummary } from "./MergedReport.js"
import type { NodeDetails } from "./NodeDetails.js"
import type { AnyPlugin } from "./Plugin.js"
import { PluginRegistry } from "./PluginRegistry.js"
import { isReport } from "./internal/report/guard.js"
import { decode, inconsistency } from "./Report.js"
import type { RenderedNode, RenderedView, ViewFilters, ViewSummary } from "./views/View.js"

/**
 * Events the app emits.
 *
 * @since 0.1.0
 * @category models
 */
export type AppEvents = {
  /** The merged report changed (a report was applied or a probe was added or removed). */
  change: (event: ChangeEvent) => void
  /** A probe contributed its first report. */
  probeAdded: (probeId: string) => void
  /** A probe was removed (stale or forgotten). */
  probeRemoved: (probeId: string) => void
}

/**
 * Options of {@link createApp}: the server settings plus plugins to register.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateAppOptions extends Partial<AppServerConfig> {
  /** Plugins to register: a plugin, or a plugin with its options. */
  readonly plugins?: ReadonlyArray<AnyPlugin | readonly [AnyPlugin, unknown]>
}

/**
 * Reading the merged report without Effect.
 *
 * @since 0.1.0
 * @category models
 */
export interface AggregatorFacade {
  /** One rendered view (nodes and edges) with optional filters; throws for an unknown view. */
  topology(view: string, filters?: ViewFilters): RenderedView
  /** The views with data and their node counts. */
  views(): ReadonlyArray<ViewSummary>
  /** A node's details as panels. */
  node(topology: string, id: string): Promise<NodeDetails | undefined>
  /** Nodes matching a search query. */
  search(query: string, view?: string, limit?: number): ReadonlyArray<RenderedNode>
  /** The probes that contribute. */
  probes(): ReadonlyArray<ProbeSummary>
  stats(): AggregatorStats
  /** Applies a report (validated like the HTTP endpoint does); rejects with the decode error. */
  ingest(report: unknown): Promise<IngestResult>
}

/**
 * A running app server.
 *
 * @since 0.1.0
 * @category models
 */
export interface App extends TypedEmitter.default<AppEvents> {
  readonly url: string
  readonly port: number
  readonly aggregator: AggregatorFacade
  /** Registered agents. */
  agents(): ReadonlyArray<AgentInfo>
  /** Stops the server and everything it started. */
  close(): Promise<void>
}

/**
 * Starts an app server (with its aggregator, time-series store and plugin registry) and resolves once it
 * listens.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createApp = async (options: CreateAppOptions = {}): Promise<App> => {
  const { plugins = [], ...config } = options
  const runtime = ManagedRuntime.make(AppServer.layerAll(config))
  const started = await runtime.runPromiseExit(
    Effect.gen(function* () {
      const registry = yield* PluginRegistry
      for (const entry of plugins) {
        if (Array.isArray(entry)) yield* registry.register(entry[0] as AnyPlugin, entry[1])
        else yield* registry.register(entry as AnyPlugin)
      }
      return { server: yield* AppServer, aggregator: yield* Aggregator }
    })
  )
  if (Exit.isFailure(started)) {
    await runtime.dispose()
    throw Exit.isFailure(started) ? squash(started) : new Error("app failed to start")
  }
  const { server, aggregator } = started.value
  const emitter = new EventEmitter() as TypedEmitter.default<AppEvents>
  runtime.runFork(
    Stream.runForEach(aggregator.changes, (event) =>
      Effect.sync(() => {
        emitter.emit("change", event)
        if (event._tag === "ProbeAdded") emitter.emit("probeAdded", event.probeId)
        if (event._tag === "ProbeRemoved") emitter.emit("probeRemoved", event.probeId)
      })
    )
  )
  const facade: AggregatorFacade = {
    topology: (view, filters = {}) => server.views.render(view, filters),
    views: () => server.views.summaries(),
    node: (topology, id) => server.views.details(topology, id),
    search: (query, view, limit = 100) => server.views.search(query, view, limit),
    probes: () => aggregator.probes(),
    stats: () => aggregator.stats(),
    ingest: async (report) => {
      const decoded = isReport(report) ? report : await runtime.runPromise(decode(report))
      const problem = inconsistency(decoded)
      if (problem !== undefined) throw new Error(`invalid report: ${problem}`)
      return server.ingest(decoded)
    }
  }
  return Object.assign(emitter, {
    url: server.url,
    port: server.port,
    aggregator: facade,
    agents: () => server.agents.list(),
    close: () => runtime.dispose()
  })
}

const squash = (exit: Exit.Failure<unknown, unknown>): Error => {
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
  const error = failure !== undefined && "error" in failure ? failure.error : undefined
  return error instanceof Error ? error : new Error(String(exit.cause))
}
