import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import * as MergedReport from "../src/MergedReport.js"
import { makeNode } from "../src/Report.js"
import { SearchSyntaxError } from "../src/Search.js"
import * as Containers from "../src/views/Containers.js"
import type { Rendering, ViewDefinition } from "../src/views/View.js"
import * as ViewRegistry from "../src/views/ViewRegistry.js"
import { liveReport, report } from "./views.fixture.js"

const counting = (id = "counted", reads: ReadonlyArray<string> = ["hosts"]) => {
  let calls = 0
  const view: ViewDefinition = {
    id,
    label: "Counted",
    reads,
    countTopology: "hosts",
    rank: 50,
    render: (r): Rendering => {
      calls++
      const nodes = new Map(
        Array.from(r.nodes("hosts").values(), (n) => [
          n.id,
          {
            id: n.id,
            topology: "hosts",
            label: n.id,
            labelMinor: "",
            rank: "",
            shape: "circle" as const,
            status: "healthy" as const,
            pseudo: false,
            stack: 1,
            parents: {},
            labels: {},
            metrics: {},
            members: [n.id]
          }
        ])
      )
      return { nodes, edges: new Map() }
    }
  }
  return { view, calls: () => calls }
}

describe("ViewRegistry", () => {
  it("lists views with data plus the always-listed ones, in rank order, with node counts", () => {
    const registry = ViewRegistry.make()
    expect(registry.summaries(report())).toEqual([
      { id: "processes", label: "Processes", count: 7 },
      { id: "processes-by-name", label: "Processes by name", count: 7 },
      { id: "containers", label: "Containers", count: 4 },
      { id: "containers-by-image", label: "Containers by image", count: 4 },
      { id: "pods", label: "Pods", count: 3 },
      { id: "services", label: "Services", count: 3 },
      { id: "deployments", label: "Deployments", count: 2 },
      { id: "namespaces", label: "Namespaces", count: 2 },
      { id: "hosts", label: "Hosts", count: 2 }
    ])
    expect(registry.summaries(MergedReport.fromNodes([]))).toEqual([
      { id: "processes", label: "Processes", count: 0 },
      { id: "containers", label: "Containers", count: 0 },
      { id: "hosts", label: "Hosts", count: 0 }
    ])
  })

  it("renders a view with filters applied after the cached render", () => {
    const registry = ViewRegistry.make({ now: () => 1234 })
    const r = report()
    const result = registry.render(r, "containers", { status: "stopped" })
    expect(Result.getOrThrow(result)).toEqual({
      view: "containers",
      nodes: [Containers.view.render(r).nodes.get("old")],
      edges: [],
      total: 11,
      renderedAt: 1234
    })
  })

  it("fails with UnknownView naming the available views", () => {
    const registry = ViewRegistry.make({ views: [counting("a").view, counting("b").view] })
    const result = registry.render(report(), "nope")
    expect(Result.isFailure(result) && result.failure).toEqual(
      new ViewRegistry.UnknownView({ view: "nope", available: ["a", "b"] })
    )
    expect(Result.isFailure(result) && result.failure.message).toBe('unknown view "nope" (available: a, b)')
    expect(Result.isFailure(registry.rendering(report(), "nope"))).toBe(true)
  })

  it("fails with SearchSyntaxError when the search filter does not parse", () => {
    const result = ViewRegistry.make().render(report(), "containers", { search: "cpu >" })
    expect(Result.isFailure(result) && result.failure).toEqual(
      new SearchSyntaxError({ query: "cpu >", position: 5, message: "expected a value after '>'" })
    )
  })

  it("turns a throwing render into ViewRenderError for that view only", () => {
    const broken: ViewDefinition = {
      ...counting("broken").view,
      render: () => {
        throw new Error("boom")
      }
    }
    const registry = ViewRegistry.make({ views: [broken, counting("fine").view] })
    const result = registry.render(report(), "broken")
    expect(Result.isFailure(result) && result.failure._tag).toBe("ViewRenderError")
    expect(Result.isFailure(result) && result.failure.message).toBe('view "broken" failed to render: boom')
    expect(Result.isSuccess(registry.render(report(), "fine"))).toBe(true)
  })

  it("renders once per generation and shares the result across subscribers", () => {
    const { view, calls } = counting("counted", ["hosts", "endpoints"])
    const live = liveReport()
    const registry = ViewRegistry.make({ views: [view] })
    const first = registry.render(live.report, "counted")
    const second = registry.render(live.report, "counted")
    expect(calls()).toBe(1)
    expect(Result.getOrThrow(second)).toBe(Result.getOrThrow(first))
    live.bump("containers")
    registry.render(live.report, "counted")
    expect(calls()).toBe(1)
    live.bump("endpoints")
    const third = registry.render(live.report, "counted")
    expect(calls()).toBe(2)
    expect(Result.getOrThrow(third)).not.toBe(Result.getOrThrow(first))
    registry.render(report(), "counted")
    expect(calls()).toBe(3)
    expect(registry.stats()).toEqual({
      renders: 3,
      renderHits: 2,
      filterHits: 0,
      filterMisses: 0,
      lastRenderMs: { counted: expect.any(Number) }
    })
  })

  it("caches filtered results per filters, treating default values as no filter", () => {
    const { view, calls } = counting()
    const registry = ViewRegistry.make({ views: [view] })
    const r = report()
    const a = Result.getOrThrow(registry.render(r, "counted", { search: "host-a", labels: { x: "*" } }))
    const b = Result.getOrThrow(registry.render(r, "counted", { labels: { x: "*" }, search: " host-a " }))
    expect(b).toBe(a)
    expect(Result.getOrThrow(registry.render(r, "counted", { status: "all" }))).toBe(
      Result.getOrThrow(registry.render(r, "counted", {}))
    )
    expect(calls()).toBe(1)
    expect(registry.stats()).toMatchObject({ filterHits: 1, filterMisses: 1 })
  })

  it("keeps a bounded number of filtered results, evicting the least recently used", () => {
    const registry = ViewRegistry.make({ views: [counting().view], filterCacheSize: 2 })
    const r = report()
    const render = (search: string) => registry.render(r, "counted", { search })
    render("a")
    render("b")
    render("a")
    render("c")
    render("a")
    render("b")
    expect(registry.stats()).toMatchObject({ filterHits: 2, filterMisses: 4 })
  })

  it("recomputes filtered results when the render they came from is replaced", () => {
    const live = liveReport()
    const registry = ViewRegistry.make({ views: [counting().view] })
    const before = Result.getOrThrow(registry.render(live.report, "counted", { search: "host" }))
    live.set(makeNode("hosts", "host-c"))
    const after = Result.getOrThrow(registry.render(live.report, "counted", { search: "host" }))
    expect([before.nodes.length, after.nodes.length, after.total]).toEqual([2, 3, 3])
  })

  it("registers views that shadow existing ones until unregistered", () => {
    const registry = ViewRegistry.make()
    const { view } = counting("hosts")
    const replacement: ViewDefinition = { ...view, label: "My hosts", rank: 1 }
    const unregister = registry.register(replacement)
    expect(registry.get("hosts")).toBe(replacement)
    expect(registry.views()[0]).toBe(replacement)
    expect(registry.summaries(report()).find((s) => s.id === "hosts")).toEqual({
      id: "hosts",
      label: "My hosts",
      count: 2
    })
    unregister()
    unregister()
    expect(registry.get("hosts")?.label).toBe("Hosts")
    const extra = registry.register(counting("extra").view)
    expect(registry.views().map((v) => v.id)).toContain("extra")
    extra()
    expect(registry.get("extra")).toBeUndefined()
    expect(registry.views().map((v) => v.id)).not.toContain("extra")
  })

  it("re-renders a view after it is replaced, even at the same generation", () => {
    const registry = ViewRegistry.make({ views: [] })
    const r = report()
    const first = counting()
    const off = registry.register(first.view)
    registry.render(r, "counted")
    off()
    const second = counting()
    registry.register(second.view)
    registry.render(r, "counted")
    expect([first.calls(), second.calls()]).toEqual([1, 1])
  })

  it("is provided as a service by its layer", () => {
    const summaries = Effect.runSync(
      ViewRegistry.ViewRegistry.use((registry) => Effect.succeed(registry.summaries(MergedReport.fromNodes([])))).pipe(
        Effect.provide(ViewRegistry.ViewRegistry.layer)
      )
    )
    expect(summaries.map((s) => s.id)).toEqual(["processes", "containers", "hosts"])
    const custom = Effect.runSync(
      ViewRegistry.ViewRegistry.use((registry) => Effect.succeed(registry.views().map((v) => v.id))).pipe(
        Effect.provide(ViewRegistry.ViewRegistry.layerWith({ views: [counting().view] }))
      )
    )
    expect(custom).toEqual(["counted"])
  })
})
