/**
 * The master: agents register with it and heartbeat, frameworks register in roles and take offers the DRF
 * allocator makes, the master launches their tasks on agents and tracks task states. With ZooKeeper, several
 * masters elect a leader; only the leader acts, the others answer `NotLeader` with the leader's URL, and
 * frameworks and role settings live in ZooKeeper so that a new leader starts where the old one stopped.
 *
 * @since 0.1.0
 */
import { hostname as osHostname } from "node:os"
import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
import {
  Context,
  Deferred,
  Effect,
  Layer,
  Option,
  PubSub,
  Queue,
  Result,
  Schedule,
  Scope,
  Stream,
  SubscriptionRef
} from "effect"
import type { AllocatorOptions } from "../../allocator/index.js"
import { NotFound, NotLeader, type RequestError, Unavailable } from "../ClusterError.js"
import * as LeaderDetector from "../election/LeaderDetector.js"
import * as LeaderElection from "../election/LeaderElection.js"
import { requestJson } from "../http/HttpClient.js"
import * as HttpServer from "../http/HttpServer.js"
import { urlHost } from "../http/urlHost.js"
import type {
  AcceptOffer,
  AgentRegistration,
  AgentView,
  DeclineOffer,
  FrameworkInfo,
  FrameworkRegistration,
  MasterInfo,
  Offer,
  Reservation,
  RoleConfig
} from "../Protocol.js"
import { isTerminal, type TaskStatus } from "../Task.js"
import * as MasterStore from "./MasterStore.js"
import { type Launch, MasterState } from "./MasterState.js"
import * as Metrics from "./metrics.js"
import { masterRoutes } from "./routes.js"

/**
 * Options for {@link Master.layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface MasterOptions {
  /** Address to listen on; default `0.0.0.0`. */
  readonly host?: string
  /** Port; default 5050 (0: a free port). */
  readonly port?: number
  /** This master's name in its URL and election data; default the OS hostname. */
  readonly hostname?: string
  /** The URL agents and frameworks use; default `http://<host or hostname>:<port>`. */
  readonly advertiseUrl?: string
  /** An id for logs, offer ids and framework ids; default `<hostname>-<pid>`. */
  readonly masterId?: string
  /** Time between allocation cycles (changes also trigger one); default 1,000 ms. */
  readonly allocationIntervalMs?: number
  /** An agent without a heartbeat for this long is lost (its tasks too); default 15,000 ms. */
  readonly agentTimeoutMs?: number
  /** An offer neither accepted nor declined within this is rescinded; default 60,000 ms. */
  readonly offerTimeoutMs?: number
  /** Options of the DRF allocator. */
  readonly allocator?: AllocatorOptions
}

/**
 * ZooKeeper settings of a highly available master.
 *
 * @since 0.1.0
 * @category models
 */
export interface HaOptions {
  /** The root znode, e.g. `/orchestrator/scheduler`: `election/` and `state/` live below it. */
  readonly root: string
}

/**
 * The master, as an Effect API (the REST API calls the same methods).
 *
 * **When to use**: frameworks in the same process (the app scheduler) call these methods directly; others use
 * the REST API. Every method fails with `NotLeader` on a master that does not lead.
 *
 * @since 0.1.0
 * @category services
 */
export class Master extends Context.Service<
  Master,
  {
    readonly info: MasterInfo
    /** The bound port (useful with `port: 0`). */
    readonly port: number
    readonly isLeader: Effect.Effect<boolean>
    readonly leadership: Stream.Stream<boolean>
    /** The leading master's URL, as far as this master knows. */
    readonly leaderUrl: Effect.Effect<Option.Option<string>>
    readonly registerAgent: (registration: AgentRegistration) => Effect.Effect<AgentView, RequestError>
    readonly heartbeat: (agentId: string) => Effect.Effect<void, RequestError>
    readonly statusUpdate: (agentId: string, status: TaskStatus) => Effect.Effect<void, RequestError>
    readonly agents: Effect.Effect<ReadonlyArray<AgentView>, RequestError>
    readonly agent: (agentId: string) => Effect.Effect<AgentView, RequestError>
    readonly registerFramework: (registration: FrameworkRegistration) => Effect.Effect<FrameworkInfo, RequestError>
    readonly removeFramework: (frameworkId: string) => Effect.Effect<void, RequestError>
    readonly frameworks: Effect.Effect<ReadonlyArray<FrameworkInfo>, RequestError>
    /** Outstanding offers of a framework (all, without one); waits up to `waitMs` for one when there is none. */
    readonly offers: (
      frameworkId: string | undefined,
      waitMs?: number
    ) => Effect.Effect<ReadonlyArray<Offer>, RequestError>
    readonly accept: (
      frameworkId: string,
      accept: AcceptOffer
    ) => Effect.Effect<ReadonlyArray<TaskStatus>, RequestError>
    readonly decline: (frameworkId: string, decline: DeclineOffer) => Effect.Effect<void, RequestError>
    readonly suppress: (frameworkId: string, suppressed: boolean) => Effect.Effect<void, RequestError>
    readonly setRole: (role: string, config: RoleConfig) => Effect.Effect<RoleConfig, RequestError>
    /** Dynamically reserves free resources of an agent for a role (stored; survives a failover). */
    readonly reserve: (
      agentId: string,
      reservation: Reservation
    ) => Effect.Effect<ReadonlyArray<Reservation>, RequestError>
    /** Releases (part of) a dynamic reservation that no task uses. */
    readonly unreserve: (
      agentId: string,
      reservation: Reservation
    ) => Effect.Effect<ReadonlyArray<Reservation>, RequestError>
    readonly reservations: Effect.Effect<
      ReadonlyArray<{ readonly agentId: string; readonly reservations: ReadonlyArray<Reservation> }>,
      RequestError
    >
    readonly roles: Effect.Effect<ReadonlyArray<RoleConfig & { readonly role: string }>, RequestError>
    readonly tasks: (frameworkId?: string) => Effect.Effect<ReadonlyArray<TaskStatus>, RequestError>
    readonly task: (taskId: string) => Effect.Effect<TaskStatus, RequestError>
    readonly kill: (taskId: string) => Effect.Effect<TaskStatus, RequestError>
    readonly reconcile: (
      frameworkId: string,
      taskIds?: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyArray<TaskStatus>, RequestError>
    /**
     * Status changes of the framework's tasks after sequence number `after`, waiting up to `waitMs` for one;
     * ask again with the returned `seq`. A new leader starts a new sequence (reconcile after a failover).
     */
    readonly updates: (
      frameworkId: string,
      after: number,
      waitMs?: number
    ) => Effect.Effect<{ readonly seq: number; readonly updates: ReadonlyArray<TaskStatus> }, RequestError>
    /** Prometheus text: the master's own metrics, then each source added with `addMetrics`. */
    readonly metrics: Effect.Effect<string>
    /**
     * Serves more routes on the master's HTTP server (the app scheduler's `/v2` API), until `scope` closes.
     * The master's own routes win on equal paths.
     */
    readonly mount: (extra: ReadonlyArray<HttpServer.Route>) => Effect.Effect<void, never, Scope.Scope>
    /** Appends a source of Prometheus text to `/metrics`, until the calling scope closes. */
    readonly addMetrics: (source: Effect.Effect<string>) => Effect.Effect<void, never, Scope.Scope>
  }
>()("@orchestrator/scheduler/cluster/Master") {
  /**
   * A single master that always leads (nothing survives its restart but what agents report).
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (options: MasterOptions = {}): Layer.Layer<Master, HttpServer.ListenError> =>
    Layer.effect(Master, make(options, undefined))

  /**
   * A master in a highly available group: it campaigns in ZooKeeper under `ha.root` and leads when elected.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerZooKeeper = (
    options: MasterOptions & HaOptions
  ): Layer.Layer<Master, HttpServer.ListenError, ZooKeeperClient> =>
    Layer.effect(
      Master,
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        return yield* make(options, { zk, root: options.root })
      })
    )
}

const fromResult = <A, E>(result: Result.Result<A, E>): Effect.Effect<A, E> =>
  Result.isSuccess(result) ? Effect.succeed(result.success) : Effect.fail(result.failure)

/**
 * Builds a master: serves its REST API, campaigns (with ZooKeeper) or leads at once (without), and runs the
 * allocation loop while it leads. Scoped.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("Master.make")(function* (
  options: MasterOptions,
  ha: { readonly zk: ZooKeeperClient["Service"]; readonly root: string } | undefined
) {
  const scope = yield* Scope.Scope
  const hostname = options.hostname ?? osHostname()
  const masterId = options.masterId ?? `${hostname}-${process.pid}`.replace(/[^A-Za-z0-9_.-]/g, "-")
  const allocationIntervalMs = options.allocationIntervalMs ?? 1_000
  const agentTimeoutMs = options.agentTimeoutMs ?? 15_000
  const offerTimeoutMs = options.offerTimeoutMs ?? 60_000
  const store = ha === undefined ? MasterStore.memory() : MasterStore.zookeeper(ha.zk, `${ha.root}/state`)

  let state: MasterState | undefined
  const kick = yield* Queue.sliding<void>(1)
  const offerVersion = yield* SubscriptionRef.make(0)
  const leaderUrlRef = yield* SubscriptionRef.make(Option.none<string>())
  const statusChanged = yield* PubSub.sliding<void>(1)
  /** Completed the first time this master leads (a single master waits for it before serving). */
  const ready = yield* Deferred.make<void>()

  const leading = Effect.suspend(() =>
    state === undefined
      ? Effect.flatMap(SubscriptionRef.get(leaderUrlRef), (url) =>
          Effect.fail(new NotLeader(Option.isSome(url) && url.value !== info.url ? { leader: url.value } : {}))
        )
      : Effect.succeed(state)
  )
  const withState = <A, E>(f: (state: MasterState, now: number) => Result.Result<A, E>) =>
    Effect.flatMap(leading, (s) => fromResult(f(s, Date.now())))
  const wake = Queue.offer(kick, undefined).pipe(Effect.asVoid)
  const persist = <A>(effect: Effect.Effect<A, unknown>) =>
    effect.pipe(
      Effect.mapError((error) => new Unavailable({ reason: error instanceof Error ? error.message : String(error) }))
    )

  // ---- the HTTP server first: the advertised URL carries the bound port ----
  const routes: Array<HttpServer.Route> = []
  const metricSources = new Set<Effect.Effect<string>>()
  const { port } = yield* HttpServer.serve({ host: options.host ?? "0.0.0.0", port: options.port ?? 5050, routes })
  const info: MasterInfo = {
    id: masterId,
    url: options.advertiseUrl ?? `http://${urlHost(options.host, hostname)}:${port}`,
    hostname,
    pid: process.pid
  }

  // ---- leader duties ----
  const allocationCycle = Effect.sync(() => {
    const s = state
    if (s === undefined) return 0
    const now = Date.now()
    s.expireAgents(now, agentTimeoutMs)
    s.expireOffers(now, offerTimeoutMs)
    return s.allocate(now).length
  }).pipe(Effect.flatMap((made) => (made > 0 ? SubscriptionRef.update(offerVersion, (v) => v + 1) : Effect.void)))

  const lead = Effect.gen(function* () {
    const stored = yield* store.load.pipe(
      Effect.tapError((error) => Effect.logWarning("cannot load the master state; retrying", error)),
      Effect.retry({ schedule: Schedule.spaced("250 millis"), times: 40 })
    )
    const fresh = new MasterState(masterId, options.allocator)
    fresh.onStatus = () => {
      PubSub.publishUnsafe(statusChanged, undefined)
    }
    for (const framework of stored.frameworks) fresh.registerFramework(framework, framework.registeredAt)
    for (const { role, config } of stored.roles) fresh.restoreRole(role, config)
    for (const { agentId, reservations } of stored.reservations) fresh.reservations.set(agentId, reservations)
    state = fresh
    yield* Deferred.succeed(ready, undefined)
    yield* SubscriptionRef.set(leaderUrlRef, Option.some(info.url))
    yield* Effect.logInfo("master leads").pipe(Effect.annotateLogs({ masterId, url: info.url }))
    for (;;) {
      yield* Effect.raceFirst(Queue.take(kick), Effect.sleep(allocationIntervalMs))
      yield* allocationCycle
    }
  }).pipe(
    Effect.ensuring(
      Effect.sync(() => {
        state = undefined
      })
    )
  )

  let leadership: Stream.Stream<boolean> = Stream.succeed(true)

  // ---- task I/O ----
  const sendLaunch = (launch: Launch) =>
    requestJson("POST", `${launch.agentUrl}/api/v1/tasks`, { frameworkId: launch.frameworkId, task: launch.task }).pipe(
      Effect.matchEffect({
        onFailure: (error) =>
          Effect.sync(() => {
            const current = state?.tasks.get(launch.task.taskId)?.status
            if (state === undefined || current === undefined || current.state !== "staging") return
            state.setStatus(
              launch.task.taskId,
              {
                ...current,
                state: error.status === undefined ? "lost" : "failed",
                message: `launch on agent ${launch.agentId} failed: ${error.message}`,
                updatedAt: Date.now()
              },
              false
            )
          }).pipe(Effect.andThen(wake)),
        onSuccess: () => Effect.void
      })
    )

  const registerAgent = Effect.fn("Master.registerAgent")(function* (registration: AgentRegistration) {
    const view = yield* withState((s, now) => s.registerAgent(registration, now))
    yield* wake
    return view
  })

  const statusUpdate = Effect.fn("Master.statusUpdate")(function* (agentId: string, status: TaskStatus) {
    yield* withState((s) => s.statusUpdate(agentId, status))
    if (isTerminal(status.state)) yield* wake
  })

  const registerFramework = Effect.fn("Master.registerFramework")(function* (registration: FrameworkRegistration) {
    const s = yield* leading
    const known = registration.frameworkId !== undefined && s.frameworks.has(registration.frameworkId)
    const framework = yield* fromResult(s.registerFramework(registration, Date.now()))
    if (!known) {
      yield* persist(store.saveFramework(framework)).pipe(
        Effect.tapError(() => Effect.sync(() => s.removeFramework(framework.frameworkId)))
      )
    }
    yield* wake
    return framework
  })

  const removeFramework = Effect.fn("Master.removeFramework")(function* (frameworkId: string) {
    const s = yield* leading
    yield* fromResult(s.framework(frameworkId))
    yield* persist(store.removeFramework(frameworkId))
    const tasks = yield* fromResult(s.removeFramework(frameworkId))
    yield* Effect.forEach(tasks, (task) => kill(task.taskId).pipe(Effect.ignore), { concurrency: 16, discard: true })
    yield* wake
  })

  const offers = Effect.fn("Master.offers")(function* (frameworkId: string | undefined, waitMs = 0) {
    const s = yield* leading
    if (frameworkId !== undefined) yield* fromResult(s.framework(frameworkId))
    const version = yield* SubscriptionRef.get(offerVersion)
    const now = s.offersFor(frameworkId)
    if (now.length > 0 || waitMs <= 0) return now
    yield* SubscriptionRef.changes(offerVersion).pipe(
      Stream.filter((v) => v > version),
      Stream.runHead,
      Effect.timeoutOption(Math.min(waitMs, 60_000))
    )
    return (yield* leading).offersFor(frameworkId)
  })

  const accept = Effect.fn("Master.accept")(function* (frameworkId: string, request: AcceptOffer) {
    const launches = yield* withState((s, now) => s.accept(frameworkId, request.offerId, request.tasks, now))
    yield* Effect.forEach(launches, (launch) => Effect.forkIn(sendLaunch(launch), scope), { discard: true })
    yield* wake
    const s = yield* leading
    return launches.map((launch) => s.tasks.get(launch.task.taskId)!.status)
  })

  const decline = Effect.fn("Master.decline")(function* (frameworkId: string, request: DeclineOffer) {
    yield* withState((s, now) => s.decline(frameworkId, request.offerId, request.refuseSeconds, now))
    yield* wake
  })

  const suppress = Effect.fn("Master.suppress")(function* (frameworkId: string, suppressed: boolean) {
    yield* withState((s) => s.suppress(frameworkId, suppressed))
    if (!suppressed) yield* wake
  })

  const setRole = Effect.fn("Master.setRole")(function* (role: string, config: RoleConfig) {
    const s = yield* leading
    const previous = s.roles.get(role)
    const next = yield* fromResult(s.setRole(role, config))
    yield* persist(store.saveRole(role, next)).pipe(
      Effect.tapError(() => Effect.sync(() => (previous === undefined ? undefined : s.setRole(role, previous))))
    )
    yield* wake
    return next
  })

  /** Changes an agent's reservations, stores them, and puts them back as they were if storing fails. */
  const changeReservation = (
    agentId: string,
    change: (s: MasterState) => Result.Result<ReadonlyArray<Reservation>, RequestError>,
    undo: (s: MasterState) => unknown
  ) =>
    Effect.gen(function* () {
      const s = yield* leading
      const list = yield* fromResult(change(s))
      yield* persist(store.saveReservations(agentId, list)).pipe(Effect.tapError(() => Effect.sync(() => undo(s))))
      yield* wake
      return list
    })

  const reserve = Effect.fn("Master.reserve")((agentId: string, reservation: Reservation) =>
    changeReservation(
      agentId,
      (s) => s.reserve(agentId, reservation),
      (s) => s.unreserve(agentId, reservation)
    )
  )

  const unreserve = Effect.fn("Master.unreserve")((agentId: string, reservation: Reservation) =>
    changeReservation(
      agentId,
      (s) => s.unreserve(agentId, reservation),
      (s) => s.reserve(agentId, reservation)
    )
  )

  const kill = Effect.fn("Master.kill")(function* (taskId: string): Effect.fn.Return<TaskStatus, RequestError> {
    const target = yield* withState((s) => s.killTarget(taskId))
    if (target.agentUrl === undefined) return target.status
    const answer = yield* requestJson(
      "POST",
      `${target.agentUrl}/api/v1/tasks/${encodeURIComponent(taskId)}/kill`
    ).pipe(Effect.result)
    const s = yield* leading
    if (Result.isFailure(answer) && answer.failure.status === 404 && !isTerminal(target.status.state)) {
      if (target.status.state !== "staging") {
        s.setStatus(
          taskId,
          { ...target.status, state: "lost", message: "the agent does not know the task", updatedAt: Date.now() },
          false
        )
      }
    } else if (Result.isFailure(answer)) {
      return yield* new Unavailable({
        reason: `cannot reach agent ${target.status.agentId}: ${answer.failure.message}`
      })
    }
    return s.tasks.get(taskId)?.status ?? target.status
  })

  const updates = Effect.fn("Master.updates")(function* (frameworkId: string, after: number, waitMs = 0) {
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const subscription = yield* PubSub.subscribe(statusChanged)
        const deadline = Date.now() + Math.min(waitMs, 60_000)
        for (;;) {
          const found = yield* withState((s) => s.updatesSince(frameworkId, after))
          const left = deadline - Date.now()
          if (found.updates.length > 0 || left <= 0) return found
          yield* PubSub.take(subscription).pipe(Effect.timeoutOption(left))
        }
      })
    )
  })

  const service = Master.of({
    info,
    port,
    isLeader: Effect.sync(() => state !== undefined),
    leadership: Stream.suspend(() => leadership),
    leaderUrl: SubscriptionRef.get(leaderUrlRef),
    registerAgent,
    heartbeat: (agentId) => withState((s, now) => s.heartbeat(agentId, now)),
    statusUpdate,
    agents: Effect.map(leading, (s) => [...s.agents.keys()].map((id) => s.agentView(id)!)),
    agent: (agentId) =>
      withState((s) => {
        const view = s.agentView(agentId)
        return view === undefined ? Result.fail(new NotFound({ kind: "agent", id: agentId })) : Result.succeed(view)
      }),
    registerFramework,
    removeFramework,
    frameworks: Effect.map(leading, (s) => [...s.frameworks.values()]),
    offers,
    accept,
    decline,
    suppress,
    setRole,
    reserve,
    unreserve,
    reservations: Effect.map(leading, (s) =>
      [...s.reservations].map(([agentId, reservations]) => ({ agentId, reservations }))
    ),
    roles: Effect.map(leading, (s) => [...s.roles].map(([role, config]) => ({ role, ...config }))),
    tasks: (frameworkId) => Effect.map(leading, (s) => s.taskList(frameworkId)),
    task: (taskId) => withState((s) => s.task(taskId)),
    kill,
    reconcile: (frameworkId, taskIds) => withState((s, now) => s.reconcile(frameworkId, taskIds, now)),
    updates,
    metrics: Effect.gen(function* () {
      const own = Metrics.render(state !== undefined, state)
      const extra = yield* Effect.forEach([...metricSources], (source) => source)
      return [own, ...extra].join("")
    }),
    mount: (extra) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          routes.push(...extra)
        }),
        () =>
          Effect.sync(() => {
            for (const r of extra) {
              const at = routes.indexOf(r)
              if (at >= 0) routes.splice(at, 1)
            }
          })
      ),
    addMetrics: (source) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          metricSources.add(source)
        }),
        () => Effect.sync(() => metricSources.delete(source))
      )
  })
  routes.push(...masterRoutes(service))

  // ---- campaign (or lead at once), now that the API answers ----
  if (ha === undefined) {
    yield* Effect.forkIn(lead, scope)
    yield* Deferred.await(ready)
  } else {
    const election = yield* LeaderElection.make({ path: `${ha.root}/election`, data: JSON.stringify(info) }).pipe(
      Effect.provideService(ZooKeeperClient, ha.zk)
    )
    leadership = election.leadership
    yield* election.leadership.pipe(
      Stream.changes,
      Stream.switchMap((isLeader) => (isLeader ? Stream.fromEffect(lead) : Stream.empty)),
      Stream.runDrain,
      Effect.catchCause((cause) => Effect.logError("leader duties stopped", cause)),
      Effect.forkIn(scope)
    )
    yield* LeaderDetector.leaderChanges(ha.zk, `${ha.root}/election`).pipe(
      Stream.runForEach((leader) =>
        SubscriptionRef.set(
          leaderUrlRef,
          Option.map(leader, (l) => l.url)
        )
      ),
      Effect.catchCause((cause) => Effect.logWarning("leader detection stopped", cause)),
      Effect.forkIn(scope)
    )
  }

  return service
})
