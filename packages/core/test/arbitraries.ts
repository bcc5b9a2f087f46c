import fc from "fast-check"
import { canonicalSet } from "../src/Merge.js"
import type { LatestMap, Node, Sample } from "../src/Report.js"

const key = fc.constantFrom("a", "b", "c", "d")
const latestMap: fc.Arbitrary<LatestMap> = fc.dictionary(
  key,
  fc.record({ value: fc.constantFrom("x", "y", "z"), timestamp: fc.integer({ min: 0, max: 5 }) })
)
const set = fc.array(fc.constantFrom("p", "q", "r", "s"), { maxLength: 4 }).map((a) => [...canonicalSet(a)])
const samples: fc.Arbitrary<Array<Sample>> = fc
  .uniqueArray(fc.integer({ min: 0, max: 20 }), { maxLength: 6 })
  .chain((ts) =>
    fc.tuple(...ts.sort((x, y) => x - y).map((t) => fc.integer({ min: 0, max: 3 }).map((v): Sample => [t, v])))
  )

/** A node in canonical form (sorted sets, ordered samples), with one of a few ids. */
export const node = (id: fc.Arbitrary<string> = fc.constantFrom("n1", "n2", "n3")): fc.Arbitrary<Node> =>
  fc.record({
    id,
    topology: fc.constant("containers"),
    latest: latestMap,
    labels: latestMap,
    sets: fc.dictionary(key, set),
    metrics: fc.dictionary(fc.constantFrom("cpu", "memory"), samples),
    parents: fc.dictionary(fc.constantFrom("hosts", "pods"), set),
    adjacency: set,
    controls: set
  })

/** A topology map of canonical nodes. */
export const topology: fc.Arbitrary<Record<string, Node>> = fc
  .array(node(), { maxLength: 3 })
  .map((nodes) => Object.fromEntries(nodes.map((n) => [n.id, n])))
