import { describe, expect, it } from "vitest"
import { AgentConfig } from "../../src/cluster/index.js"
import { MasterState } from "../../src/cluster/master/MasterState.js"
import * as Resources from "../../src/cluster/Resources.js"
import { failure, ok } from "./results.js"

const declared = "cpus:2;mem:1024;cpus(eng):1;mem(eng):512;licenses:3;zones:{a,b};vlans:[10-19];ports:[31000-31004]"

describe("wire resources: the allocator's whole model", () => {
  it("parses reservations, custom scalars, sets and ranges from the text form and formats them back", () => {
    const parsed = Resources.parse(declared) as Resources.Resources
    expect(parsed).toEqual({
      cpus: 2,
      mem: 1024,
      ports: [{ begin: 31000, end: 31004 }],
      scalars: { licenses: 3 },
      ranges: { vlans: [{ begin: 10, end: 19 }] },
      sets: { zones: ["a", "b"] },
      reserved: [{ role: "eng", type: "static", resources: { cpus: 1, mem: 512 } }]
    })
    expect(Resources.parse(Resources.format(parsed))).toEqual(parsed)
    expect(Resources.quantities(parsed)).toEqual({ cpus: 3, mem: 1536, licenses: 3 })
    expect(Resources.parse("cpus(eng){dynamic}:1;cpus{revocable}:2")).toEqual({
      reserved: [{ role: "eng", type: "dynamic", resources: { cpus: 1 } }],
      revocable: { cpus: 2 }
    })
  })

  it("round-trips through the allocator's model without losing anything", () => {
    const wire = Resources.parse(`${declared};cpus{revocable}:4;gpus(ml){dynamic,revocable}:1`) as Resources.Resources
    const model = ok(Resources.toModel(wire))
    expect(model.toString()).toContain("cpus(eng):1")
    expect(model.toString()).toContain("gpus(ml){dynamic,revocable}:1")
    expect(Resources.fromModel(model)).toEqual(wire)
  })

  it("keeps reserved and unreserved apart in arithmetic and says what is short", () => {
    const agent = Resources.parse(declared) as Resources.Resources
    const want: Resources.Resources = { reserved: [{ role: "eng", resources: { cpus: 2 } }] }
    expect(Resources.contains(agent, { cpus: 2 })).toBe(true)
    expect(Resources.contains(agent, want)).toBe(false)
    expect(Resources.shortfall(agent, want)).toBe("cpus(eng) 2 asked, 1 available")
    expect(Resources.shortfall(agent, { scalars: { licenses: 4 } })).toBe("licenses 4 asked, 3 available")
    expect(Resources.shortfall(agent, { sets: { zones: ["c"] } })).toBe("zones {c} not available")
    expect(Resources.subtract(agent, { scalars: { licenses: 3 }, cpus: 2 })).not.toHaveProperty("scalars")
    expect(Resources.portList({ reserved: [{ role: "eng", resources: { ports: [{ begin: 7, end: 8 }] } }] })).toEqual([
      7, 8
    ])
  })

  it("names the field of bad JSON resources", () => {
    expect(failure(Resources.toModel({ reserved: [{ role: "*", resources: { cpus: 1 } }] }))).toMatchObject({
      _tag: "InvalidRequest",
      field: "resources.reserved[0].role"
    })
    expect(failure(Resources.toModel({ scalars: { "lic enses": 1 } }))).toMatchObject({
      field: "resources.scalars.lic enses"
    })
    expect(failure(Resources.toModel({ reserved: [{ role: "eng//x", resources: { mem: 1 } }] }))).toMatchObject({
      field: "resources.reserved[0].role"
    })
  })

  it("reads the agent's --resources text with reservations, and names a bad part", () => {
    const config = AgentConfig.fromArgs(["--resources", "cpus:1;cpus(eng):1;licenses:3"], {})
    expect(config).toMatchObject({
      options: {
        resources: { cpus: 1, scalars: { licenses: 3 }, reserved: [{ role: "eng", resources: { cpus: 1 } }] }
      }
    })
    expect(AgentConfig.fromArgs(["--resources", "cpus:1;licenses:-3"], {})).toMatchObject({
      _tag: "ConfigError"
    })
  })
})

describe("MasterState with static reservations and custom scalars", () => {
  const setup = () => {
    const state = new MasterState("m")
    ok(
      state.registerAgent(
        {
          agentId: "a1",
          hostname: "a1",
          url: "http://a1:5051",
          attributes: {},
          resources: Resources.parse(declared) as Resources.Resources,
          tasks: []
        },
        0
      )
    )
    const eng = ok(state.registerFramework({ name: "eng-fw", role: "eng" }, 0)).frameworkId
    const web = ok(state.registerFramework({ name: "web-fw", role: "web" }, 0)).frameworkId
    return { state, eng, web }
  }

  it("offers the static reservation only to its role; other roles never get it, even by asking", () => {
    const { state, eng, web } = setup()
    for (let cycle = 0; cycle < 5; cycle++) {
      const offers = state.allocate(cycle)
      for (const offer of offers.filter((o) => o.frameworkId === web)) {
        expect(offer.reserved).toBeUndefined()
        expect(offer.resources.reserved).toBeUndefined()
        const asked = state.accept(
          web,
          offer.offerId,
          [{ taskId: `w${cycle}`, image: "i", resources: { reserved: [{ role: "eng", resources: { cpus: 1 } }] } }],
          cycle
        )
        expect(failure(asked)).toMatchObject({ _tag: "InvalidRequest", field: "tasks[0].resources" })
        expect(String(failure(asked).message)).toContain("cpus(eng) 1 asked, 0 available")
      }
      for (const offer of offers.filter((o) => o.frameworkId === eng)) {
        expect(offer.reserved).toEqual({ cpus: 1, mem: 512 })
        expect(offer.resources.reserved).toEqual([{ role: "eng", type: "static", resources: { cpus: 1, mem: 512 } }])
      }
      for (const offer of state.offersFor()) ok(state.decline(offer.frameworkId, offer.offerId, 0, cycle))
    }
  })

  it("a task of the role takes unreserved resources first, then the reserved part; a custom scalar is offered and consumed", () => {
    const { state, eng, web } = setup()
    ok(state.suppress(web, true))
    const offer = state.allocate(1).find((o) => o.frameworkId === eng)!
    expect(offer.resources.scalars).toEqual({ licenses: 3 })
    ok(
      state.accept(
        eng,
        offer.offerId,
        [{ taskId: "t1", image: "i", resources: { cpus: 2.5, mem: 256, scalars: { licenses: 2 } } }],
        2
      )
    )
    // the task took the 2 unreserved cpus and cpus(eng):0.5, mem from unreserved ones
    expect(state.agentView("a1")?.used).toMatchObject({
      cpus: 2,
      mem: 256,
      scalars: { licenses: 2 },
      reserved: [{ role: "eng", type: "static", resources: { cpus: 0.5 } }]
    })
    const next = state.allocate(3).find((o) => o.frameworkId === eng)!
    expect(Resources.quantities(next.resources)).toMatchObject({ cpus: 0.5, licenses: 1 })
    expect(
      failure(
        state.accept(eng, next.offerId, [{ taskId: "t2", image: "i", resources: { scalars: { licenses: 2 } } }], 4)
      )
    ).toMatchObject({ field: "tasks[0].resources", reason: expect.stringContaining("licenses 2 asked, 1 available") })
  })
})
