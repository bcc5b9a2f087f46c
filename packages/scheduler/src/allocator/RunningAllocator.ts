/**
 * A Promise facade over the {@link AllocatorService} for hosts that do not use Effect:
 *
 * ```ts
 * import { createAllocator, Resources } from "@orchestrator/scheduler/allocator"
 * import { Result } from "effect"
 *
 * const allocator = await createAllocator({ allocationIntervalMs: 1_000 })
 * allocator.on("offers", (offers) => console.log(offers.map((o) => `${o.frameworkId}@${o.agentId}`)))
 * await allocator.addAgent("a1", { total: Result.getOrThrow(Resources.parse("cpus:8;mem:16384")) })
 * await allocator.addFramework("web", { roles: ["eng/web"] })
 * // ...
 * await allocator.stop()
 * ```
 *
 * @since 0.1.0
 */
import { EventEmitter } from "node:events"
import { Cause, Effect, Exit, ManagedRuntime } from "effect"
import { AllocatorService, type AllocatorServiceOptions, type Cycle } from "./AllocatorService.js"
import type { Offer, RoleShare } from "./DrfAllocator.js"

/**
 * Events of a running allocator.
 *
 * @since 0.1.0
 * @category models
 */
export type AllocatorEvents = {
  /** The offers of one cycle (never empty). */
  offers: (offers: ReadonlyArray<Offer>) => void
  /** A cycle that made offers, with its timing. */
  cycle: (cycle: Cycle) => void
}

type Service = AllocatorService["Service"]

type Promised<F> = F extends (...args: infer A) => Effect.Effect<infer R, infer _E> ? (...args: A) => Promise<R> : never

/**
 * A running allocator: every service call as a Promise (rejecting with the typed error), plus events.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningAllocator {
  on<K extends keyof AllocatorEvents>(event: K, listener: AllocatorEvents[K]): this
  once<K extends keyof AllocatorEvents>(event: K, listener: AllocatorEvents[K]): this
  off<K extends keyof AllocatorEvents>(event: K, listener: AllocatorEvents[K]): this
  readonly addAgent: Promised<Service["addAgent"]>
  readonly updateAgent: Promised<Service["updateAgent"]>
  readonly removeAgent: Promised<Service["removeAgent"]>
  readonly reserve: Promised<Service["reserve"]>
  readonly unreserve: Promised<Service["unreserve"]>
  readonly addFramework: Promised<Service["addFramework"]>
  readonly updateFramework: Promised<Service["updateFramework"]>
  readonly removeFramework: Promised<Service["removeFramework"]>
  readonly setActive: Promised<Service["setActive"]>
  readonly suppress: Promised<Service["suppress"]>
  readonly revive: Promised<Service["revive"]>
  readonly setWeight: Promised<Service["setWeight"]>
  readonly setQuota: Promised<Service["setQuota"]>
  readonly recoverResources: Promised<Service["recoverResources"]>
  readonly allocation: Promised<Service["allocation"]>
  readonly agent: Promised<Service["agent"]>
  readonly allocateNow: () => Promise<ReadonlyArray<Offer>>
  readonly shares: () => Promise<ReadonlyArray<RoleShare>>
  /** Stops the cycle loop. */
  stop(): Promise<void>
}

/**
 * Starts an allocator with its cycle loop. Rejects with `InvalidOption` for bad options.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createAllocator = async (options: AllocatorServiceOptions = {}): Promise<RunningAllocator> => {
  const emitter = new EventEmitter()
  const onCycle = (cycle: Cycle): void => {
    options.onCycle?.(cycle)
    emitter.emit("cycle", cycle)
    emitter.emit("offers", cycle.offers)
  }
  const runtime = ManagedRuntime.make(AllocatorService.layer({ ...options, onCycle }))
  const started = await runtime.runPromiseExit(
    Effect.gen(function* () {
      return yield* AllocatorService
    })
  )
  if (Exit.isFailure(started)) {
    await runtime.dispose()
    throw Cause.squash(started.cause)
  }
  const service = started.value
  const call =
    <A extends ReadonlyArray<unknown>, R, E>(f: (...args: A) => Effect.Effect<R, E>) =>
    (...args: A): Promise<R> =>
      runtime.runPromise(f(...args))
  let stopping: Promise<void> | undefined
  const running: Omit<RunningAllocator, "on" | "once" | "off"> = {
    addAgent: call(service.addAgent),
    updateAgent: call(service.updateAgent),
    removeAgent: call(service.removeAgent),
    reserve: call(service.reserve),
    unreserve: call(service.unreserve),
    addFramework: call(service.addFramework),
    updateFramework: call(service.updateFramework),
    removeFramework: call(service.removeFramework),
    setActive: call(service.setActive),
    suppress: call(service.suppress),
    revive: call(service.revive),
    setWeight: call(service.setWeight),
    setQuota: call(service.setQuota),
    recoverResources: call(service.recoverResources),
    allocation: call(service.allocation),
    agent: call(service.agent),
    allocateNow: () => runtime.runPromise(service.allocateNow),
    shares: () => runtime.runPromise(service.shares),
    stop: () => {
      stopping ??= runtime.dispose()
      return stopping
    }
  }
  return Object.assign(emitter, running) as unknown as RunningAllocator
}
