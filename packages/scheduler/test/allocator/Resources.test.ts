import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { InvalidResources, Resources, Role } from "../../src/allocator/index.js"
import { res } from "./driver.js"

const failure = <A, E>(r: Result.Result<A, E>): E => {
  if (Result.isSuccess(r)) throw new Error(`expected a failure, got ${String(r.success)}`)
  return r.failure
}

describe("Resources.parse", () => {
  it("reads Mesos' text form with scalars, ranges and sets", () => {
    const r = res("cpus:24;mem:4096;disk:4096;ports:[31000-32000];zones:{b,a}")
    expect(r.quantities()).toEqual({ cpus: 24, disk: 4096, mem: 4096 })
    expect(r.toString()).toBe("cpus:24;disk:4096;mem:4096;ports:[31000-32000];zones:{a,b}")
  })

  it("reads static and dynamic reservations and revocable resources, and writes them back", () => {
    const text = "cpus(eng){dynamic}:2;cpus(eng/web):4;cpus{revocable}:8;cpus:1"
    const r = res(text)
    expect(r.entries.map((e) => [e.name, e.reservation, e.revocable, e.value])).toEqual([
      ["cpus", undefined, false, { _tag: "Scalar", value: 1 }],
      ["cpus", undefined, true, { _tag: "Scalar", value: 8 }],
      ["cpus", { role: "eng", type: "dynamic" }, false, { _tag: "Scalar", value: 2 }],
      ["cpus", { role: "eng/web", type: "static" }, false, { _tag: "Scalar", value: 4 }]
    ])
    expect(res(r.toString()).equals(r)).toBe(true)
    expect(r.scalar("cpus")).toBe(15)
  })

  it("adds up repeated names and merges overlapping ranges", () => {
    expect(res("cpus:1;cpus:0.5;ports:[1-5,4-9,11-12]").toString()).toBe("cpus:1.5;ports:[1-9,11-12]")
  })

  it("keeps three decimals, like Mesos' fixed point", () => {
    expect(res("cpus:0.1;cpus:0.2").scalar("cpus")).toBe(0.3)
    expect(res("cpus:0.0004").isEmpty()).toBe(true)
  })

  it("rejects bad input with an error naming what is wrong", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["cpus:-1", "cpus:-1: a scalar cannot be negative (-1)"],
      ["cpus:abc", 'cpus:abc: not a number: "abc"'],
      ["cpus", "cpus: expected 'name:value', 'name(role):value' or 'name{flags}:value'"],
      ["ports:[5-1]", "ports:[5-1]: a range cannot end before it begins (5-1)"],
      ["ports:[1-2", "ports:[1-2: a range list must end with ']'"],
      ["ports:[a-b]", `ports:[a-b]: a range must read 'begin-end', got "a-b"`],
      ["cpus{fast}:1", 'cpus{fast}:1: unknown flag "fast" (dynamic, revocable)'],
      ["cpus(*){dynamic}:1", "cpus(*){dynamic}:1: a dynamic reservation needs a role: name(role){dynamic}:value"],
      [
        "cpus(a//b):1",
        `cpus(a//b):1: invalid role "a//b": a role path cannot have an empty component (leading, trailing or '//')`
      ],
      ["c pus:1", `c pus:1: invalid resource name "c pus" (letters, digits, '_', '.', '-', '/')`]
    ]
    for (const [text, message] of cases) {
      const error = failure(Resources.parse(text))
      expect(error).toBeInstanceOf(InvalidResources)
      expect(`${error.input}: ${error.reason}`).toBe(message)
    }
  })
})

describe("Resources.fromJson", () => {
  it("reads the record shorthand", () => {
    const r = Result.getOrThrow(
      Resources.fromJson({ cpus: 4, mem: 1024, ports: [[31000, 31010]], more: "[1-2]", zones: ["a"] })
    )
    expect(r.toString()).toBe("cpus:4;mem:1024;more:[1-2];ports:[31000-31010];zones:{a}")
  })

  it("round-trips the Mesos-style array that toJSON writes", () => {
    const r = res("cpus(eng){dynamic}:2;mem:512;ports:[1-3,7-9];zones:{x};gpus{revocable}:1")
    const json = JSON.parse(JSON.stringify(r))
    expect(json[0]).toEqual({
      name: "cpus",
      reservation: { role: "eng", type: "dynamic" },
      type: "SCALAR",
      scalar: { value: 2 }
    })
    expect(Result.getOrThrow(Resources.fromJson(json)).equals(r)).toBe(true)
  })

  it("names the JSON path of a bad value", () => {
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [{ cpus: -2 }, "$.cpus: a scalar cannot be negative (-2)"],
      [{ cpus: Number.NaN }, "$.cpus: a scalar must be a finite number"],
      [[{ name: "cpus" }], "$[0]: a resource needs one of scalar, ranges or set"],
      [[{ name: "cpus", scalar: { value: "1" } }], "$[0].scalar: scalar must be a number or { value: number }"],
      [
        [{ name: "p", ranges: { range: [{ begin: 3 }] } }],
        "$[0].ranges[0]: a range must be [begin, end] or { begin, end } with numbers"
      ],
      [
        [{ name: "cpus", scalar: 1, reservation: { role: "eng", type: "soon" } }],
        "$[0].reservation.type: reservation type must be 'static' or 'dynamic'"
      ],
      ["cpus:1", "$: expected an array of resources or a record of amounts"]
    ]
    for (const [json, message] of cases) {
      const error = failure(Resources.fromJson(json))
      expect(`${error.input}: ${error.reason}`).toBe(message)
    }
  })
})

describe("Resources arithmetic", () => {
  it("adds, subtracts (saturating) and checks containment for every kind", () => {
    const a = res("cpus:4;mem:1024;ports:[100-200];zones:{a,b}")
    const b = res("cpus:1.5;ports:[150-160];zones:{b}")
    expect(a.subtract(b).toString()).toBe("cpus:2.5;mem:1024;ports:[100-149,161-200];zones:{a}")
    expect(a.subtract(b).add(b).equals(a)).toBe(true)
    expect(a.contains(b)).toBe(true)
    expect(b.contains(a)).toBe(false)
    expect(res("cpus:1").subtract(res("cpus:3")).isEmpty()).toBe(true)
    expect(res("ports:[1-10]").contains(res("ports:[5-11]"))).toBe(false)
  })

  it("treats reserved, unreserved and revocable amounts as different resources", () => {
    expect(res("cpus:4").contains(res("cpus(eng):1"))).toBe(false)
    expect(res("cpus(eng):4").contains(res("cpus(eng){dynamic}:1"))).toBe(false)
    expect(res("cpus:4").contains(res("cpus{revocable}:1"))).toBe(false)
    expect(res("cpus:2;cpus(eng):1").reserved("eng").toString()).toBe("cpus(eng):1")
    expect(res("cpus:2").reserveFor("eng").toString()).toBe("cpus(eng){dynamic}:2")
    expect(res("cpus(eng){dynamic}:2").toUnreserved().toString()).toBe("cpus:2")
  })

  const amount = fc.record({
    cpus: fc.integer({ min: 0, max: 64_000 }).map((x) => x / 1000),
    mem: fc.integer({ min: 0, max: 1 << 16 }),
    lo: fc.integer({ min: 0, max: 1000 }),
    len: fc.integer({ min: 0, max: 50 })
  })
  const toResources = (x: { cpus: number; mem: number; lo: number; len: number }) =>
    res(`cpus:${x.cpus};mem:${x.mem};ports:[${x.lo}-${x.lo + x.len}]`)

  it("obeys the algebra: commutative add, (a + b) - b = a, a + b contains a", () => {
    fc.assert(
      fc.property(amount, amount, (x, y) => {
        const a = toResources(x)
        const b = toResources(y)
        expect(a.add(b).equals(b.add(a))).toBe(true)
        expect(a.add(b).contains(a)).toBe(true)
        expect(a.add(b).subtract(b).contains(a.subtract(b))).toBe(true)
        expect(res(a.toString()).equals(a)).toBe(true)
        if (b.contains(a)) expect(b.subtract(a).add(a).equals(b)).toBe(true)
      })
    )
  })
})

describe("Role", () => {
  it("validates names and walks the hierarchy", () => {
    expect(Result.isSuccess(Role.validate("eng/web"))).toBe(true)
    expect(Result.isSuccess(Role.validate("*"))).toBe(true)
    for (const bad of ["", "a/", "/a", "a/../b", "-a", "a b", "a/*"])
      expect(Result.isFailure(Role.validate(bad))).toBe(true)
    expect(Role.ancestors("a/b/c")).toEqual(["a/b", "a"])
    expect(Role.isWithin("eng/web", "eng")).toBe(true)
    expect(Role.isWithin("engine", "eng")).toBe(false)
  })
})
