/**
 * A steady stream of task requests on a large cluster (default 5,000 agents x 1,000 roles, one framework
 * per role), simulated time, real allocator: tasks of a mixed workload arrive at every framework faster than
 * the cluster can run them, finish after their duration, and every finished task is a resource change that
 * triggers an event-driven cycle for its agent (plus a full cycle every simulated second). Frameworks launch
 * what fits from each offer (balanced bin packing over the head of their queue) and decline the rest with Mesos'
 * default 5 s filter; an offer must hold the smallest task shape (`minAllocatable`).
 *
 * Measured over the steady phase (after a warm-up): placement decisions (tasks launched) per wall second,
 * wall latency from a resource change to the offer of that agent, and cluster utilization by running tasks.
 */
import { Result } from "effect"
import { DrfAllocator, type Offer, Resources } from "../../src/allocator/index.js"
import { naive } from "./NaiveAllocator.js"

const parse = (text: string) => Result.getOrThrow(Resources.parse(text))

/** What the simulation needs from an allocator. */
export interface StreamSubject {
  readonly addAgent: (id: string, total: Resources.Resources) => void
  readonly addFramework: (id: string, role: string, weight: number) => void
  readonly allocate: (now: number, agentIds: ReadonlyArray<string> | undefined) => ReadonlyArray<Offer>
  readonly recover: (
    offer: Offer,
    resources: Resources.Resources,
    now: number,
    refuseSeconds: number | undefined
  ) => void
}

/**
 * An offer must hold one of the workload's smallest task shapes (Mesos' `--min_allocatable_resources`,
 * `cpus:0.25;mem:2048|cpus:0.5;mem:1024`): every other shape contains one of them.
 */
export const minAllocatable = ["cpus:0.25;mem:2048", "cpus:0.5;mem:1024"] as const

export const drfStream = (): StreamSubject => {
  const a = Result.getOrThrow(DrfAllocator.make({ minAllocatable: minAllocatable.map(parse) }))
  return {
    addAgent: (id, total) => Result.getOrThrow(a.addAgent(id, { total })),
    addFramework: (id, role, weight) => {
      Result.getOrThrow(a.setWeight(role, weight))
      Result.getOrThrow(a.addFramework(id, { roles: [role] }))
    },
    allocate: (now, agentIds) => a.allocate(now, agentIds),
    recover: (offer, resources, now, refuseSeconds) =>
      Result.getOrThrow(
        a.recoverResources({ ...offer, resources }, refuseSeconds === undefined ? undefined : { now, refuseSeconds })
      )
  }
}

export const naiveStream = (): StreamSubject => {
  const a = naive(minAllocatable.map(parse))
  return {
    addAgent: (id, total) => a.addAgent(id, total, []),
    addFramework: (id, role) => a.addFramework(id, role),
    allocate: (now, agentIds) => (agentIds === undefined ? a.allocate(now) : a.allocateAgents(now, agentIds)),
    recover: (offer, resources, now, refuseSeconds) => {
      if (refuseSeconds === undefined) a.recover(offer, resources)
      else a.decline({ ...offer, resources }, now, refuseSeconds)
    }
  }
}

/**
 * The mixed workload: task shapes (cpus, MB) and mean durations (simulated seconds), from memory-light to
 * memory-heavy, about 3.9 GB per CPU over time, close to the agents' 4 GB per CPU, so both resources fill.
 */
const shapes: ReadonlyArray<{ readonly cpus: number; readonly mem: number; readonly seconds: number }> = [
  { cpus: 0.5, mem: 1024, seconds: 6 },
  { cpus: 1, mem: 4096, seconds: 10 },
  { cpus: 2, mem: 8192, seconds: 12 },
  { cpus: 1, mem: 8192, seconds: 8 },
  { cpus: 4, mem: 16384, seconds: 15 },
  { cpus: 2, mem: 4096, seconds: 10 },
  { cpus: 0.25, mem: 2048, seconds: 5 }
]
const shapeResources = shapes.map((s) => parse(`cpus:${s.cpus};mem:${s.mem}`))

/** A small deterministic PRNG (mulberry32), so both subjects see the same workload. */
const rng = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

export interface StreamOptions {
  readonly agents: number
  readonly roles: number
  readonly warmupSeconds: number
  readonly measureSeconds: number
  readonly tickMs: number
}

export interface StreamResult {
  readonly decisions: number
  readonly wallMs: number
  readonly decisionsPerSecond: number
  /** Process CPU time of the measured phase, and decisions per CPU second (robust to a loaded machine). */
  readonly cpuMs: number
  readonly decisionsPerCpuSecond: number
  readonly latencyP50Ms: number
  readonly latencyP99Ms: number
  readonly latencies: number
  readonly cpuUtilization: number
  readonly memUtilization: number
}

interface Running {
  readonly offer: Offer
  readonly resources: Resources.Resources
  readonly cpus: number
  readonly mem: number
}

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

export const steadyStream = (make: () => StreamSubject, options: StreamOptions): StreamResult => {
  const subject = make()
  const random = rng(42)
  const agentCpus = 16
  const agentMem = 65536
  const total = parse(`cpus:${agentCpus};mem:${agentMem}`)
  for (let i = 0; i < options.agents; i++) subject.addAgent(`agent-${i}`, total)
  const queues: Array<Array<number>> = []
  for (let r = 0; r < options.roles; r++) {
    subject.addFramework(`fw-${r}`, `team-${r}`, 1 + (r % 3))
    queues.push([])
  }
  const frameworkIndex = (id: string) => Number(id.slice(3))
  // Arrivals: 20% above what the cluster can run at full use, spread evenly over frameworks.
  const meanCpuSeconds = shapes.reduce((s, x) => s + x.cpus * x.seconds, 0) / shapes.length
  const arrivalsPerSecond = ((options.agents * agentCpus) / meanCpuSeconds) * 1.2
  const finishing = new Map<number, Array<Running>>()
  let usedCpus = 0
  let usedMem = 0
  let decisions = 0
  let wallMs = 0
  let cpuMs = 0
  const latencies: Array<number> = []
  const utilization: Array<readonly [number, number]> = []
  const ticks = Math.round(((options.warmupSeconds + options.measureSeconds) * 1000) / options.tickMs)
  const warmupTicks = Math.round((options.warmupSeconds * 1000) / options.tickMs)
  const ticksPerSecond = Math.round(1000 / options.tickMs)
  let carry = 0

  /** What a framework looks at in its queue for one offer (the head of the queue, oldest first). */
  const window = 64
  const launchFrom = (offers: ReadonlyArray<Offer>, tick: number, now: number, measuring: boolean): Set<string> => {
    const declined = new Set<string>()
    for (const offer of offers) {
      const queue = queues[frameworkIndex(offer.frameworkId)]!
      // Bin packing, as a packing framework does: among the queued tasks at the head of the queue, launch the
      // one that leaves what is left of the offer most balanced (cpus and memory as shares of an agent, so
      // the rest stays usable by the next tasks; bigger tasks first on a tie), until none fits. Plain numbers:
      // the offer's amounts are read once.
      const amounts = offer.resources.quantities()
      let leftCpus = amounts.cpus ?? 0
      let leftMem = amounts.mem ?? 0
      let used: Resources.Resources | undefined
      for (;;) {
        let best = -1
        let bestScore = -1
        for (let k = 0; k < queue.length && k < window; k++) {
          const s = shapes[queue[k]!]!
          if (s.cpus > leftCpus + 1e-9 || s.mem > leftMem + 1e-9) continue
          const score =
            0.01 * (s.cpus / agentCpus + s.mem / agentMem) -
            Math.abs((leftCpus - s.cpus) / agentCpus - (leftMem - s.mem) / agentMem)
          if (score > bestScore) {
            best = k
            bestScore = score
          }
        }
        if (best < 0) break
        const shape = queue[best]!
        queue.splice(best, 1)
        const s = shapes[shape]!
        const need = shapeResources[shape]!
        leftCpus -= s.cpus
        leftMem -= s.mem
        used = used === undefined ? need : used.add(need)
        const ends = tick + Math.max(1, Math.round((s.seconds * (0.5 + random()) * 1000) / options.tickMs))
        const list = finishing.get(ends) ?? []
        list.push({ offer, resources: need, cpus: s.cpus, mem: s.mem })
        finishing.set(ends, list)
        usedCpus += s.cpus
        usedMem += s.mem
        if (measuring) decisions++
      }
      const left = used === undefined ? offer.resources : offer.resources.subtract(used)
      if (!left.isEmpty()) {
        subject.recover(offer, left, now, 5)
        declined.add(offer.agentId)
      }
    }
    return declined
  }

  for (let tick = 0; tick < ticks; tick++) {
    const now = tick * options.tickMs
    const measuring = tick >= warmupTicks
    carry += (arrivalsPerSecond * options.tickMs) / 1000
    const arrivals = Math.floor(carry)
    carry -= arrivals
    for (let i = 0; i < arrivals; i++)
      queues[Math.floor(random() * options.roles)]!.push(Math.floor(random() * shapes.length))
    const started = performance.now()
    const cpuStarted = measuring ? process.cpuUsage() : undefined
    const changedAt = new Map<string, number>()
    for (const task of finishing.get(tick) ?? []) {
      subject.recover(task.offer, task.resources, now, undefined)
      usedCpus -= task.cpus
      usedMem -= task.mem
      if (!changedAt.has(task.offer.agentId)) changedAt.set(task.offer.agentId, performance.now())
    }
    finishing.delete(tick)
    // Event-driven cycle for the agents that changed; the periodic full cycle (every simulated second) runs
    // after it, as the service does when both are due.
    let offers = changedAt.size === 0 ? [] : subject.allocate(now, [...changedAt.keys()])
    const offeredAt = performance.now()
    if (measuring)
      for (const offer of offers) {
        const at = changedAt.get(offer.agentId)
        if (at !== undefined) {
          latencies.push(offeredAt - at)
          changedAt.delete(offer.agentId)
        }
      }
    if (tick % ticksPerSecond === 0) offers = [...offers, ...subject.allocate(now, undefined)]
    // Declines are resource changes too: offer those agents again (other frameworks) in the same tick.
    for (let round = 0; round < 3 && offers.length > 0; round++) {
      const declined = launchFrom(offers, tick, now, measuring)
      offers = declined.size === 0 ? [] : subject.allocate(now, [...declined])
    }
    if (offers.length > 0) launchFrom(offers, tick, now, measuring)
    if (measuring) wallMs += performance.now() - started
    if (cpuStarted !== undefined) {
      const used = process.cpuUsage(cpuStarted)
      cpuMs += (used.user + used.system) / 1000
    }
    if (measuring && tick % ticksPerSecond === 0)
      utilization.push([usedCpus / (options.agents * agentCpus), usedMem / (options.agents * agentMem)])
  }
  latencies.sort((a, b) => a - b)
  const mean = (i: 0 | 1) => utilization.reduce((s, u) => s + u[i], 0) / Math.max(1, utilization.length)
  return {
    decisions,
    wallMs,
    decisionsPerSecond: decisions / (wallMs / 1000),
    cpuMs,
    decisionsPerCpuSecond: decisions / (cpuMs / 1000),
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    latencies: latencies.length,
    cpuUtilization: mean(0),
    memUtilization: mean(1)
  }
}
