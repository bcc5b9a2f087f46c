import { describe, expect, it } from "vitest"
import type { Constraint } from "../../../src/apps/model/AppDefinition.js"
import { type AgentSlot, impossibleConstraint, placementFor } from "../../../src/apps/plan/index.js"

const agent = (agentId: string, attributes: Record<string, string> = {}, hostname = `${agentId}.local`): AgentSlot => ({
  agentId,
  hostname,
  attributes
})

const a1 = agent("a1", { rack: "r1", zone: "z1" })
const a2 = agent("a2", { rack: "r1", zone: "z2" })
const a3 = agent("a3", { rack: "r2", zone: "z1" })
const bare = agent("a4")

/** The reason `candidate` is refused, or undefined when it is accepted. */
const refused = (
  constraints: ReadonlyArray<Constraint>,
  candidate: AgentSlot,
  placed: ReadonlyArray<AgentSlot> = []
) => {
  const placement = placementFor(constraints, candidate, placed)
  return placement.ok ? undefined : placement.reason
}

const ok = (constraints: ReadonlyArray<Constraint>, candidate: AgentSlot, placed: ReadonlyArray<AgentSlot> = []) =>
  placementFor(constraints, candidate, placed).ok

describe("placementFor", () => {
  it("accepts anything without constraints", () => {
    expect(placementFor([], bare, [a1, a1])).toEqual({ ok: true })
  })

  it("UNIQUE: one task per hostname or attribute value", () => {
    expect(ok([["hostname", "UNIQUE"]], a1, [a2, a3])).toBe(true)
    expect(refused([["hostname", "UNIQUE"]], a1, [a2, a1])).toBe(
      'constraint ["hostname","UNIQUE"] refuses agent a1: hostname=a1.local already runs a task of the app'
    )
    expect(ok([["@hostname", "UNIQUE"]], a1, [a1])).toBe(false)
    expect(ok([["rack", "UNIQUE"]], a2, [a1])).toBe(false)
    expect(ok([["rack", "UNIQUE"]], a3, [a1])).toBe(true)
  })

  it("compares hostnames as strings: two agents on one host share the value", () => {
    const x = agent("x", {}, "127.0.0.1")
    const y = agent("y", {}, "127.0.0.1")
    expect(ok([["hostname", "UNIQUE"]], y, [x])).toBe(false)
  })

  it("refuses agents without the attribute for every operator but UNLIKE", () => {
    for (const c of [
      ["rack", "UNIQUE"],
      ["rack", "CLUSTER"],
      ["rack", "CLUSTER", "r1"],
      ["rack", "GROUP_BY"],
      ["rack", "LIKE", ".*"],
      ["rack", "MAX_PER", "5"]
    ] as const) {
      expect(refused([c], bare, [])).toBe(
        `constraint ${JSON.stringify(c)} refuses agent a4: agent a4 has no attribute "rack"`
      )
    }
    expect(ok([["rack", "UNLIKE", ".*"]], bare)).toBe(true)
  })

  it("does not read inherited object properties as attributes", () => {
    expect(ok([["constructor", "LIKE", ".*"]], bare)).toBe(false)
  })

  it("CLUSTER with a value: only agents with exactly that value", () => {
    expect(ok([["rack", "CLUSTER", "r1"]], a1)).toBe(true)
    expect(refused([["rack", "CLUSTER", "r1"]], a3, [])).toBe(
      'constraint ["rack","CLUSTER","r1"] refuses agent a3: rack=r2, the app\'s tasks run on rack=r1'
    )
    expect(ok([["hostname", "CLUSTER", "a1.local"]], a1)).toBe(true)
    expect(ok([["hostname", "CLUSTER", "a1"]], a1)).toBe(false)
  })

  it("CLUSTER without value: the first task picks the value, the others follow", () => {
    expect(ok([["rack", "CLUSTER"]], a3, [])).toBe(true)
    expect(ok([["rack", "CLUSTER"]], a2, [a1])).toBe(true)
    expect(ok([["rack", "CLUSTER"]], a3, [a1])).toBe(false)
    expect(ok([["rack", "CLUSTER", ""]], a3, [a1])).toBe(false)
    expect(ok([["rack", "CLUSTER"]], a3, [bare, a3])).toBe(true)
  })

  it("GROUP_BY without value: new values always, used values only when least loaded", () => {
    const c: ReadonlyArray<Constraint> = [["rack", "GROUP_BY"]]
    expect(ok(c, a1, [])).toBe(true)
    expect(ok(c, a3, [a1])).toBe(true)
    expect(ok(c, a2, [a1, a3])).toBe(true)
    expect(refused(c, a2, [a1, a3, a1])).toBe(
      'constraint ["rack","GROUP_BY"] refuses agent a2: rack=r1 has 2 tasks, another value has only 1'
    )
  })

  it("GROUP_BY n: uses n distinct values before placing a second task on one", () => {
    const c: ReadonlyArray<Constraint> = [["zone", "GROUP_BY", "3"]]
    expect(ok(c, a1, [])).toBe(true)
    expect(refused(c, a3, [a1])).toBe(
      'constraint ["zone","GROUP_BY","3"] refuses agent a3: zone=z1 already has a task and only 1 of the 3 expected values are used'
    )
    expect(ok(c, a2, [a1])).toBe(true)
    expect(ok(c, a3, [a1, a2])).toBe(false)
    const z3 = agent("a5", { zone: "z3" })
    expect(ok(c, z3, [a1, a2])).toBe(true)
    expect(ok(c, a3, [a1, a2, z3])).toBe(true)
  })

  it("LIKE and UNLIKE match the regular expression against the whole value", () => {
    expect(ok([["rack", "LIKE", "r[12]"]], a1)).toBe(true)
    expect(ok([["rack", "LIKE", "r"]], a1)).toBe(false)
    expect(ok([["rack", "LIKE", "1"]], a1)).toBe(false)
    expect(ok([["rack", "LIKE", "r1|r2"]], a3)).toBe(true)
    expect(refused([["rack", "UNLIKE", "r1|r2"]], a3, [])).toBe(
      'constraint ["rack","UNLIKE","r1|r2"] refuses agent a3: rack=r2 matches /r1|r2/'
    )
    expect(ok([["rack", "UNLIKE", "r1"]], a3)).toBe(true)
    expect(ok([["hostname", "LIKE", "a[0-9]\\.local"]], a1)).toBe(true)
  })

  it("MAX_PER n: at most n tasks per value", () => {
    const c: ReadonlyArray<Constraint> = [["rack", "MAX_PER", "2"]]
    expect(ok(c, a1, [a2])).toBe(true)
    expect(refused(c, a1, [a2, a1, a3])).toBe(
      'constraint ["rack","MAX_PER","2"] refuses agent a1: rack=r1 already has 2 tasks (MAX_PER 2)'
    )
    expect(ok(c, a3, [a1, a2, a3])).toBe(true)
  })

  it("needs every constraint to pass and names the first that refuses", () => {
    const c: ReadonlyArray<Constraint> = [
      ["rack", "LIKE", "r.*"],
      ["hostname", "UNIQUE"]
    ]
    expect(ok(c, a2, [a1])).toBe(true)
    expect(refused(c, a1, [a1])).toBe(
      'constraint ["hostname","UNIQUE"] refuses agent a1: hostname=a1.local already runs a task of the app'
    )
  })

  it("refuses every agent under a syntactically invalid constraint, saying why", () => {
    expect(refused([["rack", "MAX_PER", "x"]], a1, [])).toBe(
      'constraint ["rack","MAX_PER","x"] is invalid: MAX_PER takes a positive integer, got "x"'
    )
  })
})

describe("impossibleConstraint", () => {
  const agents = [a1, a2, a3]
  const why = (instances: number, constraints: ReadonlyArray<Constraint>, on: ReadonlyArray<AgentSlot> = agents) =>
    impossibleConstraint({ instances, constraints }, on)

  it("is silent when a placement exists, or when nothing is to be placed", () => {
    expect(why(3, [["hostname", "UNIQUE"]])).toBeUndefined()
    expect(why(0, [["rack", "CLUSTER", "r9"]])).toBeUndefined()
    expect(why(5, [])).toBeUndefined()
    expect(why(4, [["rack", "MAX_PER", "2"]])).toBeUndefined()
    expect(
      why(2, [
        ["rack", "CLUSTER"],
        ["hostname", "UNIQUE"]
      ])
    ).toBeUndefined()
    expect(why(9, [["rack", "GROUP_BY"]])).toBeUndefined()
    expect(why(9, [["zone", "GROUP_BY", "2"]])).toBeUndefined()
  })

  const impossible: ReadonlyArray<readonly [string, number, ReadonlyArray<Constraint>, string]> = [
    [
      "UNIQUE on hostname with more instances than hosts",
      4,
      [["hostname", "UNIQUE"]],
      'constraint ["hostname","UNIQUE"] allows at most 3 task(s) on the eligible agents (3 distinct hostname value(s): a1.local, a2.local, a3.local), 4 wanted'
    ],
    [
      "a CLUSTER value no agent has",
      1,
      [["rack", "CLUSTER", "r9"]],
      'constraint ["rack","CLUSTER","r9"] matches no agent (rack values: r1, r2)'
    ],
    [
      "a LIKE matching no agent",
      1,
      [["rack", "LIKE", "x.*"]],
      'constraint ["rack","LIKE","x.*"] matches no agent (rack values: r1, r2)'
    ],
    [
      "an UNLIKE matching every agent",
      1,
      [["rack", "UNLIKE", "r.*"]],
      'constraint ["rack","UNLIKE","r.*"] matches no agent (rack values: r1, r2)'
    ],
    [
      "an attribute no agent has",
      1,
      [["gpu", "UNIQUE"]],
      'constraint ["gpu","UNIQUE"] matches no agent (gpu values: none)'
    ],
    [
      "constraints that each match some agent but no agent together",
      1,
      [
        ["rack", "CLUSTER", "r2"],
        ["zone", "LIKE", "z2"]
      ],
      'no agent satisfies ["rack","CLUSTER","r2"] and ["zone","LIKE","z2"] together'
    ],
    [
      "a counting constraint on the agents the other constraints leave",
      3,
      [
        ["rack", "CLUSTER", "r1"],
        ["hostname", "UNIQUE"]
      ],
      'constraint ["hostname","UNIQUE"] allows at most 2 task(s) on the eligible agents (2 distinct hostname value(s): a1.local, a2.local), 3 wanted'
    ],
    [
      "MAX_PER with too few values",
      5,
      [["rack", "MAX_PER", "2"]],
      'constraint ["rack","MAX_PER","2"] allows at most 4 task(s) on the eligible agents (2 per value, 2 distinct rack value(s): r1, r2), 5 wanted'
    ],
    [
      "GROUP_BY n with fewer than n values",
      3,
      [["rack", "GROUP_BY", "3"]],
      'constraint ["rack","GROUP_BY","3"] allows at most 2 task(s) on the eligible agents (it waits for 3 distinct values, 2 distinct rack value(s): r1, r2), 3 wanted'
    ]
  ]

  it.each(impossible)("reports %s", (_, instances, constraints, reason) => {
    expect(why(instances, constraints)).toBe(reason)
  })

  it("GROUP_BY n with fewer than n values still places one task per value", () => {
    expect(why(2, [["rack", "GROUP_BY", "3"]])).toBeUndefined()
  })

  it("CLUSTER without value: some single value must hold every task", () => {
    expect(
      why(3, [
        ["rack", "CLUSTER"],
        ["hostname", "UNIQUE"]
      ])
    ).toBe(
      'constraint ["rack","CLUSTER"] keeps all tasks on one rack value, and none fits: ' +
        'rack=r1: constraint ["hostname","UNIQUE"] allows at most 2 task(s) on the eligible agents (2 distinct hostname value(s): a1.local, a2.local), 3 wanted; ' +
        'rack=r2: constraint ["hostname","UNIQUE"] allows at most 1 task(s) on the eligible agents (1 distinct hostname value(s): a3.local), 3 wanted'
    )
  })

  it("reports an invalid constraint", () => {
    expect(why(1, [["rack", "LIKE", "("]])).toMatch(
      /^constraint \["rack","LIKE","\("\] is invalid: LIKE value "\(" is not a valid regular expression/
    )
  })

  it("agrees with placementFor: when silent, greedy placement over the agents succeeds on simple cases", () => {
    const cases: ReadonlyArray<readonly [number, ReadonlyArray<Constraint>]> = [
      [3, [["hostname", "UNIQUE"]]],
      [4, [["rack", "MAX_PER", "2"]]],
      [
        2,
        [
          ["rack", "CLUSTER", "r1"],
          ["hostname", "UNIQUE"]
        ]
      ],
      [6, [["zone", "GROUP_BY", "2"]]]
    ]
    for (const [instances, constraints] of cases) {
      expect(why(instances, constraints)).toBeUndefined()
      const placed: Array<AgentSlot> = []
      for (let i = 0; i < instances; i++) {
        const next = agents.find((a) => placementFor(constraints, a, placed).ok)
        expect(next).toBeDefined()
        placed.push(next!)
      }
    }
  })
})
