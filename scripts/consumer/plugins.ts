// A consumer of @orchestrator/plugins as published: loads a plugin module by path and a config file, bridges a
// Scope-style plugin on a Unix socket, and runs a plugin through the testing kit (@orchestrator/plugins/testing).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PluginRegistry, Report } from "@orchestrator/core"
import { definePlugin, HostPlugins, loadConfig, loadPlugins, ScopeBridge } from "@orchestrator/plugins"
import { expectLatest, expectNode, testPlugin } from "@orchestrator/plugins/testing"
import { Effect, Schema } from "effect"

const check = (condition: boolean, what: string): void => {
  if (!condition) throw new Error(`consumer check failed: ${what}`)
  console.log(`ok - ${what}`)
}

const dir = mkdtempSync(join(tmpdir(), "plugins-consumer-"))
try {
  writeFileSync(
    join(dir, "greet.mjs"),
    'export default { name: "greet", version: "1.0.0", apiVersion: 1, collectors: [{ name: "g", collect: () => ({ topologies: {} }) }] }\n'
  )
  writeFileSync(join(dir, "orchestrator.config.json"), JSON.stringify({ plugins: ["./greet.mjs"] }))
  const loaded = await Effect.runPromise(loadPlugins(["./greet.mjs"], { cwd: dir }))
  check(loaded[0]?.plugin.name === "greet", "loadPlugins imports a plugin by path")
  const config = await Effect.runPromise(loadConfig(join(dir, "orchestrator.config.json")))
  check(config.config.plugins?.length === 1, "loadConfig reads a JSON config")
  const flags = HostPlugins.extractFlags(["--plugin", "./greet.mjs", "--port", "1"])
  check(!(flags instanceof HostPlugins.FlagError) && flags.rest.join(" ") === "--port 1", "HostPlugins.extractFlags")

  const socket = join(dir, "demo.sock")
  const server = createServer((_req, res) =>
    res.end(
      JSON.stringify({
        Host: { nodes: { "h1;<host>": { latest: { demo: { timestamp: new Date().toISOString(), value: "yes" } } } } },
        Plugins: [{ id: "demo", label: "demo", description: "demo", interfaces: ["reporter"], api_version: "1" }]
      })
    )
  )
  await new Promise<void>((resolve) => server.listen(socket, resolve))
  const host = new PluginRegistry.PluginHost()
  const bridge = await ScopeBridge.start(host, { dir })
  const fragment = await host.runCollectors({ hostId: "h1", probeId: "p1" })
  check(fragment.topologies.hosts?.h1?.latest.demo?.value === "yes", "ScopeBridge merges a Scope plugin's report")
  await bridge.stop()
  server.close()

  const hello = definePlugin({
    name: "hello",
    version: "1.0.0",
    apiVersion: 1,
    options: Schema.Struct({ greeting: Schema.String }),
    collectors: [
      {
        name: "c",
        collect: (ctx) => ({
          topologies: {
            hosts: {
              [ctx.hostId]: Report.makeNode("hosts", ctx.hostId, {
                latest: Report.latestFields(ctx.now, { greeting: ctx.options.greeting })
              })
            }
          }
        })
      }
    ]
  })
  const harness = testPlugin(hello, { options: { greeting: "hi" } })
  expectLatest(expectNode(await harness.collect(), "hosts", "test-host"), "greeting", "hi")
  check(true, "the testing kit runs a plugin on a fake host")
} finally {
  rmSync(dir, { recursive: true, force: true })
}
