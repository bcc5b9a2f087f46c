import fc from "fast-check"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { compactReport, StringInterner } from "../src/internal/report/compact.js"
import { isReport } from "../src/internal/report/guard.js"
import { makeNode, Report } from "../src/Report.js"
import { node } from "./arbitraries.js"

const schemaIs = Schema.is(Report)

const report = fc.record(
  {
    version: fc.constant(1),
    probeId: fc.constantFrom("p", "probe-1"),
    hostname: fc.string(),
    kind: fc.constantFrom("full", "delta"),
    seq: fc.nat(),
    timestamp: fc.integer(),
    intervalMs: fc.integer({ min: 1, max: 60_000 }),
    topologies: fc.array(node(), { maxLength: 3 }).map((nodes) => ({
      containers: { nodes: Object.fromEntries(nodes.map((n) => [n.id, n])), removed: ["gone"] }
    })),
    health: fc.array(
      fc.record(
        {
          name: fc.string(),
          status: fc.constantFrom("ok", "degraded", "failed", "disabled"),
          message: fc.string(),
          durationMs: fc.double({ noNaN: true, noDefaultInfinity: true }),
          timestamp: fc.integer()
        },
        { requiredKeys: ["name", "status", "timestamp"] }
      ),
      { maxLength: 2 }
    )
  },
  { requiredKeys: ["version", "probeId", "hostname", "kind", "seq", "timestamp", "topologies"] }
)

/** Replaces the value at a random path of a JSON-like value with another value. */
const mutate = (value: unknown, path: ReadonlyArray<number>, replacement: unknown): unknown => {
  if (path.length === 0 || typeof value !== "object" || value === null) return replacement
  const entries = Object.entries(value)
  if (entries.length === 0) return replacement
  const [key, child] = entries[path[0]! % entries.length]!
  const copy: Record<string, unknown> | Array<unknown> = Array.isArray(value) ? [...value] : { ...value }
  ;(copy as Record<string, unknown>)[key] = mutate(child, path.slice(1), replacement)
  return copy
}

const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(Number.NaN),
  fc.constant(Number.POSITIVE_INFINITY),
  fc.constant(-1),
  fc.constant(1.5),
  fc.constant(""),
  fc.constant("x"),
  fc.constant([]),
  fc.constant({}),
  fc.constant([1]),
  fc.constant([1, "a"]),
  fc.boolean()
)

describe("the report guard", () => {
  it("accepts every valid report", () => {
    fc.assert(
      fc.property(report, (r) => {
        expect(isReport(r)).toBe(true)
        expect(schemaIs(r)).toBe(true)
      })
    )
  })

  it("agrees with the Report Schema on damaged reports", () => {
    fc.assert(
      fc.property(report, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), junk, (r, path, replacement) => {
        const damaged = JSON.parse(JSON.stringify(mutate(r, path, replacement)) ?? "null")
        expect(isReport(damaged)).toBe(schemaIs(damaged))
      }),
      { numRuns: 2_000 }
    )
  })
})

describe("report compaction", () => {
  it("keeps a parsed report deeply equal and still valid", () => {
    const interner = new StringInterner()
    fc.assert(
      fc.property(report, (r) => {
        const parsed = JSON.parse(JSON.stringify(r))
        const compacted = compactReport(parsed, interner)
        expect(compacted).toEqual(JSON.parse(JSON.stringify(r)))
        expect(isReport(compacted)).toBe(true)
      })
    )
  })

  it("shares equal strings and empty records across reports", () => {
    const interner = new StringInterner()
    const body = (): string =>
      JSON.stringify({
        version: 1,
        probeId: "p",
        hostname: "h",
        kind: "full",
        seq: 0,
        timestamp: 1,
        topologies: {
          processes: {
            nodes: {
              "h;1": {
                ...makeNode("processes", "h;1", { parents: { host: ["h;<host>"] }, adjacency: ["h;2"] }),
                latest: { name: { value: "nginx", timestamp: 1 } }
              }
            }
          }
        }
      })
    const [a, b] = [body(), body()].map((text) => compactReport(JSON.parse(text), interner))
    const nodeA = a!.topologies.processes!.nodes["h;1"]!
    const nodeB = b!.topologies.processes!.nodes["h;1"]!
    expect(nodeA.sets).toBe(nodeB.sets)
    expect(Object.isFrozen(nodeA.labels)).toBe(true)
    expect(nodeA.latest.name!.value).toBe("nginx")
    expect(interner.size).toBeGreaterThan(0)
    expect(interner.intern("x".repeat(200))).toHaveLength(200)
  })

  it("stays bounded: a full table starts over", () => {
    const interner = new StringInterner(3)
    for (const s of ["a", "b", "c", "d", "e"]) interner.intern(s)
    expect(interner.size).toBeLessThanOrEqual(3)
    expect(interner.intern("e")).toBe("e")
  })
})
