/**
 * Rolling updates simulated against a random world: tasks start slowly, new tasks fail their health checks
 * at random (and are replaced, as the health monitor does), old tasks fail or get lost at random, kills take
 * a while, launches wait for offers, and `instances` may change mid-deployment. After a chaotic phase the world
 * calms down (every task becomes healthy, except, in some runs, old tasks that never get a health verdict). Checked at every step: the plan's own kills never take the
 * available count below the floor (or below where it already was), its launches never take the total above
 * the ceiling; and once calm, the deployment finishes with `instances` healthy new tasks.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { capacityBounds, isAvailable, nextStep, type PlanTask } from "../../../src/apps/plan/index.js"

interface WorldTask {
  id: string
  version: "old" | "new"
  state: PlanTask["state"]
  alive: boolean | undefined
  ready: boolean
  killing: boolean
}

interface Scenario {
  readonly instances: number
  readonly newInstances: number | undefined
  readonly minHealth: number
  readonly maxOver: number
  readonly old: ReadonlyArray<number>
  readonly existingNew: ReadonlyArray<number>
  readonly failNew: number
  readonly failOld: number
  readonly chaosRounds: number
  /** Old tasks without a verdict never get one (a version whose checks stay in their grace period). */
  readonly stuckOld: boolean
  readonly seed: number
}

/** mulberry32: a small deterministic generator for the world's dice. */
const dice = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const fraction = fc.oneof(fc.constantFrom(0, 0.25, 0.5, 0.7, 1), fc.double({ min: 0, max: 1, noNaN: true }))

const scenario: fc.Arbitrary<Scenario> = fc.record({
  instances: fc.integer({ min: 0, max: 8 }),
  newInstances: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
  minHealth: fraction,
  maxOver: fraction,
  old: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 10 }),
  existingNew: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
  failNew: fc.constantFrom(0, 0.1, 0.3, 0.6),
  failOld: fc.constantFrom(0, 0.02, 0.1),
  chaosRounds: fc.integer({ min: 0, max: 30 }),
  stuckOld: fc.boolean(),
  seed: fc.integer()
})

/** Initial task states by code: 0 healthy, 1 unhealthy, 2 staging, 3 running without verdict, 4 alive not ready. */
const initial = (id: string, version: "old" | "new", code: number): WorldTask => {
  const base = { id, version, killing: false }
  switch (code) {
    case 0:
      return { ...base, state: "running", alive: true, ready: true }
    case 1:
      return { ...base, state: "running", alive: false, ready: true }
    case 2:
      return { ...base, state: "staging", alive: undefined, ready: false }
    case 3:
      return { ...base, state: "running", alive: undefined, ready: false }
    default:
      return { ...base, state: "running", alive: true, ready: false }
  }
}

const planTask = (t: WorldTask): PlanTask => ({
  id: t.id,
  state: t.state,
  alive: t.alive,
  ready: t.ready,
  killing: t.killing
})

/** Runs the scenario; returns the number of rounds until done (throws on a broken invariant). */
const simulate = (s: Scenario): number => {
  const roll = dice(s.seed)
  const strategy = { minimumHealthCapacity: s.minHealth, maximumOverCapacity: s.maxOver }
  let tasks: Array<WorldTask> = [
    ...s.old.map((code, i) => initial(`old-${i}`, "old", code)),
    ...s.existingNew.map((code, i) => initial(`new-x${i}`, "new", code))
  ]
  let pending = 0
  let launched = 0
  let instances = s.instances
  const changeAt = s.newInstances === undefined ? -1 : Math.floor(roll() * (s.chaosRounds + 1))
  const maxRounds = s.chaosRounds + 80
  for (let round = 0; round < maxRounds; round++) {
    const calm = round >= s.chaosRounds
    if (round === changeAt && s.newInstances !== undefined) instances = s.newInstances
    const { minHealthy, maxCapacity } = capacityBounds(instances, strategy)
    const step = nextStep({
      instances,
      strategy,
      old: tasks.filter((t) => t.version === "old").map(planTask),
      new: tasks.filter((t) => t.version === "new").map(planTask),
      pending
    })
    const availableBefore = tasks.filter((t) => isAvailable(planTask(t))).length
    const totalBefore = tasks.length + pending
    expect(step.launch).toBeGreaterThanOrEqual(0)
    expect(new Set(step.kill).size).toBe(step.kill.length)
    for (const id of step.kill) {
      const task = tasks.find((t) => t.id === id)
      expect(task, `kill of unknown task ${id}`).toBeDefined()
      expect(task!.killing, `second kill of ${id}`).toBe(false)
      task!.killing = true
    }
    const availableAfter = tasks.filter((t) => isAvailable(planTask(t))).length
    expect(availableAfter, "the plan's kills broke the healthy floor").toBeGreaterThanOrEqual(
      Math.min(minHealthy, availableBefore)
    )
    expect(totalBefore + step.launch, "the plan's launches broke the ceiling").toBeLessThanOrEqual(
      Math.max(maxCapacity, totalBefore)
    )
    if (step.done) {
      expect(tasks.every((t) => t.version === "new" && isAvailable(planTask(t)))).toBe(true)
      expect(tasks.length).toBe(instances)
      return round
    }
    pending += step.launch

    // The world moves on.
    const next: Array<WorldTask> = []
    for (const t of tasks) {
      if (t.killing) {
        if (calm || roll() < 0.6) continue
        next.push(t)
        continue
      }
      if (t.version === "old" && !calm && roll() < s.failOld) continue
      if (t.state === "staging") t.state = "starting"
      else if (t.state === "starting") t.state = "running"
      else if (t.alive === undefined) {
        if (s.stuckOld && t.version === "old") {
          next.push(t)
          continue
        }
        const fails = !calm && roll() < (t.version === "new" ? s.failNew : s.failOld)
        t.alive = !fails
      } else if (t.alive === false) {
        if (t.version === "new") t.killing = true
        else if (calm) t.alive = true
      } else if (!t.ready) t.ready = calm || roll() < 0.7
      next.push(t)
    }
    for (let placed = pending; placed > 0; placed--) {
      if (!calm && roll() < 0.3) continue
      pending--
      next.push(initial(`new-${launched++}`, "new", 2))
    }
    tasks = next
  }
  throw new Error(`not done after ${maxRounds} rounds: ${JSON.stringify({ instances, pending, tasks })}`)
}

describe("nextStep (simulated rolling updates)", () => {
  it("never breaks the floor or the ceiling by its own actions, and finishes once new tasks get healthy", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        simulate(s)
      }),
      { numRuns: 400 }
    )
  })

  it("finishes a calm rolling update of n healthy tasks for every strategy", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fraction, fraction, (n, minHealth, maxOver) => {
        const rounds = simulate({
          instances: n,
          newInstances: undefined,
          minHealth,
          maxOver,
          old: Array.from({ length: n }, () => 0),
          existingNew: [],
          failNew: 0,
          failOld: 0,
          chaosRounds: 0,
          stuckOld: false,
          seed: 1
        })
        expect(rounds).toBeLessThanOrEqual(6 * n + 6)
      }),
      { numRuns: 200 }
    )
  })
})
