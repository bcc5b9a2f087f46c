/**
 * Isolation end to end: misbehaving plugins in a real probe publishing to a real app server. A plugin that
 * throws, hangs or returns garbage is reported with its name, disabled after repeated failures, visible in
 * the report's health (the app's per-agent state) and in the app's stats, and never delays a report beyond
 * the collect budget.
 */
import { createApp, Report } from "@orchestrator/core"
import { createProbe } from "@orchestrator/probe"
import { describe, expect, it } from "vitest"
import { definePlugin } from "../src/index.js"

const good = definePlugin({
  name: "good",
  version: "1.0.0",
  apiVersion: 1,
  collectors: [
    {
      name: "hello",
      collect: (ctx) => ({
        topologies: {
          hosts: {
            [ctx.hostId]: Report.makeNode("hosts", ctx.hostId, {
              latest: Report.latestFields(ctx.now, { hello: "yes" })
            })
          }
        }
      })
    }
  ]
})

const broken = definePlugin({
  name: "broken",
  version: "1.0.0",
  apiVersion: 1,
  collectors: [
    {
      name: "throws",
      collect: () => {
        throw new Error("no such file /proc/broken")
      }
    },
    {
      name: "hangs",
      collect: (ctx) =>
        new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("aborted"))))
    },
    { name: "garbage", collect: () => 42 as never }
  ]
})

const brokenView = definePlugin({
  name: "broken-view",
  version: "1.0.0",
  apiVersion: 1,
  views: [
    {
      id: "boom",
      label: "Boom",
      reads: ["hosts"],
      countTopology: "hosts",
      rank: 99,
      render: () => {
        throw new Error("render exploded")
      }
    }
  ]
})

interface AgentLatest {
  readonly health: ReadonlyArray<Report.ProbeHealth>
  readonly topologies: Record<string, { readonly nodes: Record<string, Report.Node> }>
}

describe("plugin isolation in a running probe and app", () => {
  it("reports, disables and never waits for misbehaving plugins", async () => {
    const app = await createApp({ host: "127.0.0.1", port: 0, plugins: [brokenView] })
    const probe = await createProbe({
      appUrl: app.url,
      probeId: "isolation",
      hostname: "iso-host",
      intervalMs: 200,
      collectBudgetMs: 150,
      builtins: false,
      plugins: [good, broken]
    })
    try {
      const durations: Array<number> = []
      await new Promise<void>((resolve) => {
        probe.on("collected", (event) => {
          durations.push(event.durationMs)
          if (durations.length === 5) resolve()
        })
      })
      await probe.flush()
      // The hanging collector is cut at the budget on every run: no report waits for it.
      expect(Math.max(...durations)).toBeLessThan(400)

      const latest = (await (await fetch(`${app.url}/api/v1/query/agents/isolation/latest`)).json()) as AgentLatest
      const health = Object.fromEntries(latest.health.map((entry) => [entry.name, entry]))
      expect(health["good/collector/hello"]?.status).toBe("ok")
      for (const name of ["throws", "hangs", "garbage"]) {
        expect(health[`broken/collector/${name}`]?.status, name).toBe("disabled")
      }
      expect(health["broken/collector/throws"]?.message).toMatch(/no such file \/proc\/broken/)
      expect(health["broken/collector/hangs"]?.message).toMatch(/timed out after 150 ms/)
      expect(health["broken/collector/garbage"]?.message).toMatch(/invalid fragment/)
      expect(latest.topologies.hosts?.nodes["iso-host"]?.latest.hello?.value).toBe("yes")

      // A view that throws renders nothing, and the app's stats show it with the error (failed, then disabled
      // after three renders in a row failed; the app renders a view again only when its topologies change).
      expect(app.aggregator.topology("boom").nodes).toEqual([])
      const stats = (await (await fetch(`${app.url}/api/v1/query/stats`)).json()) as {
        readonly plugins: ReadonlyArray<{ readonly id: string; readonly status: string; readonly message?: string }>
      }
      const boom = stats.plugins.find((entry) => entry.id === "broken-view/view/boom")
      expect(["failed", "disabled"]).toContain(boom?.status)
      expect(boom?.message).toMatch(/render exploded/)
    } finally {
      await probe.stop()
      await app.close()
    }
  })
})
