/**
 * The agent: runs on each machine, registers its resources (declared or detected), hostname and attributes
 * with the leading master, heartbeats, launches and kills tasks through the Docker containerizer and
 * forwards their states. After its own restart it finds its containers again and reports them, so the master
 * reconciles instead of losing the tasks; after a master failover it registers with the new leader.
 *
 * @since 0.1.0
 */
import { hostname as osHostname } from "node:os"
import type { DockerClient } from "@orchestrator/core/docker"
import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
import { Context, Effect, Layer, Option, Queue, Scope, Stream, SubscriptionRef } from "effect"
import { Conflict, NotFound, type RequestError, Unavailable } from "../ClusterError.js"
import * as DockerContainerizer from "../containerizer/DockerContainerizer.js"
import * as LeaderDetector from "../election/LeaderDetector.js"
import { requestJson } from "../http/HttpClient.js"
import * as HttpServer from "../http/HttpServer.js"
import { urlHost } from "../http/urlHost.js"
import type { AgentRegistration, ExecRequest, ExecResult, LaunchTask } from "../Protocol.js"
import type { Resources } from "../Resources.js"
import { isTerminal, type TaskStatus } from "../Task.js"
import { detectResources } from "./detect.js"
import { agentRoutes } from "./routes.js"

/**
 * Options for {@link Agent.layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentOptions {
  /** Stable across restarts (containers are found again by it); default the hostname. */
  readonly agentId?: string
  /** The host name the master and frameworks see; default the OS hostname. */
  readonly hostname?: string
  /** Address to listen on; default `0.0.0.0`. */
  readonly host?: string
  /** Port; default 5051 (0: a free port). */
  readonly port?: number
  /** The URL the master uses; default `http://<host or hostname>:<port>`. */
  readonly advertiseUrl?: string
  /** Declared attributes (`rack`, `zone`...), for frameworks' constraints. */
  readonly attributes?: Readonly<Record<string, string>>
  /** Declared resources; default: detected. */
  readonly resources?: Resources
  /** Where detected disk is measured; default `/`. */
  readonly workDir?: string
  /** Default 5,000 ms; keep it well below the master's agent timeout. */
  readonly heartbeatIntervalMs?: number
  /** Pids limit for tasks that set none. */
  readonly defaultPidsLimit?: number
  /** Seconds between SIGTERM and SIGKILL when a task whose spec sets no `killGraceSeconds` is killed; default 0. */
  readonly killGraceSeconds?: number
  /** The most one image pull may take; default 300,000 ms. */
  readonly pullTimeoutMs?: number
}

/**
 * The running agent.
 *
 * @since 0.1.0
 * @category services
 */
export class Agent extends Context.Service<
  Agent,
  {
    readonly agentId: string
    readonly url: string
    readonly port: number
    readonly resources: Resources
    /** Whether the current leader has accepted this agent's registration. */
    readonly registered: Effect.Effect<boolean>
    /** The master this agent follows. */
    readonly masterUrl: Effect.Effect<Option.Option<string>>
    readonly tasks: Effect.Effect<ReadonlyArray<TaskStatus>>
    readonly launch: (request: LaunchTask) => Effect.Effect<TaskStatus, RequestError>
    readonly kill: (taskId: string) => Effect.Effect<TaskStatus, RequestError>
    /** Runs a command in a running task's container (for command health checks); see `DockerContainerizer.exec`. */
    readonly exec: (taskId: string, request: ExecRequest) => Effect.Effect<ExecResult, RequestError>
  }
>()("@orchestrator/scheduler/cluster/Agent") {
  /**
   * An agent reporting to the master at `masterUrl`.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (
    options: AgentOptions & { readonly masterUrl: string }
  ): Layer.Layer<Agent, HttpServer.ListenError, DockerClient> =>
    Layer.effect(Agent, make(options, Stream.succeed(Option.some(options.masterUrl))))

  /**
   * An agent that follows the leading master elected under the ZooKeeper znode `root`.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerZooKeeper = (
    options: AgentOptions & { readonly root: string }
  ): Layer.Layer<Agent, HttpServer.ListenError, DockerClient | ZooKeeperClient> =>
    Layer.effect(
      Agent,
      Effect.gen(function* () {
        const zk = yield* ZooKeeperClient
        const leader = LeaderDetector.leaderChanges(zk, `${options.root}/election`).pipe(
          Stream.map(Option.map((info) => info.url)),
          Stream.catchCause((cause) =>
            Stream.fromEffect(Effect.as(Effect.logWarning("leader detection failed", cause), Option.none<string>()))
          )
        )
        return yield* make(options, leader)
      })
    )
}

/**
 * Builds an agent that follows the master URLs `masters` emits. Scoped.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("Agent.make")(function* (
  options: AgentOptions,
  masters: Stream.Stream<Option.Option<string>>
) {
  const scope = yield* Scope.Scope
  const hostname = options.hostname ?? osHostname()
  const agentId = options.agentId ?? hostname.replace(/[^A-Za-z0-9_.-]/g, "-")
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 5_000
  const resources = options.resources ?? (yield* detectResources(options.workDir))
  const containerizer = yield* DockerContainerizer.make({
    agentId,
    ...(options.defaultPidsLimit === undefined ? {} : { defaultPidsLimit: options.defaultPidsLimit }),
    ...(options.killGraceSeconds === undefined ? {} : { killGraceSeconds: options.killGraceSeconds }),
    ...(options.pullTimeoutMs === undefined ? {} : { pullTimeoutMs: options.pullTimeoutMs })
  })

  const tasks = new Map<string, TaskStatus>()
  /** Tasks whose end the master acknowledged: late non-terminal updates for them are dropped. */
  const forgotten = new Set<string>()
  const killWhenStarted = new Set<string>()
  for (const status of yield* containerizer.recover.pipe(
    Effect.tapError((error) => Effect.logWarning("cannot recover containers", error)),
    Effect.orElseSucceed((): ReadonlyArray<TaskStatus> => [])
  )) {
    tasks.set(status.taskId, status)
  }

  const masterUrl = yield* SubscriptionRef.make(Option.none<string>())
  let registeredWith: string | undefined
  const kick = yield* Queue.sliding<void>(1)
  const outbox = yield* Queue.unbounded<TaskStatus>()

  const routes: Array<HttpServer.Route> = []
  const { port } = yield* HttpServer.serve({ host: options.host ?? "0.0.0.0", port: options.port ?? 5051, routes })
  const url = options.advertiseUrl ?? `http://${urlHost(options.host, hostname)}:${port}`

  /** Keeps a new status (terminal states are final; repeats are dropped) and queues it for the master. */
  const record = (status: TaskStatus): Effect.Effect<void> =>
    Effect.suspend(() => {
      const previous = tasks.get(status.taskId)
      if (forgotten.has(status.taskId)) return Effect.void
      if (previous !== undefined && (isTerminal(previous.state) || previous.state === status.state)) return Effect.void
      tasks.set(
        status.taskId,
        previous?.containerId !== undefined && status.containerId === undefined
          ? { ...status, containerId: previous.containerId }
          : status
      )
      return Queue.offer(outbox, status).pipe(Effect.asVoid)
    })

  /** The master has a terminal status: forget the task and remove its container. */
  const acknowledged = (status: TaskStatus) =>
    isTerminal(status.state) && tasks.get(status.taskId) === status
      ? Effect.sync(() => {
          tasks.delete(status.taskId)
          forgotten.add(status.taskId)
        }).pipe(
          Effect.andThen(containerizer.remove(status.taskId)),
          Effect.catchCause((cause) => Effect.logWarning(`cannot remove the container of task ${status.taskId}`, cause))
        )
      : Effect.void

  const registration = (): AgentRegistration => ({
    agentId,
    hostname,
    url,
    attributes: options.attributes ?? {},
    resources,
    tasks: [...tasks.values()]
  })

  const lostMaster = (reason: unknown) =>
    Effect.gen(function* () {
      // a failed registration waits for the next heartbeat: kicking again at once would spin while no master answers
      if (registeredWith === undefined) return
      yield* Effect.logWarning("lost the master; registering again", reason)
      registeredWith = undefined
      yield* Queue.offer(kick, undefined)
    })

  /** Registers when needed, else heartbeats. */
  const tick = Effect.gen(function* () {
    const current = yield* SubscriptionRef.get(masterUrl)
    if (Option.isNone(current)) return
    if (registeredWith !== current.value) {
      const sent = registration()
      yield* requestJson("POST", `${current.value}/api/v1/agents`, sent)
      registeredWith = current.value
      yield* Effect.logInfo("registered").pipe(Effect.annotateLogs({ agentId, master: current.value }))
      yield* Effect.forEach(sent.tasks, acknowledged, { discard: true })
      return
    }
    yield* requestJson("POST", `${current.value}/api/v1/agents/${agentId}/heartbeat`)
  }).pipe(Effect.catch((error) => lostMaster(error)))

  yield* masters.pipe(
    Stream.runForEach((next) =>
      Effect.gen(function* () {
        yield* SubscriptionRef.set(masterUrl, next)
        yield* Queue.offer(kick, undefined)
      })
    ),
    Effect.forkIn(scope)
  )

  yield* Effect.gen(function* () {
    for (;;) {
      yield* tick
      yield* Effect.raceFirst(Queue.take(kick), Effect.sleep(heartbeatIntervalMs))
    }
  }).pipe(Effect.forkIn(scope))

  // status updates, in order; while unregistered they wait for the registration, which carries them all
  yield* Effect.gen(function* () {
    for (;;) {
      const status = yield* Queue.take(outbox)
      const master = registeredWith
      if (master === undefined) continue
      yield* requestJson("POST", `${master}/api/v1/agents/${agentId}/status`, status).pipe(
        Effect.andThen(acknowledged(status)),
        Effect.catch((error) => lostMaster(error))
      )
    }
  }).pipe(Effect.forkIn(scope))

  yield* containerizer.updates.pipe(Stream.runForEach(record), Effect.forkIn(scope))

  const launch = Effect.fn("Agent.launch")(function* (request: LaunchTask) {
    const previous = tasks.get(request.task.taskId)
    if (previous !== undefined && !isTerminal(previous.state)) {
      return yield* new Conflict({
        reason: `task ${request.task.taskId} is already ${previous.state} on agent ${agentId}`
      })
    }
    tasks.delete(request.task.taskId)
    forgotten.delete(request.task.taskId)
    const starting: TaskStatus = {
      taskId: request.task.taskId,
      frameworkId: request.frameworkId,
      agentId,
      state: "starting",
      resources: request.task.resources,
      updatedAt: Date.now()
    }
    yield* record(starting)
    yield* containerizer.launch(request.frameworkId, request.task).pipe(
      Effect.tap(record),
      // a kill that came while the container was being created
      Effect.flatMap((status) =>
        killWhenStarted.delete(status.taskId) && status.state === "running"
          ? containerizer
              .kill(status.taskId)
              .pipe(Effect.catchCause((cause) => Effect.logWarning("kill failed", cause)))
          : Effect.void
      ),
      Effect.forkIn(scope)
    )
    return starting
  })

  const kill = Effect.fn("Agent.kill")(function* (taskId: string) {
    const known = tasks.get(taskId)
    if (known === undefined) return yield* new NotFound({ kind: "task", id: taskId })
    if (isTerminal(known.state)) return known
    yield* containerizer.kill(taskId).pipe(
      Effect.catchTag("ContainerizerError", (error) => Effect.logWarning("kill failed", error)),
      // no container yet (its image is being pulled, or it is being created): kill it once it has started
      Effect.catchTag("NotFound", (error) =>
        known.state === "starting" ? Effect.sync(() => killWhenStarted.add(taskId)) : Effect.fail(error)
      )
    )
    return tasks.get(taskId) ?? known
  })

  const exec = Effect.fn("Agent.exec")(function* (taskId: string, request: ExecRequest) {
    const known = tasks.get(taskId)
    if (known === undefined) return yield* new NotFound({ kind: "task", id: taskId })
    if (known.state !== "running") {
      return yield* new Conflict({ reason: `task ${taskId} is ${known.state}, not running` })
    }
    return yield* containerizer
      .exec(taskId, request)
      .pipe(Effect.catchTag("ContainerizerError", (error) => Effect.fail(new Unavailable({ reason: error.message }))))
  })

  const service = Agent.of({
    agentId,
    url,
    port,
    resources,
    registered: Effect.sync(() => registeredWith !== undefined),
    masterUrl: SubscriptionRef.get(masterUrl),
    tasks: Effect.sync(() => [...tasks.values()]),
    launch,
    kill,
    exec
  })
  routes.push(...agentRoutes(service))
  return service
})
