import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import {
  InvalidLbInput,
  PortConflict,
  PortsExhausted,
  type PortTable,
  ServicePorts
} from "../../../src/apps/lb/index.js"

const ports = (range?: PortTable.PortRange) => Effect.provide(Effect.service(ServicePorts), ServicePorts.layer(range))

describe("ServicePorts", () => {
  it.effect("assigns the lowest free port of 10000-10100, the same one again to the same owner", () =>
    Effect.gen(function* () {
      const table = yield* ports()
      expect(yield* table.assign("/web#0")).toBe(10_000)
      expect(yield* table.assign("/api#0")).toBe(10_001)
      expect(yield* table.assign("/web#0")).toBe(10_000)
      yield* table.releaseOwner("/web#0")
      expect(yield* table.assign("/db#0")).toBe(10_000)
    })
  )

  it.effect("reserves explicit ports and refuses one held by another owner, naming both", () =>
    Effect.gen(function* () {
      const table = yield* ports()
      yield* table.reserve(10_005, "/web#0")
      yield* table.reserve(10_005, "/web#0")
      const error = yield* Effect.flip(table.reserve(10_005, "/api#0"))
      expect(error).toEqual(new PortConflict({ port: 10_005, heldBy: "/web#0", requestedBy: "/api#0" }))
      expect(error.message).toBe('service port 10005 requested by "/api#0" is already used by "/web#0"')
      expect(yield* Effect.flip(table.reserve(70_000, "/x#0"))).toBeInstanceOf(InvalidLbInput)
      expect([...(yield* table.assigned)]).toEqual([[10_005, "/web#0"]])
    })
  )

  it.effect("fails with PortsExhausted once the range is used up, and not before", () =>
    Effect.gen(function* () {
      const table = yield* ports({ from: 20_000, to: 20_001 })
      expect(yield* table.assign("a")).toBe(20_000)
      yield* table.reserve(20_001, "b")
      const error = yield* Effect.flip(table.assign("c"))
      expect(error).toEqual(new PortsExhausted({ from: 20_000, to: 20_001, requestedBy: "c" }))
      expect(error.message).toContain("no free service port left in 20000-20001")
      yield* table.release(20_001)
      expect(yield* table.assign("c")).toBe(20_001)
    })
  )

  it.effect("rejects an invalid range", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Layer.build(ServicePorts.layer({ from: 10, to: 5 })))
      expect(error).toEqual(
        new InvalidLbInput({ field: "range", reason: "must be ports 1-65535 with from <= to, got 10-5" })
      )
    })
  )
})
