/**
 * Mirrors the service registry into ZooKeeper the way Apache Curator's service discovery lays it out, so that
 * Curator clients (and anything reading its JSON) find the apps' endpoints: one ephemeral znode per endpoint
 * at `<root>/<name>/<id>`, holding a Curator `ServiceInstance` as JSON.
 *
 * @since 0.1.0
 */
import { ZooKeeperClient, type ZooKeeperError } from "@orchestrator/core/zookeeper"
import { Context, Effect, Layer, Option, Queue, Schedule, Stream } from "effect"
import type { ServiceEndpoint } from "./ServiceEndpoint.js"
import { ServiceRegistry } from "./ServiceRegistry.js"

/**
 * Options of {@link ZooKeeperRegistration.layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RegistrationOptions {
  /** Curator's base path, e.g. `/orchestrator/services`. */
  readonly root: string
}

/**
 * A Curator `ServiceInstance` (curator-x-discovery's `JsonInstanceSerializer` form). `payload` is a
 * `java.util.LinkedHashMap` (Jackson's `@class` type id, which Curator's `@JsonTypeInfo(use = CLASS)` on the
 * payload expects) with the endpoint's app, task, agent, port index and name, service port and version.
 * `enabled` is Curator's field since CURATOR-275; older readers ignore unknown fields since Curator 2.10.
 *
 * @since 0.1.0
 * @category models
 */
export interface CuratorInstance {
  readonly name: string
  readonly id: string
  readonly address: string
  readonly port: number
  readonly sslPort: null
  readonly payload: Readonly<Record<string, string | number>>
  readonly registrationTimeUTC: number
  readonly serviceType: "DYNAMIC"
  readonly uriSpec: null
  readonly enabled: boolean
}

/**
 * The Curator instance id of an endpoint: `<taskId>-<portIndex>` (also its znode's name).
 *
 * @since 0.1.0
 * @category utils
 */
export const instanceId = (endpoint: Pick<ServiceEndpoint, "taskId" | "portIndex">): string =>
  `${endpoint.taskId}-${endpoint.portIndex}`

/**
 * The znode of an endpoint: `<root>/<name>/<taskId>-<portIndex>` (a `/` in a task id is percent-encoded).
 *
 * @since 0.1.0
 * @category utils
 */
export const instancePath = (root: string, endpoint: ServiceEndpoint): string =>
  `${root.replace(/\/+$/, "")}/${endpoint.name}/${encodeURIComponent(instanceId(endpoint))}`

/**
 * The Curator instance of an endpoint, registered at `registeredAt` (ms since the epoch, UTC).
 *
 * @since 0.1.0
 * @category constructors
 */
export const curatorInstance = (endpoint: ServiceEndpoint, registeredAt: number): CuratorInstance => ({
  name: endpoint.name,
  id: instanceId(endpoint),
  address: endpoint.host,
  port: endpoint.port,
  sslPort: null,
  payload: {
    "@class": "java.util.LinkedHashMap",
    appId: endpoint.appId,
    taskId: endpoint.taskId,
    agentId: endpoint.agentId,
    portIndex: endpoint.portIndex,
    ...(endpoint.portName === undefined ? {} : { portName: endpoint.portName }),
    ...(endpoint.protocol === undefined ? {} : { protocol: endpoint.protocol }),
    ...(endpoint.servicePort === undefined ? {} : { servicePort: endpoint.servicePort }),
    version: endpoint.version
  },
  registrationTimeUTC: registeredAt,
  serviceType: "DYNAMIC",
  uriSpec: null,
  enabled: true
})

/**
 * The registration's view of what it mirrored.
 *
 * **When to use**: provide `ZooKeeperRegistration.layer({ root })` next to the registry when Curator (or other
 * ZooKeeper-based) clients should find the apps; it needs `ServiceRegistry` and `ZooKeeperClient`.
 *
 * **Gotchas**: the nodes are ephemeral: they vanish with the session, and are all created again (with the
 * same data) once the client has a new session after an expiry. A node left by an expired session of ours
 * that the server has not removed yet is deleted and created again, as Curator does. Service name nodes are
 * persistent (Curator makes them container nodes, which this client cannot) and removed when they empty.
 *
 * @since 0.1.0
 * @category services
 */
export class ZooKeeperRegistration extends Context.Service<
  ZooKeeperRegistration,
  {
    /** The znodes this registration holds in the current session, sorted. */
    readonly registered: Effect.Effect<ReadonlyArray<string>>
    /** Whether ZooKeeper holds exactly the registry's endpoints now (as far as this registration knows). */
    readonly inSync: Effect.Effect<boolean>
  }
>()("@orchestrator/scheduler/apps/discovery/ZooKeeperRegistration") {
  /**
   * Mirrors the registry while the layer lives; releasing it deletes the nodes.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (
    options: RegistrationOptions
  ): Layer.Layer<ZooKeeperRegistration, never, ServiceRegistry | ZooKeeperClient> =>
    Layer.effect(ZooKeeperRegistration, make(options))
}

interface Desired {
  readonly data: string
  readonly registeredAt: number
}

const parentOf = (path: string) => path.slice(0, path.lastIndexOf("/"))

/**
 * Builds the registration and starts mirroring (scoped).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("ZooKeeperRegistration.make")(function* (options: RegistrationOptions) {
  const zk = yield* ZooKeeperClient
  const registry = yield* ServiceRegistry
  const root = options.root.replace(/\/+$/, "")

  /** Every endpoint's znode and data, as the registry has it. */
  const desired = new Map<string, Desired>()
  /** The znodes (and their data) created in session `createdIn`. */
  const created = new Map<string, string>()
  let createdIn: bigint | undefined
  /** The registry's seq the desired map reflects. */
  let seen = -1
  /** Whether the last reconcile finished after the desired map last changed. */
  let clean = false
  const wake = yield* Queue.sliding<void>(1)

  const put = (endpoint: ServiceEndpoint) => {
    const path = instancePath(root, endpoint)
    const registeredAt = desired.get(path)?.registeredAt ?? Date.now()
    desired.set(path, { data: JSON.stringify(curatorInstance(endpoint, registeredAt)), registeredAt })
  }

  const follow = registry.watch().pipe(
    Stream.runForEach((event) =>
      Effect.sync(() => {
        seen = event.seq
        clean = false
        switch (event._tag) {
          case "Snapshot":
            desired.clear()
            for (const service of event.services) for (const endpoint of service.endpoints) put(endpoint)
            break
          case "Changed":
            for (const endpoint of event.removed) desired.delete(instancePath(root, endpoint))
            for (const endpoint of event.added) put(endpoint)
            break
          case "Dropped":
            seen = -1
            break
        }
        Queue.offerUnsafe(wake, undefined)
      })
    ),
    // a dropped watch (it cannot fall behind a map update, but be safe) starts over with a snapshot
    Effect.repeat(Schedule.spaced("100 millis"))
  )

  const ignoring =
    (...codes: ReadonlyArray<ZooKeeperError["code"]>) =>
    <A>(effect: Effect.Effect<A, ZooKeeperError>): Effect.Effect<A | undefined, ZooKeeperError> =>
      Effect.catchIf(
        effect,
        (error) => codes.includes(error.code),
        () => Effect.succeed(undefined)
      )

  const createNode = (path: string, data: string, session: bigint): Effect.Effect<void, ZooKeeperError> =>
    zk.create(path, data, { mode: "ephemeral" }).pipe(
      Effect.asVoid,
      Effect.catchIf(
        (error) => error.code === "NO_NODE",
        () => zk.mkdirp(parentOf(path)).pipe(Effect.andThen(zk.create(path, data, { mode: "ephemeral" })))
      ),
      Effect.catchIf(
        (error) => error.code === "NODE_EXISTS",
        () =>
          Effect.gen(function* () {
            const stat = yield* zk.exists(path)
            if (Option.isSome(stat) && stat.value.ephemeralOwner === session) {
              yield* zk.setData(path, data)
              return
            }
            // left by another (an expired) session: replace it
            yield* ignoring("NO_NODE")(zk.remove(path))
            yield* zk.create(path, data, { mode: "ephemeral" })
          })
      ),
      Effect.asVoid
    )

  const reconcile = Effect.gen(function* () {
    clean = true
    const session = yield* zk.session
    if (Option.isNone(session)) return yield* Effect.fail("no session" as const)
    if (createdIn !== session.value.id) {
      created.clear()
      createdIn = session.value.id
    }
    for (const [path, want] of [...desired]) {
      const have = created.get(path)
      if (have === want.data) continue
      if (have === undefined) yield* createNode(path, want.data, session.value.id)
      else
        yield* zk.setData(path, want.data).pipe(
          Effect.catchIf(
            (e) => e.code === "NO_NODE",
            () => createNode(path, want.data, session.value.id)
          )
        )
      created.set(path, want.data)
    }
    const emptied = new Set<string>()
    for (const path of [...created.keys()]) {
      if (desired.has(path)) continue
      yield* ignoring("NO_NODE")(zk.remove(path))
      created.delete(path)
      emptied.add(parentOf(path))
    }
    for (const parent of emptied) {
      if ([...desired.keys()].some((path) => parentOf(path) === parent)) continue
      yield* ignoring("NOT_EMPTY", "NO_NODE")(zk.remove(parent))
    }
  })

  const retry = Schedule.min([Schedule.exponential("100 millis", 2), Schedule.spaced("5 seconds")])

  yield* Effect.addFinalizer(() =>
    Effect.forEach([...created.keys()], (path) => ignoring("NO_NODE")(zk.remove(path)), { discard: true }).pipe(
      Effect.timeout("2 seconds"),
      Effect.ignore
    )
  )

  yield* Effect.forkScoped(follow)
  yield* zk.stateChanges.pipe(
    Stream.runForEach((state) =>
      Effect.sync(() => {
        if (state === "expired") created.clear()
        if (state === "connected") Queue.offerUnsafe(wake, undefined)
      })
    ),
    Effect.forkScoped
  )
  yield* Queue.take(wake).pipe(
    Effect.andThen(
      reconcile.pipe(
        Effect.tapError((error) =>
          Effect.logWarning("ZooKeeper registration: will retry").pipe(
            Effect.annotateLogs({ root, error: typeof error === "string" ? error : error.message })
          )
        ),
        Effect.retry(retry)
      )
    ),
    Effect.forever,
    Effect.forkScoped
  )

  return ZooKeeperRegistration.of({
    registered: Effect.sync(() => [...created.keys()].sort()),
    inSync: Effect.map(
      registry.seq,
      (seq) =>
        seen === seq &&
        clean &&
        created.size === desired.size &&
        [...desired].every(([path, want]) => created.get(path) === want.data)
    )
  })
})
