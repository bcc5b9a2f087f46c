import { describe, expect, it } from "vitest"
import { capacityBounds, isAvailable, nextStep, type PlanTask } from "../../../src/apps/plan/index.js"

const healthy = (id: string): PlanTask => ({ id, state: "running", alive: true, ready: true })
const unhealthy = (id: string): PlanTask => ({ id, state: "running", alive: false, ready: true })
const noVerdict = (id: string): PlanTask => ({ id, state: "running", alive: undefined, ready: false })
const notReady = (id: string): PlanTask => ({ id, state: "running", alive: true, ready: false })
const staging = (id: string): PlanTask => ({ id, state: "staging", alive: undefined, ready: false })
const killing = (task: PlanTask): PlanTask => ({ ...task, killing: true })
const ids = (prefix: string, count: number, make: (id: string) => PlanTask) =>
  Array.from({ length: count }, (_, i) => make(`${prefix}${i}`))

/** The step of a deployment that is not done yet. */
const going = (kill: ReadonlyArray<string>, launch: number) => ({ kill, launch, done: false })

const strategy = (minimumHealthCapacity: number, maximumOverCapacity: number) => ({
  minimumHealthCapacity,
  maximumOverCapacity
})

describe("capacityBounds", () => {
  it("is ceil(n x minHealth) and floor(n x (1 + maxOver))", () => {
    expect(capacityBounds(4, strategy(1, 1))).toEqual({ minHealthy: 4, maxCapacity: 8, surge: false })
    expect(capacityBounds(5, strategy(0.5, 0.5))).toEqual({ minHealthy: 3, maxCapacity: 7, surge: false })
    expect(capacityBounds(4, strategy(0, 0))).toEqual({ minHealthy: 0, maxCapacity: 4, surge: false })
  })

  it("does not let floating point error round 10 x 0.7 up to 8", () => {
    expect(capacityBounds(10, strategy(0.7, 0.1)).minHealthy).toBe(7)
    expect(capacityBounds(10, strategy(0.7, 0.1)).maxCapacity).toBe(11)
  })

  it("allows one extra task when the strategy leaves no headroom (Marathon's rule)", () => {
    expect(capacityBounds(3, strategy(1, 0))).toEqual({ minHealthy: 3, maxCapacity: 4, surge: true })
    expect(capacityBounds(3, strategy(0.9, 0.2))).toEqual({ minHealthy: 3, maxCapacity: 4, surge: true })
    expect(capacityBounds(3, strategy(0.6, 0))).toEqual({ minHealthy: 2, maxCapacity: 3, surge: false })
  })

  it("is all zero for 0 instances", () => {
    expect(capacityBounds(0, strategy(1, 0))).toEqual({ minHealthy: 0, maxCapacity: 0, surge: false })
  })
})

describe("nextStep", () => {
  it("with Marathon's defaults (1.0 / 1.0) starts all new tasks next to the old ones", () => {
    expect(nextStep({ instances: 3, strategy: strategy(1, 1), old: ids("o", 3, healthy), new: [] })).toEqual(
      going([], 3)
    )
  })

  it("kills one healthy old task per new task that is alive and ready, not before", () => {
    const old = ids("o", 3, healthy)
    const input = { instances: 3, strategy: strategy(1, 1), old }
    expect(nextStep({ ...input, new: [noVerdict("n0"), notReady("n1"), staging("n2")] })).toEqual(going([], 0))
    expect(nextStep({ ...input, new: [healthy("n0"), notReady("n1"), staging("n2")] })).toEqual(going(["o0"], 0))
    expect(nextStep({ ...input, new: [healthy("n0"), healthy("n1"), healthy("n2")] })).toEqual(
      going(["o0", "o1", "o2"], 0)
    )
  })

  it("kills unhealthy and not yet running old tasks at once, waits for a verdict on running ones", () => {
    const old = [healthy("o0"), unhealthy("o1"), staging("o2"), noVerdict("o3")]
    expect(nextStep({ instances: 4, strategy: strategy(1, 1), old, new: [] })).toEqual(going(["o1", "o2"], 4))
  })

  it("after a scheduler restart (no verdicts yet) kills nothing that may be serving until the floor is met", () => {
    const input = { instances: 3, strategy: strategy(1, 1), old: ids("o", 3, noVerdict) }
    expect(nextStep({ ...input, new: [] })).toEqual(going([], 3))
    expect(nextStep({ ...input, new: [healthy("n0"), healthy("n1"), noVerdict("n2")] })).toEqual(going([], 0))
    expect(nextStep({ ...input, new: ids("n", 3, healthy) })).toEqual(going(["o0", "o1", "o2"], 0))
  })

  it("kills tasks without a verdict once the available ones alone keep the floor", () => {
    const old = [healthy("o0"), healthy("o1"), noVerdict("o2"), notReady("o3")]
    expect(nextStep({ instances: 4, strategy: strategy(0.5, 0), old, new: [] })).toEqual(going(["o2", "o3"], 0))
  })

  it("with minimumHealthCapacity 0.5 kills half the old tasks at once, and launches as capacity frees", () => {
    const input = { instances: 4, strategy: strategy(0.5, 0) }
    expect(nextStep({ ...input, old: ids("o", 4, healthy), new: [] })).toEqual(going(["o0", "o1"], 0))
    const old = [killing(healthy("o0")), killing(healthy("o1")), healthy("o2"), healthy("o3")]
    expect(nextStep({ ...input, old, new: [] })).toEqual(going([], 0))
    expect(nextStep({ ...input, old: old.slice(2), new: [] })).toEqual(going([], 2))
    expect(nextStep({ ...input, old: old.slice(2), new: [healthy("n0"), healthy("n1")] })).toEqual(
      going(["o2", "o3"], 0)
    )
  })

  it("with no headroom (1.0 / 0.0) starts one extra task, then replaces one old task at a time", () => {
    const input = { instances: 3, strategy: strategy(1, 0) }
    expect(nextStep({ ...input, old: ids("o", 3, healthy), new: [] })).toEqual(going([], 1))
    expect(nextStep({ ...input, old: ids("o", 3, healthy), new: [healthy("n0")] })).toEqual(going(["o0"], 0))
    expect(nextStep({ ...input, old: ids("o", 2, healthy), new: [healthy("n0")] })).toEqual(going([], 1))
  })

  it("when the old tasks are already below the floor, kills only unavailable ones and never a healthy one", () => {
    const old = [healthy("o0"), healthy("o1"), unhealthy("o2"), unhealthy("o3")]
    expect(nextStep({ instances: 4, strategy: strategy(1, 0), old, new: [] })).toEqual(going(["o2", "o3"], 1))
    expect(nextStep({ instances: 4, strategy: strategy(1, 0), old: old.slice(0, 2), new: [healthy("n0")] })).toEqual(
      going([], 2)
    )
  })

  it("is done once n new tasks are available and no old task, pending launch or task being killed is left", () => {
    const input = { instances: 2, strategy: strategy(1, 1) }
    expect(nextStep({ ...input, old: [], new: ids("n", 2, healthy) })).toEqual({ kill: [], launch: 0, done: true })
    expect(nextStep({ ...input, old: [killing(healthy("o0"))], new: ids("n", 2, healthy) }).done).toBe(false)
    expect(nextStep({ ...input, old: [], new: [healthy("n0"), notReady("n1")] }).done).toBe(false)
    expect(nextStep({ ...input, old: [], new: [healthy("n0")], pending: 1 })).toEqual(going([], 0))
  })

  it("with 0 instances stops everything, and is done when nothing is left", () => {
    expect(
      nextStep({ instances: 0, strategy: strategy(1, 1), old: [healthy("o0")], new: [healthy("n0"), staging("n1")] })
    ).toEqual(going(["n1", "o0", "n0"], 0))
    expect(nextStep({ instances: 0, strategy: strategy(1, 1), old: [], new: [] })).toEqual({
      kill: [],
      launch: 0,
      done: true
    })
  })

  it("follows instances changed during a deployment", () => {
    const old = [healthy("o0")]
    const fresh = ids("n", 3, healthy)
    expect(nextStep({ instances: 2, strategy: strategy(1, 1), old, new: fresh })).toEqual(going(["o0", "n2"], 0))
    expect(nextStep({ instances: 6, strategy: strategy(1, 1), old, new: fresh })).toEqual(going([], 3))
  })

  it("scales up and down when every task is new", () => {
    const strategyDefault = strategy(1, 1)
    expect(nextStep({ instances: 5, strategy: strategyDefault, old: [], new: [healthy("t0")] })).toEqual(going([], 4))
    expect(nextStep({ instances: 2, strategy: strategyDefault, old: [], new: ids("t", 5, healthy) })).toEqual(
      going(["t4", "t3", "t2"], 0)
    )
    expect(
      nextStep({
        instances: 2,
        strategy: strategyDefault,
        old: [],
        new: [healthy("t0"), unhealthy("t1"), healthy("t2"), staging("t3")]
      })
    ).toEqual(going(["t1", "t3"], 0))
  })

  it("scales down youngest first by default, oldest first with killSelection OLDEST_FIRST; the worst go first", () => {
    const down = (killSelection: "YOUNGEST_FIRST" | "OLDEST_FIRST" | undefined, tasks: ReadonlyArray<PlanTask>) =>
      nextStep({ instances: 2, strategy: strategy(1, 1), old: [], new: tasks, killSelection })
    expect(down(undefined, ids("t", 5, healthy))).toEqual(going(["t4", "t3", "t2"], 0))
    expect(down("YOUNGEST_FIRST", ids("t", 5, healthy))).toEqual(going(["t4", "t3", "t2"], 0))
    expect(down("OLDEST_FIRST", ids("t", 5, healthy))).toEqual(going(["t0", "t1", "t2"], 0))
    const mixed = [healthy("t0"), healthy("t1"), unhealthy("t2"), healthy("t3"), healthy("t4")]
    expect(down("OLDEST_FIRST", mixed)).toEqual(going(["t2", "t0", "t1"], 0))
    expect(down("YOUNGEST_FIRST", mixed)).toEqual(going(["t2", "t4", "t3"], 0))
  })

  it("rolls back like it rolls forward: the failed version goes first, the floor holds", () => {
    const failed = [unhealthy("v2-0"), noVerdict("v2-1")]
    const previous = [healthy("v1-0"), healthy("v1-1")]
    const input = { instances: 3, strategy: strategy(1, 0), new: previous }
    expect(nextStep({ ...input, old: failed })).toEqual(going(["v2-0"], 0))
    expect(nextStep({ ...input, old: failed.slice(1) })).toEqual(going([], 1))
    expect(nextStep({ ...input, old: [], new: previous })).toEqual(going([], 1))
  })

  it("kills one task without a verdict when its capacity is all that blocks the next launch", () => {
    const failed = [noVerdict("v2-0"), noVerdict("v2-1")]
    const input = { instances: 3, strategy: strategy(1, 0), new: [healthy("v1-0"), healthy("v1-1")] }
    expect(nextStep({ ...input, old: failed })).toEqual(going(["v2-0"], 0))
    expect(nextStep({ ...input, old: [killing(failed[0]!), failed[1]!] })).toEqual(going([], 0))
  })

  it("counts tasks being killed toward capacity but not toward availability", () => {
    const old = [killing(healthy("o0")), healthy("o1")]
    expect(nextStep({ instances: 2, strategy: strategy(0.5, 0), old, new: [] })).toEqual(going([], 0))
    expect(isAvailable(killing(healthy("x")))).toBe(false)
  })

  it("does not kill new tasks that are unhealthy (the health monitor replaces them)", () => {
    expect(
      nextStep({ instances: 2, strategy: strategy(1, 1), old: ids("o", 2, healthy), new: [unhealthy("n0")] })
    ).toEqual(going([], 1))
  })

  it("treats nonsensical instance counts as 0 and pending counts as none", () => {
    expect(nextStep({ instances: -3, strategy: strategy(1, 1), old: [], new: [] })).toEqual({
      kill: [],
      launch: 0,
      done: true
    })
    expect(nextStep({ instances: 1, strategy: strategy(1, 1), old: [], new: [], pending: Number.NaN })).toEqual(
      going([], 1)
    )
  })
})
