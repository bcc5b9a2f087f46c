/**
 * A Promise facade over the service registry for programs that do not use Effect: a registry, optionally
 * mirrored into ZooKeeper, with its HTTP routes served on a port of your choice.
 *
 * ```ts
 * import { Discovery } from "@orchestrator/scheduler/apps"
 *
 * const registry = await Discovery.createServiceRegistry({ zookeeper: { connectString: "127.0.0.1:2181", root: "/services" } })
 * const { url } = await registry.serve({ port: 0 })
 * const stop = registry.watch((event) => console.log(event._tag, event.seq))
 * await registry.set("/prod/web", [{ appId: "/prod/web", name: "web.prod.orchestrator", taskId: "t1", agentId: "a1",
 *   host: "10.0.0.1", port: 31000, portIndex: 0, version: "v1" }])
 * stop()
 * await registry.close()
 * ```
 *
 * @since 0.1.0
 */
import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
import { Cause, Effect, Exit, Layer, ManagedRuntime, Scope, Stream } from "effect"
import { serve } from "../../cluster/http/HttpServer.js"
import { discoveryRoutes } from "./routes.js"
import type { DiscoveryEvent, ServiceEndpoint, ServiceView } from "./ServiceEndpoint.js"
import { type RegistryOptions, ServiceRegistry, type WatchOptions } from "./ServiceRegistry.js"
import { ZooKeeperRegistration } from "./ZooKeeperRegistration.js"

/**
 * Options of {@link createServiceRegistry}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServiceRegistryOptions extends RegistryOptions {
  /** Mirror the registry into ZooKeeper (Curator layout under `root`), with a client of its own. */
  readonly zookeeper?: {
    readonly connectString: string
    readonly root: string
    readonly sessionTimeoutMs?: number
    /** How long to wait for the first session before rejecting. Default 10 s. */
    readonly connectTimeoutMs?: number
  }
}

/**
 * A running registry; methods reject with the typed errors of {@link ServiceRegistry}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningServiceRegistry {
  /** The Effect API. */
  readonly service: ServiceRegistry["Service"]
  set(appId: string, endpoints: ReadonlyArray<ServiceEndpoint>): Promise<void>
  remove(appId: string): Promise<void>
  lookup(nameOrAppId: string, port?: string | number): Promise<ReadonlyArray<ServiceEndpoint>>
  services(): Promise<ReadonlyArray<ServiceView>>
  /** Calls `listener` with every event of a watch (snapshot first); the returned function stops it. */
  watch(listener: (event: DiscoveryEvent) => void, options?: WatchOptions): () => void
  /** Serves the discovery routes (`/v2/discovery...`) until `close`; port 0 picks a free one. */
  serve(options?: { readonly host?: string; readonly port?: number; readonly heartbeatMs?: number }): Promise<{
    readonly url: string
  }>
  /** Stops serving and watching; deregisters from ZooKeeper. */
  close(): Promise<void>
}

/**
 * Starts a registry (and its ZooKeeper mirror). Rejects with `ZooKeeperUnavailable` when ZooKeeper is asked
 * for and cannot be reached.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createServiceRegistry = async (options: ServiceRegistryOptions = {}): Promise<RunningServiceRegistry> => {
  const registry = ServiceRegistry.layerWith(options)
  const zookeeper = options.zookeeper
  const layer =
    zookeeper === undefined
      ? registry
      : ZooKeeperRegistration.layer({ root: zookeeper.root }).pipe(
          Layer.provideMerge(registry),
          Layer.provide(
            ZooKeeperClient.layer({
              connectString: zookeeper.connectString,
              ...(zookeeper.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: zookeeper.sessionTimeoutMs }),
              ...(zookeeper.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: zookeeper.connectTimeoutMs })
            })
          )
        )
  const runtime = ManagedRuntime.make(layer)
  const started = await runtime.runPromiseExit(Effect.service(ServiceRegistry))
  if (Exit.isFailure(started)) {
    await runtime.dispose()
    throw Cause.squash(started.cause)
  }
  const service = started.value
  const scope = await runtime.runPromise(Scope.make())
  let closing: Promise<void> | undefined
  return {
    service,
    set: (appId, endpoints) => runtime.runPromise(service.set(appId, endpoints)),
    remove: (appId) => runtime.runPromise(service.remove(appId)),
    lookup: (nameOrAppId, port) => runtime.runPromise(service.lookup(nameOrAppId, port)),
    services: () => runtime.runPromise(service.services),
    watch: (listener, watchOptions) => {
      const fiber = runtime.runFork(
        Stream.runForEach(service.watch(watchOptions), (event) => Effect.sync(() => listener(event)))
      )
      return () => {
        fiber.interruptUnsafe()
      }
    },
    serve: async (serveOptions = {}) => {
      const host = serveOptions.host ?? "127.0.0.1"
      const routes = discoveryRoutes(
        service,
        serveOptions.heartbeatMs === undefined ? {} : { heartbeatMs: serveOptions.heartbeatMs }
      )
      const { port } = await runtime.runPromise(
        Scope.provide(scope)(serve({ host, port: serveOptions.port ?? 0, routes }))
      )
      return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}` }
    },
    close: () => {
      closing ??= runtime.runPromise(Scope.close(scope, Exit.void)).then(() => runtime.dispose())
      return closing
    }
  }
}
