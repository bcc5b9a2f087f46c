import { describe, expect, it } from "vitest"
import {
  type DisplayNode,
  defaultCluster,
  formatGrouping,
  groupId,
  groupingChoices,
  groupKeyOf,
  groupLabel,
  parseGrouping,
  project
} from "../app/graph/Projection.js"
import { edge, hostContainers, node } from "./graphFixtures.js"

const none = parseGrouping("")
const byHost = parseGrouping("hosts")

describe("Projection: groupings", () => {
  it("reads and writes the hash's group value", () => {
    expect(parseGrouping("")).toEqual({ kind: "none" })
    expect(parseGrouping(" rank ")).toEqual({ kind: "rank" })
    expect(parseGrouping("label:app")).toEqual({ kind: "label", key: "app" })
    expect(parseGrouping("label:")).toEqual({ kind: "parent", topology: "label:" })
    expect(parseGrouping("pods")).toEqual({ kind: "parent", topology: "pods" })
    for (const value of ["", "rank", "label:io.kubernetes.pod.namespace", "hosts"]) {
      expect(formatGrouping(parseGrouping(value))).toBe(value)
    }
  })

  it("finds a node's group by parent, rank or label; pseudo nodes and nodes without the key stay alone", () => {
    const web = node("web", { parents: { hosts: ["a"], pods: ["p1"] }, rank: "nginx", labels: { app: "shop" } })
    expect(groupKeyOf(web, none)).toBeUndefined()
    expect(groupKeyOf(web, byHost)).toBe("a")
    expect(groupKeyOf(web, parseGrouping("pods"))).toBe("p1")
    expect(groupKeyOf(web, parseGrouping("rank"))).toBe("nginx")
    expect(groupKeyOf(web, parseGrouping("label:app"))).toBe("shop")
    expect(groupKeyOf(web, parseGrouping("label:tier"))).toBeUndefined()
    expect(groupKeyOf(node("lonely"), byHost)).toBeUndefined()
    expect(groupKeyOf(node("internet", { pseudo: true, parents: { hosts: ["a"] } }), byHost)).toBeUndefined()
  })

  it("names groups readably and places ungrouped nodes with their host, else their rank", () => {
    expect(groupId(byHost, "a")).toBe("group:hosts:a")
    expect(groupLabel("a".repeat(64))).toBe("a".repeat(12))
    expect(groupLabel("node-a")).toBe("node-a")
    expect(defaultCluster(node("c", { parents: { hosts: ["h"] } }))).toBe("hosts:h")
    expect(defaultCluster(node("h", { topology: "hosts", rank: "h" }))).toBe("rank:h")
    expect(defaultCluster(node("p", { pseudo: true }))).toBe("pseudo")
  })
})

describe("Projection: project", () => {
  it("shows a view as it is without a grouping", () => {
    const nodes = [node("web", { metrics: { cpu: 12 } }), node("db")]
    const edges = [edge("web", "db", 3)]
    const projection = project(nodes, edges, none, new Set())
    expect([...projection.nodes.keys()]).toEqual(["web", "db"])
    expect(projection.nodes.get("web")).toMatchObject({
      kind: "node",
      label: "web",
      cpu: 12,
      connections: 3,
      ref: { topology: "containers", id: "web" },
      group: undefined
    })
    expect([...projection.edges.values()]).toEqual([{ id: "web->db", source: "web", target: "db", connections: 3 }])
    expect(projection.groups).toEqual([])
  })

  it("collapses each group into one node standing for its members, with edges summed between groups", () => {
    const a = hostContainers("a", 3)
    const b = hostContainers("b", 2)
    const internet = node("internet", { pseudo: true, shape: "cloud", label: "The Internet" })
    const nodes = [
      ...a.nodes,
      ...b.nodes.map((n, i) => ({ ...n, status: i === 0 ? ("warning" as const) : ("stopped" as const) })),
      internet
    ]
    const edges = [
      ...a.edges,
      ...b.edges,
      edge("a-c0", "b-c0", 2),
      edge("a-c1", "b-c1", 5),
      edge("b-c0", "a-c2", 1),
      edge("internet", "a-c0", 7)
    ]
    const projection = project(nodes, edges, byHost, new Set())
    expect([...projection.nodes.keys()].sort()).toEqual(["group:hosts:a", "group:hosts:b", "internet"])
    const groupA = projection.nodes.get("group:hosts:a")!
    expect(groupA).toEqual<DisplayNode>({
      id: "group:hosts:a",
      kind: "group",
      label: "a",
      minor: "3 nodes · a",
      status: "healthy",
      shape: "circle",
      pseudo: false,
      members: 3,
      cpu: 0 + 10 + 20,
      memory: 3 * 2 ** 26,
      connections: 2 + 5 + 1 + 7,
      cluster: "",
      ref: undefined,
      group: undefined
    })
    expect(projection.nodes.get("group:hosts:b")!.status).toBe("warning")
    expect(Object.fromEntries([...projection.edges.values()].map((e) => [e.id, e.connections]))).toEqual({
      "group:hosts:a->group:hosts:b": 7,
      "group:hosts:b->group:hosts:a": 1,
      "internet->group:hosts:a": 7
    })
    expect(projection.groups).toEqual([
      { id: "group:hosts:a", label: "a", members: 3, expanded: false },
      { id: "group:hosts:b", label: "b", members: 2, expanded: false }
    ])
    expect(projection.members.get("group:hosts:b")).toEqual(["b-c0", "b-c1"])
  })

  it("shows an expanded group's members, clustered together, with edges to the other groups", () => {
    const a = hostContainers("a", 2)
    const b = hostContainers("b", 2)
    const projection = project(
      [...a.nodes, ...b.nodes],
      [...a.edges, edge("a-c1", "b-c0", 4)],
      byHost,
      new Set(["group:hosts:a"])
    )
    expect([...projection.nodes.keys()].sort()).toEqual(["a-c0", "a-c1", "group:hosts:b"])
    expect(projection.nodes.get("a-c0")).toMatchObject({ cluster: "group:hosts:a", group: "group:hosts:a" })
    expect([...projection.edges.keys()].sort()).toEqual(["a-c0->a-c1", "a-c1->group:hosts:b"])
    expect(projection.groups.map((g) => [g.id, g.expanded])).toEqual([
      ["group:hosts:a", true],
      ["group:hosts:b", false]
    ])
  })

  it("offers the groupings the nodes share, most common first", () => {
    const nodes = [
      node("a", { parents: { hosts: ["h1"], pods: ["p1"] }, labels: { app: "x", id: "1" }, rank: "img" }),
      node("b", { parents: { hosts: ["h1"] }, labels: { app: "x", id: "2" }, rank: "img" }),
      node("c", { parents: { hosts: ["h2"], pods: ["p2"] }, labels: { app: "y", id: "3" }, rank: "other" }),
      node("p", { pseudo: true, labels: { app: "x" } })
    ]
    expect(groupingChoices(nodes)).toEqual([
      { value: "hosts", label: "Host" },
      { value: "rank", label: "Rank" },
      { value: "label:app", label: "Label app" }
    ])
    expect(groupingChoices([node("solo", { rank: "solo" })])).toEqual([])
  })
})
