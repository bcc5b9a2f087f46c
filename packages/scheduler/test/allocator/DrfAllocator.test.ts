import { Result } from "effect"
import { describe, expect, it } from "vitest"
import {
  DuplicateId,
  InsufficientResources,
  InvalidOption,
  InvalidQuota,
  InvalidRole,
  InvalidWeight,
  Resources,
  UnknownId
} from "../../src/allocator/index.js"
import { countBy, describeOffers, fill, make, ok, res } from "./driver.js"

const failure = <A, E>(r: Result.Result<A, E>): E => {
  if (Result.isSuccess(r)) throw new Error("expected a failure")
  return r.failure
}

/** `n` agents of `cpus:1;mem:1024` named a0..a(n-1). */
const agents = (allocator: ReturnType<typeof make>, n: number, text = "cpus:1;mem:1024") => {
  for (let i = 0; i < n; i++) ok(allocator.addAgent(`a${i}`, { total: res(text) }))
}

/** Offers counted by role after one cycle in which every framework keeps what it gets. */
const byRole = (offers: ReadonlyArray<{ role: string }>) => {
  const out: Record<string, number> = {}
  for (const o of offers) out[o.role] = (out[o.role] ?? 0) + 1
  return out
}

describe("DrfAllocator: dominant resource fairness", () => {
  it("reproduces the DRF paper's example: A gets 3 tasks, B 2, both dominant shares 2/3", () => {
    const allocator = make()
    ok(allocator.addAgent("s1", { total: res("cpus:9;mem:18432") }))
    ok(allocator.addFramework("A"))
    ok(allocator.addFramework("B"))
    const launches = fill(allocator, { A: res("cpus:1;mem:4096"), B: res("cpus:3;mem:1024") })
    expect(countBy(launches)).toEqual({ A: 3, B: 2 })
    expect(allocator.allocated("A").toString()).toBe("cpus:3;mem:12288")
    expect(allocator.allocated("B").toString()).toBe("cpus:6;mem:2048")
    const shares = allocator
      .shares()[0]!
      .frameworks.map((f) => [f.frameworkId, f.share])
      .sort()
    expect(shares).toEqual([
      ["A", 2 / 3],
      ["B", 2 / 3]
    ])
  })

  it("offers each agent whole to the lowest dominant share, ties to fewer allocations then name", () => {
    const allocator = make()
    agents(allocator, 4)
    ok(allocator.addFramework("b"))
    ok(allocator.addFramework("a"))
    expect(describeOffers(allocator.allocate(0))).toEqual([
      "a(*)@a0 cpus:1;mem:1024",
      "b(*)@a1 cpus:1;mem:1024",
      "a(*)@a2 cpus:1;mem:1024",
      "b(*)@a3 cpus:1;mem:1024"
    ])
  })

  it("gives a role of weight 2 twice what a weight-1 sibling gets", () => {
    const allocator = make()
    agents(allocator, 6)
    ok(allocator.setWeight("gold", 2))
    ok(allocator.addFramework("f1", { roles: ["gold"] }))
    ok(allocator.addFramework("f2", { roles: ["silver"] }))
    expect(byRole(allocator.allocate(0))).toEqual({ gold: 4, silver: 2 })
  })

  it("shares among sibling roles first, then inside each subtree; weights apply to subtrees", () => {
    const allocator = make()
    agents(allocator, 8)
    ok(allocator.addFramework("web", { roles: ["eng/web"] }))
    ok(allocator.addFramework("db", { roles: ["eng/db"] }))
    ok(allocator.addFramework("ops", { roles: ["ops"] }))
    expect(byRole(allocator.allocate(0))).toEqual({ "eng/web": 2, "eng/db": 2, ops: 4 })

    const weighted = make()
    agents(weighted, 8)
    ok(weighted.setWeight("eng", 3))
    ok(weighted.addFramework("web", { roles: ["eng/web"] }))
    ok(weighted.addFramework("db", { roles: ["eng/db"] }))
    ok(weighted.addFramework("ops", { roles: ["ops"] }))
    expect(byRole(weighted.allocate(0))).toEqual({ "eng/web": 3, "eng/db": 3, ops: 2 })
  })

  it("lets a role's own frameworks compete with its child roles as one group", () => {
    const allocator = make()
    agents(allocator, 4)
    ok(allocator.addFramework("own1", { roles: ["eng"] }))
    ok(allocator.addFramework("own2", { roles: ["eng"] }))
    ok(allocator.addFramework("web", { roles: ["eng/web"] }))
    const offers = allocator.allocate(0)
    expect(countBy(offers.map((o) => ({ frameworkId: o.frameworkId, agentId: o.agentId })))).toEqual({
      own1: 1,
      own2: 1,
      web: 2
    })
  })

  it("leaves excluded resource names out of shares (fair_sharing_excluded_resource_names)", () => {
    const run = (excluded: ReadonlyArray<string>) => {
      const allocator = make({ fairnessExcludedResourceNames: excluded })
      ok(allocator.addFramework("gpu"))
      ok(allocator.addFramework("cpu"))
      ok(
        allocator.addAgent("big", { total: res("cpus:8;mem:8192;gpus:8") }, [
          { frameworkId: "gpu", role: "*", resources: res("gpus:8") },
          { frameworkId: "cpu", role: "*", resources: res("cpus:1") }
        ])
      )
      ok(allocator.addAgent("free", { total: res("cpus:1;mem:1024") }))
      return allocator.allocate(0, ["free"]).map((o) => o.frameworkId)
    }
    expect(run([])).toEqual(["cpu"])
    expect(run(["gpus"])).toEqual(["gpu"])
  })
})

describe("DrfAllocator: filters, suppress and revive", () => {
  it("keeps a declined agent from that framework for refuseSeconds, then offers it again", () => {
    const allocator = make()
    agents(allocator, 1)
    ok(allocator.addFramework("a"))
    ok(allocator.addFramework("b"))
    const [first] = allocator.allocate(0)
    expect(first?.frameworkId).toBe("a")
    ok(allocator.recoverResources(first!, { now: 0, refuseSeconds: 10 }))
    const [second] = allocator.allocate(1)
    expect(second?.frameworkId).toBe("b")
    ok(allocator.recoverResources(second!, { now: 1, refuseSeconds: 10 }))
    expect(allocator.allocate(9_999)).toEqual([])
    expect(allocator.allocate(10_000).map((o) => o.frameworkId)).toEqual(["a"])
  })

  it("uses 5 s when the decline names no refuse time, and no filter for 0 s or a plain recover", () => {
    const allocator = make()
    agents(allocator, 1)
    ok(allocator.addFramework("a"))
    const [offer] = allocator.allocate(0)
    ok(allocator.recoverResources(offer!, { now: 0 }))
    expect(allocator.allocate(4_999)).toEqual([])
    const [again] = allocator.allocate(5_000)
    ok(allocator.recoverResources(again!, { now: 5_000, refuseSeconds: 0 }))
    const [third] = allocator.allocate(5_000)
    ok(allocator.recoverResources(third!))
    expect(allocator.allocate(5_000).length).toBe(1)
  })

  it("does not filter an offer that is larger than what was declined", () => {
    const allocator = make()
    ok(allocator.addAgent("a0", { total: res("cpus:2;mem:2048") }))
    ok(allocator.addFramework("a"))
    ok(allocator.addFramework("hold"))
    ok(allocator.suppress("a"))
    const [held] = allocator.allocate(0)
    ok(allocator.recoverResources({ ...held!, resources: res("cpus:1;mem:1024") }))
    ok(allocator.revive("a"))
    ok(allocator.suppress("hold"))
    const [small] = allocator.allocate(0)
    expect(small?.resources.toString()).toBe("cpus:1;mem:1024")
    ok(allocator.recoverResources(small!, { now: 0, refuseSeconds: 60 }))
    expect(allocator.allocate(1)).toEqual([])
    ok(allocator.recoverResources({ ...held!, resources: res("cpus:1;mem:1024") }))
    expect(describeOffers(allocator.allocate(2))).toEqual(["a(*)@a0 cpus:2;mem:2048"])
  })

  it("sends no offers to a suppressed or inactive framework; revive resumes and clears filters", () => {
    const allocator = make()
    agents(allocator, 1)
    ok(allocator.addFramework("a"))
    ok(allocator.suppress("a"))
    expect(allocator.allocate(0)).toEqual([])
    ok(allocator.revive("a"))
    const [offer] = allocator.allocate(0)
    ok(allocator.recoverResources(offer!, { now: 0, refuseSeconds: 3600 }))
    expect(allocator.allocate(1)).toEqual([])
    ok(allocator.revive("a"))
    ok(allocator.setActive("a", false))
    expect(allocator.allocate(1)).toEqual([])
    ok(allocator.setActive("a", true))
    expect(allocator.allocate(1).length).toBe(1)
  })
})

describe("DrfAllocator: minimum allocatable, revocable resources", () => {
  it("makes no offer below every min allocatable set (default cpus:0.01 or mem:32)", () => {
    const allocator = make()
    ok(allocator.addAgent("tiny", { total: res("cpus:0.005;mem:16;disk:100") }))
    ok(allocator.addAgent("cpu", { total: res("cpus:0.01") }))
    ok(allocator.addAgent("mem", { total: res("mem:32") }))
    ok(allocator.addFramework("a"))
    expect(allocator.allocate(0).map((o) => o.agentId)).toEqual(["cpu", "mem"])
    const custom = make({ minAllocatable: [res("cpus:1;mem:64")] })
    ok(custom.addAgent("x", { total: res("cpus:1;mem:32") }))
    ok(custom.addFramework("a"))
    expect(custom.allocate(0)).toEqual([])
    expect(failure(DrfAllocator_make({ minAllocatable: [res("ports:[1-2]")] }))).toBeInstanceOf(InvalidOption)
    expect(failure(DrfAllocator_make({ defaultRefuseSeconds: -1 })).message).toBe(
      "invalid allocator option defaultRefuseSeconds: must be >= 0, got -1"
    )
  })

  it("offers revocable resources only to frameworks that opt in", () => {
    const allocator = make()
    ok(allocator.addAgent("a0", { total: res("cpus:2;mem:1024;cpus{revocable}:4") }))
    ok(allocator.addFramework("plain"))
    ok(allocator.addFramework("opt", { capabilities: { revocable: true } }))
    expect(describeOffers(allocator.allocate(0))).toEqual(["opt(*)@a0 cpus:2;cpus{revocable}:4;mem:1024"])
    const other = make()
    ok(other.addAgent("a0", { total: res("cpus:2;mem:1024;cpus{revocable}:4") }))
    ok(other.addFramework("plain"))
    ok(other.addFramework("zopt", { capabilities: { revocable: true } }))
    expect(describeOffers(other.allocate(0))).toEqual(["plain(*)@a0 cpus:2;mem:1024", "zopt(*)@a0 cpus{revocable}:4"])
  })
})

import { DrfAllocator } from "../../src/allocator/index.js"
const DrfAllocator_make = DrfAllocator.make

describe("DrfAllocator: reservations", () => {
  it("offers statically reserved resources only to the role and the roles below it", () => {
    const allocator = make()
    ok(allocator.addAgent("a0", { total: res("cpus:1;mem:512;cpus(eng):2;mem(eng):1024") }))
    ok(allocator.addFramework("analytics", { roles: ["analytics"] }))
    ok(allocator.addFramework("web", { roles: ["eng/web"] }))
    expect(describeOffers(allocator.allocate(0))).toEqual([
      "analytics(analytics)@a0 cpus:1;mem:512",
      "web(eng/web)@a0 cpus(eng):2;mem(eng):1024"
    ])
  })

  it("reserves and unreserves dynamically, failing without change when resources are not free", () => {
    const allocator = make()
    agents(allocator, 1, "cpus:4;mem:4096")
    ok(allocator.reserve("a0", "eng", res("cpus:3")))
    expect(allocator.agent("a0")?.total.toString()).toBe("cpus:1;cpus(eng){dynamic}:3;mem:4096")
    const tooMuch = failure(allocator.reserve("a0", "eng", res("cpus:2")))
    expect(tooMuch).toEqual(
      new InsufficientResources({
        operation: "reserve",
        agentId: "a0",
        needed: "cpus:2",
        available: "cpus:1;cpus(eng){dynamic}:3;mem:4096"
      })
    )
    expect(failure(allocator.reserve("nope", "eng", res("cpus:1")))).toEqual(
      new UnknownId({ kind: "agent", id: "nope" })
    )
    expect(failure(allocator.reserve("a0", "a//b", res("cpus:1")))).toBeInstanceOf(InvalidRole)
    ok(allocator.addFramework("web", { roles: ["eng"] }))
    ok(allocator.addFramework("ops", { roles: ["ops"] }))
    const offers = allocator.allocate(0)
    const web = offers.find((o) => o.frameworkId === "web")!
    expect(web.resources.reserved("eng").toString()).toBe("cpus(eng){dynamic}:3")
    expect(failure(allocator.unreserve("a0", "eng", res("cpus:3")))).toBeInstanceOf(InsufficientResources)
    ok(allocator.recoverResources(web))
    ok(allocator.unreserve("a0", "eng", res("cpus:3")))
    expect(allocator.agent("a0")?.total.toString()).toBe("cpus:4;mem:4096")
  })

  it("does not release a static reservation with unreserve", () => {
    const allocator = make()
    ok(allocator.addAgent("a0", { total: res("cpus(eng):2") }))
    expect(failure(allocator.unreserve("a0", "eng", res("cpus:1")))).toEqual(
      new InsufficientResources({
        operation: "unreserve",
        agentId: "a0",
        needed: "cpus(eng){dynamic}:1",
        available: "cpus(eng):2"
      })
    )
  })
})

describe("DrfAllocator: quotas", () => {
  it("serves guarantees first, even to a role with a larger share", () => {
    const allocator = make()
    agents(allocator, 4, "cpus:2;mem:2048")
    ok(allocator.addFramework("q", { roles: ["q"] }))
    ok(allocator.addFramework("other", { roles: ["other"] }))
    ok(
      allocator.addAgent("held", { total: res("cpus:2;mem:2048") }, [
        { frameworkId: "q", role: "q", resources: res("cpus:2;mem:2048") }
      ])
    )
    ok(allocator.setQuota("q", { guarantee: res("cpus:5;mem:5120") }))
    const offers = allocator.allocate(0)
    expect(describeOffers(offers)).toEqual([
      "q(q)@a0 cpus:2;mem:2048",
      "q(q)@a1 cpus:1;mem:1024",
      "other(other)@a1 cpus:1;mem:1024",
      "other(other)@a2 cpus:2;mem:2048",
      "other(other)@a3 cpus:2;mem:2048"
    ])
  })

  it("holds back headroom for a guarantee that no framework takes yet", () => {
    const allocator = make()
    agents(allocator, 4, "cpus:2;mem:2048")
    ok(allocator.setQuota("reserved-later", { guarantee: res("cpus:3") }))
    ok(allocator.addFramework("other", { roles: ["other"] }))
    const offered = allocator.allocate(0).reduce((sum, o) => sum.add(o.resources), Resources.Resources.empty)
    expect(offered.toString()).toBe("cpus:5;mem:8192")
    ok(allocator.addFramework("late", { roles: ["reserved-later"] }))
    const late = allocator.allocate(1)
    expect(late.reduce((sum, o) => sum.add(o.resources), Resources.Resources.empty).toString()).toBe("cpus:3")
    expect(new Set(late.map((o) => o.frameworkId))).toEqual(new Set(["late"]))
  })

  it("cuts offers down to a role's limit, counting the whole subtree", () => {
    const allocator = make()
    agents(allocator, 2, "cpus:4;mem:4096")
    ok(allocator.setQuota("eng", { limit: res("cpus:3;mem:2048") }))
    ok(allocator.addFramework("web", { roles: ["eng/web"] }))
    ok(allocator.addFramework("db", { roles: ["eng/db"] }))
    const offers = allocator.allocate(0)
    const total = offers.reduce((sum, o) => sum.add(o.resources), Resources.Resources.empty)
    expect(total.toString()).toBe("cpus:3;mem:2048")
    expect(allocator.shares().find((s) => s.role === "eng")?.consumed).toEqual({ cpus: 3, mem: 2048 })
  })

  it("releases the held-back headroom when the quota is removed", () => {
    const allocator = make()
    agents(allocator, 2, "cpus:2;mem:2048")
    ok(allocator.setQuota("later", { guarantee: res("cpus:3") }))
    ok(allocator.addFramework("other", { roles: ["other"] }))
    const first = allocator.allocate(0).reduce((sum, o) => sum.add(o.resources), Resources.Resources.empty)
    expect(first.toString()).toBe("cpus:1;mem:4096")
    ok(allocator.setQuota("later", undefined))
    const second = allocator.allocate(1).reduce((sum, o) => sum.add(o.resources), Resources.Resources.empty)
    expect(second.toString()).toBe("cpus:3")
    expect(allocator.shares().map((s) => s.role)).toEqual(["other"])
  })

  it("counts reservations toward the guarantee they belong to", () => {
    const allocator = make()
    ok(allocator.addAgent("r", { total: res("cpus(q):2;mem(q):2048") }))
    agents(allocator, 2, "cpus:2;mem:2048")
    ok(allocator.setQuota("q", { guarantee: res("cpus:2") }))
    ok(allocator.addFramework("other", { roles: ["other"] }))
    const offered = allocator.allocate(0).reduce((sum, o) => sum.add(o.resources), Resources.Resources.empty)
    expect(offered.toString()).toBe("cpus:4;mem:4096")
    expect(allocator.shares().find((s) => s.role === "q")?.consumed).toEqual({ cpus: 2, mem: 2048 })
  })

  it("rejects bad quotas with a typed error and leaves the state unchanged", () => {
    const allocator = make()
    agents(allocator, 2, "cpus:4;mem:4096")
    ok(allocator.setQuota("eng", { guarantee: res("cpus:6") }))
    const before = allocator.shares()
    const reasons = [
      ["ops", { guarantee: res("cpus:3") }, "guarantees of cpus would total 9, above the cluster's 8"],
      ["ops", { guarantee: res("gpus:1") }, "guarantee names gpus, which no agent has"],
      ["ops", { guarantee: res("cpus:2"), limit: res("cpus:1") }, "guarantee of cpus (2) is above its limit (1)"],
      ["ops", { limit: res("ports:[1-2]") }, "limit ports is not a scalar"],
      ["ops", { guarantee: res("cpus(ops):1") }, "guarantee cpus must be unreserved and non-revocable"],
      ["eng/web", { guarantee: res("cpus:7") }, "children of eng would be guaranteed 7 cpus, above its 6"]
    ] as const
    for (const [role, quota, reason] of reasons)
      expect(failure(allocator.setQuota(role, quota))).toEqual(new InvalidQuota({ role, reason }))
    expect(failure(allocator.setQuota("*", { limit: res("cpus:1") }))).toBeInstanceOf(InvalidQuota)
    expect(failure(allocator.setQuota("bad role", {}))).toBeInstanceOf(InvalidRole)
    expect(Result.isFailure(Resources.parse("cpus:-1"))).toBe(true)
    expect(allocator.shares()).toEqual(before)
  })
})

describe("DrfAllocator: agents, frameworks and errors", () => {
  it("rejects duplicates, unknown ids, bad weights and over-recovery without changing anything", () => {
    const allocator = make()
    agents(allocator, 1)
    ok(allocator.addFramework("a"))
    expect(failure(allocator.addAgent("a0", { total: res("cpus:1") }))).toEqual(
      new DuplicateId({ kind: "agent", id: "a0" })
    )
    expect(failure(allocator.addFramework("a"))).toEqual(new DuplicateId({ kind: "framework", id: "a" }))
    expect(failure(allocator.addFramework("b", { roles: ["x/../y"] }))).toBeInstanceOf(InvalidRole)
    expect(failure(allocator.removeFramework("zz"))).toEqual(new UnknownId({ kind: "framework", id: "zz" }))
    expect(failure(allocator.removeAgent("zz"))).toEqual(new UnknownId({ kind: "agent", id: "zz" }))
    expect(failure(allocator.setWeight("r", 0))).toEqual(new InvalidWeight({ role: "r", weight: 0 }))
    expect(failure(allocator.setWeight("r", Number.NaN))).toBeInstanceOf(InvalidWeight)
    const [offer] = allocator.allocate(0)
    const more = failure(allocator.recoverResources({ ...offer!, resources: res("cpus:2") }))
    expect(more).toEqual(
      new InsufficientResources({
        operation: "recoverResources",
        agentId: "a0",
        needed: "cpus:2",
        available: "cpus:1;mem:1024"
      })
    )
    expect(allocator.allocated("a").toString()).toBe("cpus:1;mem:1024")
    expect(
      failure(
        allocator.addAgent("a1", { total: res("cpus:1") }, [{ frameworkId: "a", role: "*", resources: res("cpus:2") }])
      )
    ).toBeInstanceOf(InsufficientResources)
    expect(allocator.agentIds()).toEqual(["a0"])
    expect(failure(allocator.updateAgent("a0", { total: res("cpus:0.5;mem:1024") }))).toBeInstanceOf(
      InsufficientResources
    )
    expect(allocator.agent("a0")?.total.toString()).toBe("cpus:1;mem:1024")
  })

  it("tracks allocations an agent reports for a framework that registers later", () => {
    const allocator = make()
    ok(
      allocator.addAgent("a0", { total: res("cpus:4;mem:4096") }, [
        { frameworkId: "late", role: "web", resources: res("cpus:3;mem:1024") }
      ])
    )
    expect(allocator.frameworkIds()).toEqual([])
    ok(allocator.addFramework("other", { roles: ["web"] }))
    expect(describeOffers(allocator.allocate(0))).toEqual(["other(web)@a0 cpus:1;mem:3072"])
    ok(allocator.addFramework("late", { roles: ["web"] }))
    expect(allocator.allocation("late")).toEqual([
      { frameworkId: "late", role: "web", agentId: "a0", resources: res("cpus:3;mem:1024") }
    ])
  })

  it("releases a removed framework's resources and drops a removed agent's allocations", () => {
    const allocator = make()
    agents(allocator, 2)
    ok(allocator.addFramework("a"))
    ok(allocator.addFramework("b"))
    allocator.allocate(0)
    ok(allocator.removeFramework("a"))
    expect(describeOffers(allocator.allocate(0))).toEqual(["b(*)@a0 cpus:1;mem:1024"])
    ok(allocator.removeAgent("a1"))
    expect(allocator.allocation("b")).toEqual([
      { frameworkId: "b", role: "*", agentId: "a0", resources: res("cpus:1;mem:1024") }
    ])
    expect(allocator.total().toString()).toBe("cpus:1;mem:1024")
  })

  it("allocates only the named agents when given, and grows an agent with updateAgent", () => {
    const allocator = make()
    agents(allocator, 3)
    ok(allocator.addFramework("a"))
    expect(allocator.allocate(0, ["a2", "missing"]).map((o) => o.agentId)).toEqual(["a2"])
    ok(allocator.updateAgent("a2", { total: res("cpus:2;mem:2048"), hostname: "h2" }))
    expect(describeOffers(allocator.allocate(0, ["a2"]))).toEqual(["a(*)@a2 cpus:1;mem:1024"])
    expect(allocator.agent("a2")?.hostname).toBe("h2")
  })

  it("moves a framework between roles: held resources stay counted, new offers go to the new role", () => {
    const allocator = make()
    agents(allocator, 2)
    ok(allocator.addFramework("a", { roles: ["x"] }))
    allocator.allocate(0, ["a0"])
    ok(allocator.updateFramework("a", { roles: ["y"] }))
    expect(describeOffers(allocator.allocate(0))).toEqual(["a(y)@a1 cpus:1;mem:1024"])
    expect(allocator.shares().map((s) => [s.role, s.allocated])).toEqual([
      ["x", { cpus: 1, mem: 1024 }],
      ["y", { cpus: 1, mem: 1024 }]
    ])
  })
})
