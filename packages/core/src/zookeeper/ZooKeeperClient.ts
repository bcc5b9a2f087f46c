/**
 * The shared ZooKeeper client: typed Effect calls over node-zookeeper-client, watches as Streams, and a
 * session tracker that reports expiry even when no server can tell us (see `SessionState`).
 *
 * @since 0.1.0
 */
import { Context, Deferred, Effect, Layer, Option, PubSub, Schema, Stream } from "effect"
import { CreateModes, type DriverClient, type DriverStat, int64, load } from "./internal/driver.js"
import { SessionTracker } from "./internal/SessionTracker.js"
import type { Session, SessionState } from "./Session.js"
import type { NodeData, Stat } from "./Stat.js"
import { ErrorCode, ZooKeeperError, ZooKeeperUnavailable } from "./ZooKeeperError.js"

/**
 * How `create` makes a node: ephemeral nodes vanish with the session that created them; sequential nodes get
 * a 10-digit increasing suffix (the created path is returned).
 *
 * @since 0.1.0
 * @category models
 */
export const CreateMode = Schema.Literals(["persistent", "ephemeral", "persistentSequential", "ephemeralSequential"])

/**
 * @since 0.1.0
 * @category models
 */
export type CreateMode = typeof CreateMode.Type

/**
 * Options for {@link ZooKeeperClient.layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ZooKeeperClientOptions {
  /** `host:port[,host:port...][/chroot]`. */
  readonly connectString: string
  /** Requested session timeout; the server clamps it to its `[2, 20] x tickTime` bounds. Default 10,000 ms. */
  readonly sessionTimeoutMs?: number
  /** How long the layer waits for the first session. Default 10,000 ms. */
  readonly connectTimeoutMs?: number
  /** How long one call may wait for an answer before failing with `OPERATION_TIMEOUT`. Default: `sessionTimeoutMs`. */
  readonly operationTimeoutMs?: number
  /** Start a new session after an expiry (default `true`); otherwise calls fail with `SESSION_EXPIRED`. */
  readonly reconnectOnExpiry?: boolean
  /** Upper bound of the random pause after every server was tried once. Default 200 ms. */
  readonly spinDelayMs?: number
}

/**
 * A ZooKeeper client with typed calls.
 *
 * **When to use**: provide `ZooKeeperClient.layer({ connectString })` once per process (leader election,
 * service discovery, migration all share it) and react to `stateChanges`: after `expired`, ephemeral nodes
 * of the old session are gone and must be recreated.
 *
 * **Gotchas**: node-zookeeper-client is an optional peer dependency, loaded when the layer is built. Calls
 * made while disconnected wait for a reconnect up to `operationTimeoutMs`. Watch streams survive reconnects
 * and new sessions (they read again), but like every ZooKeeper watch they may skip intermediate versions.
 *
 * @example
 * ```ts
 * import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const zk = yield* ZooKeeperClient
 *   yield* zk.mkdirp("/orchestrator/apps")
 *   const path = yield* zk.create("/orchestrator/apps/web-", "v1", { mode: "ephemeralSequential" })
 *   return yield* zk.getData(path)
 * }).pipe(Effect.provide(ZooKeeperClient.layer({ connectString: "127.0.0.1:2181", sessionTimeoutMs: 4_000 })))
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export class ZooKeeperClient extends Context.Service<
  ZooKeeperClient,
  {
    readonly connectString: string
    /** The current session state. */
    readonly state: Effect.Effect<SessionState>
    /** The current state first, then every change. */
    readonly stateChanges: Stream.Stream<SessionState>
    /** The current session, `None` while there is none (connecting, or expired without reconnect). */
    readonly session: Effect.Effect<Option.Option<Session>>
    /** The node's stat, `None` when it does not exist. */
    readonly exists: (path: string) => Effect.Effect<Option.Option<Stat>, ZooKeeperError>
    readonly getData: (path: string) => Effect.Effect<NodeData, ZooKeeperError>
    /** Child names (not paths), sorted. */
    readonly getChildren: (path: string) => Effect.Effect<ReadonlyArray<string>, ZooKeeperError>
    /** Creates a node and returns its path (with the suffix for sequential modes). Strings are UTF-8. */
    readonly create: (
      path: string,
      data?: Uint8Array | string,
      options?: { readonly mode?: CreateMode }
    ) => Effect.Effect<string, ZooKeeperError>
    /** Sets the data if `version` matches (`-1`, the default, matches any) and returns the new stat. */
    readonly setData: (path: string, data: Uint8Array | string, version?: number) => Effect.Effect<Stat, ZooKeeperError>
    /** Deletes a node without children if `version` matches (`-1`, the default, matches any). */
    readonly remove: (path: string, version?: number) => Effect.Effect<void, ZooKeeperError>
    /** Creates the node and its missing ancestors as empty persistent nodes; existing ones are kept. */
    readonly mkdirp: (path: string) => Effect.Effect<void, ZooKeeperError>
    /** Deletes a node and everything below it; a missing node is not an error. */
    readonly removeRecursive: (path: string) => Effect.Effect<void, ZooKeeperError>
    /**
     * The node's data now and after every change (`None` while it does not exist). Consecutive equal
     * snapshots (same `czxid` and `mzxid`) are emitted once.
     */
    readonly watchData: (path: string) => Stream.Stream<Option.Option<NodeData>, ZooKeeperError>
    /** The node's children now and after every change; a missing node reads as no children until created. */
    readonly watchChildren: (path: string) => Stream.Stream<ReadonlyArray<string>, ZooKeeperError>
  }
>()("@orchestrator/core/zookeeper/ZooKeeperClient") {
  /**
   * A layer that loads the driver, connects (failing with {@link ZooKeeperUnavailable} after
   * `connectTimeoutMs`), runs the session tracker, and closes the client when released.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (options: ZooKeeperClientOptions): Layer.Layer<ZooKeeperClient, ZooKeeperUnavailable> =>
    Layer.effect(ZooKeeperClient, make(options))
}

const isErrorCode = Schema.is(ErrorCode)

const toError = (cause: unknown, operation: string, path: string): ZooKeeperError => {
  const name =
    typeof cause === "object" && cause !== null && "getName" in cause && typeof cause.getName === "function"
      ? String(cause.getName())
      : undefined
  if (name !== undefined && isErrorCode(name)) return new ZooKeeperError({ code: name, operation, path, reason: "" })
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new ZooKeeperError({ code: "BAD_ARGUMENTS", operation, path, reason })
}

const toStat = (raw: DriverStat): Stat => ({
  czxid: int64(raw.czxid),
  mzxid: int64(raw.mzxid),
  pzxid: int64(raw.pzxid),
  ctime: Number(int64(raw.ctime)),
  mtime: Number(int64(raw.mtime)),
  version: raw.version,
  cversion: raw.cversion,
  aversion: raw.aversion,
  ephemeralOwner: int64(raw.ephemeralOwner),
  dataLength: raw.dataLength,
  numChildren: raw.numChildren
})

const toBuffer = (data: Uint8Array | string): Buffer =>
  typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset, data.byteLength)

const toBytes = (data: Buffer | null | undefined): Uint8Array =>
  data === null || data === undefined
    ? new Uint8Array(0)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)

const parentPaths = (path: string): ReadonlyArray<string> => {
  const parts = path.split("/").filter((part) => part !== "")
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join("/")}`)
}

/**
 * Builds the service (scoped: the client closes with the scope).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("ZooKeeperClient.make")(function* (options: ZooKeeperClientOptions) {
  const { connectString } = options
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000
  const operationTimeoutMs = options.operationTimeoutMs ?? sessionTimeoutMs

  const driver = yield* Effect.tryPromise({
    try: () => load(),
    catch: (cause) =>
      new ZooKeeperUnavailable({
        connectString,
        reason: `cannot load node-zookeeper-client (an optional peer dependency of @orchestrator/core): ${String(cause)}`
      })
  })

  const states = yield* PubSub.unbounded<SessionState>({ replay: 1 })
  PubSub.publishUnsafe(states, "connecting")
  const tracker = yield* Effect.acquireRelease(
    Effect.try({
      try: () => {
        const tracker = new SessionTracker(
          driver,
          {
            connectString,
            sessionTimeoutMs,
            spinDelayMs: options.spinDelayMs ?? 200,
            reconnectOnExpiry: options.reconnectOnExpiry ?? true
          },
          (state) => {
            PubSub.publishUnsafe(states, state)
          }
        )
        tracker.start(Math.min(200, Math.max(25, Math.floor(sessionTimeoutMs / 10))))
        return tracker
      },
      catch: (cause) => new ZooKeeperUnavailable({ connectString, reason: String(cause) })
    }),
    (tracker) => Effect.promise(() => tracker.close(1_000))
  )

  const stateChanges = Stream.fromPubSub(states)
  yield* stateChanges.pipe(
    Stream.runForEach((state) =>
      (state === "expired" || state === "disconnected" ? Effect.logWarning : Effect.logDebug)(
        `ZooKeeper session ${state}`
      ).pipe(Effect.annotateLogs({ connectString, sessionId: `0x${tracker.sessionId.toString(16)}` }))
    ),
    Effect.forkScoped
  )

  yield* stateChanges.pipe(
    Stream.filter((state) => state === "connected"),
    Stream.runHead,
    Effect.timeoutOrElse({
      duration: connectTimeoutMs,
      orElse: () =>
        Effect.fail(
          new ZooKeeperUnavailable({ connectString, reason: `no session established within ${connectTimeoutMs} ms` })
        )
    })
  )

  const call = <A>(
    operation: string,
    path: string,
    f: (client: DriverClient, done: (error: unknown, value: A) => void) => void
  ): Effect.Effect<A, ZooKeeperError> =>
    Effect.suspend(() => {
      const current = tracker.current()
      if (current === undefined) {
        const code = tracker.state === "closed" ? "CONNECTION_LOSS" : "SESSION_EXPIRED"
        const reason = tracker.state === "closed" ? "client closed" : "session expired"
        return Effect.fail(new ZooKeeperError({ code, operation, path, reason }))
      }
      return Effect.callback<A, ZooKeeperError>((resume) => {
        try {
          f(current.client, (error, value) => {
            if (error !== null && error !== undefined) {
              resume(Effect.fail(toError(error, operation, path)))
            } else {
              tracker.markHeard(current.generation, Date.now())
              resume(Effect.succeed(value))
            }
          })
        } catch (cause) {
          resume(Effect.fail(toError(cause, operation, path)))
        }
      })
    }).pipe(
      Effect.timeoutOrElse({
        duration: operationTimeoutMs,
        orElse: () =>
          Effect.fail(
            new ZooKeeperError({
              code: "OPERATION_TIMEOUT",
              operation,
              path,
              reason: `no answer within ${operationTimeoutMs} ms`
            })
          )
      })
    )

  type Watcher = () => void

  const existsWith = (path: string, watcher: Watcher | undefined) =>
    call<DriverStat | null>("exists", path, (client, done) => client.exists(path, watcher, (e, stat) => done(e, stat)))
  const getDataWith = (path: string, watcher: Watcher | undefined) =>
    call<NodeData>("getData", path, (client, done) =>
      client.getData(path, watcher, (e, data, stat) =>
        e ? done(e, undefined as never) : done(null, { data: toBytes(data), stat: toStat(stat) })
      )
    )
  const getChildrenWith = (path: string, watcher: Watcher | undefined) =>
    call<ReadonlyArray<string>>("getChildren", path, (client, done) =>
      client.getChildren(path, watcher, (e, children) => done(e, e ? [] : [...children].sort()))
    )

  const exists = Effect.fn("ZooKeeperClient.exists")(function* (path: string) {
    const stat = yield* existsWith(path, undefined)
    return stat === null ? Option.none<Stat>() : Option.some(toStat(stat))
  })

  const getData = Effect.fn("ZooKeeperClient.getData")((path: string) => getDataWith(path, undefined))

  const getChildren = Effect.fn("ZooKeeperClient.getChildren")((path: string) => getChildrenWith(path, undefined))

  const create = Effect.fn("ZooKeeperClient.create")(
    (path: string, data?: Uint8Array | string, createOptions?: { readonly mode?: CreateMode }) =>
      call<string>("create", path, (client, done) =>
        client.create(
          path,
          data === undefined ? undefined : toBuffer(data),
          CreateModes[createOptions?.mode ?? "persistent"],
          (e, created) => done(e, created)
        )
      )
  )

  const setData = Effect.fn("ZooKeeperClient.setData")((path: string, data: Uint8Array | string, version = -1) =>
    call<Stat>("setData", path, (client, done) =>
      client.setData(path, toBuffer(data), version, (e, stat) =>
        e ? done(e, undefined as never) : done(null, toStat(stat))
      )
    )
  )

  const remove = Effect.fn("ZooKeeperClient.remove")((path: string, version = -1) =>
    call<void>("remove", path, (client, done) => client.remove(path, version, (e) => done(e, undefined)))
  )

  const mkdirp = Effect.fn("ZooKeeperClient.mkdirp")(function* (path: string) {
    for (const prefix of parentPaths(path)) {
      yield* create(prefix).pipe(
        Effect.catchIf(
          (error) => error.code === "NODE_EXISTS",
          () => Effect.void
        )
      )
    }
  })

  const removeTree = (path: string): Effect.Effect<void, ZooKeeperError> =>
    Effect.gen(function* () {
      const children = yield* getChildrenWith(path, undefined)
      yield* Effect.forEach(children, (child) => removeTree(path === "/" ? `/${child}` : `${path}/${child}`), {
        concurrency: 8,
        discard: true
      })
      yield* remove(path)
    }).pipe(
      Effect.catchIf(
        (error) => error.code === "NO_NODE",
        () => Effect.void
      )
    )

  const removeRecursive = Effect.fn("ZooKeeperClient.removeRecursive")((path: string) => removeTree(path))

  const waitUntilConnected = (operation: string, path: string): Effect.Effect<void, ZooKeeperError> =>
    stateChanges.pipe(
      Stream.filter((state) => state === "connected" || state === "closed"),
      Stream.runHead,
      Effect.flatMap((state) =>
        Option.getOrUndefined(state) === "closed"
          ? Effect.fail(new ZooKeeperError({ code: "CONNECTION_LOSS", operation, path, reason: "client closed" }))
          : Effect.void
      )
    )

  /**
   * One read that leaves a watch, repeated after each notification (or new session). `read` returns
   * `undefined` to ask for an immediate re-read (the node changed between two calls).
   */
  const watchLoop = <A>(
    operation: string,
    path: string,
    read: (watcher: Watcher) => Effect.Effect<A | undefined, ZooKeeperError>,
    same: (a: A, b: A) => boolean
  ): Stream.Stream<A, ZooKeeperError> => {
    interface Step {
      readonly last: Option.Option<A>
      readonly wait: Effect.Effect<void> | undefined
    }
    return Stream.unfold<Step, A, ZooKeeperError, never>({ last: Option.none(), wait: undefined }, (step) =>
      Effect.gen(function* () {
        let wait = step.wait
        for (;;) {
          if (wait !== undefined) yield* wait
          if (tracker.state === "closed") {
            return yield* new ZooKeeperError({ code: "CONNECTION_LOSS", operation, path, reason: "client closed" })
          }
          // armed before the read, so a new session that starts while it is in flight is not missed
          const notified = Deferred.makeUnsafe<void>()
          const wake = (): void => {
            Deferred.doneUnsafe(notified, Effect.void)
          }
          const unregister = tracker.onRenew(wake)
          const next = Deferred.await(notified).pipe(Effect.ensuring(Effect.sync(unregister)))
          const result = yield* Effect.result(read(wake))
          if (result._tag === "Failure") {
            unregister()
            if (!result.failure.isConnectionError) return yield* result.failure
            yield* waitUntilConnected(operation, path)
            wait = undefined
            continue
          }
          const value = result.success
          if (value === undefined) {
            unregister()
            wait = undefined
            continue
          }
          if (Option.isSome(step.last) && same(step.last.value, value)) {
            wait = next
            continue
          }
          return [value, { last: Option.some(value), wait: next }] as const
        }
      })
    )
  }

  const sameNode = (a: Option.Option<NodeData>, b: Option.Option<NodeData>): boolean =>
    Option.isNone(a) || Option.isNone(b)
      ? Option.isNone(a) && Option.isNone(b)
      : a.value.stat.czxid === b.value.stat.czxid && a.value.stat.mzxid === b.value.stat.mzxid

  const watchData = (path: string): Stream.Stream<Option.Option<NodeData>, ZooKeeperError> =>
    watchLoop(
      "watchData",
      path,
      (watcher) =>
        getDataWith(path, watcher).pipe(
          Effect.map(Option.some),
          Effect.catchIf(
            (error) => error.code === "NO_NODE",
            () =>
              existsWith(path, watcher).pipe(
                Effect.map((stat) => (stat === null ? Option.none<NodeData>() : undefined))
              )
          )
        ),
      sameNode
    )

  const watchChildren = (path: string): Stream.Stream<ReadonlyArray<string>, ZooKeeperError> =>
    watchLoop(
      "watchChildren",
      path,
      (watcher) =>
        getChildrenWith(path, watcher).pipe(
          Effect.catchIf(
            (error) => error.code === "NO_NODE",
            () => existsWith(path, watcher).pipe(Effect.map((stat) => (stat === null ? [] : undefined)))
          )
        ),
      (a, b) => a.length === b.length && a.every((child, i) => child === b[i])
    )

  return ZooKeeperClient.of({
    connectString,
    state: Effect.sync(() => tracker.state),
    stateChanges,
    session: Effect.sync(() =>
      tracker.state === "connected" || tracker.state === "disconnected"
        ? Option.some({ id: tracker.sessionId, timeoutMs: tracker.timeoutMs, generation: tracker.generation })
        : Option.none()
    ),
    exists,
    getData,
    getChildren,
    create,
    setData,
    remove,
    mkdirp,
    removeRecursive,
    watchData,
    watchChildren
  })
})
