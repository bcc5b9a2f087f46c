import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import {
  AllocatorService,
  type AllocatorServiceOptions,
  type Cycle,
  createAllocator,
  DuplicateId,
  InvalidOption,
  type Offer,
  UnknownId
} from "../../src/allocator/index.js"
import { describeOffers, res } from "./driver.js"

/** The service with a recorder of its cycles (through `onCycle`, so none is missed). */
const withService = <A, E>(
  options: AllocatorServiceOptions,
  body: (service: AllocatorService["Service"], cycles: Array<Cycle>) => Effect.Effect<A, E>
) => {
  const cycles: Array<Cycle> = []
  return Effect.gen(function* () {
    const service = yield* AllocatorService
    return yield* body(service, cycles)
  }).pipe(Effect.provide(AllocatorService.layer({ ...options, onCycle: (c) => cycles.push(c) })))
}

const summary = (cycles: ReadonlyArray<Cycle>) =>
  cycles.map((c) => ({ at: c.at, kind: c.kind, agents: c.agents, offers: describeOffers(c.offers) }))

describe("AllocatorService", () => {
  it.effect("runs a full cycle every allocationIntervalMs on the Effect clock", () =>
    withService({ allocationIntervalMs: 1_000, eventDriven: false }, (allocator, cycles) =>
      Effect.gen(function* () {
        yield* allocator.addFramework("f")
        yield* allocator.addAgent("a0", { total: res("cpus:1;mem:1024") })
        yield* TestClock.adjust(999)
        expect(cycles).toEqual([])
        yield* TestClock.adjust(1)
        expect(summary(cycles)).toEqual([
          { at: 1_000, kind: "periodic", agents: 1, offers: ["f(*)@a0 cpus:1;mem:1024"] }
        ])
      })
    )
  )

  it.effect("runs one batched event-driven cycle over the agents that changed, without waiting for the interval", () =>
    withService({ allocationIntervalMs: 60_000 }, (allocator, cycles) =>
      Effect.gen(function* () {
        yield* allocator.addFramework("f")
        yield* allocator.addAgent("a0", { total: res("cpus:1;mem:1024") })
        yield* allocator.addAgent("a1", { total: res("cpus:1;mem:1024") })
        yield* TestClock.adjust(0)
        expect(summary(cycles)).toEqual([
          { at: 0, kind: "event", agents: 2, offers: ["f(*)@a0 cpus:1;mem:1024", "f(*)@a1 cpus:1;mem:1024"] }
        ])
      })
    )
  )

  it.effect("keeps a declined agent from the framework until the filter expires (default 5 s)", () =>
    withService({ allocationIntervalMs: 1_000 }, (allocator, cycles) =>
      Effect.gen(function* () {
        yield* allocator.addFramework("f")
        yield* allocator.addAgent("a0", { total: res("cpus:1;mem:1024") })
        yield* TestClock.adjust(0)
        const offer: Offer = cycles[0]!.offers[0]!
        yield* allocator.recoverResources(offer, {})
        yield* TestClock.adjust(4_999)
        expect(cycles.length).toBe(1)
        yield* TestClock.adjust(1)
        expect(summary(cycles).slice(1)).toEqual([
          { at: 5_000, kind: "periodic", agents: 1, offers: ["f(*)@a0 cpus:1;mem:1024"] }
        ])
      })
    )
  )

  it.effect("keeps the periodic schedule while event-driven cycles keep coming", () =>
    withService({ allocationIntervalMs: 1_000 }, (allocator, cycles) =>
      Effect.gen(function* () {
        yield* allocator.addFramework("f")
        yield* allocator.addAgent("a0", { total: res("cpus:1;mem:1024") })
        yield* allocator.addAgent("a1", { total: res("cpus:1;mem:1024") })
        yield* TestClock.adjust(0)
        const [first, second] = cycles[0]!.offers
        yield* allocator.recoverResources(first!, { refuseSeconds: 1 })
        for (let i = 0; i < 8; i++) {
          yield* TestClock.adjust(200)
          yield* allocator.setWeight("*", 1 + i)
        }
        yield* allocator.recoverResources(second!, { refuseSeconds: 60 })
        yield* TestClock.adjust(0)
        expect(summary(cycles).filter((c) => c.kind === "periodic")).toEqual([
          { at: 1_000, kind: "periodic", agents: 2, offers: ["f(*)@a0 cpus:1;mem:1024"] }
        ])
      })
    )
  )

  it.effect("fails calls with typed errors and reports state through snapshots", () =>
    withService({}, (allocator) =>
      Effect.gen(function* () {
        yield* allocator.addAgent("a0", { total: res("cpus:2;mem:1024") })
        const duplicate = yield* Effect.flip(allocator.addAgent("a0", { total: res("cpus:1") }))
        expect(duplicate).toEqual(new DuplicateId({ kind: "agent", id: "a0" }))
        expect(yield* Effect.flip(allocator.suppress("nobody"))).toEqual(
          new UnknownId({ kind: "framework", id: "nobody" })
        )
        yield* allocator.addFramework("f", { roles: ["eng"] })
        yield* allocator.setWeight("eng", 2)
        const offers = yield* allocator.allocateNow
        expect(describeOffers(offers)).toEqual(["f(eng)@a0 cpus:2;mem:1024"])
        expect(yield* allocator.allocation("f")).toEqual([
          { frameworkId: "f", role: "eng", agentId: "a0", resources: res("cpus:2;mem:1024") }
        ])
        const shares = yield* allocator.shares
        expect(shares.map((s) => [s.role, s.weight, s.share, s.weightedShare])).toEqual([["eng", 2, 1, 0.5]])
        expect((yield* allocator.agent("a0"))?.available.isEmpty()).toBe(true)
      })
    )
  )

  it.effect("keeps cycling when the onCycle callback throws", () => {
    let calls = 0
    return Effect.gen(function* () {
      const allocator = yield* AllocatorService
      yield* allocator.addFramework("f")
      yield* allocator.addAgent("a0", { total: res("cpus:1;mem:1024") })
      yield* TestClock.adjust(0)
      yield* allocator.addAgent("a1", { total: res("cpus:1;mem:1024") })
      yield* TestClock.adjust(0)
      expect(calls).toBe(2)
    }).pipe(
      Effect.provide(
        AllocatorService.layer({
          onCycle: () => {
            calls++
            throw new Error("listener bug")
          }
        })
      )
    )
  })

  it.effect("rejects a bad interval when the layer is built", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Layer.build(AllocatorService.layer({ allocationIntervalMs: 0 })))
      expect(error).toEqual(new InvalidOption({ option: "allocationIntervalMs", reason: "must be > 0, got 0" }))
    })
  )
})

describe("createAllocator (Promise facade)", () => {
  it("emits offers, rejects with typed errors, and stops", async () => {
    const allocator = await createAllocator({ allocationIntervalMs: 50 })
    try {
      const offered = new Promise<ReadonlyArray<Offer>>((resolve) => allocator.once("offers", resolve))
      await allocator.addFramework("f")
      await allocator.addAgent("a0", { total: res("cpus:1;mem:1024") })
      expect(describeOffers(await offered)).toEqual(["f(*)@a0 cpus:1;mem:1024"])
      await expect(allocator.removeAgent("zz")).rejects.toEqual(new UnknownId({ kind: "agent", id: "zz" }))
      expect((await allocator.shares()).map((s) => s.role)).toEqual(["*"])
    } finally {
      await allocator.stop()
    }
    await expect(createAllocator({ defaultRefuseSeconds: -1 })).rejects.toBeInstanceOf(InvalidOption)
  })
})
