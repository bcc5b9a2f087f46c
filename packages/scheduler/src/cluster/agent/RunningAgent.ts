/**
 * A Promise facade over the agent for programs that do not use Effect.
 *
 * ```ts
 * import { createAgent } from "@orchestrator/scheduler/cluster"
 *
 * const agent = await createAgent({ masterUrl: "http://127.0.0.1:5050", resources: { cpus: 2, mem: 2048 } })
 * // ...
 * await agent.stop()
 * ```
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, ManagedRuntime } from "effect"
import * as AgentConfig from "../config/AgentConfig.js"
import type { ExecRequest, ExecResult } from "../Protocol.js"
import type { TaskStatus } from "../Task.js"
import { Agent, type AgentOptions } from "./Agent.js"

/**
 * A running agent.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningAgent {
  readonly agentId: string
  readonly url: string
  readonly port: number
  isRegistered(): Promise<boolean>
  tasks(): Promise<ReadonlyArray<TaskStatus>>
  /** Runs a command in a running task's container; rejects with `NotFound`, `Conflict` or `Unavailable`. */
  exec(taskId: string, request: ExecRequest): Promise<ExecResult>
  /** Stops the agent; its containers keep running (a restarted agent re-attaches). */
  stop(): Promise<void>
}

/**
 * Options of {@link createAgent}: a master URL, or a ZooKeeper ensemble where masters elect a leader.
 *
 * @since 0.1.0
 * @category models
 */
export type CreateAgentOptions = AgentOptions & {
  /** The Docker socket; default `/var/run/docker.sock` (or `DOCKER_HOST`). */
  readonly dockerSocket?: string
} & (
    | { readonly masterUrl: string }
    | {
        readonly zookeeper: {
          readonly connectString: string
          readonly root?: string
          readonly sessionTimeoutMs?: number
        }
      }
  )

/**
 * Starts an agent; rejects with the error (`ListenError`, `DockerUnavailable`, `ZooKeeperUnavailable`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const createAgent = async (options: CreateAgentOptions): Promise<RunningAgent> => {
  const layer = AgentConfig.layer({
    options,
    ...(options.dockerSocket === undefined ? {} : { dockerSocket: options.dockerSocket }),
    master:
      "masterUrl" in options
        ? { _tag: "Url", url: options.masterUrl }
        : {
            _tag: "ZooKeeper",
            connectString: options.zookeeper.connectString,
            root: options.zookeeper.root ?? "/orchestrator/scheduler",
            ...(options.zookeeper.sessionTimeoutMs === undefined
              ? {}
              : { sessionTimeoutMs: options.zookeeper.sessionTimeoutMs })
          }
  })
  const runtime = ManagedRuntime.make(layer)
  const started = await runtime.runPromiseExit(
    Effect.gen(function* () {
      return yield* Agent
    })
  )
  if (Exit.isFailure(started)) {
    await runtime.dispose()
    throw Cause.squash(started.cause)
  }
  const agent = started.value
  return {
    agentId: agent.agentId,
    url: agent.url,
    port: agent.port,
    isRegistered: () => runtime.runPromise(agent.registered),
    tasks: () => runtime.runPromise(agent.tasks),
    exec: (taskId, request) => runtime.runPromise(agent.exec(taskId, request)),
    stop: () => runtime.dispose()
  }
}
