/**
 * Benchmarks of the plugin framework, each against a baseline measured in the same run:
 *
 * - `scope_report`: one collection through the Scope bridge (GET /report on a Unix socket, 50 MiB cap, JSON
 *   parse, translation into our nodes, registry isolation) vs the bare GET + JSON.parse of the same report.
 * - `registry_collect`: 20 collectors run through the registry (fibers, timeouts, validation, health, merge) vs
 *   calling the same functions directly and merging their fragments.
 * - `budget`: a report with a collector that hangs, with a 100 ms budget: how long the report takes.
 *
 * Run: `npx tsx --conditions=source packages/plugins/bench/plugins.bench.ts`. Prints a table and one
 * `bench <name> key=value...` line per result.
 */
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { Merge, type Plugin, PluginRegistry, Report } from "@orchestrator/core"
import { ScopeBridge, ScopeSocket } from "../src/index.js"
import { Effect } from "effect"

const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

const time = async (runs: number, f: () => Promise<unknown>): Promise<ReadonlyArray<number>> => {
  for (let i = 0; i < 5; i++) await f()
  const out: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await f()
    out.push(performance.now() - start)
  }
  return out
}

const rows: Array<{ name: string; p50: number; p99: number; base50: number; ratio: number }> = []
const record = (name: string, measured: ReadonlyArray<number>, baseline: ReadonlyArray<number>) => {
  const p50 = percentile(measured, 50)
  const base50 = percentile(baseline, 50)
  rows.push({ name, p50, p99: percentile(measured, 99), base50, ratio: p50 / base50 })
}

// 1. The Scope bridge vs a bare GET + parse.
const nodes = 1_000
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plugins-bench-"))
const socket = path.join(dir, "bench.sock")
const now = new Date().toISOString()
const body = JSON.stringify({
  Container: {
    nodes: Object.fromEntries(
      Array.from({ length: nodes }, (_, i) => [
        `${i.toString(16).padStart(64, "0")};<container>`,
        {
          latest: { "tc-table-latency": { timestamp: now, value: `${i}ms` }, name: { timestamp: now, value: `c${i}` } },
          metrics: { cpu: { samples: [{ date: now, value: i % 100 }], min: 0, max: 100 } },
          latestControls: { "tc-slow": { timestamp: now, value: { dead: false } } }
        }
      ])
    ),
    controls: { "tc-slow": { id: "tc-slow", human: "Slow down", icon: "fa-clock-o", rank: 1 } },
    table_templates: { "tc-table": { id: "tc-table", label: "Traffic", prefix: "tc-table-" } }
  },
  Plugins: [
    { id: "bench", label: "bench", description: "bench", interfaces: ["reporter", "controller"], api_version: "1" }
  ]
})
const server = http.createServer((_req, res) => res.end(body))
await new Promise<void>((resolve) => server.listen(socket, resolve))
const host = new PluginRegistry.PluginHost()
const bridge = await ScopeBridge.start(host, { dir, rescanMs: 60_000 })
const probe = { hostId: "bench", probeId: "bench" }
const bridged = await time(40, () => host.runCollectors(probe))
const bare = await time(40, () => Effect.runPromise(ScopeSocket.getReport(socket)))
record(`scope_report nodes=${nodes} bytes=${body.length}`, bridged, bare)
await bridge.stop()
server.close()
fs.rmSync(dir, { recursive: true, force: true })

// 2. Registry overhead for 20 collectors.
const fragmentOf = (i: number): Plugin.ReportFragment => ({
  topologies: {
    hosts: { [`h${i}`]: Report.makeNode("hosts", `h${i}`, { latest: Report.latestFields(1, { name: `h${i}` }) }) }
  }
})
const collectors = Array.from({ length: 20 }, (_, i) => ({ name: `c${i}`, collect: () => fragmentOf(i) }))
const registry = new PluginRegistry.PluginHost()
registry.register({ name: "many", version: "1.0.0", apiVersion: 1, collectors })
const viaRegistry = await time(500, () => registry.runCollectors(probe))
const direct = await time(500, async () => {
  let merged: Merge.NodesByTopology = {}
  for (const collector of collectors) merged = Merge.mergeNodesByTopology(merged, collector.collect().topologies)
  return merged
})
record("registry_collect collectors=20", viaRegistry, direct)

// 3. A hanging collector and a 100 ms budget.
const budgetHost = new PluginRegistry.PluginHost({ maxConsecutiveFailures: 1_000 })
budgetHost.register({
  name: "slow",
  version: "1.0.0",
  apiVersion: 1,
  collectors: [{ name: "hangs", collect: () => new Promise(() => {}) }, ...collectors.slice(0, 1)]
})
const budget = await time(20, () => budgetHost.runCollectors(probe, 100))
const noHang = await time(20, () => registry.runCollectors(probe, 100))
record("budget budget_ms=100 hanging=1", budget, noHang)

console.log("\n| benchmark | p50 ms | p99 ms | baseline p50 ms | ratio |\n| --- | ---: | ---: | ---: | ---: |")
for (const row of rows) {
  console.log(
    `| ${row.name} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${row.base50.toFixed(2)} | ${row.ratio.toFixed(2)} |`
  )
}
console.log("")
for (const row of rows) {
  const [name, ...params] = row.name.split(" ")
  console.log(
    `bench ${name} ${params.join(" ")} p50_ms=${row.p50.toFixed(3)} p99_ms=${row.p99.toFixed(3)} baseline_p50_ms=${row.base50.toFixed(3)} ratio=${row.ratio.toFixed(3)}`
  )
}
