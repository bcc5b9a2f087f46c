/**
 * The load balancer: one real proxy per service port (TCP or HTTP mode, see `TcpProxy` and `HttpProxy`),
 * spreading traffic over the port's backends by round robin or least connections, with weights (canaries),
 * passive health (a backend that refuses is skipped for `downMs`), and draining: a backend dropped by
 * `setBackends` takes no new traffic, its open connections finish (or are cut after `drainTimeoutMs`), and
 * `drained` tells the scheduler when it may kill the task.
 *
 * ```ts
 * const lb = yield* LoadBalancer
 * yield* lb.ensure({ servicePort: 10000, name: "web.prod", mode: "http", strategy: "round-robin" })
 * yield* lb.setBackends(10000, [{ id: "t1", host: "10.0.0.5", port: 31000 }, { id: "t2", host: "10.0.0.6", port: 31002 }])
 * yield* lb.setBackends(10000, [{ id: "t2", host: "10.0.0.6", port: 31002 }]) // t1 drains
 * yield* lb.drained(10000, "t1") // then kill t1
 * ```
 *
 * **Gotchas**: the proxies run outside Effect (plain Node sockets, no per-chunk work of ours) so that they
 * add well under a millisecond; the service only manages them. Closing the layer's scope cuts every
 * connection at once; `remove` drains instead.
 *
 * @since 0.1.0
 */
import type { Server } from "node:http"
import type { Server as NetServer } from "node:net"
import { Context, Effect, Exit, Layer, Semaphore } from "effect"
import { type Backend, type ServiceSpec, validateBackends, validateSpec, type Weighting } from "./Backend.js"
import { httpServer } from "./HttpProxy.js"
import { Pool } from "./internal/Pool.js"
import { ignore } from "./internal/SocketFlow.js"
import { type LbError, ListenFailed, UnknownService } from "./LbError.js"
import { render } from "./metrics.js"
import { type ServiceStats, snapshot } from "./Stats.js"
import { startIdleSweep } from "./internal/IdleSweep.js"
import { tcpServer } from "./TcpProxy.js"

/**
 * Tunables of a load balancer.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoadBalancerOptions {
  /** How long a removed backend's open connections may go on before they are cut. Default 30,000 ms. */
  readonly drainTimeoutMs?: number
  /** How long a backend that refused a connection gets no new traffic. Default 2,000 ms. */
  readonly downMs?: number
  /** TCP mode: how long a backend may take to accept before the next is tried. Default 5,000 ms. */
  readonly connectTimeoutMs?: number
  /** TCP mode: how many backends one client connection may try. Default 3. */
  readonly maxAttempts?: number
  /** HTTP mode: longest silence of a backend before 504 (or a cut answer). Default 60,000 ms. */
  readonly requestTimeoutMs?: number
  /** HTTP mode: keep-alive sockets per backend. Default 256. */
  readonly maxSocketsPerBackend?: number
  /**
   * TCP mode (and HTTP Upgrade tunnels): a proxied connection with no byte either way for this long is cut (a
   * peer that vanished without closing). Default 3,600,000 ms (1 h, HAProxy's `timeout tunnel` in marathon-lb);
   * 0: never.
   */
  readonly idleTimeoutMs?: number
  /** Client connections one service port holds open at most; more are closed at once (counted). Default 10,000. */
  readonly maxConnections?: number
}

type Listener = NetServer | Server

interface Running {
  readonly pool: Pool
  server: Listener
}

/**
 * The load balancer's operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoadBalancerShape {
  /** Listens on the spec's service port, or updates its mode, strategy, name or address. */
  readonly ensure: (spec: ServiceSpec) => Effect.Effect<void, LbError>
  /** Replaces the backends of a service port; the ones that disappear drain. */
  readonly setBackends: (servicePort: number, backends: ReadonlyArray<Backend>) => Effect.Effect<void, LbError>
  /** Installs a weighting (a canary split) applied to every backend list from now on; `undefined` removes it. */
  readonly setWeighting: (servicePort: number, weighting: Weighting | undefined) => Effect.Effect<void, LbError>
  /** The current (not draining) backends of a service port. */
  readonly backends: (servicePort: number) => Effect.Effect<ReadonlyArray<Backend>, LbError>
  /** Succeeds once the backend has no open connection (at once when the port or backend is unknown). */
  readonly drained: (servicePort: number, backendId: string) => Effect.Effect<void>
  /** Stops listening on the port and drains its backends. */
  readonly remove: (servicePort: number) => Effect.Effect<void>
  readonly stats: Effect.Effect<ReadonlyArray<ServiceStats>>
  /** Prometheus text of every service and backend. */
  readonly metrics: Effect.Effect<string>
}

const closeListener = (server: Listener, cut: boolean): void => {
  server.close(ignore)
  if ("closeIdleConnections" in server) {
    if (cut) server.closeAllConnections()
    else server.closeIdleConnections()
  }
}

/**
 * Builds a load balancer in the current scope (its listeners close with it).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeLoadBalancer = (options: LoadBalancerOptions = {}) =>
  Effect.gen(function* () {
    const settings = {
      drainTimeoutMs: options.drainTimeoutMs ?? 30_000,
      downMs: options.downMs ?? 2_000,
      maxSocketsPerBackend: options.maxSocketsPerBackend ?? 256
    }
    const tcp = { connectTimeoutMs: options.connectTimeoutMs ?? 5_000, maxAttempts: options.maxAttempts ?? 3 }
    const http = {
      requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
      maxSocketsPerBackend: settings.maxSocketsPerBackend
    }
    const services = new Map<number, Running>()
    /** Pools of removed service ports whose connections are still draining. */
    const removed = new Set<Pool>()
    const maxConnections = options.maxConnections ?? 10_000
    const stopSweep = startIdleSweep(
      () => [...[...services.values()].map((r) => r.pool), ...removed],
      options.idleTimeoutMs ?? 3_600_000
    )
    const lock = yield* Semaphore.make(1)
    let closed = false

    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        stopSweep()
        for (const running of services.values()) {
          closeListener(running.server, true)
          running.pool.destroy()
        }
        for (const pool of removed) pool.destroy()
        services.clear()
        removed.clear()
      })
    )

    const listen = (pool: Pool, spec: ServiceSpec) =>
      Effect.callback<Listener, ListenFailed>((resume) => {
        const host = spec.host ?? "0.0.0.0"
        const server = spec.mode === "tcp" ? tcpServer(pool, tcp) : httpServer(pool, http)
        server.maxConnections = maxConnections
        server.on("drop", () => {
          pool.overLimit++
          pool.clientFailures++
        })
        const failed = (error: NodeJS.ErrnoException) =>
          resume(
            Effect.fail(
              new ListenFailed({
                servicePort: spec.servicePort,
                host,
                reason:
                  error.code === "EADDRINUSE"
                    ? `port ${spec.servicePort} is already in use on ${host}`
                    : (error.code ?? error.message)
              })
            )
          )
        server.once("error", failed)
        server.listen(spec.servicePort, host, () => {
          server.off("error", failed)
          server.on("error", ignore)
          resume(Effect.succeed(server))
        })
      })

    const find = (servicePort: number) =>
      Effect.suspend(() => {
        const running = services.get(servicePort)
        return running === undefined ? Effect.fail(new UnknownService({ servicePort })) : Effect.succeed(running)
      })

    const ensure = Effect.fn("LoadBalancer.ensure")(function* (input: ServiceSpec) {
      const spec = yield* validateSpec(input)
      yield* lock.withPermit(
        Effect.gen(function* () {
          if (closed)
            return yield* new ListenFailed({
              servicePort: spec.servicePort,
              host: spec.host ?? "0.0.0.0",
              reason: "the load balancer is closed (its scope ended)"
            })
          const running = services.get(spec.servicePort)
          if (running === undefined) {
            const pool = new Pool(spec, settings)
            const server = yield* listen(pool, spec)
            services.set(spec.servicePort, { pool, server })
            return
          }
          const before = running.pool.spec
          running.pool.setStrategy(spec)
          if (before.mode === spec.mode && (before.host ?? "0.0.0.0") === (spec.host ?? "0.0.0.0")) return
          closeListener(running.server, false)
          const moved = yield* Effect.exit(listen(running.pool, spec))
          if (Exit.isSuccess(moved)) {
            running.server = moved.value
            return
          }
          running.pool.setStrategy(before)
          const restored = yield* Effect.exit(listen(running.pool, before))
          if (Exit.isSuccess(restored)) running.server = restored.value
          else {
            services.delete(spec.servicePort)
            running.pool.drainAll()
          }
          return yield* moved
        })
      )
    })

    const setBackends = Effect.fn("LoadBalancer.setBackends")(function* (
      servicePort: number,
      input: ReadonlyArray<Backend>
    ) {
      const backends = yield* validateBackends(input)
      const running = yield* find(servicePort)
      running.pool.setBackends(backends)
    })

    const setWeighting = Effect.fn("LoadBalancer.setWeighting")(function* (
      servicePort: number,
      weighting: Weighting | undefined
    ) {
      const running = yield* find(servicePort)
      running.pool.setWeighting(weighting)
    })

    const poolsOf = (servicePort: number): ReadonlyArray<Pool> => {
      for (const pool of removed) if (pool.draining.size === 0) removed.delete(pool)
      const running = services.get(servicePort)
      const pools = [...removed].filter((pool) => pool.spec.servicePort === servicePort)
      return running === undefined ? pools : [running.pool, ...pools]
    }

    const drained = (servicePort: number, backendId: string) =>
      Effect.callback<void>((resume) => {
        const pools = poolsOf(servicePort)
        let pending = pools.length + 1
        const one = () => {
          if (--pending === 0) resume(Effect.void)
        }
        const cancels = pools.map((pool) => pool.whenIdle(backendId, one))
        one()
        return Effect.sync(() => {
          for (const cancel of cancels) cancel()
        })
      }).pipe(Effect.withSpan("LoadBalancer.drained"))

    const remove = (servicePort: number) =>
      lock
        .withPermit(
          Effect.sync(() => {
            const running = services.get(servicePort)
            if (running === undefined) return
            services.delete(servicePort)
            closeListener(running.server, false)
            running.pool.drainAll()
            if (running.pool.draining.size > 0) removed.add(running.pool)
            const server = running.server
            if ("closeAllConnections" in server)
              setTimeout(() => server.closeAllConnections(), settings.drainTimeoutMs).unref()
          })
        )
        .pipe(Effect.withSpan("LoadBalancer.remove"))

    const stats = Effect.sync(() => [...services.values()].map((running) => snapshot(running.pool)))

    return {
      ensure,
      setBackends,
      setWeighting,
      backends: (servicePort: number) => Effect.map(find(servicePort), (r) => r.pool.live.map((b) => b.backend)),
      drained,
      remove,
      stats,
      metrics: Effect.map(stats, render)
    } satisfies LoadBalancerShape
  })

/**
 * The load balancer as a service.
 *
 * @since 0.1.0
 * @category services
 */
export class LoadBalancer extends Context.Service<LoadBalancer, LoadBalancerShape>()(
  "@orchestrator/scheduler/apps/lb/LoadBalancer"
) {
  /**
   * A load balancer whose listeners close (cutting their connections) with the layer.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (options: LoadBalancerOptions = {}): Layer.Layer<LoadBalancer> =>
    Layer.effect(
      LoadBalancer,
      Effect.map(makeLoadBalancer(options), (shape) => LoadBalancer.of(shape))
    )
}
