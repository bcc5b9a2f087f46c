import { Plugin, PluginRegistry } from "@orchestrator/core"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { type Collector, definePlugin, Fields, Report } from "../src/index.js"

describe("@orchestrator/plugins", () => {
  it("re-exports core's plugin contract", () => {
    expect(definePlugin).toBe(Plugin.definePlugin)
    expect(Fields.Latest.name).toBe("name")
  })

  it("defines a plugin a core registry runs", async () => {
    const collector: Collector<{ readonly greeting: string }> = {
      name: "hello",
      collect: (ctx) => ({
        topologies: {
          hosts: {
            [ctx.hostId]: Report.makeNode("hosts", ctx.hostId, {
              latest: Report.latestFields(1, { greeting: ctx.options.greeting })
            })
          }
        }
      })
    }
    const hello = definePlugin({
      name: "hello",
      version: "1.0.0",
      apiVersion: 1,
      options: Schema.Struct({ greeting: Schema.String }),
      collectors: [collector]
    })
    const host = new PluginRegistry.PluginHost()
    host.register(hello, { greeting: "hi" })
    const result = await host.runCollectors({ hostId: "node-1", probeId: "p1" })
    expect(result.topologies).toEqual({
      hosts: { "node-1": Report.makeNode("hosts", "node-1", { latest: Report.latestFields(1, { greeting: "hi" }) }) }
    })
  })
})
