/**
 * The plugin contract (apiVersion 1): one plugin with a collector, a tagger, a view, a panel and a control,
 * plus a broken plugin that shows isolation (timeouts, failures, health). Runs the hooks through PluginHost
 * (no Effect needed), then hands the plugin to createApp so its view and panel show up in the app.
 *
 *   npx tsx --conditions=source docs/examples/plugin.ts
 */
import { createApp, definePlugin, PluginRegistry } from "@orchestrator/core"
import { containerIds, fullReportA, fullReportB } from "./fixture.js"
import { teamPlugin } from "./team-plugin.js"

/** A plugin that misbehaves: one collector never answers, one throws. The host keeps going. */
const brokenPlugin = definePlugin({
  name: "broken",
  version: "0.0.1",
  apiVersion: 1,
  collectors: [
    {
      name: "hangs",
      timeoutMs: 200,
      // Never settles on its own; the AbortSignal fires when the 200 ms timeout passes.
      collect: (ctx) =>
        new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)))
    },
    {
      name: "throws",
      collect: () => {
        throw new Error("no such file /proc/example")
      }
    }
  ]
})

const host = new PluginRegistry.PluginHost({ maxConsecutiveFailures: 2, backoffInitialMs: 30_000 })
const unregisterTeam = host.register(teamPlugin, { team: "payments" })
host.register(brokenPlugin)
console.log("plugins", host.plugins())

// Registration errors are typed and name the plugin.
try {
  host.register(teamPlugin)
} catch (error) {
  console.log("duplicate:", (error as { _tag: string; message: string })._tag, (error as Error).message)
}
try {
  host.register(definePlugin({ ...teamPlugin, name: "team2", views: [], controls: [] }), {
    team: 42 as unknown as string
  })
} catch (error) {
  console.log("bad options:", (error as Error).message)
}

const probe = { hostId: "host-a", probeId: "probe-a" }
for (let round = 1; round <= 3; round++) {
  const collected = await host.runCollectors(probe, 5_000)
  console.log(`collect round ${round}:`, collected.health.map((h) => `${h.name}=${h.status}`).join(" "))
}
const containers = fullReportA(Date.now()).topologies.containers!.nodes
const fragment = await host.runTaggers({ topologies: { containers } }, probe)
console.log(
  "tagged",
  Object.values(fragment.topologies.containers ?? {}).map((n) => `${n.id} team=${n.labels.team?.value}`)
)

for (const h of host.health().filter((h) => h.plugin === "broken")) {
  console.log(`health ${h.id}: ${h.status} failures=${h.failures} ${h.message ?? ""}`)
}

const web = containers[containerIds.web]!
console.log("controlsFor web", host.controlsFor(web))
console.log(
  "runControl",
  await host.runControl(
    { id: "r1", nodeId: web.id, topology: "containers", action: "team.page", args: {} },
    { ...probe, node: web }
  )
)
await host
  .runControl({ id: "r2", nodeId: web.id, topology: "hosts", action: "team.page", args: {} }, probe)
  .catch((error: Error) => console.log("runControl error:", error.message))
console.log("panelsFor web", await host.panelsFor(web))
unregisterTeam()
console.log(
  "after unregister",
  host.plugins().map((p) => p.name)
)

// The same plugin in an app server: its view is listed and its panel shows in node details.
const app = await createApp({ port: 0, plugins: [teamPlugin] })
try {
  const now = Date.now()
  await app.aggregator.ingest(fullReportA(now))
  await app.aggregator.ingest(fullReportB(now))
  console.log(
    "app views",
    app.aggregator.views().map((v) => `${v.id}:${v.count}`)
  )
  console.log(
    "tiers",
    app.aggregator.topology("tiers").nodes.map((n) => `${n.label} (${n.labelMinor})`)
  )
  const details = await app.aggregator.node("containers", containerIds.web)
  console.log(
    "web panels",
    details?.panels.map((p) => p.id)
  )
} finally {
  await app.close()
}
