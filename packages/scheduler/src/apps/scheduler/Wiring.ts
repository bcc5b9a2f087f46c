/**
 * Feeding an app's serving tasks (running, alive, ready, not being killed) into service discovery and the
 * load balancer: one registry entry per task and port, one load-balanced service per port's service port. A
 * task that leaves the set is drained by the load balancer (it gets no new connections); the runtime waits for
 * that before it kills a task.
 *
 * Canaries (an app with `canary: { of, weight }`): the canary's serving tasks join the backends of the stable
 * app's service ports (port index i to the stable's port index i, see {@link canaryPorts}) and get `weight`% of
 * each joined port's new traffic in total (the load balancer's `split` weighting); the canary gets no service
 * port of its own. Publishing either app (or a new definition of the canary) updates the joins at once.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ServiceEndpoint } from "../discovery/ServiceEndpoint.js"
import type { ServiceRegistry } from "../discovery/ServiceRegistry.js"
import type { Backend, Mode, Strategy, Weighting } from "../lb/Backend.js"
import { split } from "../lb/canary.js"
import type { LoadBalancerShape } from "../lb/LoadBalancer.js"
import { type AppDefinition, appPortsOf, dnsName } from "../model/AppDefinition.js"
import { stableIdOf } from "../plan/internal/canaryRules.js"
import { isServing, type TaskRecord } from "./TaskRecord.js"

/**
 * The load balancer mode of a port: its label `mode` (or the app's `LB_MODE` label), `tcp` or `http`; default
 * `tcp`.
 *
 * @since 0.1.0
 * @category wiring
 */
export const modeOf = (app: AppDefinition, index: number): Mode => {
  const mode = appPortsOf(app)[index]?.labels.mode ?? app.labels.LB_MODE
  return mode === "http" ? "http" : "tcp"
}

/**
 * The balancing strategy of a port: its label `strategy` (or the app's `LB_STRATEGY`); default round robin.
 *
 * @since 0.1.0
 * @category wiring
 */
export const strategyOf = (app: AppDefinition, index: number): Strategy => {
  const strategy = appPortsOf(app)[index]?.labels.strategy ?? app.labels.LB_STRATEGY
  return strategy === "least-connections" ? "least-connections" : "round-robin"
}

/**
 * How one port of a canary joins its stable app: `servicePort` (the stable's) when joined, else `reason`.
 *
 * @since 0.1.0
 * @category models
 */
export type CanaryPort =
  | { readonly portIndex: number; readonly servicePort: number }
  | { readonly portIndex: number; readonly reason: string }

/**
 * The load-balanced ports of an app: TCP ports with a service port (the proxies speak TCP and HTTP, not UDP);
 * none for a canary (it serves on its stable app's).
 *
 * @since 0.1.0
 * @category wiring
 */
export const servicePortsOf = (
  app: AppDefinition
): ReadonlyArray<{ readonly index: number; readonly servicePort: number }> =>
  app.canary !== undefined
    ? []
    : appPortsOf(app).flatMap((p) =>
        p.protocol === "tcp" && p.servicePort !== undefined && p.servicePort > 0
          ? [{ index: p.index, servicePort: p.servicePort }]
          : []
      )

/**
 * How each port of `canary` joins `stable` (the app its `canary.of` names, `undefined` when there is none):
 * port index i joins the stable's port index i when that one is load balanced and has the same protocol and
 * load balancer mode; each port is judged on its own.
 *
 * @since 0.1.0
 * @category wiring
 */
export const canaryPorts = (canary: AppDefinition, stable: AppDefinition | undefined): ReadonlyArray<CanaryPort> => {
  const stableId = stableIdOf(canary) ?? ""
  const balanced = new Map(stable === undefined ? [] : servicePortsOf(stable).map((p) => [p.index, p.servicePort]))
  const stablePorts = stable === undefined ? [] : appPortsOf(stable)
  return appPortsOf(canary).map((p): CanaryPort => {
    const portIndex = p.index
    const other = stablePorts[portIndex]
    const servicePort = balanced.get(portIndex)
    if (stable === undefined || stable.canary !== undefined)
      return { portIndex, reason: `${stableId} is not an app without a canary of its own` }
    if (other === undefined) return { portIndex, reason: `${stableId} has no port ${portIndex}` }
    if (p.protocol !== other.protocol)
      return {
        portIndex,
        reason: `protocol ${p.protocol} differs from ${stableId}'s port ${portIndex} (${other.protocol})`
      }
    if (servicePort === undefined)
      return { portIndex, reason: `${stableId}'s port ${portIndex} has no load-balanced service port` }
    const [mode, stableMode] = [modeOf(canary, portIndex), modeOf(stable, portIndex)]
    if (mode !== stableMode)
      return {
        portIndex,
        reason: `load balancer mode ${mode} differs from ${stableId}'s port ${portIndex} (${stableMode})`
      }
    return { portIndex, servicePort }
  })
}

/**
 * The weighting of a service port with a canary: `weight`% of the traffic to the canary's backends (`split`);
 * at weight 0 the canary gets none even when the stable app has no backend.
 *
 * @since 0.1.0
 * @category wiring
 */
export const canaryWeighting = (weight: number, isCanary: (backend: Backend) => boolean): Weighting => {
  const weights = split(weight, isCanary)
  return (backends) => {
    const shares = weights(backends)
    return weight > 0 ? shares : backends.map((b, i) => (isCanary(b) ? 0 : shares[i]))
  }
}

/**
 * Keeps discovery and the load balancer in line with the tasks.
 *
 * @since 0.1.0
 * @category models
 */
export interface Wiring {
  /** Publishes the app's serving tasks (all of them replace what was published) with its current definition. */
  readonly publish: (app: AppDefinition, tasks: ReadonlyArray<TaskRecord>) => Effect.Effect<void>
  /** Removes the app from discovery and stops its load-balanced services (a canary's joins drain). */
  readonly unpublish: (app: AppDefinition) => Effect.Effect<void>
  /** Waits until the task has no open connection through the load balancer (at most `timeoutMs`). */
  readonly drained: (app: AppDefinition, taskId: string, timeoutMs: number) => Effect.Effect<void>
}

interface Published {
  readonly app: AppDefinition
  readonly serving: ReadonlyArray<TaskRecord>
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
  /** The last published definition and serving tasks of each app. */
  const published = new Map<string, Published>()
  /** The stable app each canary last joined. */
  const joins = new Map<string, string>()
  /** Per service port: the canary weighting installed (`canary id:weight`) and the canary's task ids. */
  const weighted = new Map<number, { readonly key: string; readonly tasks: Set<string> }>()
  /** The last warning about a canary's ports that could not join (logged once per change). */
  const warned = new Map<string, string>()

  const canaryOf = (stableId: string): Published | undefined =>
    [...published.values()]
      .filter((p) => stableIdOf(p.app) === stableId)
      .sort((x, y) => x.app.id.localeCompare(y.app.id))[0]

  const backendsOf = (tasks: ReadonlyArray<TaskRecord>, index: number): Array<Backend> =>
    tasks.flatMap((task) => {
      const port = task.hostPorts[index]
      return port === undefined ? [] : [{ id: task.taskId, host: task.host, port }]
    })

  /** The stable service ports a canary's tasks serve on now (from the published definitions). */
  const joinedPortsOf = (app: AppDefinition): ReadonlyArray<number> => {
    const stableId = joins.get(app.id) ?? stableIdOf(app)
    if (stableId === undefined) return []
    return canaryPorts(published.get(app.id)?.app ?? app, published.get(stableId)?.app).flatMap((p) =>
      "servicePort" in p ? [p.servicePort] : []
    )
  }

  const warn = (what: string) => (cause: unknown) => Effect.logWarning(`load balancer: ${what}`, cause)

  /** Installs, changes or removes the canary weighting of a service port. */
  const weigh = (servicePort: number, canary: { readonly id: string; readonly weight: number } | undefined) =>
    Effect.gen(function* () {
      const current = weighted.get(servicePort)
      const key = canary === undefined ? undefined : `${canary.id}:${canary.weight}`
      if (current?.key === key) return current?.tasks
      if (canary === undefined) {
        weighted.delete(servicePort)
        yield* lb.setWeighting(servicePort, undefined).pipe(Effect.catchCause(warn(`cannot unweigh ${servicePort}`)))
        return undefined
      }
      const tasks = current?.tasks ?? new Set<string>()
      weighted.set(servicePort, { key: key!, tasks })
      yield* lb
        .setWeighting(
          servicePort,
          canaryWeighting(canary.weight, (b) => tasks.has(b.id))
        )
        .pipe(Effect.catchCause(warn(`cannot weigh ${servicePort}`)))
      return tasks
    })

  /** Sets up one service port of a (stable) app: listener, backends of it and of its canary, weighting. */
  const syncPort = (stable: Published, index: number, servicePort: number) =>
    Effect.gen(function* () {
      const app = stable.app
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
          Effect.catchCause((cause) => Effect.as(warn(`cannot serve ${app.id} on ${servicePort}`)(cause), false))
        )
        if (!ok) return
        ensured.set(servicePort, key)
      }
      const canary = canaryOf(app.id)
      const joined =
        canary !== undefined && canaryPorts(canary.app, app).some((p) => p.portIndex === index && "servicePort" in p)
      const canaryBackends = joined ? backendsOf(canary.serving, index) : []
      const tasks = yield* weigh(
        servicePort,
        joined ? { id: canary.app.id, weight: canary.app.canary?.weight ?? 0 } : undefined
      )
      if (tasks !== undefined) {
        tasks.clear()
        for (const b of canaryBackends) tasks.add(b.id)
      }
      yield* lb
        .setBackends(servicePort, [...backendsOf(stable.serving, index), ...canaryBackends])
        .pipe(Effect.catchCause(warn(`cannot set ${servicePort}`)))
    })

  /** Sets up every service port of the app `appId` (when it is published and not a canary). */
  const syncApp = (appId: string) =>
    Effect.suspend(() => {
      const stable = published.get(appId)
      if (stable === undefined || stable.app.canary !== undefined) return Effect.void
      return Effect.forEach(
        servicePortsOf(stable.app),
        ({ index, servicePort }) => syncPort(stable, index, servicePort),
        { discard: true }
      )
    })

  /** Takes the app's own load-balanced ports it no longer has (or all of them) down. */
  const dropPorts = (appId: string, keep: ReadonlySet<number>) =>
    Effect.gen(function* () {
      for (const port of portsOf.get(appId) ?? []) {
        if (keep.has(port)) continue
        ensured.delete(port)
        weighted.delete(port)
        yield* lb.remove(port)
      }
      if (keep.size === 0) portsOf.delete(appId)
      else portsOf.set(appId, keep)
    })

  /** Updates what the canary `app` (or the app that stopped being one) joins; logs ports that cannot join. */
  const syncCanary = (app: AppDefinition, gone: boolean) =>
    Effect.gen(function* () {
      const before = joins.get(app.id)
      const stableId = gone ? undefined : stableIdOf(app)
      if (stableId === undefined) {
        joins.delete(app.id)
        warned.delete(app.id)
      } else {
        const ports = canaryPorts(app, published.get(stableId)?.app)
        joins.set(app.id, stableId)
        const unjoined = ports.flatMap((p) => ("reason" in p ? [`port ${p.portIndex}: ${p.reason}`] : []))
        const text = unjoined.join("; ")
        if (warned.get(app.id) !== text && published.has(stableId)) {
          warned.set(app.id, text)
          if (text !== "") yield* Effect.logWarning(`canary ${app.id}: not joined: ${text}`)
        }
        yield* syncApp(stableId)
      }
      if (before !== undefined && before !== stableId) yield* syncApp(before)
    })

  return {
    publish: (app, tasks) =>
      Effect.gen(function* () {
        const serving = tasks.filter(isServing)
        published.set(app.id, { app, serving })
        const joinedAt = new Map(
          app.canary === undefined
            ? []
            : canaryPorts(app, published.get(stableIdOf(app) ?? "")?.app).flatMap((p) =>
                "servicePort" in p ? [[p.portIndex, p.servicePort] as const] : []
              )
        )
        const endpoints: Array<ServiceEndpoint> = []
        for (const task of serving) {
          for (const p of appPortsOf(app)) {
            const port = task.hostPorts[p.index]
            if (port === undefined) continue
            const servicePort = app.canary === undefined ? p.servicePort : joinedAt.get(p.index)
            endpoints.push({
              appId: app.id,
              name: dnsName(app.id, options.domain),
              taskId: task.taskId,
              agentId: task.agentId,
              host: task.host,
              port,
              portIndex: p.index,
              ...(p.name === undefined ? {} : { portName: p.name }),
              protocol: p.protocol,
              ...(servicePort !== undefined && servicePort > 0 ? { servicePort } : {}),
              version: task.version
            })
          }
        }
        yield* dropPorts(app.id, new Set(servicePortsOf(app).map((p) => p.servicePort)))
        yield* registry
          .set(app.id, endpoints)
          .pipe(Effect.catchCause((cause) => Effect.logWarning(`discovery: cannot publish ${app.id}`, cause)))
        yield* syncApp(app.id)
        if (app.canary !== undefined || joins.has(app.id)) yield* syncCanary(app, false)
      }),
    unpublish: (app) =>
      Effect.gen(function* () {
        yield* registry.remove(app.id)
        published.delete(app.id)
        const own = servicePortsOf(app).map((p) => p.servicePort)
        portsOf.set(app.id, new Set([...(portsOf.get(app.id) ?? []), ...own]))
        yield* dropPorts(app.id, new Set())
        if (joins.has(app.id)) yield* syncCanary(app, true)
      }),
    drained: (app, taskId, timeoutMs) =>
      Effect.forEach(
        [...servicePortsOf(app).map((p) => p.servicePort), ...joinedPortsOf(app)],
        (servicePort) => lb.drained(servicePort, taskId),
        { concurrency: "unbounded", discard: true }
      ).pipe(Effect.timeoutOption(timeoutMs), Effect.asVoid)
  }
}
