import { AssertionError } from "node:assert"
import { Report } from "@orchestrator/core"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { definePlugin } from "../src/index.js"
import {
  expectHealth,
  expectHealthy,
  expectLatest,
  expectMetric,
  expectNode,
  expectRendered,
  recordedReport,
  testPlugin
} from "../src/testing/index.js"

const recording = {
  version: 1,
  probeId: "p",
  hostname: "h",
  kind: "full",
  seq: 0,
  timestamp: 1,
  topologies: {
    containers: {
      nodes: {
        web: Report.makeNode("containers", "web", { labels: Report.latestFields(1, { team: "payments" }) }),
        db: Report.makeNode("containers", "db")
      }
    }
  }
}

const teamTagger = definePlugin({
  name: "team-tagger",
  version: "1.0.0",
  apiVersion: 1,
  options: Schema.Struct({ fallback: Schema.String }),
  taggers: [
    {
      name: "team",
      tag: (fragment, ctx) => {
        const containers = fragment.topologies.containers ?? {}
        const tagged = Object.fromEntries(
          Object.entries(containers).map(([id, node]) => [
            id,
            {
              ...node,
              latest: {
                ...node.latest,
                ...Report.latestFields(ctx.now, { team: node.labels.team?.value ?? ctx.options.fallback })
              }
            }
          ])
        )
        return { topologies: { ...fragment.topologies, containers: tagged } }
      }
    }
  ],
  collectors: [
    {
      name: "load",
      collect: (ctx) => ({
        topologies: {
          hosts: { [ctx.hostId]: Report.makeNode("hosts", ctx.hostId, { metrics: { load: [[ctx.now, 0.5]] } }) }
        }
      })
    }
  ]
})

describe("testing kit", () => {
  it("runs a plugin's taggers against a recorded report and its collectors on a fake host", async () => {
    const harness = testPlugin(teamTagger, {
      options: { fallback: "unowned" },
      report: recordedReport(recording),
      hostId: "h1"
    })
    const tagged = await harness.tag()
    expectLatest(expectNode(tagged, "containers", "web"), "team", "payments")
    expectLatest(expectNode(tagged, "containers", "db"), "team", "unowned")
    expectHealthy(tagged.health)
    const collected = await harness.collect()
    expect(expectMetric(expectNode(collected, "hosts", "h1"), "load")).toBe(0.5)
    expectHealth(harness.health(), "team-tagger/collector/load", "ok")
  })

  it("fails with messages that say what was there instead", async () => {
    const harness = testPlugin(teamTagger, { options: { fallback: "x" }, report: recordedReport(recording) })
    const tagged = await harness.tag()
    const message = (run: () => unknown) => {
      try {
        run()
      } catch (error) {
        expect(error).toBeInstanceOf(AssertionError)
        return (error as Error).message
      }
      return "passed"
    }
    expect(message(() => expectNode(tagged, "pods", "x"))).toBe(
      'no topology "pods" in the fragment (it has containers)'
    )
    expect(message(() => expectNode(tagged, "containers", "api"))).toBe(
      'no node "api" in topology "containers" (it has web, db)'
    )
    const web = expectNode(tagged, "containers", "web")
    expect(message(() => expectLatest(web, "team", "storage"))).toBe(
      'node "web": latest "team" is "payments", expected "storage"'
    )
    expect(message(() => expectMetric(web, "cpu"))).toBe('node "web" has no samples of metric "cpu" (it has none)')
    expect(message(() => expectHealthy([{ name: "a/collector/b", status: "failed", message: "boom" }]))).toBe(
      "unhealthy: a/collector/b=failed (boom)"
    )
    expect(message(() => expectHealth(harness.health(), "nope"))).toMatch(
      /^no health entry "nope" \(there are team-tagger/
    )
    expect(message(() => expectRendered({ nodes: new Map(), edges: new Map() }, "x"))).toBe(
      'the rendering has no node "x" (it has none)'
    )
    expect(() => harness.render("absent")).toThrow('no view "absent" (registered: none)')
    await expect(harness.panels("ghost")).rejects.toThrow(
      'no node "ghost" in the recorded report (it has containers/web, containers/db)'
    )
  })

  it("refuses a recording that is not a report, and a plugin a host would refuse", () => {
    expect(() => recordedReport({ ...recording, kind: "sideways" })).toThrow(/kind/)
    expect(recordedReport([Report.makeNode("hosts", "a")]).merged.node("a")?.topology).toBe("hosts")
    expect(() => testPlugin(teamTagger, { options: { fallback: 3 } } as never)).toThrow(
      /plugin "team-tagger": invalid option fallback/
    )
  })
})
