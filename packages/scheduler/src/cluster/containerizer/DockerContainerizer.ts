/**
 * The Docker containerizer: runs each task as a container with cgroup limits (CPU shares and quota, memory,
 * pids) through Docker's host config, publishes its ports, writes its files, labels it with its task and
 * framework, streams its state from Docker events, runs commands in it (exec) and finds its containers again
 * after an agent restart.
 *
 * @since 0.1.0
 */
import { DockerClient, type DockerError } from "@orchestrator/core/docker"
import type Dockerode from "dockerode"
import { Context, Effect, Layer, PubSub, Queue, Schedule, Scope, Stream } from "effect"
import { Conflict, ContainerizerError, NotFound } from "../ClusterError.js"
import { type ExecRequest, type ExecResult, maxExecOutputBytes } from "../Protocol.js"
import * as Resources from "../Resources.js"
import type { TaskSpec, TaskStatus } from "../Task.js"
import { killProcessTree, OutputTail } from "./ExecOutput.js"
import * as ImagePuller from "./ImagePuller.js"
import * as Labels from "./Labels.js"
import { archiveOf } from "./TaskArchive.js"

/**
 * Options for {@link DockerContainerizer.layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContainerizerOptions {
  /** The agent whose containers these are (a label on each). */
  readonly agentId: string
  /** Pids limit for tasks that set none (default 1,024). */
  readonly defaultPidsLimit?: number
  /**
   * How long `kill` waits for the container to stop after SIGTERM before SIGKILL, for tasks whose spec sets no
   * `killGraceSeconds`; default 0 (SIGKILL at once).
   */
  readonly killGraceSeconds?: number
  /** The most one image pull may take; default 300,000 ms. */
  readonly pullTimeoutMs?: number
}

/**
 * Runs tasks as Docker containers.
 *
 * **When to use**: the agent uses it; use it directly to run tasks on one machine without a master.
 *
 * **Gotchas**: a task's `resources.mem` is in MB (Docker needs at least 6 MB); `cpus` sets both CPU shares
 * (`cpus x 1024`) and a CFS quota (`cpus x 100 ms` per 100 ms period), a hard cap. Containers stay after they
 * exit (their exit code is kept) until `remove`. An image the engine lacks is pulled before the container is
 * created (always with `forcePullImage`); a failed pull fails the task naming the image. A kill with a grace
 * period sends SIGTERM and schedules SIGKILL in this process: if the agent stops within the grace period the
 * SIGKILL is not sent (a restarted agent's kill sends it again).
 *
 * @since 0.1.0
 * @category services
 */
export class DockerContainerizer extends Context.Service<
  DockerContainerizer,
  {
    readonly agentId: string
    /**
     * Creates the task's container, writes its `files` into it, and starts it; resolves with `running` (or
     * `failed` if Docker refused it).
     */
    readonly launch: (frameworkId: string, spec: TaskSpec) => Effect.Effect<TaskStatus>
    /**
     * Stops the task's container (SIGTERM, then SIGKILL after the task's grace period; SIGKILL at once without
     * one); its state becomes `killed`. Returns once the first signal is sent.
     */
    readonly kill: (taskId: string) => Effect.Effect<void, ContainerizerError | NotFound>
    /** Removes the task's container (after it ended). A missing container is not an error. */
    readonly remove: (taskId: string) => Effect.Effect<void, ContainerizerError>
    /**
     * Runs a command in the task's running container (Docker exec, no TTY); kills it after `timeoutMs`
     * (default 30 s). `Conflict` when the container is not running.
     */
    readonly exec: (
      taskId: string,
      request: ExecRequest
    ) => Effect.Effect<ExecResult, ContainerizerError | NotFound | Conflict>
    /** The current status of every container this agent launched (running or exited), read from Docker. */
    readonly recover: Effect.Effect<ReadonlyArray<TaskStatus>, ContainerizerError>
    /** Status changes seen in Docker events (`running` on start, a terminal state on exit). */
    readonly updates: Stream.Stream<TaskStatus>
  }
>()("@orchestrator/scheduler/cluster/DockerContainerizer") {
  /**
   * The containerizer over the shared Docker client; it follows Docker events while the layer is alive.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (options: ContainerizerOptions): Layer.Layer<DockerContainerizer, never, DockerClient> =>
    Layer.effect(DockerContainerizer, make(options))
}

/**
 * The Docker container name of a task.
 *
 * @since 0.1.0
 * @category constructors
 */
export const containerName = (agentId: string, taskId: string): string => `orch-${agentId}-${taskId}`

interface DockerEvent {
  readonly Action?: string
  readonly status?: string
  readonly id?: string
  readonly time?: number
  readonly timeNano?: number
  readonly Actor?: { readonly ID?: string; readonly Attributes?: Record<string, string> }
}

/**
 * The Docker port keys (`8080/tcp`, `53/udp`) of container ports, in order; `protocols[i]` (default `tcp`) is
 * the protocol of `containerPorts[i]`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const portKeys = (
  containerPorts: ReadonlyArray<number>,
  protocols: ReadonlyArray<string> = []
): ReadonlyArray<string> => containerPorts.map((port, i) => `${port}/${protocols[i] ?? "tcp"}`)

/**
 * The Docker host config for a task's resources: CPU shares and CFS quota from `cpus`, memory (no swap) from
 * `mem`, a pids limit, host port bindings (by protocol), bind mounts from `volumes`, and the network mode.
 *
 * @since 0.1.0
 * @category constructors
 */
export const hostConfigFor = (
  spec: TaskSpec,
  hostPorts: ReadonlyArray<number>,
  containerPorts: ReadonlyArray<number>,
  defaultPidsLimit: number
): Dockerode.HostConfig => {
  const amounts = Resources.quantities(spec.resources)
  const cpus = amounts.cpus ?? 0
  const memBytes = Math.round((amounts.mem ?? 0) * 1024 * 1024)
  const bindings: Record<string, Array<{ HostPort: string }>> = {}
  portKeys(containerPorts, spec.portProtocols).forEach((key, i) => {
    bindings[key] = [{ HostPort: String(hostPorts[i]) }]
  })
  return {
    ...(cpus > 0
      ? {
          CpuShares: Math.max(2, Math.round(cpus * 1024)),
          CpuPeriod: 100_000,
          CpuQuota: Math.max(1_000, Math.round(cpus * 100_000))
        }
      : {}),
    ...(memBytes > 0 ? { Memory: memBytes, MemorySwap: memBytes } : {}),
    PidsLimit: spec.pidsLimit ?? defaultPidsLimit,
    PortBindings: bindings,
    ...(spec.volumes === undefined || spec.volumes.length === 0
      ? {}
      : { Binds: spec.volumes.map((v) => `${v.hostPath}:${v.containerPath}:${v.mode === "RO" ? "ro" : "rw"}`) }),
    ...(spec.networkMode === "host" ? { NetworkMode: "host" } : {})
  }
}

/**
 * Builds the service and starts following Docker events (scoped).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("DockerContainerizer.make")(function* (options: ContainerizerOptions) {
  const docker = yield* DockerClient
  const scope = yield* Scope.Scope
  const { agentId } = options
  const defaultPidsLimit = options.defaultPidsLimit ?? 1_024
  const killGraceSeconds = options.killGraceSeconds ?? 0
  const agentLabel = `${Labels.Label.agentId}=${agentId}`
  const killed = new Set<string>()
  /** Tasks sent SIGTERM whose SIGKILL after the grace period is pending. */
  const terminating = new Set<string>()
  const updates = yield* PubSub.unbounded<TaskStatus>()
  const puller = yield* ImagePuller.make(
    docker,
    options.pullTimeoutMs === undefined ? {} : { timeoutMs: options.pullTimeoutMs }
  )

  const fail = (taskId: string, operation: string) => (error: DockerError) =>
    new ContainerizerError({ taskId, operation, reason: error.message })

  /** Signals a task's container; false when it was not running (any more), or is gone: nothing to stop. */
  const signalContainer = (taskId: string, containerId: string, signalName: "SIGTERM" | "SIGKILL") =>
    docker
      .use("killContainer", (d, signal) =>
        d.getContainer(containerId).kill({ signal: signalName, abortSignal: signal })
      )
      .pipe(
        Effect.as(true),
        Effect.catchIf(
          (error) => error.statusCode === 304 || error.statusCode === 404 || error.statusCode === 409,
          () => Effect.succeed(false)
        ),
        Effect.mapError(fail(taskId, "kill"))
      )

  const statusFrom = (
    labels: Labels.TaskLabels,
    state: TaskStatus["state"],
    extra: Partial<Pick<TaskStatus, "message" | "exitCode" | "containerId">>
  ): TaskStatus => ({
    taskId: labels.taskId,
    frameworkId: labels.frameworkId,
    agentId: labels.agentId,
    state,
    resources: labels.resources,
    ...(labels.hostPorts.length > 0 ? { hostPorts: labels.hostPorts } : {}),
    ...extra,
    updatedAt: Date.now()
  })

  const exitedState = (
    taskId: string,
    exitCode: number,
    oomKilled: boolean
  ): { readonly state: TaskStatus["state"]; readonly message: string } =>
    killed.has(taskId)
      ? { state: "killed", message: "killed on request" }
      : exitCode === 0
        ? { state: "finished", message: "exited with code 0" }
        : { state: "failed", message: oomKilled ? "killed: out of memory" : `exited with code ${exitCode}` }

  const launch = Effect.fn("DockerContainerizer.launch")(function* (frameworkId: string, spec: TaskSpec) {
    const hostPorts = Resources.portList(spec.resources)
    const host = spec.networkMode === "host"
    const containerPorts = host ? [] : (spec.containerPorts ?? hostPorts)
    const labels: Labels.TaskLabels = {
      agentId,
      taskId: spec.taskId,
      frameworkId,
      resources: spec.resources,
      // with host networking the task listens on its offered ports themselves
      hostPorts: host ? hostPorts : hostPorts.slice(0, containerPorts.length),
      ...(spec.killGraceSeconds === undefined ? {} : { killGraceSeconds: spec.killGraceSeconds })
    }
    const pulled = yield* puller.ensure(spec.image, spec.forcePullImage === true).pipe(Effect.result)
    if (pulled._tag === "Failure") return statusFrom(labels, "failed", { message: pulled.failure.message })
    const name = containerName(agentId, spec.taskId)
    const created = yield* docker
      .use("createContainer", (d, signal) =>
        d.createContainer({
          name,
          Image: spec.image,
          ...(spec.command === undefined ? {} : { Cmd: [...spec.command] }),
          Env: Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`),
          Labels: { ...spec.labels, ...Labels.encode(labels) },
          ExposedPorts: Object.fromEntries(portKeys(containerPorts, spec.portProtocols).map((key) => [key, {}])),
          HostConfig: hostConfigFor(spec, hostPorts, containerPorts, defaultPidsLimit),
          abortSignal: signal
        })
      )
      .pipe(Effect.mapError(fail(spec.taskId, "create")), Effect.result)
    if (created._tag === "Failure") {
      return statusFrom(labels, "failed", { message: created.failure.message })
    }
    const containerId = created.success.id
    if (spec.files !== undefined && spec.files.length > 0) {
      const files = spec.files
      const written = yield* docker
        .use("putArchive", async (d, signal) =>
          d.getContainer(containerId).putArchive(await archiveOf(files), { path: "/", abortSignal: signal })
        )
        .pipe(Effect.mapError(fail(spec.taskId, "write files")), Effect.result)
      if (written._tag === "Failure") {
        return statusFrom(labels, "failed", { message: written.failure.message, containerId })
      }
    }
    const started = yield* docker
      .use("startContainer", (d, signal) => d.getContainer(containerId).start({ abortSignal: signal }))
      .pipe(Effect.mapError(fail(spec.taskId, "start")), Effect.result)
    if (started._tag === "Failure") {
      return statusFrom(labels, "failed", { message: started.failure.message, containerId })
    }
    if (killed.has(spec.taskId)) {
      // killed while it was being created: the kill found nothing running to stop, so stop what just started
      yield* signalContainer(spec.taskId, containerId, "SIGKILL").pipe(Effect.ignore)
      return statusFrom(labels, "killed", { message: "killed before it started", containerId })
    }
    return statusFrom(labels, "running", { containerId })
  })

  const findContainer = (taskId: string) =>
    docker
      .use("listContainers", (d, signal) =>
        d.listContainers({
          all: true,
          filters: { label: [agentLabel, `${Labels.Label.taskId}=${taskId}`] },
          abortSignal: signal
        })
      )
      .pipe(Effect.mapError(fail(taskId, "list")))

  const kill = Effect.fn("DockerContainerizer.kill")(function* (taskId: string) {
    const containers = yield* findContainer(taskId)
    const container = containers[0]
    if (container === undefined) return yield* new NotFound({ kind: "task", id: taskId })
    if (container.State !== "running" && container.State !== "created") return
    killed.add(taskId)
    const grace = Labels.decode(container.Labels)?.killGraceSeconds ?? killGraceSeconds
    const send = (signalName: "SIGTERM" | "SIGKILL") => signalContainer(taskId, container.Id, signalName)
    if (grace > 0 && container.State === "running") {
      // a kill repeated during the grace period (the scheduler re-sends kills) sends no second SIGTERM: many
      // programs read a second one as "exit now"
      if (terminating.has(taskId)) return
      terminating.add(taskId)
      yield* send("SIGTERM").pipe(Effect.onError(() => Effect.sync(() => terminating.delete(taskId))))
      yield* Effect.sleep(`${grace} seconds`).pipe(
        Effect.andThen(send("SIGKILL")),
        Effect.catch((error) => Effect.logWarning("SIGKILL after the grace period failed", error)),
        Effect.ensuring(Effect.sync(() => terminating.delete(taskId))),
        Effect.forkIn(scope)
      )
    } else {
      const delivered = yield* send("SIGKILL")
      // listed as created but running by now (its start raced the list): its exit reports the kill; a container
      // that really never started gets no exit, so the kill is reported here (and `launch` will not start it)
      if (container.State === "created" && !delivered) {
        yield* PubSub.publish(
          updates,
          statusFrom(labelsOf(container.Labels, taskId), "killed", { message: "killed before it started" })
        )
      }
    }
  })

  const exec = Effect.fn("DockerContainerizer.exec")(function* (taskId: string, request: ExecRequest) {
    const container = (yield* findContainer(taskId))[0]
    if (container === undefined) return yield* new NotFound({ kind: "task", id: taskId })
    if (container.State !== "running") {
      return yield* new Conflict({ reason: `task ${taskId} is not running (its container is ${container.State})` })
    }
    const timeoutMs = request.timeoutMs ?? 30_000
    const created = yield* docker
      .use("createExec", (d, signal) =>
        d.getContainer(container.Id).exec({
          Cmd: [...request.command],
          AttachStdout: true,
          AttachStderr: true,
          Tty: false,
          abortSignal: signal
        })
      )
      .pipe(Effect.mapError(fail(taskId, "exec")))
    const output = new OutputTail(maxExecOutputBytes)
    const finished = yield* docker
      .use("startExec", (_docker, signal) =>
        created.start({ abortSignal: signal }).then(
          (stream) =>
            new Promise<void>((resolve, reject) => {
              const stop = () => stream.destroy()
              signal.addEventListener("abort", stop, { once: true })
              stream.on("data", (chunk: Buffer) => output.push(chunk))
              stream.on("end", resolve)
              stream.on("close", resolve)
              stream.on("error", reject)
            })
        )
      )
      .pipe(Effect.mapError(fail(taskId, "exec")), Effect.timeoutOption(timeoutMs))
    const inspect = docker
      .use("inspectExec", (_docker, signal) => created.inspect({ abortSignal: signal }))
      .pipe(Effect.mapError(fail(taskId, "exec")))
    if (finished._tag === "Some") {
      // the output can end a moment before the engine records the exit code
      const info = yield* inspect.pipe(
        Effect.repeat({ until: (current) => !current.Running, schedule: Schedule.spaced("20 millis"), times: 50 })
      )
      if (!info.Running) return { exitCode: info.ExitCode ?? -1, output: output.text() } satisfies ExecResult
    }
    // timed out; a slow engine may start the command only now: wait for it to run (or end), then kill it
    const settled = yield* inspect.pipe(
      Effect.repeat({
        until: (info) => (info.Running ? info.Pid > 0 : info.ExitCode !== null),
        schedule: Schedule.spaced("25 millis"),
        times: 80
      })
    )
    const note = !settled.Running
      ? settled.ExitCode === null
        ? "it did not start"
        : `it ended with code ${settled.ExitCode}`
      : (yield* Effect.promise(() => killProcessTree(settled.Pid, container.Id)))
        ? "killed"
        : "left running: the agent cannot see the container's processes"
    const text = output.text()
    return {
      exitCode: 124,
      output:
        `${text}${text === "" || text.endsWith("\n") ? "" : "\n"}[timed out after ${timeoutMs} ms; ${note}]`.slice(
          -maxExecOutputBytes
        ),
      timedOut: true
    } satisfies ExecResult
  })

  const labelsOf = (labels: Record<string, string> | undefined, taskId: string): Labels.TaskLabels =>
    Labels.decode(labels) ?? { agentId, taskId, frameworkId: "unknown", resources: {}, hostPorts: [] }

  const remove = Effect.fn("DockerContainerizer.remove")(function* (taskId: string) {
    const containers = yield* findContainer(taskId)
    yield* Effect.forEach(
      containers,
      (container) =>
        docker
          .use("removeContainer", (d, signal) =>
            d.getContainer(container.Id).remove({ force: true, abortSignal: signal })
          )
          .pipe(
            Effect.catchIf(
              (error) => error.statusCode === 404 || error.statusCode === 409,
              () => Effect.void
            ),
            Effect.mapError(fail(taskId, "remove"))
          ),
      { discard: true }
    )
    killed.delete(taskId)
  })

  const recover = Effect.gen(function* () {
    const containers = yield* docker
      .use("listContainers", (d, signal) =>
        d.listContainers({ all: true, filters: { label: [agentLabel] }, abortSignal: signal })
      )
      .pipe(Effect.mapError(fail("*", "list")))
    return yield* Effect.forEach(
      containers,
      (container) => {
        const labels = Labels.decode(container.Labels)
        if (labels === undefined) return Effect.succeed([])
        if (container.State === "running") {
          return Effect.succeed([statusFrom(labels, "running", { containerId: container.Id, message: "re-attached" })])
        }
        if (container.State === "created") {
          return Effect.succeed([
            statusFrom(labels, "failed", { containerId: container.Id, message: "created but never started" })
          ])
        }
        return docker
          .use("inspectContainer", (d, signal) => d.getContainer(container.Id).inspect({ abortSignal: signal }))
          .pipe(
            Effect.map((info) => {
              const exitCode = info.State.ExitCode
              return [
                statusFrom(labels, exitedState(labels.taskId, exitCode, info.State.OOMKilled).state, {
                  containerId: container.Id,
                  exitCode,
                  message: exitedState(labels.taskId, exitCode, info.State.OOMKilled).message
                })
              ]
            }),
            Effect.catchIf(
              (error) => error.statusCode === 404,
              () => Effect.succeed([])
            ),
            Effect.mapError(fail(labels.taskId, "inspect"))
          )
      },
      { concurrency: 8 }
    ).pipe(Effect.map((lists) => lists.flat()))
  }).pipe(Effect.withSpan("DockerContainerizer.recover"))

  const onEvent = (event: DockerEvent): Effect.Effect<void> => {
    const action = event.Action ?? event.status
    const labels = Labels.decode(event.Actor?.Attributes)
    const containerId = event.Actor?.ID ?? event.id
    if (labels === undefined || containerId === undefined) return Effect.void
    if (action === "start") {
      return PubSub.publish(updates, statusFrom(labels, "running", { containerId })).pipe(Effect.asVoid)
    }
    if (action === "die") {
      const exitCode = Number(event.Actor?.Attributes?.exitCode ?? "-1")
      return docker
        .use("inspectContainer", (d, signal) => d.getContainer(containerId).inspect({ abortSignal: signal }))
        .pipe(
          Effect.map((info) => info.State.OOMKilled),
          Effect.orElseSucceed(() => false),
          Effect.flatMap((oom) => {
            const { state, message } = exitedState(labels.taskId, exitCode, oom)
            return PubSub.publish(updates, statusFrom(labels, state, { containerId, exitCode, message }))
          }),
          Effect.asVoid
        )
    }
    return Effect.void
  }

  let since = Math.floor(Date.now() / 1000)
  const events = Stream.callback<DockerEvent, ContainerizerError>((queue) =>
    Effect.acquireRelease(
      docker
        // no abort signal: it would end the event stream as soon as the call returns it
        .use("getEvents", (d) =>
          d.getEvents({ since, filters: { type: ["container"], event: ["start", "die"], label: [agentLabel] } })
        )
        .pipe(
          Effect.mapError(fail("*", "events")),
          Effect.tap((stream) =>
            Effect.sync(() => {
              let buffer = ""
              stream.on("data", (chunk: Buffer | string) => {
                buffer += chunk.toString()
                let newline = buffer.indexOf("\n")
                while (newline >= 0) {
                  const line = buffer.slice(0, newline).trim()
                  buffer = buffer.slice(newline + 1)
                  if (line !== "") {
                    try {
                      const event = JSON.parse(line) as DockerEvent
                      if (event.time !== undefined) since = event.time
                      Queue.offerUnsafe(queue, event)
                    } catch {
                      // a line that is not JSON is not an event
                    }
                  }
                  newline = buffer.indexOf("\n")
                }
              })
              stream.on("end", () => Queue.endUnsafe(queue))
              stream.on("error", () => Queue.endUnsafe(queue))
            })
          )
        ),
      (stream) => Effect.sync(() => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.())
    )
  )

  // the event stream ends when dockerd restarts: follow it again from the last event seen
  yield* events.pipe(
    Stream.runForEach(onEvent),
    Effect.catch((error) => Effect.logWarning("Docker events failed", error)),
    Effect.repeat(Schedule.spaced("1 second")),
    Effect.forkScoped
  )

  return DockerContainerizer.of({
    agentId,
    launch,
    kill,
    remove,
    exec,
    recover,
    updates: Stream.fromPubSub(updates)
  })
})
