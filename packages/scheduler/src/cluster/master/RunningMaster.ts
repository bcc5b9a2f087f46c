/**
 * A Promise facade over the master for programs that do not use Effect.
 *
 * ```ts
 * import { createMaster } from "@orchestrator/scheduler/cluster"
 *
 * const master = await createMaster({ port: 5050 })
 * console.log(master.url, await master.isLeader())
 * await master.stop()
 * ```
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, ManagedRuntime } from "effect"
import * as MasterConfig from "../config/MasterConfig.js"
import { Master, type MasterOptions } from "./Master.js"

/**
 * A running master.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningMaster {
  readonly url: string
  readonly port: number
  /** The Effect API, for `run`. */
  readonly service: Master["Service"]
  isLeader(): Promise<boolean>
  /** Runs an effect of the master's API (e.g. `master.run(master.service.tasks())`). */
  run<A, E>(effect: Effect.Effect<A, E>): Promise<A>
  stop(): Promise<void>
}

/**
 * Options of {@link createMaster}: the master's, plus `zookeeper` to join a highly available group.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateMasterOptions extends MasterOptions {
  readonly zookeeper?: {
    readonly connectString: string
    /** Root znode; default `/orchestrator/scheduler`. */
    readonly root?: string
    readonly sessionTimeoutMs?: number
  }
}

/**
 * Starts a master; rejects with the error (`ListenError`, `ZooKeeperUnavailable`) when it cannot.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createMaster = async (options: CreateMasterOptions = {}): Promise<RunningMaster> => {
  const zk = options.zookeeper
  const layer = MasterConfig.layer({
    options,
    ...(zk === undefined
      ? {}
      : {
          zookeeper: {
            connectString: zk.connectString,
            root: zk.root ?? "/orchestrator/scheduler",
            sessionTimeoutMs: zk.sessionTimeoutMs ?? 10_000
          }
        })
  })
  const runtime = ManagedRuntime.make(layer)
  const started = await runtime.runPromiseExit(
    Effect.gen(function* () {
      return yield* Master
    })
  )
  if (Exit.isFailure(started)) {
    await runtime.dispose()
    throw Cause.squash(started.cause)
  }
  const service = started.value
  return {
    url: service.info.url,
    port: service.port,
    service,
    isLeader: () => runtime.runPromise(service.isLeader),
    run: (effect) => runtime.runPromise(effect),
    stop: () => runtime.dispose()
  }
}
