/**
 * The two sides of a migration: a ZooKeeper client per side (the shared client of
 * `@orchestrator/core/zookeeper`) and the subtree root each side migrates.
 *
 * @since 0.1.0
 */
import { Acl, make, type ZooKeeperClient, type ZooKeeperError } from "@orchestrator/core/zookeeper"
import { Context, Effect, Layer, Schedule, type Scope } from "effect"
import * as ConnectString from "./ConnectString.js"
import { AccessDenied, type InvalidConnectString, Unreachable, ZooKeeperFailed } from "./Errors.js"
import { normalizeRoot } from "./ZNode.js"

/**
 * Which side: the ensemble data moves from, or the one it moves to.
 *
 * @since 0.1.0
 * @category models
 */
export type SideName = "source" | "target"

/**
 * How to reach one side.
 *
 * @since 0.1.0
 * @category models
 */
export interface SideConfig {
  /** `host:port[,host:port...][/chroot]`. */
  readonly connectString: string
  /** The subtree to migrate on this side (default `/`). */
  readonly path?: string
  /** Credentials for `addauth`, e.g. `[{ scheme: "digest", auth: "super:secret" }]`. */
  readonly auth?: ReadonlyArray<Acl.AuthInfo>
  /** Requested session timeout (default 10,000 ms). */
  readonly sessionTimeoutMs?: number
  /** How long to wait for the first session (default 10,000 ms). */
  readonly connectTimeoutMs?: number
}

/**
 * One connected side.
 *
 * @since 0.1.0
 * @category models
 */
export interface Side {
  readonly name: SideName
  readonly client: ZooKeeperClient["Service"]
  /** The absolute path of the migrated root on this side. */
  readonly root: string
  readonly connectString: string
  /** The digest ids this side authenticates as (to know which ACLs let it write). */
  readonly identities: ReadonlyArray<string>
}

/**
 * Both sides of a migration.
 *
 * **When to use**: provide `Endpoints.layer({ source, target })` to the Copier, Verifier, SyncEngine and
 * Migration; it connects both sides and closes them with the layer.
 *
 * @since 0.1.0
 * @category services
 */
export class Endpoints extends Context.Service<Endpoints, { readonly source: Side; readonly target: Side }>()(
  "@orchestrator/zk-migrate/Endpoints"
) {
  /**
   * Parses both connection strings and connects both sides.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (config: {
    readonly source: SideConfig
    readonly target: SideConfig
  }): Layer.Layer<Endpoints, InvalidConnectString | Unreachable> =>
    Layer.effect(
      Endpoints,
      Effect.gen(function* () {
        const [source, target] = yield* Effect.all(
          [connect("source", config.source), connect("target", config.target)],
          {
            concurrency: 2
          }
        )
        return { source, target }
      })
    )
}

const digestIdentity = (auth: string): string | undefined => {
  const colon = auth.indexOf(":")
  return colon < 0 ? undefined : Acl.digestId(auth.slice(0, colon), auth.slice(colon + 1))
}

/**
 * Connects one side (scoped: the client closes with the scope).
 *
 * @since 0.1.0
 * @category constructors
 */
export const connect: (
  name: SideName,
  config: SideConfig
) => Effect.Effect<Side, InvalidConnectString | Unreachable, Scope.Scope> = Effect.fn("Endpoints.connect")(function* (
  name: SideName,
  config: SideConfig
) {
  const parsed = yield* ConnectString.parse(config.connectString)
  const client = yield* make({
    connectString: parsed.text,
    sessionTimeoutMs: config.sessionTimeoutMs ?? 10_000,
    connectTimeoutMs: config.connectTimeoutMs ?? 10_000,
    auth: config.auth ?? []
  }).pipe(Effect.mapError((error) => new Unreachable({ side: name, connectString: parsed.text, reason: error.reason })))
  const identities = (config.auth ?? [])
    .filter((info) => info.scheme === "digest")
    .flatMap((info) => {
      const id = digestIdentity(info.auth)
      return id === undefined ? [] : [id]
    })
  return {
    name,
    client,
    root: normalizeRoot(config.path ?? "/"),
    connectString: parsed.text,
    identities
  } satisfies Side
})

/**
 * Maps a client error to this package's: `NO_AUTH` becomes {@link AccessDenied}, the rest
 * {@link ZooKeeperFailed}.
 *
 * @since 0.1.0
 * @category errors
 */
export const fromZooKeeper =
  (side: SideName) =>
  (error: ZooKeeperError): AccessDenied | ZooKeeperFailed =>
    error.code === "NO_AUTH"
      ? new AccessDenied({ side, path: error.path, operation: error.operation })
      : new ZooKeeperFailed({
          side,
          operation: error.operation,
          path: error.path,
          code: error.code,
          reason: error.reason
        })

/**
 * Retries a call while the failure is about the connection (the server restarts, the session moves), up to
 * about `limitMs` (default two minutes): the engine rides out a server restart instead of failing.
 *
 * @since 0.1.0
 * @category utils
 */
export const retryConnection = <A, R>(
  effect: Effect.Effect<A, ZooKeeperError, R>,
  limitMs = 120_000
): Effect.Effect<A, ZooKeeperError, R> =>
  // the sync calls this twice per change and almost every call succeeds: the retry machinery (schedule
  // state per call, a tenth of the sync's garbage in bench:zk) is entered only after a connection error
  effect.pipe(
    Effect.catchIf(isConnectionError, () =>
      Effect.sleep("20 millis").pipe(
        Effect.andThen(effect),
        Effect.retry({
          schedule: reconnectSchedule,
          while: isConnectionError,
          times: Math.max(1, Math.ceil(limitMs / 1_000))
        })
      )
    )
  )

const reconnectSchedule = Schedule.min([Schedule.exponential("20 millis", 2), Schedule.spaced("1 second")]).pipe(
  Schedule.jittered
)
const isConnectionError = (error: ZooKeeperError): boolean => error.isConnectionError
