/**
 * The framework API for schedulers in other processes: register, take offers, accept or decline them, follow
 * task states and reconcile, over the master's REST API, always at the current leader (given by URL, or read
 * from ZooKeeper; a `NotLeader` answer redirects, a lost leader is waited for).
 *
 * @since 0.1.0
 */
import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
import { Context, Effect, Layer, Option, Schedule, Schema, Stream, SubscriptionRef } from "effect"
import { RemoteError } from "../ClusterError.js"
import * as LeaderDetector from "../election/LeaderDetector.js"
import { requestJson } from "../http/HttpClient.js"
import {
  type AcceptOffer,
  type DeclineOffer,
  FrameworkInfo,
  type FrameworkRegistration,
  Offer,
  RoleConfig,
  StatusUpdates
} from "../Protocol.js"
import { TaskStatus } from "../Task.js"

/**
 * Options for {@link FrameworkClient.layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface FrameworkClientOptions {
  /** How long one call may take (long polls add their `waitMs`); default 10,000 ms. */
  readonly timeoutMs?: number
  /** Attempts per call when the leader moved or is unreachable; default 10 (200 ms apart). */
  readonly attempts?: number
}

/**
 * A client of the leading master's framework API.
 *
 * @since 0.1.0
 * @category services
 */
export class FrameworkClient extends Context.Service<
  FrameworkClient,
  {
    /** The master calls go to now. */
    readonly leader: Effect.Effect<Option.Option<string>>
    readonly register: (registration: FrameworkRegistration) => Effect.Effect<FrameworkInfo, RemoteError>
    readonly offers: (frameworkId: string, waitMs?: number) => Effect.Effect<ReadonlyArray<Offer>, RemoteError>
    readonly accept: (frameworkId: string, accept: AcceptOffer) => Effect.Effect<ReadonlyArray<TaskStatus>, RemoteError>
    readonly decline: (frameworkId: string, decline: DeclineOffer) => Effect.Effect<void, RemoteError>
    readonly updates: (frameworkId: string, after: number, waitMs?: number) => Effect.Effect<StatusUpdates, RemoteError>
    readonly reconcile: (
      frameworkId: string,
      taskIds?: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyArray<TaskStatus>, RemoteError>
    readonly kill: (taskId: string) => Effect.Effect<TaskStatus, RemoteError>
    readonly setRole: (role: string, config: RoleConfig) => Effect.Effect<RoleConfig, RemoteError>
  }
>()("@orchestrator/scheduler/cluster/FrameworkClient") {
  /**
   * A client of the master at `masterUrl`.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (
    options: FrameworkClientOptions & { readonly masterUrl: string }
  ): Layer.Layer<FrameworkClient> =>
    Layer.effect(FrameworkClient, make(options, Stream.succeed(Option.some(options.masterUrl))))

  /**
   * A client of the leader elected under the ZooKeeper znode `root`.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerZooKeeper = (
    options: FrameworkClientOptions & { readonly root: string }
  ): Layer.Layer<FrameworkClient, never, ZooKeeperClient> =>
    Layer.effect(
      FrameworkClient,
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        const leaders = LeaderDetector.leaderChanges(zk, `${options.root}/election`).pipe(
          Stream.map(Option.map((info) => info.url)),
          Stream.catchCause(() => Stream.succeed(Option.none<string>()))
        )
        return yield* make(options, leaders)
      })
    )
}

/**
 * Builds a client that follows the master URLs `leaders` emits. Scoped.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("FrameworkClient.make")(function* (
  options: FrameworkClientOptions,
  leaders: Stream.Stream<Option.Option<string>>
) {
  const timeoutMs = options.timeoutMs ?? 10_000
  const attempts = options.attempts ?? 10
  const leader = yield* SubscriptionRef.make(Option.none<string>())
  yield* leaders.pipe(
    Stream.runForEach((next) => SubscriptionRef.set(leader, next)),
    Effect.forkScoped
  )

  /** One call at the leader; a redirect or an unreachable leader is retried. */
  const call = <S extends Schema.Top & { readonly DecodingServices: never }>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
    waitMs = 0
  ): Effect.Effect<S["Type"], RemoteError> => {
    let redirect: string | undefined
    const once = Effect.gen(function* () {
      const current = redirect ?? Option.getOrUndefined(yield* SubscriptionRef.get(leader))
      if (current === undefined) return yield* new RemoteError({ url: path, reason: "no leading master known" })
      const answer = yield* requestJson(method, `${current}${path}`, body, timeoutMs + waitMs).pipe(
        Effect.tapError((error) =>
          Effect.sync(() => {
            redirect = error.error === "NotLeader" ? error.leader : undefined
          })
        )
      )
      return yield* Schema.decodeUnknownEffect(schema)(answer).pipe(
        Effect.mapError(
          (error) => new RemoteError({ url: `${current}${path}`, reason: `unexpected answer: ${error.message}` })
        )
      )
    })
    return once.pipe(
      Effect.retry({
        schedule: Schedule.spaced("200 millis"),
        times: attempts - 1,
        // only what another master (or a later try) can answer differently
        while: (error) => error.status === undefined || error.error === "NotLeader" || error.status === 503
      })
    )
  }

  const Ok = Schema.Unknown
  return FrameworkClient.of({
    leader: SubscriptionRef.get(leader),
    register: (registration) => call(FrameworkInfo, "POST", "/api/v1/frameworks", registration),
    offers: (frameworkId, waitMs = 0) =>
      call(Schema.Array(Offer), "GET", `/api/v1/frameworks/${frameworkId}/offers?wait=${waitMs}`, undefined, waitMs),
    accept: (frameworkId, accept) =>
      call(Schema.Array(TaskStatus), "POST", `/api/v1/frameworks/${frameworkId}/accept`, accept),
    decline: (frameworkId, decline) =>
      Effect.asVoid(call(Ok, "POST", `/api/v1/frameworks/${frameworkId}/decline`, decline)),
    updates: (frameworkId, after, waitMs = 0) =>
      call(
        StatusUpdates,
        "GET",
        `/api/v1/frameworks/${frameworkId}/updates?after=${after}&wait=${waitMs}`,
        undefined,
        waitMs
      ),
    reconcile: (frameworkId, taskIds) =>
      call(
        Schema.Array(TaskStatus),
        "POST",
        `/api/v1/frameworks/${frameworkId}/reconcile`,
        taskIds === undefined ? {} : { taskIds }
      ),
    kill: (taskId) => call(TaskStatus, "POST", `/api/v1/tasks/${encodeURIComponent(taskId)}/kill`),
    setRole: (role, config) => call(RoleConfig, "PUT", `/api/v1/roles/${encodeURIComponent(role)}`, config)
  })
})
