/**
 * A Promise facade over the app scheduler for programs that do not use Effect.
 *
 * ```ts
 * import { createMaster } from "@orchestrator/scheduler/cluster"
 * import { createAppScheduler } from "@orchestrator/scheduler/apps"
 *
 * const master = await createMaster({ port: 5050 })
 * const apps = await createAppScheduler({ master: master.service })
 * await apps.run(apps.service.put(app))
 * await apps.stop()
 * ```
 *
 * @since 0.1.0
 */
import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
import { Cause, Effect, Exit, Layer, ManagedRuntime } from "effect"
import { FrameworkClient } from "../../cluster/framework/FrameworkClient.js"
import { Master } from "../../cluster/master/Master.js"
import { HealthMonitor } from "../health/index.js"
import { LoadBalancer, type LoadBalancerOptions } from "../lb/index.js"
import { ServiceRegistry } from "../discovery/index.js"
import { AppStore } from "../store/AppStore.js"
import { AppScheduler, type AppSchedulerOptions } from "./AppScheduler.js"

/**
 * A running app scheduler.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningAppScheduler {
  /** The Effect API, for `run`. */
  readonly service: AppScheduler["Service"]
  /** Runs an effect (e.g. `apps.run(apps.service.apps())`); rejects with its typed error. */
  run<A, E>(effect: Effect.Effect<A, E>): Promise<A>
  /** Stops the scheduler (its tasks keep running for the next one), its load balancer and health checks. */
  stop(): Promise<void>
}

/**
 * Options of {@link createAppScheduler}: where the master is (the in-process `master` service, or
 * `masterUrl`), where state is stored (`zookeeper`, a `store` layer of your own, or memory), and the scheduler's
 * own options.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateAppSchedulerOptions extends AppSchedulerOptions {
  readonly master?: Master["Service"]
  readonly masterUrl?: string
  readonly zookeeper?: {
    readonly connectString: string
    /** Root znode of the app store; default `/orchestrator/apps`. */
    readonly root?: string
    readonly sessionTimeoutMs?: number
  }
  /** A store of your own (another database, or one wrapped to observe or fail its calls); wins over `zookeeper`. */
  readonly store?: Layer.Layer<AppStore>
  readonly loadBalancer?: LoadBalancerOptions
  /** Wait until the scheduler leads before resolving, at most this long (0: do not wait); default 30,000 ms. */
  readonly leadTimeoutMs?: number
}

/**
 * Starts an app scheduler; rejects when neither `master` nor `masterUrl` is given or ZooKeeper is unreachable.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createAppScheduler = async (options: CreateAppSchedulerOptions): Promise<RunningAppScheduler> => {
  const zk = options.zookeeper
  const store =
    options.store ??
    (zk === undefined
      ? AppStore.layerMemory()
      : AppStore.layerZooKeeper({ root: zk.root ?? "/orchestrator/apps" }).pipe(
          Layer.provide(
            ZooKeeperClient.layer({ connectString: zk.connectString, sessionTimeoutMs: zk.sessionTimeoutMs ?? 10_000 })
          )
        ))
  const services = Layer.mergeAll(
    HealthMonitor.layer,
    options.domain === undefined ? ServiceRegistry.layer : ServiceRegistry.layerWith({ domain: options.domain }),
    LoadBalancer.layer({ drainTimeoutMs: options.drainTimeoutMs ?? 5_000, ...options.loadBalancer })
  )
  const framework =
    options.master !== undefined
      ? AppScheduler.layerMaster(options).pipe(Layer.provide(Layer.succeed(Master, options.master)))
      : options.masterUrl !== undefined
        ? AppScheduler.layerRemote(options).pipe(Layer.provide(FrameworkClient.layer({ masterUrl: options.masterUrl })))
        : undefined
  if (framework === undefined) throw new Error("createAppScheduler: give master or masterUrl")
  const runtime = ManagedRuntime.make(framework.pipe(Layer.provide(Layer.merge(services, store))))
  const leadTimeoutMs = options.leadTimeoutMs ?? 30_000
  const started = await runtime.runPromiseExit(
    AppScheduler.use((service) =>
      leadTimeoutMs <= 0
        ? Effect.succeed(service)
        : service.awaitLeading.pipe(Effect.timeoutOption(leadTimeoutMs), Effect.as(service))
    )
  )
  if (Exit.isFailure(started)) {
    await runtime.dispose()
    throw Cause.squash(started.cause)
  }
  return {
    service: started.value,
    run: (effect) => runtime.runPromise(effect),
    stop: () => runtime.dispose()
  }
}
