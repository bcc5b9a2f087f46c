/**
 * The probe's own footprint: runs the bundled CLI (examples/probe/dist/main.js, build it first) with only
 * the host collector at a 1 s interval against a real app server for FOOTPRINT_SECONDS (default 60), and
 * prints its CPU and memory: measured by the probe process itself (process.cpuUsage / resourceUsage, at
 * exit) and sampled from /proc/<pid> every second (steady state, after a 5 s warm-up).
 *
 *   npm run build -w @orchestrator/example-probe && npx tsx packages/probe/bench/footprint.ts
 */
import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { App } from "@orchestrator/core"

const seconds = Number(process.env.FOOTPRINT_SECONDS ?? 60)
const child = fileURLToPath(new URL("./footprint-child.mjs", import.meta.url))
const main = fileURLToPath(new URL("../../../examples/probe/dist/main.js", import.meta.url))
if (!existsSync(main)) {
  process.stderr.write("build the probe CLI first: npm run build -w @orchestrator/example-probe\n")
  process.exit(1)
}
const ticks = 100 // USER_HZ on Linux

const app = await App.createApp({ port: 0 })
const nodeFlags = (process.env.FOOTPRINT_NODE_FLAGS ?? "").split(" ").filter((flag) => flag !== "")
const probe = spawn(
  process.execPath,
  [...nodeFlags, child, "--app-url", app.url, "--interval", "1s", "--probe-id", "footprint"],
  {
    stdio: ["ignore", "ignore", "pipe"]
  }
)
let stderr = ""
probe.stderr.on("data", (chunk: Buffer) => {
  stderr += chunk.toString()
})

const sample = () => {
  const stat = readFileSync(`/proc/${probe.pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks
  const status = readFileSync(`/proc/${probe.pid}/status`, "utf8")
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0)
  return { at: performance.now(), cpuMs, rssKb: kb("VmRSS"), hwmKb: kb("VmHWM") }
}

const samples: Array<ReturnType<typeof sample>> = []
for (let i = 0; i < seconds; i++) {
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  samples.push(sample())
}
const reports = app.aggregator.probes().find((p) => p.probeId === "footprint")
probe.kill("SIGTERM")
await new Promise((resolve) => probe.once("exit", resolve))
await app.close()

const warm = samples[Math.min(5, samples.length - 1)]!
const last = samples[samples.length - 1]!
const steadyCpu = ((last.cpuMs - warm.cpuMs) / (last.at - warm.at)) * 100
const measured = JSON.parse(/FOOTPRINT (.*)/.exec(stderr)?.[1] ?? "{}") as {
  userUs: number
  systemUs: number
  maxRssKb: number
  rssBytes: number
  heapUsedBytes: number
  wallMs: number
}
const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`
const rows: Array<[string, string]> = [
  ["run", `${seconds} s at a 1 s interval, host collector only (${samples.length} samples)`],
  ["node flags", nodeFlags.length > 0 ? nodeFlags.join(" ") : "none"],
  ["reports accepted by the app (seq)", String(reports?.seq ?? "none")],
  [
    "CPU, whole run incl. startup (cpuUsage)",
    `${((measured.userUs + measured.systemUs) / 1000).toFixed(0)} ms = ${(((measured.userUs + measured.systemUs) / 1000 / measured.wallMs) * 100).toFixed(2)} % of one core`
  ],
  ["  user / system", `${(measured.userUs / 1000).toFixed(0)} ms / ${(measured.systemUs / 1000).toFixed(0)} ms`],
  ["CPU, steady state (after 5 s, /proc)", `${steadyCpu.toFixed(2)} % of one core`],
  ["RSS at exit (memoryUsage)", mb(measured.rssBytes / 1024)],
  ["peak RSS (resourceUsage.maxRSS)", mb(measured.maxRssKb)],
  ["heap used at exit", mb(measured.heapUsedBytes / 1024)],
  ["RSS after warm-up / at end (/proc)", `${mb(warm.rssKb)} / ${mb(last.rssKb)}`]
]
const width = Math.max(...rows.map(([k]) => k.length))
for (const [key, value] of rows) process.stdout.write(`${key.padEnd(width)}  ${value}\n`)
