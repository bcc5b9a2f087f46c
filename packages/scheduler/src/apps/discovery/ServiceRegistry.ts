/**
 * The registry of healthy endpoints per app: the app scheduler replaces an app's endpoints whenever its set of
 * healthy and ready tasks changes; clients look services up by app id or DNS-style name and port, or watch
 * them (a snapshot, then numbered changes, resumable from a bounded history).
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import { Cause, Context, Effect, Layer, Option, Queue, Schema, Stream } from "effect"
import { dnsName } from "../model/AppDefinition.js"
import {
  type DiscoveryEvent,
  endpointKey,
  InvalidEndpoint,
  matchesPort,
  parseName,
  ServiceEndpoint,
  type ServiceView
} from "./ServiceEndpoint.js"

/**
 * Options of {@link ServiceRegistry.layerWith}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RegistryOptions {
  /** The domain of DNS-style names. Default `orchestrator`. */
  readonly domain?: string
  /** How many change events are kept for watchers that resume (`since`). Default 1,000. */
  readonly historySize?: number
  /** How many events may wait for one watcher before it is dropped. Default 1,000. */
  readonly bufferSize?: number
}

/**
 * What a watch selects: one service (app id or any name {@link parseName} accepts; an SRV-style name also
 * selects its port), one port (name or index), and where to resume.
 *
 * @since 0.1.0
 * @category models
 */
export interface WatchOptions {
  readonly name?: string
  readonly port?: string | number
  /**
   * The `seq` of the last event the watcher saw: when the history still holds every change after it, the
   * watch starts with those changes instead of a snapshot.
   */
  readonly since?: number
}

type Changed = Extract<DiscoveryEvent, { readonly _tag: "Changed" }>

interface Selector {
  readonly appId?: string
  readonly port?: string | number
  readonly protocol?: "tcp" | "udp"
}

interface Subscriber {
  readonly queue: Queue.Queue<DiscoveryEvent, Cause.Done>
  readonly selector: Selector
  lastSeq: number
}

/**
 * The service registry.
 *
 * **When to use**: one per app scheduler; it calls `set` with an app's healthy and ready endpoints after every
 * health, readiness or task change, and `remove` when the app is deleted. Serve it with `discoveryRoutes` and
 * mirror it into ZooKeeper with `ZooKeeperRegistration.layer`.
 *
 * **Gotchas**: a watcher more than `bufferSize` events behind gets a final `Dropped` event and its stream
 * ends: watch again (with no `since`) for a fresh snapshot. Sequence numbers restart with the registry;
 * `epoch` tells registries apart, so a client resuming against another one starts over.
 *
 * @since 0.1.0
 * @category services
 */
export class ServiceRegistry extends Context.Service<
  ServiceRegistry,
  {
    /** Random per registry instance: sequence numbers of different instances are not comparable. */
    readonly epoch: string
    readonly domain: string
    /** Replaces the app's endpoints (an app with no endpoint still exists: it is known but unreachable). */
    readonly set: (appId: string, endpoints: ReadonlyArray<ServiceEndpoint>) => Effect.Effect<void, InvalidEndpoint>
    /** Forgets the app; unknown apps are ignored. */
    readonly remove: (appId: string) => Effect.Effect<void>
    /** The endpoints of a service by app id or name, optionally of one port (name or index); `[]` when unknown. */
    readonly lookup: (nameOrAppId: string, port?: string | number) => Effect.Effect<ReadonlyArray<ServiceEndpoint>>
    /** The service by app id or name (with the port of an SRV-style name), `None` when the app is unknown. */
    readonly get: (nameOrAppId: string, port?: string | number) => Effect.Effect<Option.Option<ServiceView>>
    /** Every service, by app id. */
    readonly services: Effect.Effect<ReadonlyArray<ServiceView>>
    /** The sequence number of the latest change (0 before the first). */
    readonly seq: Effect.Effect<number>
    /** A snapshot (or the changes after `since`), then every matching change, in order. */
    readonly watch: (options?: WatchOptions) => Stream.Stream<DiscoveryEvent>
    /** How many watchers are subscribed now. */
    readonly watchers: Effect.Effect<number>
  }
>()("@orchestrator/scheduler/apps/discovery/ServiceRegistry") {
  /**
   * A registry with the default options (domain `orchestrator`); watchers' streams end when it is released.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer: Layer.Layer<ServiceRegistry> = Layer.effect(
    ServiceRegistry,
    Effect.suspend(() => make())
  )

  /**
   * A registry with options.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerWith = (options: RegistryOptions): Layer.Layer<ServiceRegistry> =>
    Layer.effect(ServiceRegistry, make(options))
}

const decodeEndpoint = Schema.decodeUnknownExit(ServiceEndpoint)

const sameEndpoint = (a: ServiceEndpoint, b: ServiceEndpoint): boolean =>
  a.host === b.host &&
  a.port === b.port &&
  a.agentId === b.agentId &&
  a.version === b.version &&
  a.portName === b.portName &&
  a.protocol === b.protocol &&
  a.servicePort === b.servicePort

/** The field path and the first complaint of a decoding failure (`port`, `Expected a value between 1 and 65535`). */
const describeIssue = (cause: Cause.Cause<unknown>): { readonly path: string; readonly reason: string } => {
  const error = Cause.findErrorOption(cause)
  const text = error._tag === "Some" && error.value instanceof Error ? error.value.message : String(cause)
  const at = /\bat ((?:\[[^\]]*\])+)/.exec(text)?.[1] ?? ""
  const path = [...at.matchAll(/\["?([^"\]]*)"?\]/g)].map((m) => m[1]).join(".")
  return { path: path === "" ? "" : `.${path}`, reason: text.split("\n")[0]?.trim() ?? "invalid" }
}

/**
 * Builds the registry (scoped: open watches end when the scope closes).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("ServiceRegistry.make")(function* (options: RegistryOptions = {}) {
  const domain = options.domain ?? "orchestrator"
  const historySize = Math.max(0, options.historySize ?? 1_000)
  const bufferSize = Math.max(1, options.bufferSize ?? 1_000)
  const epoch = randomBytes(6).toString("hex")

  const apps = new Map<string, Map<string, ServiceEndpoint>>()
  const history: Array<Changed> = []
  const subscribers = new Set<Subscriber>()
  let seq = 0

  const view = (appId: string, endpoints: Map<string, ServiceEndpoint>, selector: Selector = {}): ServiceView => ({
    appId,
    name: dnsName(appId, domain),
    endpoints: [...endpoints.values()].filter((e) => matchesPort(e, selector.port, selector.protocol))
  })

  const selectorOf = (name: string | undefined, port: string | number | undefined): Selector | undefined => {
    if (name === undefined || name === "") return port === undefined ? {} : { port }
    const parsed = parseName(name, domain)
    if (parsed === undefined) return undefined
    return {
      appId: parsed.appId,
      ...(port !== undefined ? { port } : parsed.portName !== undefined ? { port: parsed.portName } : {}),
      ...(parsed.protocol !== undefined ? { protocol: parsed.protocol } : {})
    }
  }

  /** The event as one subscriber sees it, `undefined` when nothing of it matches. */
  const project = (event: Changed, selector: Selector): Changed | undefined => {
    if (selector.appId !== undefined && selector.appId !== event.appId) return undefined
    if (selector.port === undefined && selector.protocol === undefined) return event
    const keep = (e: ServiceEndpoint) => matchesPort(e, selector.port, selector.protocol)
    const added = event.added.filter(keep)
    const removed = event.removed.filter(keep)
    if (event.change === "updated" && added.length === 0 && removed.length === 0) return undefined
    return { ...event, added, removed }
  }

  const drop = (subscriber: Subscriber, reason: string) => {
    subscribers.delete(subscriber)
    Queue.offerUnsafe(subscriber.queue, { _tag: "Dropped", seq: subscriber.lastSeq, reason })
    Queue.endUnsafe(subscriber.queue)
  }

  const publish = (event: Changed) => {
    seq = event.seq
    history.push(event)
    if (history.length > historySize) history.splice(0, history.length - historySize)
    for (const subscriber of subscribers) {
      const projected = project(event, subscriber.selector)
      if (projected === undefined) continue
      if (Queue.sizeUnsafe(subscriber.queue) >= bufferSize) {
        drop(subscriber, `more than ${bufferSize} events were waiting for this watcher; watch again`)
        continue
      }
      Queue.offerUnsafe(subscriber.queue, projected)
      subscriber.lastSeq = projected.seq
    }
  }

  const validate = (appId: string, endpoints: ReadonlyArray<ServiceEndpoint>) =>
    Effect.suspend(() => {
      const parsed = appId.includes("/") ? parseName(appId, domain) : undefined
      if (parsed === undefined) {
        return Effect.fail(new InvalidEndpoint({ appId, field: "appId", reason: "expects an app path like /prod/web" }))
      }
      const id = parsed.appId
      const name = dnsName(id, domain)
      const byKey = new Map<string, ServiceEndpoint>()
      for (const [i, raw] of endpoints.entries()) {
        const decoded = decodeEndpoint(raw)
        if (decoded._tag === "Failure") {
          const issue = describeIssue(decoded.cause)
          return Effect.fail(
            new InvalidEndpoint({ appId: id, field: `endpoints[${i}]${issue.path}`, reason: issue.reason })
          )
        }
        const endpoint: ServiceEndpoint = { ...decoded.value, appId: id, name }
        const key = endpointKey(endpoint)
        if (byKey.has(key)) {
          return Effect.fail(
            new InvalidEndpoint({
              appId: id,
              field: `endpoints[${i}]`,
              reason: `task ${endpoint.taskId} port index ${endpoint.portIndex} is listed twice`
            })
          )
        }
        byKey.set(key, endpoint)
      }
      return Effect.succeed({ id, byKey })
    })

  const set = Effect.fn("ServiceRegistry.set")(function* (appId: string, endpoints: ReadonlyArray<ServiceEndpoint>) {
    const { id, byKey } = yield* validate(appId, endpoints)
    yield* Effect.sync(() => {
      const before = apps.get(id)
      const added: Array<ServiceEndpoint> = []
      const removed: Array<ServiceEndpoint> = []
      for (const [key, endpoint] of byKey) {
        const old = before?.get(key)
        if (old !== undefined && sameEndpoint(old, endpoint)) continue
        if (old !== undefined) removed.push(old)
        added.push(endpoint)
      }
      for (const [key, old] of before ?? []) if (!byKey.has(key)) removed.push(old)
      apps.set(id, byKey)
      if (before !== undefined && added.length === 0 && removed.length === 0) return
      const change = before === undefined ? "created" : "updated"
      publish({ _tag: "Changed", seq: seq + 1, appId: id, name: dnsName(id, domain), change, added, removed })
    })
  })

  const remove = (appId: string) =>
    Effect.sync(() => {
      const id = parseName(appId, domain)?.appId
      const before = id === undefined ? undefined : apps.get(id)
      if (id === undefined || before === undefined) return
      apps.delete(id)
      const removed = [...before.values()]
      publish({
        _tag: "Changed",
        seq: seq + 1,
        appId: id,
        name: dnsName(id, domain),
        change: "deleted",
        added: [],
        removed
      })
    })

  const get = (nameOrAppId: string, port?: string | number) =>
    Effect.sync(() => {
      const selector = selectorOf(nameOrAppId, port)
      const endpoints = selector?.appId === undefined ? undefined : apps.get(selector.appId)
      return endpoints === undefined || selector?.appId === undefined
        ? Option.none<ServiceView>()
        : Option.some(view(selector.appId, endpoints, selector))
    })

  const services = Effect.sync(() =>
    [...apps.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([appId, e]) => view(appId, e))
  )

  /** The first events of a new watch: the changes after `since` when the history has them all, else a snapshot. */
  const start = (selector: Selector, since: number | undefined): ReadonlyArray<DiscoveryEvent> => {
    const oldest = history[0]?.seq ?? seq + 1
    if (since !== undefined && Number.isInteger(since) && since <= seq && since >= oldest - 1) {
      return history.filter((event) => event.seq > since).flatMap((event) => project(event, selector) ?? [])
    }
    const selected = [...apps.entries()]
      .filter(([appId]) => selector.appId === undefined || selector.appId === appId)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([appId, endpoints]) => view(appId, endpoints, selector))
    return [{ _tag: "Snapshot", seq, services: selected }]
  }

  const watch = (watchOptions: WatchOptions = {}): Stream.Stream<DiscoveryEvent> =>
    Stream.unwrap(
      Effect.gen(function* () {
        const selector = selectorOf(watchOptions.name, watchOptions.port) ?? { appId: "/\0unknown" }
        // one slot more than the buffer: room for the final Dropped event
        const queue = yield* Queue.bounded<DiscoveryEvent, Cause.Done>(bufferSize + 1)
        const subscriber: Subscriber = { queue, selector, lastSeq: seq }
        const first = yield* Effect.acquireRelease(
          Effect.sync(() => {
            subscribers.add(subscriber)
            subscriber.lastSeq = seq
            return start(selector, watchOptions.since)
          }),
          () => Effect.sync(() => subscribers.delete(subscriber))
        )
        return Stream.concat(Stream.fromIterable(first), Stream.fromQueue(queue))
      })
    )

  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      for (const subscriber of subscribers) Queue.endUnsafe(subscriber.queue)
      subscribers.clear()
    })
  )

  return ServiceRegistry.of({
    epoch,
    domain,
    set,
    remove,
    lookup: (nameOrAppId, port) =>
      Effect.map(get(nameOrAppId, port), (found) => (Option.isSome(found) ? found.value.endpoints : [])),
    get,
    services,
    seq: Effect.sync(() => seq),
    watch,
    watchers: Effect.sync(() => subscribers.size)
  })
})
