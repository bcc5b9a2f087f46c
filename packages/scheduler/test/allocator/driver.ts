/**
 * Test helpers: resource parsing that fails loudly, and a driver that plays frameworks launching one task
 * per offer (declining what does not fit) until no offer is made: progressive filling through offers.
 */
import { Result } from "effect"
import { DrfAllocator, type Offer, Resources } from "../../src/allocator/index.js"

export const res = (text: string): Resources.Resources => Result.getOrThrow(Resources.parse(text))

export const make = (options: Parameters<typeof DrfAllocator.make>[0] = {}): DrfAllocator =>
  Result.getOrThrow(DrfAllocator.make(options))

export const ok = <A, E>(result: Result.Result<A, E>): A => Result.getOrThrow(result)

/** Offers of one cycle as `framework@agent resources` lines, for whole-value assertions. */
export const describeOffers = (offers: ReadonlyArray<Offer>): ReadonlyArray<string> =>
  offers.map((o) => `${o.frameworkId}(${o.role})@${o.agentId} ${o.resources.toString()}`)

export interface Launch {
  readonly frameworkId: string
  readonly agentId: string
}

/**
 * Runs cycles until no offer is made: each framework launches one task of `tasks[framework]` from an offer
 * that holds it and returns the rest without a filter, and declines (filtered for an hour) an offer that
 * cannot hold one. Returns the launches in order.
 */
export const fill = (
  allocator: DrfAllocator,
  tasks: Readonly<Record<string, Resources.Resources>>,
  maxCycles = 10_000
): ReadonlyArray<Launch> => {
  const launches: Array<Launch> = []
  for (let now = 0; now < maxCycles; now++) {
    const offers = allocator.allocate(now)
    if (offers.length === 0) return launches
    for (const offer of offers) {
      const task = tasks[offer.frameworkId]!
      if (offer.resources.contains(task)) {
        launches.push({ frameworkId: offer.frameworkId, agentId: offer.agentId })
        const rest = offer.resources.subtract(task)
        if (!rest.isEmpty()) ok(allocator.recoverResources({ ...offer, resources: rest }))
      } else ok(allocator.recoverResources(offer, { now, refuseSeconds: 3600 }))
    }
  }
  throw new Error("the driver did not converge")
}

export const countBy = (launches: ReadonlyArray<Launch>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const l of launches) out[l.frameworkId] = (out[l.frameworkId] ?? 0) + 1
  return out
}
