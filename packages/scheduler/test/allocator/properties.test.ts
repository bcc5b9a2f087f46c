/**
 * Progressive filling through offers (frameworks launch one task per offer, decline what cannot hold one)
 * on random instances: the DRF properties in their discrete form (a task is indivisible, so envy and the
 * sharing-incentive bound allow one task of slack).
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { Resources } from "../../src/allocator/index.js"
import { countBy, fill, make, ok, res } from "./driver.js"

interface Instance {
  readonly capacity: { readonly cpus: number; readonly mem: number }
  readonly users: ReadonlyArray<{ readonly cpus: number; readonly mem: number; readonly weight: number }>
}

const instance = (weighted: boolean): fc.Arbitrary<Instance> =>
  fc.record({
    capacity: fc.record({ cpus: fc.integer({ min: 8, max: 64 }), mem: fc.integer({ min: 8, max: 64 }) }),
    users: fc.array(
      fc.record({
        cpus: fc.integer({ min: 1, max: 6 }),
        mem: fc.integer({ min: 1, max: 6 }),
        weight: weighted ? fc.integer({ min: 1, max: 4 }) : fc.constant(1)
      }),
      { minLength: 2, maxLength: 6 }
    )
  })

/** Runs progressive filling on one agent holding the whole capacity; each user is a framework in its own role. */
const run = (inst: Instance) => {
  const allocator = make()
  ok(allocator.addAgent("pool", { total: res(`cpus:${inst.capacity.cpus};mem:${inst.capacity.mem * 1024}`) }))
  const tasks: Record<string, Resources.Resources> = {}
  inst.users.forEach((u, i) => {
    ok(allocator.setWeight(`r${i}`, u.weight))
    ok(allocator.addFramework(`u${i}`, { roles: [`r${i}`] }))
    tasks[`u${i}`] = res(`cpus:${u.cpus};mem:${u.mem * 1024}`)
  })
  const counts = countBy(fill(allocator, tasks))
  const t = inst.users.map((_, i) => counts[`u${i}`] ?? 0)
  const used = inst.users.reduce((acc, u, i) => ({ cpus: acc.cpus + u.cpus * t[i]!, mem: acc.mem + u.mem * t[i]! }), {
    cpus: 0,
    mem: 0
  })
  /** Dominant share of one task of each user, and of what each user got. */
  const d = inst.users.map((u) => Math.max(u.cpus / inst.capacity.cpus, u.mem / inst.capacity.mem))
  const s = t.map((n, i) => n * d[i]!)
  return { t, used, d, s }
}

/** How many of user i's tasks fit in `cpus`/`mem`. */
const fits = (u: { cpus: number; mem: number }, cpus: number, mem: number) =>
  Math.max(0, Math.min(Math.floor(cpus / u.cpus), Math.floor(mem / u.mem)))

const eps = 1e-9

// Gotcha, found by these tests: the naive discrete forms do not hold. A user whose task does not fit when
// it is its turn gets nothing more while others go on, so "dominant share within one task of every other
// user" and "at least the tasks of an equal 1/n slice" both fail (capacity 9 cpus/12 GB, users <1,6>, <1,6>,
// <1,1>: the third user is blocked on memory with 0 tasks). What holds is envy-freeness in tasks up to one
// task, and the sharing-incentive bound below (proof in docs/scheduler.md).

describe("DRF progressive filling through offers (property tests)", () => {
  it("is Pareto-efficient: when offers stop, no user's next task fits in what is left", () => {
    fc.assert(
      fc.property(instance(true), (inst) => {
        const { used } = run(inst)
        for (const u of inst.users)
          expect(fits(u, inst.capacity.cpus - used.cpus, inst.capacity.mem - used.mem)).toBe(0)
      }),
      { numRuns: 200 }
    )
  })

  it("is envy-free up to one task: no user could run more tasks on another's allocation minus one task", () => {
    fc.assert(
      fc.property(instance(false), (inst) => {
        const { t } = run(inst)
        inst.users.forEach((ui, i) => {
          inst.users.forEach((uj, j) => {
            if (i === j || t[j] === 0) return
            const cpus = (t[j]! - 1) * uj.cpus
            const mem = (t[j]! - 1) * uj.mem
            expect(fits(ui, cpus, mem)).toBeLessThanOrEqual(t[i]!)
          })
        })
      }),
      { numRuns: 200 }
    )
  })

  it("gives sharing incentive: s_i >= (w_i / W) * (1 - sum of one task's share over all users)", () => {
    fc.assert(
      fc.property(instance(true), (inst) => {
        const { d, s } = run(inst)
        const W = inst.users.reduce((sum, u) => sum + u.weight, 0)
        const slack = d.reduce((sum, x) => sum + x, 0)
        inst.users.forEach((u, i) => {
          expect(s[i]!).toBeGreaterThanOrEqual((u.weight / W) * (1 - slack) - eps)
        })
      }),
      { numRuns: 200 }
    )
  })

  it("on many agents, stops only when no agent can hold any user's next task", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ cpus: fc.integer({ min: 1, max: 16 }), mem: fc.integer({ min: 1, max: 16 }) }), {
          minLength: 1,
          maxLength: 6
        }),
        instance(true),
        (agents, inst) => {
          const allocator = make()
          for (const [i, a] of agents.entries())
            ok(allocator.addAgent(`a${i}`, { total: res(`cpus:${a.cpus};mem:${a.mem * 1024}`) }))
          const tasks: Record<string, Resources.Resources> = {}
          inst.users.forEach((u, i) => {
            ok(allocator.setWeight(`r${i}`, u.weight))
            ok(allocator.addFramework(`u${i}`, { roles: [`r${i}`] }))
            tasks[`u${i}`] = res(`cpus:${u.cpus};mem:${u.mem * 1024}`)
          })
          fill(allocator, tasks)
          for (const id of allocator.agentIds()) {
            const free = allocator.agent(id)!.available
            for (const task of Object.values(tasks)) expect(free.contains(task)).toBe(false)
          }
        }
      ),
      { numRuns: 150 }
    )
  })
})
