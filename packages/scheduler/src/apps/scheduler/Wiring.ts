/**
 * Feeding an app's serving tasks (running, alive, ready, not being killed) into service discovery and the
 * load balancer: one registry entry per task and port, one load-balanced service per port mapping's
 * service port. A task that leaves the set is drained by the load balancer (it gets no new connections);
 * the runtime waits for that before it kills a task.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ServiceEndpoint } from "../discovery/ServiceEndpoint.js"
import type { ServiceRegistry } from "../discovery/ServiceRegistry.js"
import type { LoadBalancerShape } from "../lb/LoadBalancer.js"
import type { Mode, Strategy } from "../lb/Backend.js"
import { type AppDefinition, dnsName } from "../model/AppDefinition.js"
import { isServing, type TaskRecord } from "./TaskRecord.js"

/**
 * The load balancer mode of a port mapping: its label `mode` (or the app's `LB_MODE` label), `tcp` or
 * `http`; default `tcp`.
 *
 * @since 0.1.0
 * @category wiring
 */
export const modeOf = (app: AppDefinition, index: number): Mode => {
  const mode = app.container.portMappings[index]?.labels.mode ?? app.labels.LB_MODE
  return mode === "http" ? "http" : "tcp"
}

/**
 * The balancing strategy of a port mapping: its label `strategy` (or the app's `LB_STRATEGY`);
 * default round robin.
 *
 * @since 0.1.0
 * @category wiring
 */
export const strategyOf = (app: AppDefinition, index: number): Strategy => {
  const strategy = app.container.portMappings[index]?.labels.strategy ?? app.labels.LB_STRATEGY
  return strategy === "least-connections" ? "least-connections" : "round-robin"
}

/**
 * Keeps discovery and the load balancer in line with the tasks.
 *
 * @since 0.1.0
 * @category models
 */
export interface Wiring {
  /** Publishes the app's serving tasks (all of them replace what was published). */
  readonly publish: (app: AppDefinition, tasks: ReadonlyArray<TaskRecord>) => Effect.Effect<void>
  /** Removes the app from discovery and stops its load-balanced services. */
  readonly unpublish: (app: AppDefinition) => Effect.Effect<void>
  /** Waits until the task has no open connection through the load balancer (at most `timeoutMs`). */
  readonly drained: (app: AppDefinition, taskId: string, timeoutMs: number) => Effect.Effect<void>
}

/**
 * Builds the wiring over a registry and a load balancer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWiring = (
  registry: ServiceRegistry["Service"],
  lb: LoadBalancerShape,
  options: { readonly domain: string; readonly lbHost?: string }
): Wiring => {
  /** What each service port was last set up with, to call `ensure` only on changes. */
  const ensured = new Map<number, string>()
  /** The service ports each app was last published on (a port an app no longer has is stopped). */
  const portsOf = new Map<string, ReadonlySet<number>>()
  /** The load-balanced ports: TCP mappings with a service port (the proxies speak TCP and HTTP, not UDP). */
  const servicePortsOf = (app: AppDefinition) =>
    app.container.portMappings
      .map((m, i) => ({ index: i, servicePort: m.servicePort, protocol: m.protocol }))
      .filter((p) => p.servicePort > 0 && p.protocol === "tcp")

  return {
    publish: (app, tasks) =>
      Effect.gen(function* () {
        const serving = tasks.filter(isServing)
        const endpoints: Array<ServiceEndpoint> = []
        for (const task of serving) {
          app.container.portMappings.forEach((mapping, portIndex) => {
            const port = task.hostPorts[portIndex]
            if (port === undefined) return
            endpoints.push({
              appId: app.id,
              name: dnsName(app.id, options.domain),
              taskId: task.taskId,
              agentId: task.agentId,
              host: task.host,
              port,
              portIndex,
              ...(mapping.name === undefined ? {} : { portName: mapping.name }),
              protocol: mapping.protocol,
              ...(mapping.servicePort > 0 ? { servicePort: mapping.servicePort } : {}),
              version: task.version
            })
          })
        }
        const current = new Set(servicePortsOf(app).map((p) => p.servicePort))
        for (const port of portsOf.get(app.id) ?? []) {
          if (current.has(port)) continue
          ensured.delete(port)
          yield* lb.remove(port)
        }
        portsOf.set(app.id, current)
        yield* registry
          .set(app.id, endpoints)
          .pipe(Effect.catchCause((cause) => Effect.logWarning(`discovery: cannot publish ${app.id}`, cause)))
        for (const { index, servicePort } of servicePortsOf(app)) {
          const spec = {
            servicePort,
            name: `${dnsName(app.id, options.domain)}:${index}`,
            mode: modeOf(app, index),
            strategy: strategyOf(app, index),
            ...(options.lbHost === undefined ? {} : { host: options.lbHost })
          }
          const key = JSON.stringify(spec)
          if (ensured.get(servicePort) !== key) {
            const ok = yield* lb.ensure(spec).pipe(
              Effect.as(true),
              Effect.catchCause((cause) =>
                Effect.as(Effect.logWarning(`load balancer: cannot serve ${app.id} on ${servicePort}`, cause), false)
              )
            )
            if (!ok) continue
            ensured.set(servicePort, key)
          }
          const backends = serving.flatMap((task) => {
            const port = task.hostPorts[index]
            return port === undefined ? [] : [{ id: task.taskId, host: task.host, port }]
          })
          yield* lb
            .setBackends(servicePort, backends)
            .pipe(Effect.catchCause((cause) => Effect.logWarning(`load balancer: cannot set ${servicePort}`, cause)))
        }
      }),
    unpublish: (app) =>
      Effect.gen(function* () {
        yield* registry.remove(app.id)
        const ports = new Set([...servicePortsOf(app).map((p) => p.servicePort), ...(portsOf.get(app.id) ?? [])])
        portsOf.delete(app.id)
        for (const servicePort of ports) {
          ensured.delete(servicePort)
          yield* lb.remove(servicePort)
        }
      }),
    drained: (app, taskId, timeoutMs) =>
      Effect.forEach(servicePortsOf(app), ({ servicePort }) => lb.drained(servicePort, taskId), {
        concurrency: "unbounded",
        discard: true
      }).pipe(Effect.timeoutOption(timeoutMs), Effect.asVoid)
  }
}
