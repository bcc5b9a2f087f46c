/**
 * The shared ZooKeeper client: typed Effect calls over node-zookeeper-client, watches as Streams, and a
 * session tracker that reports expiry even when no server can tell us (see `SessionState`).
 *
 * @since 0.1.0
 */
import { Context, Deferred, Effect, Layer, Option, PubSub, Schema, Stream } from "effect"
import type { Acl, AuthInfo } from "./Acl.js"
import { CreateModes, type DriverClient, type DriverStat, int64, load } from "./internal/driver.js"
import { type ReadManyOptions, type ReadNode, readMany as readManyRaw, type WatchSlot } from "./internal/pipeline.js"
import { fromDriverAcl, multiRequest, opResults, toDriverAcl } from "./internal/requests.js"
import { SessionTracker } from "./internal/SessionTracker.js"
import type { Session, SessionState } from "./Session.js"
import type { Op, OpResult } from "./Op.js"
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
  /** Credentials presented on every session (`addauth`), e.g. `[{ scheme: "digest", auth: "user:pw" }]`. */
  readonly auth?: ReadonlyArray<AuthInfo>
}

/**
 * A read that left a one-shot watch: `changed` completes when the server reports a change of what was read,
 * or when the session is replaced (watches of an expired session are lost, so read again).
 *
 * @since 0.1.0
 * @category models
 */
export interface Watched<A> {
  readonly value: A
  readonly changed: Effect.Effect<void>
  /**
   * Calls `listener` once, when `changed` completes (at once if it already has). For code that keeps very
   * many watches (one per znode) without a fiber per watch.
   */
  readonly onChange: (listener: () => void) => void
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
      options?: { readonly mode?: CreateMode; readonly acl?: Acl }
    ) => Effect.Effect<string, ZooKeeperError>
    /** The node's ACL and stat. */
    readonly getACL: (path: string) => Effect.Effect<{ readonly acl: Acl; readonly stat: Stat }, ZooKeeperError>
    /** Replaces the node's ACL if the ACL version `version` matches (`-1`, the default, matches any). */
    readonly setACL: (path: string, acl: Acl, version?: number) => Effect.Effect<Stat, ZooKeeperError>
    /**
     * Applies the operations atomically, in order (one transaction, one round trip). On failure the error's
     * `path` names the first operation that failed and `reason` its index. Keep the total under the
     * server's `jute.maxbuffer` (see `Op.wireSize`).
     */
    readonly multi: (ops: ReadonlyArray<Op>) => Effect.Effect<ReadonlyArray<OpResult>, ZooKeeperError>
    /**
     * Reads many nodes at once (data, stat, ACL, child names), pipelined on the connection with up to
     * `inFlight` requests outstanding and no fiber per request: the way to read large trees. A missing node
     * reads as `undefined`; the first other failure fails the whole call (reads are safe to retry).
     */
    readonly readMany: (
      paths: ReadonlyArray<string>,
      options?: ReadManyOptions
    ) => Effect.Effect<ReadonlyArray<ReadNode | undefined>, ZooKeeperError>
    /** Presents credentials now and on every later session (`addauth`). */
    readonly addAuth: (info: AuthInfo) => Effect.Effect<void>
    /**
     * Reads the node and leaves a watch on it: `value` is `None` when it does not exist (then the watch
     * fires when it is created). One read, one watch: call again after `changed` to keep watching.
     */
    readonly getDataWatched: (path: string) => Effect.Effect<Watched<Option.Option<NodeData>>, ZooKeeperError>
    /**
     * Reads the child names (sorted) and leaves a child watch; `None` when the node does not exist (then an
     * existence watch fires when it is created).
     */
    readonly getChildrenWatched: (
      path: string
    ) => Effect.Effect<Watched<Option.Option<ReadonlyArray<string>>>, ZooKeeperError>
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

// a copy: the driver's buffer is a view into a whole socket read (up to 64 KB of other answers), which a
// kept znode would otherwise hold on to
const toBytes = (data: Buffer | null | undefined): Uint8Array =>
  data === null || data === undefined ? new Uint8Array(0) : new Uint8Array(data)

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
            reconnectOnExpiry: options.reconnectOnExpiry ?? true,
            auth: options.auth ?? []
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

  // the answer timeout is a plain timer inside the callback: a forked timeout fiber per call cost more
  // than the call itself when tens of thousands of requests are in flight
  const call = <A>(
    operation: string,
    path: string,
    f: (client: DriverClient, done: (error: unknown, value: A) => void) => void
  ): Effect.Effect<A, ZooKeeperError> =>
    Effect.callback<A, ZooKeeperError>((resume) => {
      const current = tracker.current()
      if (current === undefined) {
        const code = tracker.state === "closed" ? "CONNECTION_LOSS" : "SESSION_EXPIRED"
        const reason = tracker.state === "closed" ? "client closed" : "session expired"
        resume(Effect.fail(new ZooKeeperError({ code, operation, path, reason })))
        return
      }
      let settled = false
      const timer = setTimeout(() => {
        if (settled) return
        settled = true
        resume(
          Effect.fail(
            new ZooKeeperError({
              code: "OPERATION_TIMEOUT",
              operation,
              path,
              reason: `no answer within ${operationTimeoutMs} ms`
            })
          )
        )
      }, operationTimeoutMs)
      try {
        f(current.client, (error, value) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          if (error !== null && error !== undefined) {
            resume(Effect.fail(toError(error, operation, path)))
          } else {
            tracker.markHeard(current.generation, Date.now())
            resume(Effect.succeed(value))
          }
        })
      } catch (cause) {
        settled = true
        clearTimeout(timer)
        resume(Effect.fail(toError(cause, operation, path)))
      }
      return Effect.sync(() => {
        settled = true
        clearTimeout(timer)
      })
    })

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

  const exists = Effect.fnUntraced(function* (path: string) {
    const stat = yield* existsWith(path, undefined)
    return stat === null ? Option.none<Stat>() : Option.some(toStat(stat))
  })

  const getData = (path: string) => getDataWith(path, undefined)

  const getChildren = (path: string) => getChildrenWith(path, undefined)

  const create = (
    path: string,
    data?: Uint8Array | string,
    createOptions?: { readonly mode?: CreateMode; readonly acl?: Acl }
  ) =>
    call<string>("create", path, (client, done) =>
      client.create(
        path,
        data === undefined ? undefined : toBuffer(data),
        toDriverAcl(driver, createOptions?.acl),
        CreateModes[createOptions?.mode ?? "persistent"],
        (e, created) => done(e, created)
      )
    )

  const setData = (path: string, data: Uint8Array | string, version = -1) =>
    call<Stat>("setData", path, (client, done) =>
      client.setData(path, toBuffer(data), version, (e, stat) =>
        e ? done(e, undefined as never) : done(null, toStat(stat))
      )
    )

  const remove = (path: string, version = -1) =>
    call<void>("remove", path, (client, done) => client.remove(path, version, (e) => done(e, undefined)))

  const getACL = (path: string) =>
    call<{ readonly acl: Acl; readonly stat: Stat }>("getACL", path, (client, done) =>
      client.getACL(path, (e, acl, stat) =>
        e ? done(e, undefined as never) : done(null, { acl: fromDriverAcl(acl), stat: toStat(stat) })
      )
    )

  const setACL = (path: string, acl: Acl, version = -1) =>
    call<Stat>("setACL", path, (client, done) =>
      client.setACL(path, toDriverAcl(driver, acl), version, (e, stat) =>
        e ? done(e, undefined as never) : done(null, toStat(stat))
      )
    )

  const multi = Effect.fn("ZooKeeperClient.multi")((ops: ReadonlyArray<Op>) =>
    Effect.suspend(() => {
      if (ops.length === 0) return Effect.succeed<ReadonlyArray<OpResult>>([])
      let failed = -1
      return call<ReadonlyArray<OpResult>>("multi", ops[0]?.path ?? "/", (client, done) =>
        multiRequest(driver, client, ops, toBuffer, (e, results, index) => {
          failed = index
          if (e) done(e, undefined as never)
          else done(null, opResults(ops, results, toStat))
        })
      ).pipe(
        Effect.mapError((error) =>
          failed < 0
            ? error
            : new ZooKeeperError({
                code: error.code,
                operation: `multi:${ops[failed]?._tag ?? "op"}`,
                path: ops[failed]?.path ?? error.path,
                reason: `operation ${failed} of ${ops.length}`
              })
        )
      )
    })
  )

  const readMany = (
    paths: ReadonlyArray<string>,
    readOptions: ReadManyOptions = {}
  ): Effect.Effect<ReadonlyArray<ReadNode | undefined>, ZooKeeperError> =>
    Effect.callback<ReadonlyArray<ReadNode | undefined>, ZooKeeperError>((resume) => {
      const current = tracker.current()
      if (current === undefined) {
        resume(
          Effect.fail(
            new ZooKeeperError({
              code: "SESSION_EXPIRED",
              operation: "readMany",
              path: paths[0] ?? "/",
              reason: "no session"
            })
          )
        )
        return
      }
      // no answer at all for operationTimeoutMs fails the batch; answers keep it alive
      let lastAnswer = Date.now()
      const heard = (): void => {
        lastAnswer = Date.now()
        tracker.markHeard(current.generation, lastAnswer)
      }
      let settled = false
      const watchdog = setInterval(
        () => {
          if (settled || Date.now() - lastAnswer < operationTimeoutMs) return
          settled = true
          clearInterval(watchdog)
          cancel()
          resume(
            Effect.fail(
              new ZooKeeperError({
                code: "OPERATION_TIMEOUT",
                operation: "readMany",
                path: paths[0] ?? "/",
                reason: `no answer within ${operationTimeoutMs} ms`
              })
            )
          )
        },
        Math.min(operationTimeoutMs, 1_000)
      )
      const cancel = readManyRaw(
        current.client,
        paths,
        readOptions,
        { toStat, toBytes, fromAcl: fromDriverAcl, heard, slot: watchSlot },
        (error, path, results) => {
          if (settled) return
          settled = true
          clearInterval(watchdog)
          resume(error ? Effect.fail(toError(error, "readMany", path)) : Effect.succeed(results))
        }
      )
      return Effect.sync(() => {
        settled = true
        clearInterval(watchdog)
        cancel()
      })
    })

  const addAuth = (info: AuthInfo): Effect.Effect<void> =>
    Effect.sync(() => {
      tracker.addAuth(info)
    })

  const watchSlot = (): WatchSlot => {
    let fired = false
    const listeners: Array<() => void> = []
    const watcher = (): void => {
      if (fired) return
      fired = true
      unregister()
      for (const listener of listeners.splice(0)) listener()
    }
    const unregister = tracker.onRenew(watcher)
    return {
      watcher,
      onChange: (listener) => {
        if (fired) listener()
        else listeners.push(listener)
      },
      cancel: unregister
    }
  }

  /** One read that leaves a one-shot watch (see {@link Watched}). */
  const armed = <A>(
    read: (watcher: Watcher) => Effect.Effect<A, ZooKeeperError>
  ): Effect.Effect<Watched<A>, ZooKeeperError> =>
    Effect.suspend(() => {
      const slot = watchSlot()
      const changed = Effect.callback<void>((resume) => {
        slot.onChange(() => resume(Effect.void))
      })
      return read(slot.watcher).pipe(
        Effect.map((value): Watched<A> => ({ value, changed, onChange: slot.onChange })),
        Effect.tapError(() => Effect.sync(slot.cancel))
      )
    })

  /** A watched read; on a missing node an existence watch instead, which fires when it is created. */
  const readOrExists = <A>(
    path: string,
    read: (watcher: Watcher | undefined) => Effect.Effect<A, ZooKeeperError>
  ): Effect.Effect<Watched<Option.Option<A>>, ZooKeeperError> =>
    armed((watcher) =>
      read(watcher).pipe(
        Effect.map(Option.some),
        Effect.catchIf(
          (error) => error.code === "NO_NODE",
          () =>
            existsWith(path, watcher).pipe(
              Effect.flatMap((stat) =>
                stat === null
                  ? Effect.succeed(Option.none<A>())
                  : // created between the two calls: the exists watch fires on its next change, read it now
                    read(undefined).pipe(Effect.map(Option.some))
              )
            )
        )
      )
    )

  const getDataWatched = (path: string) => readOrExists(path, (watcher) => getDataWith(path, watcher))

  const getChildrenWatched = (path: string) => readOrExists(path, (watcher) => getChildrenWith(path, watcher))

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
    getACL,
    setACL,
    multi,
    readMany,
    addAuth,
    getDataWatched,
    getChildrenWatched,
    mkdirp,
    removeRecursive,
    watchData,
    watchChildren
  })
})
