import { describe, expect, it } from "vitest"
import { MasterState } from "../../src/cluster/master/MasterState.js"
import type { AgentRegistration } from "../../src/cluster/Protocol.js"
import * as Resources from "../../src/cluster/Resources.js"
import type { TaskStatus } from "../../src/cluster/Task.js"
import { failure, ok } from "./results.js"

describe("Resources", () => {
  it("parses the Mesos text form and formats it back", () => {
    const parsed = Resources.parse("cpus:4; mem:4096;disk:100;ports:[31000-31010,30000-30001]")
    expect(parsed).toEqual({
      cpus: 4,
      mem: 4096,
      disk: 100,
      ports: [
        { begin: 30000, end: 30001 },
        { begin: 31000, end: 31010 }
      ]
    })
    expect(Resources.format(parsed as Resources.Resources)).toBe(
      "cpus:4;mem:4096;disk:100;ports:[30000-30001,31000-31010]"
    )
  })

  it("names what is wrong in bad text", () => {
    expect(Resources.parse("cpus:-1")).toMatchObject({ _tag: "InvalidRequest", field: "resources.cpus" })
    expect(Resources.parse("cpus:lots")).toMatchObject({ _tag: "InvalidRequest", field: "resources.cpus" })
    expect(Resources.parse("b@d:2", "--resources")).toMatchObject({
      _tag: "InvalidRequest",
      field: "--resources.b@d"
    })
    expect(Resources.parse("cpus(eng//x):2")).toMatchObject({ _tag: "InvalidRequest", field: "resources.cpus" })
    expect(Resources.parse("cpus{sticky}:2")).toMatchObject({ _tag: "InvalidRequest", field: "resources.cpus" })
    expect(Resources.parse("ports:[5-3]")).toMatchObject({ _tag: "InvalidRequest", field: "resources.ports" })
    expect(Resources.parse("ports:31000")).toMatchObject({ _tag: "InvalidRequest", field: "resources.ports" })
    expect(Resources.parse("cpus")).toMatchObject({ _tag: "InvalidRequest", reason: '"cpus" is not name:value' })
  })

  it("adds, subtracts (ports cut out of ranges), compares and says what is short", () => {
    const a: Resources.Resources = { cpus: 2, mem: 1024, ports: [{ begin: 100, end: 110 }] }
    const b: Resources.Resources = { cpus: 0.5, mem: 24, ports: [{ begin: 105, end: 105 }] }
    expect(Resources.subtract(a, b)).toEqual({
      cpus: 1.5,
      mem: 1000,
      ports: [
        { begin: 100, end: 104 },
        { begin: 106, end: 110 }
      ]
    })
    expect(Resources.add(Resources.subtract(a, b), b)).toEqual(a)
    expect(Resources.contains(a, b)).toBe(true)
    expect(Resources.contains(b, a)).toBe(false)
    expect(Resources.shortfall(b, a)).toBe("cpus 2 asked, 0.5 available")
    expect(Resources.shortfall(a, { ports: [{ begin: 109, end: 111 }] })).toBe("ports 109-111 not available")
    expect(Resources.portList({ ports: [{ begin: 7, end: 9 }] })).toEqual([7, 8, 9])
  })
})

const agent = (agentId: string, tasks: ReadonlyArray<TaskStatus> = []): AgentRegistration => ({
  agentId,
  hostname: `${agentId}.host`,
  url: `http://${agentId}:5051`,
  attributes: {},
  resources: { cpus: 4, mem: 4096 },
  tasks
})

describe("MasterState (no I/O)", () => {
  it("offers a registered agent to a framework, launches from the offer and gives the rest back", () => {
    const state = new MasterState("m")
    ok(state.registerAgent(agent("a1"), 0))
    const fw = ok(state.registerFramework({ name: "fw" }, 0))
    const [offer] = state.allocate(1)
    expect(offer).toMatchObject({ frameworkId: fw.frameworkId, agentId: "a1", resources: { cpus: 4, mem: 4096 } })
    const launches = ok(
      state.accept(fw.frameworkId, offer!.offerId, [{ taskId: "t1", image: "i", resources: { cpus: 1, mem: 1024 } }], 2)
    )
    expect(launches).toMatchObject([{ agentId: "a1", agentUrl: "http://a1:5051", task: { taskId: "t1" } }])
    expect(state.task("t1")).toMatchObject({ _tag: "Success", success: { state: "staging" } })
    // the rest (3 cpus) is offered again at once (an accept sets no refuse filter)
    expect(state.allocate(3)).toMatchObject([{ resources: { cpus: 3, mem: 3072 } }])
  })

  it("refuses a task bigger than its offer, a reused task id and an unknown offer, changing nothing", () => {
    const state = new MasterState("m")
    ok(state.registerAgent(agent("a1"), 0))
    const fw = ok(state.registerFramework({ name: "fw" }, 0))
    const [offer] = state.allocate(1)
    const big = failure(
      state.accept(fw.frameworkId, offer!.offerId, [{ taskId: "t", image: "i", resources: { mem: 5000 } }], 2)
    )
    expect(big).toMatchObject({ _tag: "InvalidRequest", field: "tasks[0].resources" })
    const two = failure(
      state.accept(
        fw.frameworkId,
        offer!.offerId,
        [
          { taskId: "x", image: "i", resources: { cpus: 3 } },
          { taskId: "y", image: "i", resources: { cpus: 3 } }
        ],
        2
      )
    )
    expect(two).toMatchObject({ _tag: "InvalidRequest", field: "tasks[1].resources" })
    const dup = failure(
      state.accept(
        fw.frameworkId,
        offer!.offerId,
        [
          { taskId: "x", image: "i", resources: { cpus: 1 } },
          { taskId: "x", image: "i", resources: { cpus: 1 } }
        ],
        2
      )
    )
    expect(dup).toMatchObject({ _tag: "Conflict" })
    expect(failure(state.accept(fw.frameworkId, "nope", [], 2))).toMatchObject({ _tag: "NotFound", kind: "offer" })
    expect(failure(state.accept("nope", offer!.offerId, [], 2))).toMatchObject({ _tag: "NotFound", kind: "framework" })
    expect(state.offersFor(fw.frameworkId)).toEqual([offer])
    expect(state.taskList()).toEqual([])
  })

  it("frees a task's resources when it ends, and marks tasks lost when their agent stops heartbeating", () => {
    const state = new MasterState("m")
    ok(state.registerAgent(agent("a1"), 0))
    const fw = ok(state.registerFramework({ name: "fw" }, 0))
    const [offer] = state.allocate(1)
    ok(
      state.accept(fw.frameworkId, offer!.offerId, [{ taskId: "t1", image: "i", resources: { cpus: 4, mem: 4096 } }], 2)
    )
    expect(state.allocate(3)).toEqual([])
    const running: TaskStatus = {
      taskId: "t1",
      frameworkId: fw.frameworkId,
      agentId: "a1",
      state: "running",
      resources: { cpus: 4, mem: 4096 },
      updatedAt: 4
    }
    ok(state.statusUpdate("a1", running))
    ok(state.statusUpdate("a1", { ...running, state: "finished", exitCode: 0, updatedAt: 5 }))
    // a late non-terminal update does not bring a finished task back
    ok(state.statusUpdate("a1", { ...running, updatedAt: 6 }))
    expect(ok(state.task("t1")).state).toBe("finished")
    expect(state.allocate(7)).toMatchObject([{ resources: { cpus: 4, mem: 4096 } }])
    expect(ok(state.updatesSince(fw.frameworkId, 0)).updates.map((u) => u.state)).toEqual([
      "staging",
      "running",
      "finished"
    ])

    const [second] = state.offersFor(fw.frameworkId)
    ok(state.accept(fw.frameworkId, second!.offerId, [{ taskId: "t2", image: "i", resources: { cpus: 1 } }], 8))
    ok(state.statusUpdate("a1", { ...running, taskId: "t2", resources: { cpus: 1 }, updatedAt: 9 }))
    expect(state.expireAgents(10_000, 5_000)).toEqual(["a1"])
    expect(ok(state.task("t2"))).toMatchObject({ state: "lost", message: "agent lost: no heartbeat for 5000 ms" })
    expect(failure(state.heartbeat("a1", 10_001))).toMatchObject({ _tag: "NotFound", kind: "agent" })
    // the agent comes back with the task still running: it is running again, its resources accounted for
    ok(state.registerAgent(agent("a1", [{ ...running, taskId: "t2", resources: { cpus: 1 }, updatedAt: 11 }]), 11_000))
    expect(ok(state.task("t2")).state).toBe("running")
    expect(state.agentView("a1")).toMatchObject({ active: true, used: { cpus: 1 } })
  })

  it("refuses an agent whose running tasks need more than it has", () => {
    const state = new MasterState("m")
    const task: TaskStatus = {
      taskId: "t",
      frameworkId: "f",
      agentId: "a1",
      state: "running",
      resources: { cpus: 8 },
      updatedAt: 0
    }
    expect(failure(state.registerAgent(agent("a1", [task]), 0))).toMatchObject({
      _tag: "InvalidRequest",
      field: "tasks"
    })
    expect(state.agents.size).toBe(0)
  })

  it("validates quotas against capacity, keeps the role unchanged on error, and re-applies stored quotas once agents bring the resources", () => {
    const state = new MasterState("m")
    expect(failure(state.setRole("eng", { guarantee: { cpus: 1 } }))).toMatchObject({
      _tag: "InvalidRequest",
      field: "quota"
    })
    ok(state.registerAgent(agent("a1"), 0))
    ok(state.setRole("eng", { weight: 2, guarantee: { cpus: 1 } }))
    expect(failure(state.setRole("eng", { guarantee: { cpus: 100 } }))).toMatchObject({ _tag: "InvalidRequest" })
    expect(state.roles.get("eng")).toEqual({ weight: 2, guarantee: { cpus: 1 } })

    const fresh = new MasterState("m2")
    fresh.restoreRole("eng", { weight: 2, guarantee: { cpus: 1 } })
    expect(fresh.allocator.shares().find((r) => r.role === "eng")?.guarantee).toBeUndefined()
    ok(fresh.registerAgent(agent("a1"), 0))
    expect(fresh.allocator.shares().find((r) => r.role === "eng")?.guarantee).toEqual({ cpus: 1 })
  })

  it("reconciles named tasks: unknown ones are lost", () => {
    const state = new MasterState("m")
    const fw = ok(state.registerFramework({ name: "fw", frameworkId: "fixed" }, 0))
    expect(fw.frameworkId).toBe("fixed")
    expect(ok(state.reconcile("fixed", ["ghost"], 5))).toEqual([
      {
        taskId: "ghost",
        frameworkId: "fixed",
        agentId: "unknown",
        state: "lost",
        resources: {},
        message: "unknown task",
        updatedAt: 5
      }
    ])
    expect(failure(state.registerFramework({ name: "fw", frameworkId: "fixed", role: "other" }, 1))).toMatchObject({
      _tag: "Conflict"
    })
  })
})

describe("MasterState reservations", () => {
  const setup = () => {
    const state = new MasterState("m")
    ok(state.registerAgent(agent("a1"), 0))
    const eng = ok(state.registerFramework({ name: "eng-fw", role: "eng" }, 0))
    const web = ok(state.registerFramework({ name: "web-fw", role: "web" }, 0))
    return { state, eng: eng.frameworkId, web: web.frameworkId }
  }

  it("offers reserved resources only to the role, marked as reserved", () => {
    const { state, eng, web } = setup()
    expect(ok(state.reserve("a1", { role: "eng", resources: { cpus: 2, mem: 1024 } }))).toEqual([
      { role: "eng", resources: { cpus: 2, mem: 1024 } }
    ])
    const offers = state.allocate(1)
    const total = (id: string, name: "cpus" | "mem") =>
      offers
        .filter((o) => o.frameworkId === id)
        .reduce((sum, o) => sum + (Resources.quantities(o.resources)[name] ?? 0), 0)
    expect(offers.filter((o) => o.frameworkId === web).every((o) => o.reserved === undefined)).toBe(true)
    expect(offers.find((o) => o.frameworkId === eng)?.reserved).toEqual({ cpus: 2, mem: 1024 })
    expect(total(web, "cpus") + total(eng, "cpus")).toBe(4)
    expect(total(web, "cpus")).toBeLessThanOrEqual(2)
  })

  it("a task of the role takes unreserved resources first, then its role's reservation, and gives exactly those back", () => {
    const { state, eng, web } = setup()
    ok(state.suppress(web, true))
    ok(state.reserve("a1", { role: "eng", resources: { cpus: 2, mem: 1024 } }))
    const offer = state.allocate(1).find((o) => o.frameworkId === eng)!
    ok(state.accept(eng, offer.offerId, [{ taskId: "t", image: "i", resources: { cpus: 3, mem: 512 } }], 2))
    // 2 unreserved cpus and all the mem from unreserved ones, 1 cpu from the reservation
    expect(state.agentView("a1")?.used).toMatchObject({
      cpus: 2,
      mem: 512,
      reserved: [{ role: "eng", resources: { cpus: 1 } }]
    })
    // in use: the reservation cannot be released
    expect(failure(state.unreserve("a1", { role: "eng", resources: { cpus: 2, mem: 1024 } }))).toMatchObject({
      _tag: "Conflict"
    })
    const status: TaskStatus = {
      taskId: "t",
      frameworkId: eng,
      agentId: "a1",
      state: "finished",
      resources: { cpus: 3, mem: 512 },
      updatedAt: 3
    }
    ok(state.statusUpdate("a1", status))
    // everything is free again, the reservation whole: it can be released
    for (const o of state.offersFor()) ok(state.decline(o.frameworkId, o.offerId, 0, 4))
    expect(ok(state.unreserve("a1", { role: "eng", resources: { cpus: 2, mem: 1024 } }))).toEqual([])
  })

  it("refuses reservations of unknown agents, of resources that are not free, and unreserving what is not reserved", () => {
    const { state } = setup()
    expect(failure(state.reserve("nope", { role: "eng", resources: { cpus: 1 } }))).toMatchObject({ _tag: "NotFound" })
    expect(failure(state.reserve("a1", { role: "eng", resources: { cpus: 8 } }))).toMatchObject({ _tag: "Conflict" })
    expect(failure(state.reserve("a1", { role: "*", resources: { cpus: 1 } }))).toMatchObject({ _tag: "Conflict" })
    expect(failure(state.unreserve("a1", { role: "eng", resources: { cpus: 1 } }))).toMatchObject({
      _tag: "InvalidRequest",
      field: "resources"
    })
    expect(state.reservations.size).toBe(0)
  })

  it("after a failover, stored reservations are applied when the agent registers with its running tasks", () => {
    const fresh = new MasterState("m2")
    fresh.reservations.set("a1", [{ role: "eng", resources: { cpus: 2, mem: 1024 } }])
    const eng = ok(fresh.registerFramework({ name: "eng-fw", role: "eng", frameworkId: "eng-fw" }, 0)).frameworkId
    const web = ok(fresh.registerFramework({ name: "web-fw", role: "web", frameworkId: "web-fw" }, 0)).frameworkId
    const running: TaskStatus = {
      taskId: "t",
      frameworkId: eng,
      agentId: "a1",
      state: "running",
      resources: { reserved: [{ role: "eng", resources: { cpus: 1, mem: 512 } }] },
      updatedAt: 0
    }
    ok(fresh.registerAgent(agent("a1", [running]), 1))
    const offers = fresh.allocate(2)
    expect(offers.find((o) => o.frameworkId === eng)?.reserved).toEqual({ cpus: 1, mem: 512 })
    expect(
      offers.filter((o) => o.frameworkId === web).reduce((sum, o) => sum + (o.resources.cpus ?? 0), 0)
    ).toBeLessThanOrEqual(2)
  })
})
