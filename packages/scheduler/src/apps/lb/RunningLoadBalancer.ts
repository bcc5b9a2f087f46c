/**
 * A Promise facade over the load balancer for programs that do not use Effect.
 *
 * ```ts
 * import { LoadBalancer } from "@orchestrator/scheduler/apps"
 *
 * const lb = await LoadBalancer.createLoadBalancer()
 * await lb.ensure({ servicePort: 10000, name: "web", mode: "tcp", strategy: "least-connections" })
 * await lb.setBackends(10000, [{ id: "t1", host: "127.0.0.1", port: 31000 }])
 * await lb.close()
 * ```
 *
 * @since 0.1.0
 */
import { Effect, ManagedRuntime } from "effect"
import type { Backend, ServiceSpec } from "./Backend.js"
import { LoadBalancer, type LoadBalancerOptions } from "./LoadBalancer.js"
import type { ServiceStats } from "./Stats.js"

/**
 * A running load balancer; methods reject with the typed errors of {@link LoadBalancer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningLoadBalancer {
  /** The Effect API. */
  readonly service: LoadBalancer["Service"]
  ensure(spec: ServiceSpec): Promise<void>
  setBackends(servicePort: number, backends: ReadonlyArray<Backend>): Promise<void>
  drained(servicePort: number, backendId: string): Promise<void>
  remove(servicePort: number): Promise<void>
  stats(): Promise<ReadonlyArray<ServiceStats>>
  metrics(): Promise<string>
  /** Closes every listener and cuts every connection. */
  close(): Promise<void>
}

/**
 * Starts a load balancer (listening on nothing until `ensure`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const createLoadBalancer = async (options: LoadBalancerOptions = {}): Promise<RunningLoadBalancer> => {
  const runtime = ManagedRuntime.make(LoadBalancer.layer(options))
  const service = await runtime.runPromise(Effect.service(LoadBalancer))
  return {
    service,
    ensure: (spec) => runtime.runPromise(service.ensure(spec)),
    setBackends: (servicePort, backends) => runtime.runPromise(service.setBackends(servicePort, backends)),
    drained: (servicePort, backendId) => runtime.runPromise(service.drained(servicePort, backendId)),
    remove: (servicePort) => runtime.runPromise(service.remove(servicePort)),
    stats: () => runtime.runPromise(service.stats),
    metrics: () => runtime.runPromise(service.metrics),
    close: () => runtime.dispose()
  }
}
