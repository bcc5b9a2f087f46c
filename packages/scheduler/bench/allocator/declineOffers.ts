/**
 * Mesos' `HierarchicalAllocator_BENCHMARK_Test.DeclineOffers`: every agent `cpus:24;mem:4096;disk:4096;
 * ports:[31000-32000]` with `cpus:16;mem:2014;disk:1024` and 16 port fragments already allocated to one
 * framework (round robin), all frameworks in role `*`, and every framework declining every offer (with a
 * long filter). Each round is one allocation cycle over every agent.
 */
import { Result } from "effect"
import { DrfAllocator, type Offer, Resources } from "../../src/allocator/index.js"

/** One allocator under test: the real one or the naive baseline. */
export interface Subject {
  readonly addAgent: (
    id: string,
    total: Resources.Resources,
    allocated: ReadonlyArray<{ frameworkId: string; resources: Resources.Resources }>
  ) => void
  readonly addFramework: (id: string, role: string) => void
  readonly allocate: (now: number) => ReadonlyArray<Offer>
  readonly decline: (offer: Offer, now: number, refuseSeconds: number) => void
}

export const parse = (text: string): Resources.Resources => Result.getOrThrow(Resources.parse(text))

/** The real allocator as a subject. */
export const drf = (): Subject => {
  const a = Result.getOrThrow(DrfAllocator.make())
  return {
    addAgent: (id, total, allocated) =>
      Result.getOrThrow(
        a.addAgent(
          id,
          { total },
          allocated.map((x) => ({ ...x, role: "*" }))
        )
      ),
    addFramework: (id, role) => Result.getOrThrow(a.addFramework(id, { roles: [role] })),
    allocate: (now) => a.allocate(now),
    decline: (offer, now, refuseSeconds) => Result.getOrThrow(a.recoverResources(offer, { now, refuseSeconds }))
  }
}

/** 16 disjoint port ranges spread over [31000-32000], as Mesos' `fragment(createRange(31000, 32000), 16)`. */
const fragments = (): string => {
  const out: Array<string> = []
  for (let i = 0; i < 16; i++) out.push(`${31000 + i * 62}-${31000 + i * 62 + 30}`)
  return out.join(",")
}

export interface DeclineResult {
  readonly agents: number
  readonly frameworks: number
  readonly rounds: number
  readonly cycleMs: ReadonlyArray<number>
  /** Process CPU time of each cycle (what one core spent, whatever else the machine runs). */
  readonly cpuMs: ReadonlyArray<number>
  readonly offers: number
}

/** Builds the cluster and runs `rounds` cycles, every offer declined; returns each cycle's time. */
export const declineOffers = (
  make: () => Subject,
  agents: number,
  frameworks: number,
  rounds: number
): DeclineResult => {
  const subject = make()
  const total = parse("cpus:24;mem:4096;disk:4096;ports:[31000-32000]")
  const allocation = parse(`cpus:16;mem:2014;disk:1024;ports:[${fragments()}]`)
  for (let f = 0; f < frameworks; f++) subject.addFramework(`framework-${f}`, "*")
  for (let i = 0; i < agents; i++)
    subject.addAgent(`agent-${i}`, total, [{ frameworkId: `framework-${i % frameworks}`, resources: allocation }])
  const cycleMs: Array<number> = []
  const cpuMs: Array<number> = []
  let offers = 0
  const now = 1_000
  for (let round = 0; round < rounds; round++) {
    const cpu = process.cpuUsage()
    const started = performance.now()
    const made = subject.allocate(now)
    cycleMs.push(performance.now() - started)
    const used = process.cpuUsage(cpu)
    cpuMs.push((used.user + used.system) / 1000)
    offers += made.length
    for (const offer of made) subject.decline(offer, now, 365 * 86_400)
  }
  return { agents, frameworks, rounds, cycleMs, cpuMs, offers }
}
