// A consumer of the published packages: installed from their tarballs into a fresh Node 22 ESM project,
// type-checked, then run. It exercises each Promise facade end to end on loopback.
import { existsSync } from "node:fs"
import { createApp, definePlugin, Report } from "@orchestrator/core"
import { definePlugin as definePluginFromPlugins } from "@orchestrator/plugins"
import { createProbe } from "@orchestrator/probe"
import { assetsDir, isBuilt } from "@orchestrator/ui"

const check = (condition: boolean, what: string): void => {
  if (!condition) throw new Error(`consumer check failed: ${what}`)
  console.log(`ok - ${what}`)
}

const plugin = definePlugin({
  name: "consumer-marker",
  version: "1.0.0",
  apiVersion: 1,
  collectors: [
    {
      name: "marker",
      collect: (ctx) => ({
        topologies: {
          hosts: {
            [ctx.hostId]: Report.makeNode("hosts", ctx.hostId, {
              labels: Report.latestFields(ctx.now, { "consumer.marker": "yes" })
            })
          }
        }
      })
    }
  ]
})
check(definePluginFromPlugins === definePlugin, "@orchestrator/plugins re-exports definePlugin")
check(isBuilt() && existsSync(assetsDir), "@orchestrator/ui ships built assets")

const app = await createApp({ port: 0, uiAssetsDir: assetsDir, deltaIntervalMs: 10 })
try {
  const page = await fetch(app.url)
  check(page.status === 200 && (await page.text()).includes("<html"), "the app serves the UI")
  const probe = await createProbe({ appUrl: app.url, intervalMs: 500, plugins: [plugin] })
  try {
    const deadline = Date.now() + 20_000
    let hosts = app.aggregator.topology("hosts").nodes
    while (hosts.every((n) => n.labels["consumer.marker"] !== "yes") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200))
      hosts = app.aggregator.topology("hosts").nodes
    }
    check(
      hosts.some((n) => n.labels["consumer.marker"] === "yes"),
      "a probe with a plugin collector publishes to the app"
    )
  } finally {
    await probe.stop()
  }
} finally {
  await app.close()
}
console.log("consumer: all checks passed")
