import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { SearchSyntaxError } from "../src/Search.js"
import * as Containers from "../src/views/Containers.js"
import * as Filters from "../src/views/Filters.js"
import * as Processes from "../src/views/Processes.js"
import * as ProcessesByName from "../src/views/ProcessesByName.js"
import type { ViewFilters } from "../src/views/View.js"
import { report } from "./views.fixture.js"

const r = report()
const containers = Containers.view.render(r)
const processes = Processes.view.render(r)

/** Node ids and `source->target` edges left after filtering the containers view. */
const apply = (filters: ViewFilters, rendering = containers, withReport = true) => {
  const filtered = Result.getOrThrow(Filters.apply(rendering, filters, withReport ? r : undefined))
  return {
    nodes: filtered.nodes.map((n) => n.id).sort(),
    edges: filtered.edges.map((e) => e.id).sort()
  }
}

describe("Filters.apply", () => {
  it("returns every node and edge when no filter is set", () => {
    const filtered = Result.getOrThrow(Filters.apply(containers, {}))
    expect(filtered).toEqual({
      nodes: Array.from(containers.nodes.values()),
      edges: Array.from(containers.edges.values())
    })
  })

  it("keeps running nodes (and the pseudo nodes they still connect to)", () => {
    expect(apply({ status: "running" })).toEqual({
      nodes: [
        "api",
        "db",
        "in-theinternet",
        "out-theinternet",
        "pseudo:peer:10.9.9.9",
        "pseudo:peer:fd00::7",
        "pseudo:peer:host-a;127.0.0.1",
        "pseudo:uncontained:host-a",
        "pseudo:uncontained:host-b",
        "web"
      ],
      edges: [
        "api->db",
        "api->out-theinternet",
        "api->pseudo:peer:10.9.9.9",
        "api->pseudo:peer:fd00::7",
        "in-theinternet->pseudo:uncontained:host-a",
        "pseudo:uncontained:host-b->web",
        "web->api",
        "web->pseudo:peer:host-a;127.0.0.1"
      ]
    })
  })

  it("keeps only stopped nodes; pseudo nodes left without edges go", () => {
    expect(apply({ status: "stopped" })).toEqual({ nodes: ["old"], edges: [] })
  })

  it("keeps application or system nodes by the system field of the report nodes", () => {
    expect(apply({ kind: "system", hidePseudo: true }, processes)).toEqual({ nodes: ["host-a;400"], edges: [] })
    expect(apply({ kind: "application", hidePseudo: true }, processes).nodes).toEqual([
      "host-a;100",
      "host-a;101",
      "host-a;200",
      "host-a;300",
      "host-b;500",
      "host-b;600"
    ])
    expect(apply({ kind: "system" }, processes, false)).toEqual({ nodes: [], edges: [] })
  })

  it("treats a group as a system node only when all its members are", () => {
    const grouped = ProcessesByName.view.render(r)
    expect(apply({ kind: "system", hidePseudo: true }, grouped).nodes).toEqual(["kworker"])
  })

  it("keeps nodes carrying every given label, `*` matching any value", () => {
    expect(apply({ labels: { tier: "*" } })).toEqual({
      nodes: [
        "api",
        "out-theinternet",
        "pseudo:peer:10.9.9.9",
        "pseudo:peer:fd00::7",
        "pseudo:peer:host-a;127.0.0.1",
        "web"
      ],
      edges: [
        "api->out-theinternet",
        "api->pseudo:peer:10.9.9.9",
        "api->pseudo:peer:fd00::7",
        "web->api",
        "web->pseudo:peer:host-a;127.0.0.1"
      ]
    })
    expect(apply({ labels: { app: "web", tier: "frontend" } })).toEqual({
      nodes: ["pseudo:peer:host-a;127.0.0.1", "web"],
      edges: ["web->pseudo:peer:host-a;127.0.0.1"]
    })
  })

  it("hides pseudo nodes", () => {
    expect(apply({ hidePseudo: true })).toEqual({
      nodes: ["api", "db", "old", "web"],
      edges: ["api->db", "web->api"]
    })
  })

  it("hides unconnected nodes", () => {
    expect(apply({ hidePseudo: true, hideUnconnected: true })).toEqual({
      nodes: ["api", "db", "web"],
      edges: ["api->db", "web->api"]
    })
  })

  it("searches rendered nodes and the report nodes they stand for", () => {
    expect(apply({ search: "nginx" })).toEqual({ nodes: ["old", "web"], edges: [] })
    expect(apply({ search: "cpu > 90%" })).toEqual({ nodes: ["db"], edges: [] })
    expect(apply({ search: "internet OR api" })).toEqual({
      nodes: ["api", "out-theinternet"],
      edges: ["api->out-theinternet"]
    })
  })

  it("fails with the search syntax error", () => {
    expect(Filters.apply(containers, { search: '"open' }, r)).toEqual(
      Result.fail(new SearchSyntaxError({ query: '"open', position: 0, message: "unterminated quoted phrase" }))
    )
  })
})

describe("Filters.key and Filters.isEmpty", () => {
  it("gives equal keys to filters that keep the same nodes", () => {
    expect(Filters.key({})).toBe(Filters.key({ status: "all", kind: "all", hideUnconnected: false, search: "  " }))
    expect(Filters.key({ labels: { b: "1", a: "2" } })).toBe(Filters.key({ labels: { a: "2", b: "1" } }))
    expect(Filters.key({ status: "running" })).not.toBe(Filters.key({}))
    expect(Filters.key({ labels: { a: "1" } })).toBe('["all","all",false,false,"",[["a","1"]]]')
  })

  it("says whether filters keep everything", () => {
    expect(
      [
        {},
        { status: "all" as const, labels: {} },
        { search: "x" },
        { hidePseudo: true },
        { kind: "system" as const }
      ].map(Filters.isEmpty)
    ).toEqual([true, true, false, false, false])
  })
})
