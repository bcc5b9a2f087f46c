import { describe, expect, it } from "@effect/vitest"
import { Strategies } from "../../../src/apps/lb/index.js"

const backends = (...weights: ReadonlyArray<number>) =>
  weights.map((weight, i) => ({ name: String.fromCharCode(97 + i), weight, current: 0, active: 0 }))

const picks = <B extends Strategies.Weighted & { name: string }>(
  pick: Strategies.Picker,
  list: ReadonlyArray<B>,
  n: number,
  eligible: (b: B) => boolean = () => true
) => {
  const cursor = { next: 0 }
  return Array.from({ length: n }, () => pick(list, eligible, cursor)?.name ?? "-").join("")
}

describe("roundRobin (smooth weighted, as nginx)", () => {
  it("rotates over equal weights", () => {
    expect(picks(Strategies.roundRobin, backends(1, 1, 1), 7)).toBe("abcabca")
  })

  it("interleaves weights 5:1:1 the way nginx does", () => {
    expect(picks(Strategies.roundRobin, backends(5, 1, 1), 7)).toBe("aabacaa")
  })

  it("gives weights 1:3 exactly 1:3 over every 4 picks, never skips ineligible ones' turn onto them", () => {
    const list = backends(1, 3, 0)
    const out = picks(Strategies.roundRobin, list, 400, (b) => b.weight > 0)
    expect([...out].filter((c) => c === "a").length).toBe(100)
    expect([...out].filter((c) => c === "b").length).toBe(300)
    expect(out).not.toContain("c")
  })

  it("picks nothing when nothing is eligible", () => {
    expect(picks(Strategies.roundRobin, backends(1, 1), 2, () => false)).toBe("--")
  })
})

describe("leastConnections", () => {
  it("takes the backend with the fewest active connections per weight, ties rotating", () => {
    const list = backends(1, 1, 1)
    list[0]!.active = 2
    expect(picks(Strategies.leastConnections, list, 4)).toBe("bcbc")
    list[0]!.active = 0
    expect(picks(Strategies.leastConnections, list, 3)).toBe("abc")
  })

  it("prefers the heavier backend among idle ones ((active + 1) / weight)", () => {
    const list = backends(1, 3)
    list[1]!.active = 2
    // b: 3/3 = 1, a: 1/1 = 1 -> tie, rotation from the start
    expect(picks(Strategies.leastConnections, list, 1)).toBe("a")
    list[1]!.active = 1
    expect(picks(Strategies.leastConnections, list, 1)).toBe("b")
  })
})
