/**
 * The allocator as an Effect service: a {@link DrfAllocator} behind typed Effect calls, an allocation cycle
 * every `allocationIntervalMs` (default 1 s) over every agent, and event-driven cycles over just the agents
 * that changed (an agent added or updated, resources recovered, a reservation made) that run as soon as the
 * calling fiber yields, so a burst of changes makes one batched cycle. Offers are published per cycle.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, PubSub, Queue, Result, Stream } from "effect"
import {
  type DuplicateId,
  type InsufficientResources,
  InvalidOption,
  type InvalidQuota,
  type InvalidRole,
  type InvalidWeight,
  type UnknownId
} from "./AllocatorError.js"
import {
  type AgentInfo,
  type AgentView,
  type Allocation,
  DrfAllocator,
  type FrameworkInfo,
  type Offer,
  type Quota,
  type RoleShare
} from "./DrfAllocator.js"
import type { Resources } from "./Resources.js"

/**
 * Options of {@link AllocatorService.layer}: the allocator's options plus the cycle interval.
 *
 * @since 0.1.0
 * @category models
 */
export interface AllocatorServiceOptions {
  readonly minAllocatable?: ReadonlyArray<Resources>
  readonly fairnessExcludedResourceNames?: ReadonlyArray<string>
  readonly defaultRefuseSeconds?: number
  /** Time between full allocation cycles. Default 1,000 ms. */
  readonly allocationIntervalMs?: number
  /** Run event-driven cycles for changed agents (default `true`); otherwise only the periodic ones. */
  readonly eventDriven?: boolean
  /**
   * Called synchronously with every cycle that made offers, before it is published (so no cycle is missed,
   * unlike a stream started later). If it throws, the error is logged and the loop goes on.
   */
  readonly onCycle?: (cycle: Cycle) => void
}

/**
 * One allocation cycle: when it ran (clock milliseconds), how many agents it visited, what it offered and
 * how long it took.
 *
 * @since 0.1.0
 * @category models
 */
export interface Cycle {
  readonly at: number
  readonly kind: "periodic" | "event"
  readonly agents: number
  readonly offers: ReadonlyArray<Offer>
  readonly durationMs: number
}

/**
 * The allocator service.
 *
 * **When to use**: in a master. Register agents and frameworks as they come, forward declines and finished
 * tasks to `recoverResources`, and consume `offers` (or `cycles`). Subscribe before making changes: a
 * stream only sees cycles that run after it started.
 *
 * **Gotchas**: reads (`shares`, `allocation`, `agent`) are snapshots. The clock is Effect's `Clock`, so a
 * `TestClock` drives both the periodic cycle and decline filters.
 *
 * @since 0.1.0
 * @category services
 */
export class AllocatorService extends Context.Service<
  AllocatorService,
  {
    readonly addAgent: (
      id: string,
      info: AgentInfo,
      allocated?: ReadonlyArray<Omit<Allocation, "agentId">>
    ) => Effect.Effect<void, DuplicateId | InvalidRole | InsufficientResources>
    readonly updateAgent: (
      id: string,
      update: {
        readonly total?: Resources
        readonly hostname?: string
        readonly attributes?: Readonly<Record<string, string>>
      }
    ) => Effect.Effect<void, UnknownId | InsufficientResources>
    readonly removeAgent: (id: string) => Effect.Effect<void, UnknownId>
    readonly reserve: (
      agentId: string,
      role: string,
      resources: Resources
    ) => Effect.Effect<void, UnknownId | InvalidRole | InsufficientResources>
    readonly unreserve: (
      agentId: string,
      role: string,
      resources: Resources
    ) => Effect.Effect<void, UnknownId | InvalidRole | InsufficientResources>
    readonly addFramework: (id: string, info?: FrameworkInfo) => Effect.Effect<void, DuplicateId | InvalidRole>
    readonly updateFramework: (id: string, info: FrameworkInfo) => Effect.Effect<void, UnknownId | InvalidRole>
    readonly removeFramework: (id: string) => Effect.Effect<void, UnknownId>
    readonly setActive: (id: string, active: boolean) => Effect.Effect<void, UnknownId>
    readonly suppress: (id: string, roles?: ReadonlyArray<string>) => Effect.Effect<void, UnknownId>
    readonly revive: (id: string, roles?: ReadonlyArray<string>) => Effect.Effect<void, UnknownId>
    readonly setWeight: (role: string, weight: number) => Effect.Effect<void, InvalidRole | InvalidWeight>
    readonly setQuota: (role: string, quota: Quota | undefined) => Effect.Effect<void, InvalidRole | InvalidQuota>
    /**
     * Gives resources back. `decline` makes it a decline with a filter (`refuseSeconds` default 5 s); without
     * it (finished tasks) no filter is set.
     */
    readonly recoverResources: (
      allocation: Allocation,
      decline?: { readonly refuseSeconds?: number }
    ) => Effect.Effect<void, UnknownId | InsufficientResources>
    /** Runs a full cycle now and returns its offers (they are also published). */
    readonly allocateNow: Effect.Effect<ReadonlyArray<Offer>>
    /** Every offer, as cycles make them. */
    readonly offers: Stream.Stream<Offer>
    /** Every cycle that made offers. */
    readonly cycles: Stream.Stream<Cycle>
    readonly shares: Effect.Effect<ReadonlyArray<RoleShare>>
    readonly allocation: (frameworkId: string) => Effect.Effect<ReadonlyArray<Allocation>>
    readonly agent: (id: string) => Effect.Effect<AgentView | undefined>
  }
>()("@orchestrator/scheduler/allocator/AllocatorService") {
  /**
   * The service with its cycle loop, running until the layer's scope closes. Fails with `InvalidOption`
   * for bad options.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (options: AllocatorServiceOptions = {}): Layer.Layer<AllocatorService, InvalidOption> =>
    Layer.effect(AllocatorService, make(options))
}

/**
 * Builds the service (scoped: the cycle loop stops with the scope).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("AllocatorService.make")(function* (options: AllocatorServiceOptions) {
  const intervalMs = options.allocationIntervalMs ?? 1_000
  if (!Number.isFinite(intervalMs) || intervalMs <= 0)
    return yield* new InvalidOption({ option: "allocationIntervalMs", reason: `must be > 0, got ${intervalMs}` })
  const allocator = yield* Effect.fromResult(
    DrfAllocator.make({
      ...(options.minAllocatable === undefined ? {} : { minAllocatable: options.minAllocatable }),
      ...(options.fairnessExcludedResourceNames === undefined
        ? {}
        : { fairnessExcludedResourceNames: options.fairnessExcludedResourceNames }),
      ...(options.defaultRefuseSeconds === undefined ? {} : { defaultRefuseSeconds: options.defaultRefuseSeconds })
    })
  )
  const eventDriven = options.eventDriven ?? true
  const cycles = yield* Effect.acquireRelease(PubSub.unbounded<Cycle>(), PubSub.shutdown)
  const wake = yield* Queue.sliding<void>(1)
  const dirty = new Set<string>()
  let everything = false

  const changed = (agentId: string | undefined) =>
    Effect.suspend(() => {
      if (!eventDriven) return Effect.void
      if (agentId === undefined) everything = true
      else dirty.add(agentId)
      return Queue.offer(wake, undefined)
    })

  const run = (kind: Cycle["kind"], agentIds: ReadonlyArray<string> | undefined) =>
    Effect.gen(function* () {
      const at = yield* Clock.currentTimeMillis
      const started = performance.now()
      const offers = allocator.allocate(at, agentIds)
      const cycle: Cycle = {
        at,
        kind,
        agents: agentIds?.length ?? allocator.agentIds().length,
        offers,
        durationMs: performance.now() - started
      }
      if (offers.length > 0) {
        if (options.onCycle !== undefined) {
          const onCycle = options.onCycle
          yield* Effect.try(() => onCycle(cycle)).pipe(
            Effect.catchCause((cause) =>
              Effect.logError("AllocatorService: onCycle threw; the cycle loop goes on", cause)
            )
          )
        }
        yield* PubSub.publish(cycles, cycle)
      }
      return offers
    })

  const mutate = <E>(result: () => Result.Result<void, E>, agentId?: string | null) =>
    Effect.flatMap(
      Effect.sync(result),
      (r): Effect.Effect<void, E> =>
        Result.isFailure(r) ? Effect.fail(r.failure) : agentId === null ? Effect.void : changed(agentId)
    )

  const eventCycle = Effect.gen(function* () {
    const all = everything
    const ids = [...dirty]
    everything = false
    dirty.clear()
    if (!all && ids.length === 0) return
    yield* run("event", all ? undefined : ids)
  })

  // Full cycles keep their own schedule, so a steady stream of event-driven cycles cannot starve them.
  let nextFull = (yield* Clock.currentTimeMillis) + intervalMs
  yield* Effect.forkScoped(
    Effect.forever(
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const woken =
          now >= nextFull ? undefined : yield* Effect.timeoutOption(Queue.take(wake), Duration.millis(nextFull - now))
        if (woken?._tag === "Some") yield* eventCycle
        else {
          // Changes that came in since the last cycle are served first, then the full cycle.
          yield* eventCycle
          nextFull = Math.max(nextFull + intervalMs, (yield* Clock.currentTimeMillis) + 1)
          yield* run("periodic", undefined)
        }
      })
    )
  )

  return AllocatorService.of({
    addAgent: (id, info, allocated) => mutate(() => allocator.addAgent(id, info, allocated), id),
    updateAgent: (id, update) => mutate(() => allocator.updateAgent(id, update), id),
    removeAgent: (id) => mutate(() => allocator.removeAgent(id), undefined),
    reserve: (agentId, role, resources) => mutate(() => allocator.reserve(agentId, role, resources), agentId),
    unreserve: (agentId, role, resources) => mutate(() => allocator.unreserve(agentId, role, resources), agentId),
    addFramework: (id, info) => mutate(() => allocator.addFramework(id, info), undefined),
    updateFramework: (id, info) => mutate(() => allocator.updateFramework(id, info), undefined),
    removeFramework: (id) => mutate(() => allocator.removeFramework(id), undefined),
    setActive: (id, active) => mutate(() => allocator.setActive(id, active), active ? undefined : null),
    suppress: (id, roles) => mutate(() => allocator.suppress(id, roles), null),
    revive: (id, roles) => mutate(() => allocator.revive(id, roles), undefined),
    setWeight: (role, weight) => mutate(() => allocator.setWeight(role, weight), undefined),
    setQuota: (role, quota) => mutate(() => allocator.setQuota(role, quota), undefined),
    recoverResources: (allocation, decline) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        mutate(
          () =>
            allocator.recoverResources(
              allocation,
              decline === undefined
                ? undefined
                : { now, ...(decline.refuseSeconds === undefined ? {} : { refuseSeconds: decline.refuseSeconds }) }
            ),
          allocation.agentId
        )
      ),
    allocateNow: run("event", undefined),
    offers: Stream.flattenIterable(Stream.map(Stream.fromPubSub(cycles), (c) => c.offers)),
    cycles: Stream.fromPubSub(cycles),
    shares: Effect.sync(() => allocator.shares()),
    allocation: (frameworkId) => Effect.sync(() => allocator.allocation(frameworkId)),
    agent: (id) => Effect.sync(() => allocator.agent(id))
  })
})
