import * as fc from "fast-check"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { isNode, isNodeStructurally } from "../src/internal/plugins/isNode.js"
import { Node } from "../src/Report.js"

const isSchemaNode = Schema.is(Node)

const finite = fc.double({ noNaN: true, noDefaultInfinity: true })
const number = fc.oneof(finite, fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0))
const scalar = fc.oneof(fc.string(), number, fc.boolean(), fc.constant(null), fc.constant(undefined))
const latest = fc.dictionary(
  fc.string(),
  fc.oneof(
    fc.record({ value: fc.string(), timestamp: finite }),
    fc.record({ value: scalar, timestamp: number }),
    scalar
  )
)
const lists = fc.dictionary(fc.string(), fc.oneof(fc.array(fc.string()), fc.array(scalar), scalar))
const metrics = fc.dictionary(
  fc.string(),
  fc.oneof(fc.array(fc.tuple(finite, finite)), fc.array(fc.array(number, { maxLength: 3 })), scalar)
)
const node = fc.record({
  id: fc.oneof(fc.string(), scalar),
  topology: fc.oneof(fc.string(), scalar),
  latest: fc.oneof(latest, scalar),
  labels: fc.oneof(latest, scalar),
  sets: fc.oneof(lists, scalar),
  metrics: fc.oneof(metrics, scalar),
  parents: fc.oneof(lists, scalar),
  adjacency: fc.oneof(fc.array(fc.string()), fc.array(scalar), scalar),
  controls: fc.oneof(fc.array(fc.string()), fc.array(scalar), scalar)
})
const validLatest = fc.dictionary(fc.string(), fc.record({ value: fc.string(), timestamp: finite }))
const validLists = fc.dictionary(fc.string(), fc.array(fc.string()))
const validNode = fc.record({
  id: fc.string(),
  topology: fc.string(),
  latest: validLatest,
  labels: validLatest,
  sets: validLists,
  metrics: fc.dictionary(fc.string(), fc.array(fc.tuple(finite, finite))),
  parents: validLists,
  adjacency: fc.array(fc.string()),
  controls: fc.array(fc.string())
})
const fields = ["id", "topology", "latest", "labels", "sets", "metrics", "parents", "adjacency", "controls"] as const
/** A valid node with one field replaced by something else (often invalid). */
const oneFieldOff = fc
  .tuple(validNode, fc.constantFrom(...fields), fc.oneof(scalar, latest, lists, metrics, fc.array(scalar)))
  .map(([n, field, value]) => ({ ...n, [field]: value }))
const anything = fc.oneof(validNode, oneFieldOff, node, fc.anything(), fc.array(node, { maxLength: 2 }))

describe("isNode (the structural check before Schema.is(Node))", () => {
  it("accepts only what Schema.is(Node) accepts", () => {
    fc.assert(
      fc.property(anything, (value) => {
        if (isNodeStructurally(value)) expect(isSchemaNode(value)).toBe(true)
        expect(isNode(value)).toBe(isSchemaNode(value))
      }),
      { numRuns: 3_000 }
    )
  })

  it("accepts well-formed nodes on its own (the fast path is taken)", () => {
    const good = {
      id: "n1",
      topology: "containers",
      latest: { name: { value: "web", timestamp: 1 } },
      labels: {},
      sets: { ips: ["10.0.0.1"] },
      metrics: { cpu: [[1, 2.5]] },
      parents: { hosts: ["h1"] },
      adjacency: ["n2"],
      controls: []
    }
    expect(isNodeStructurally(good)).toBe(true)
    expect(isNodeStructurally({ ...good, metrics: { cpu: [[1, Number.NaN]] } })).toBe(false)
    expect(isNode({ ...good, metrics: { cpu: [[1, Number.NaN]] } })).toBe(false)
    expect(isNode({ ...good, latest: { name: { value: 1, timestamp: 1 } } })).toBe(false)
  })
})
