import { Report } from "@orchestrator/core"
import { PluginLoader } from "@orchestrator/plugins"
import { expectRendered, recordedReport, testPlugin } from "@orchestrator/plugins/testing"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { groupByLabel } from "../src/groupByLabel.js"

/** A recorded probe report: four containers, three labelled by team, talking to each other. */
const recording = {
  version: 1,
  probeId: "probe-a",
  hostname: "host-a",
  kind: "full",
  seq: 0,
  timestamp: 1_000,
  topologies: {
    containers: {
      nodes: Object.fromEntries(
        (
          [
            ["web", "payments", ["db"]],
            ["api", "payments", []],
            ["db", "storage", []],
            ["cron", undefined, ["db"]]
          ] as const
        ).map(([id, team, adjacency]) => [
          id,
          Report.makeNode("containers", id, {
            labels: team === undefined ? {} : Report.latestFields(1_000, { team }),
            adjacency: [...adjacency]
          })
        ])
      )
    }
  }
}

describe("group-by-label view", () => {
  it("groups nodes by the label, with edges between groups", () => {
    const harness = testPlugin(groupByLabel({ label: "team" }), { report: recordedReport(recording) })
    const rendering = harness.render("containers-by-team")
    expect([...rendering.nodes.keys()].sort()).toEqual(["team=payments", "team=storage"])
    const payments = expectRendered(rendering, "team=payments")
    expect(payments).toMatchObject({ label: "payments", stack: 2, labelMinor: "2 nodes", members: ["web", "api"] })
    expect([...rendering.edges.values()]).toEqual([
      { id: "team=payments->team=storage", source: "team=payments", target: "team=storage", connections: 1 }
    ])
    const withOthers = testPlugin(groupByLabel({ label: "team", unlabelled: "(none)", id: "teams" }), {
      report: recordedReport(recording)
    })
    expect(expectRendered(withOthers.render("teams"), "team=(none)").members).toEqual(["cron"])
  })

  it("validates its options before it is made, naming the plugin and the option", async () => {
    expect(() => groupByLabel({ label: "" } as never)).toThrow(/plugin "group-by-label": invalid option label/)
    const error = await Effect.runPromise(
      Effect.flip(
        PluginLoader.loadPlugins([["./src/groupByLabel.ts", { label: 7 }]], { cwd: `${import.meta.dirname}/..` })
      )
    )
    expect(error).toMatchObject({ _tag: "PluginLoadError", plugin: "group-by-label", reason: "options", path: "label" })
    const [loaded] = await Effect.runPromise(
      PluginLoader.loadPlugins([["./src/groupByLabel.ts", { label: "app", topology: "pods" }]], {
        cwd: `${import.meta.dirname}/..`
      })
    )
    expect(loaded?.plugin.views?.map((view) => view.id)).toEqual(["pods-by-app"])
  })
})
