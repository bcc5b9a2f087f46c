/**
 * Leader election over ZooKeeper: each candidate creates an ephemeral sequential znode under the election path
 * and watches only its predecessor (no herd effect); the candidate with the lowest sequence number leads. A
 * candidate whose session expires (the shared client's own session timer says so even during a partition)
 * stops leading at once and enters again with a new session.
 *
 * @since 0.1.0
 */
import { ZooKeeperClient, type ZooKeeperError } from "@orchestrator/core/zookeeper"
import { Context, Effect, Layer, Option, Schedule, Stream, SubscriptionRef } from "effect"

/**
 * Options for {@link LeaderElection.layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ElectionOptions {
  /** The election's znode, e.g. `/orchestrator/scheduler/election`. */
  readonly path: string
  /** What this candidate publishes in its znode (the master's info, as JSON). */
  readonly data: string
}

/**
 * The name prefix of candidate znodes.
 *
 * @since 0.1.0
 * @category constants
 */
export const memberPrefix = "member-"

/**
 * The candidates in order (lowest sequence first) among an election node's children.
 *
 * @since 0.1.0
 * @category getters
 */
export const candidates = (children: ReadonlyArray<string>): ReadonlyArray<string> =>
  children
    .filter((child) => child.startsWith(memberPrefix))
    .sort((a, b) => Number(a.slice(memberPrefix.length)) - Number(b.slice(memberPrefix.length)))

/**
 * This process's candidacy.
 *
 * **When to use**: one per master; read `isLeader` before acting as leader and follow `leadership` to start
 * and stop leader duties.
 *
 * **Gotchas**: leadership is lost when the session expires, not on a short disconnect; while disconnected a
 * leader keeps leading (no other candidate can win before the session expires on the servers).
 *
 * @since 0.1.0
 * @category services
 */
export class LeaderElection extends Context.Service<
  LeaderElection,
  {
    readonly isLeader: Effect.Effect<boolean>
    /** The current leadership first, then every change. */
    readonly leadership: Stream.Stream<boolean>
    /** The path of this candidate's znode, while it has one. */
    readonly node: Effect.Effect<Option.Option<string>>
  }
>()("@orchestrator/scheduler/cluster/LeaderElection") {
  /**
   * Enters the election while the layer is alive; leaving (scope close) deletes the candidate's znode so the
   * next candidate leads at once.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (options: ElectionOptions): Layer.Layer<LeaderElection, never, ZooKeeperClient> =>
    Layer.effect(LeaderElection, make(options))
}

/**
 * Builds the service and starts campaigning (scoped).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("LeaderElection.make")(function* (options: ElectionOptions) {
  const zk = yield* ZooKeeperClient
  const leading = yield* SubscriptionRef.make(false)
  let myNode: string | undefined

  const sessionLost = zk.stateChanges.pipe(
    Stream.filter((state) => state === "expired" || state === "closed"),
    Stream.runHead,
    Effect.asVoid
  )
  const connected = zk.stateChanges.pipe(
    Stream.filter((state) => state === "connected"),
    Stream.runHead,
    Effect.asVoid
  )

  /** One candidacy, for one session: returns only by failing (the race with `sessionLost` ends it). */
  const campaign: Effect.Effect<never, ZooKeeperError> = Effect.gen(function* () {
    yield* zk.mkdirp(options.path)
    const created = yield* zk.create(`${options.path}/${memberPrefix}`, options.data, { mode: "ephemeralSequential" })
    myNode = created
    const me = created.slice(created.lastIndexOf("/") + 1)
    for (;;) {
      const order = candidates(yield* zk.getChildren(options.path))
      const at = order.indexOf(me)
      if (at < 0) {
        // our node is gone (a new session, or someone deleted it): enter again
        myNode = undefined
        return yield* Effect.die(new Error("candidate znode vanished"))
      }
      if (at === 0) {
        yield* SubscriptionRef.set(leading, true)
        yield* Effect.logInfo("leading").pipe(Effect.annotateLogs({ node: created }))
        // watch our own node: if it goes away while the session lives, stop leading and enter again
        yield* zk.watchData(created).pipe(Stream.filter(Option.isNone), Stream.runHead)
        yield* SubscriptionRef.set(leading, false)
        myNode = undefined
        return yield* Effect.die(new Error("leader znode vanished"))
      }
      const predecessor = `${options.path}/${order[at - 1]}`
      yield* zk.watchData(predecessor).pipe(Stream.filter(Option.isNone), Stream.runHead)
    }
  })

  yield* Effect.gen(function* () {
    yield* connected
    yield* Effect.raceFirst(Effect.exit(campaign), sessionLost)
  }).pipe(
    Effect.ensuring(SubscriptionRef.set(leading, false)),
    Effect.catchCause((cause) => Effect.logDebug("election round ended", cause)),
    Effect.repeat(Schedule.spaced("50 millis")),
    Effect.forkScoped
  )

  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      yield* SubscriptionRef.set(leading, false)
      if (myNode !== undefined) yield* zk.remove(myNode).pipe(Effect.timeout("2 seconds"), Effect.ignore)
    })
  )

  return LeaderElection.of({
    isLeader: SubscriptionRef.get(leading),
    leadership: SubscriptionRef.changes(leading),
    node: Effect.sync(() => Option.fromNullishOr(myNode))
  })
})
