/**
 * The baseline: a straightforward DRF allocator that recomputes and re-sorts every framework's dominant
 * share for every agent (what Mesos' allocator did per agent before its sorter caching), with the same
 * resource arithmetic, filters and offer semantics as `DrfAllocator` for one flat level of frameworks.
 * Measured in the same run, it shows what the incremental sorter buys.
 */
import { type Offer, Resources } from "../../src/allocator/index.js"
import type { Subject } from "./declineOffers.js"

interface Framework {
  readonly id: string
  readonly role: string
  allocated: Resources.Resources
  count: number
  readonly filters: Map<string, Array<{ readonly resources: Resources.Resources; readonly until: number }>>
}

interface Agent {
  readonly id: string
  readonly total: Resources.Resources
  available: Resources.Resources
}

const share = (allocated: Resources.Resources, total: Readonly<Record<string, number>>): number => {
  let max = 0
  for (const [name, amount] of Object.entries(allocated.quantities())) {
    const t = total[name] ?? 0
    if (t > 0) max = Math.max(max, amount / t)
  }
  return max
}

/** A naive allocator as a benchmark subject. */
export const naive = (
  minAllocatable?: ReadonlyArray<Resources.Resources>
): Subject & {
  readonly recover: (offer: Offer, resources: Resources.Resources) => void
  readonly allocateAgents: (now: number, agentIds: ReadonlyArray<string>) => ReadonlyArray<Offer>
} => {
  const frameworks: Array<Framework> = []
  const byId = new Map<string, Framework>()
  const agents = new Map<string, Agent>()
  const total: Record<string, number> = {}
  const allocatable = (r: Resources.Resources) => {
    const q = r.quantities()
    if (minAllocatable !== undefined) return minAllocatable.some((m) => r.contains(m))
    return (q.cpus ?? 0) >= 0.01 || (q.mem ?? 0) >= 32
  }
  const allocateOne = (agent: Agent, now: number, offers: Array<Offer>) => {
    if (!allocatable(agent.available)) return
    const sorted = frameworks
      .map((f) => ({ f, s: share(f.allocated, total) }))
      .sort((a, b) => a.s - b.s || a.f.count - b.f.count || (a.f.id < b.f.id ? -1 : 1))
    for (const { f } of sorted) {
      const offer = agent.available
      const filters = f.filters.get(agent.id)
      if (filters?.some((x) => x.until > now && x.resources.contains(offer))) continue
      f.allocated = f.allocated.add(offer)
      f.count++
      agent.available = agent.available.subtract(offer)
      offers.push({ frameworkId: f.id, role: f.role, agentId: agent.id, hostname: agent.id, resources: offer })
      return
    }
  }
  const recover = (offer: Offer, resources: Resources.Resources) => {
    const f = byId.get(offer.frameworkId)!
    const agent = agents.get(offer.agentId)!
    f.allocated = f.allocated.subtract(resources)
    agent.available = agent.available.add(resources)
  }
  return {
    addAgent: (id, agentTotal, allocated) => {
      let available = agentTotal
      for (const a of allocated) {
        const f = byId.get(a.frameworkId)!
        f.allocated = f.allocated.add(a.resources)
        available = available.subtract(a.resources)
      }
      agents.set(id, { id, total: agentTotal, available })
      for (const [name, amount] of Object.entries(agentTotal.quantities())) total[name] = (total[name] ?? 0) + amount
    },
    addFramework: (id, role) => {
      const f: Framework = { id, role, allocated: Resources.Resources.empty, count: 0, filters: new Map() }
      frameworks.push(f)
      byId.set(id, f)
    },
    allocate: (now) => {
      const offers: Array<Offer> = []
      for (const agent of agents.values()) allocateOne(agent, now, offers)
      return offers
    },
    allocateAgents: (now, agentIds) => {
      const offers: Array<Offer> = []
      for (const id of agentIds) allocateOne(agents.get(id)!, now, offers)
      return offers
    },
    recover,
    decline: (offer, now, refuseSeconds) => {
      recover(offer, offer.resources)
      if (refuseSeconds <= 0) return
      const f = byId.get(offer.frameworkId)!
      const list = f.filters.get(offer.agentId) ?? []
      list.push({ resources: offer.resources, until: now + refuseSeconds * 1000 })
      f.filters.set(offer.agentId, list)
    }
  }
}
