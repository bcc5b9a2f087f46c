/**
 * Latency from a resource change to the offer, through the real `AllocatorService` (event-driven cycles,
 * the periodic full cycle running too): a cluster of `agents` x `roles` (one framework per role) is filled,
 * every framework keeps what it is offered, then `changes` times a task's resources are recovered and the
 * wall time until the event-driven cycle offers them again is recorded.
 */
import { Effect, ManagedRuntime, Result } from "effect"
import { AllocatorService, type Cycle, type Offer, Resources } from "../../src/allocator/index.js"

export interface LatencyResult {
  readonly changes: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

const parse = (text: string) => Result.getOrThrow(Resources.parse(text))

export const serviceLatency = async (agents: number, roles: number, changes: number): Promise<LatencyResult> => {
  let waiting: { readonly agentId: string; readonly resolve: (at: number) => void } | undefined
  const held: Array<Offer> = []
  const onCycle = (cycle: Cycle) => {
    const at = performance.now()
    for (const offer of cycle.offers) {
      held.push(offer)
      if (waiting !== undefined && offer.agentId === waiting.agentId) {
        const w = waiting
        waiting = undefined
        w.resolve(at)
      }
    }
  }
  const runtime = ManagedRuntime.make(AllocatorService.layer({ allocationIntervalMs: 1_000, onCycle }))
  try {
    return await runtime.runPromise(
      Effect.gen(function* () {
        const service = yield* AllocatorService
        const total = parse("cpus:16;mem:65536")
        for (let r = 0; r < roles; r++) {
          yield* service.setWeight(`team-${r}`, 1 + (r % 3))
          yield* service.addFramework(`fw-${r}`, { roles: [`team-${r}`] })
        }
        for (let i = 0; i < agents; i++) yield* service.addAgent(`agent-${i}`, { total })
        yield* service.allocateNow
        const task = parse("cpus:1;mem:4096")
        const latencies: Array<number> = []
        let seed = 7
        for (let k = 0; k < changes; k++) {
          seed = (seed * 1103515245 + 12345) % 2147483648
          const index = seed % held.length
          const offer = held[index]!
          const piece = offer.resources.contains(task) ? task : offer.resources
          const rest = offer.resources.subtract(piece)
          if (rest.isEmpty()) held.splice(index, 1)
          else held[index] = { ...offer, resources: rest }
          const offered = new Promise<number>((resolve) => {
            waiting = { agentId: offer.agentId, resolve }
          })
          const started = performance.now()
          yield* service.recoverResources({ ...offer, resources: piece })
          const at = yield* Effect.promise(() => offered)
          latencies.push(at - started)
        }
        latencies.sort((a, b) => a - b)
        const pick = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!
        return { changes, p50Ms: pick(50), p99Ms: pick(99), maxMs: latencies[latencies.length - 1]! }
      })
    )
  } finally {
    await runtime.dispose()
  }
}
