import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { mergeNode, mergeSamples, mergeTopology } from "../src/Merge.js"
import { makeNode } from "../src/Report.js"
import { node, topology } from "./arbitraries.js"

const sameId = node(fc.constant("n"))

describe("Merge", () => {
  it("node merge is commutative", () => {
    fc.assert(
      fc.property(sameId, sameId, (a, b) => {
        expect(mergeNode(a, b)).toEqual(mergeNode(b, a))
      })
    )
  })

  it("node merge is associative", () => {
    fc.assert(
      fc.property(sameId, sameId, sameId, (a, b, c) => {
        expect(mergeNode(mergeNode(a, b), c)).toEqual(mergeNode(a, mergeNode(b, c)))
      })
    )
  })

  it("node merge is idempotent on canonical nodes", () => {
    fc.assert(
      fc.property(sameId, (a) => {
        expect(mergeNode(a, a)).toEqual(a)
      })
    )
  })

  it("topology merge is associative, commutative and idempotent", () => {
    fc.assert(
      fc.property(topology, topology, topology, (a, b, c) => {
        expect(mergeTopology(a, b)).toEqual(mergeTopology(b, a))
        expect(mergeTopology(mergeTopology(a, b), c)).toEqual(mergeTopology(a, mergeTopology(b, c)))
        expect(mergeTopology(mergeTopology(a, b), mergeTopology(a, b))).toEqual(mergeTopology(a, b))
      })
    )
  })

  it("keeps the newest latest value and breaks timestamp ties by value", () => {
    const a = makeNode("hosts", "h", {
      latest: { os: { value: "linux", timestamp: 2 }, k: { value: "a", timestamp: 5 } }
    })
    const b = makeNode("hosts", "h", {
      latest: { os: { value: "bsd", timestamp: 1 }, k: { value: "b", timestamp: 5 } }
    })
    expect(mergeNode(a, b).latest).toEqual({ os: { value: "linux", timestamp: 2 }, k: { value: "b", timestamp: 5 } })
  })

  it("unions sets, parents, adjacency and controls", () => {
    const a = makeNode("containers", "c", { sets: { ips: ["10.0.0.2"] }, parents: { hosts: ["h1"] }, adjacency: ["x"] })
    const b = makeNode("containers", "c", {
      sets: { ips: ["10.0.0.1", "10.0.0.2"] },
      parents: { hosts: ["h2"] },
      adjacency: ["y"],
      controls: ["docker.stop"]
    })
    expect(mergeNode(a, b)).toEqual(
      makeNode("containers", "c", {
        sets: { ips: ["10.0.0.1", "10.0.0.2"] },
        parents: { hosts: ["h1", "h2"] },
        adjacency: ["x", "y"],
        controls: ["docker.stop"]
      })
    )
  })

  it("merges samples by time, keeping the newest ones", () => {
    expect(
      mergeSamples(
        [
          [1, 10],
          [3, 30]
        ],
        [
          [2, 20],
          [3, 31],
          [4, 40]
        ],
        3
      )
    ).toEqual([
      [2, 20],
      [3, 31],
      [4, 40]
    ])
  })
})
