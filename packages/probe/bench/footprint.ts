/**
 * The probe's own footprint: runs the bundled CLI (examples/probe/dist/main.js, build it first) with the node
 * flags and environment of its shebang against a real in-process app server for FOOTPRINT_SECONDS (default 60)
 * at FOOTPRINT_INTERVAL (default 15s), and prints its CPU and memory, measured by the probe process itself
 * (process.cpuUsage / resourceUsage / memoryUsage, at exit) and sampled from /proc/<pid> every second.
 *
 *   npm run build -w @orchestrator/example-probe
 *   npx tsx --conditions=source packages/probe/bench/footprint.ts
 *
 * - FOOTPRINT_ARGS: extra probe flags, e.g. `--no-processes --no-docker --no-kubernetes` (host collector only).
 * - FOOTPRINT_NODE_FLAGS: node flags to use instead of the shebang's (`none` for none; the shebang's environment
 *   is then not applied either).
 * - FOOTPRINT_COLD=1: start with an empty compile cache (the probe's first start on a host).
 * - FOOTPRINT_MAIN: another bundle to measure (e.g. an older build, for a before/after comparison).
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { App } from "@orchestrator/core"

const seconds = Number(process.env.FOOTPRINT_SECONDS ?? 60)
const interval = process.env.FOOTPRINT_INTERVAL ?? "15s"
const extraArgs = (process.env.FOOTPRINT_ARGS ?? "").split(" ").filter((arg) => arg !== "")
const warmupSeconds = Math.min(5, seconds - 1)
const child = fileURLToPath(new URL("./footprint-child.mjs", import.meta.url))
const main =
  process.env.FOOTPRINT_MAIN ?? fileURLToPath(new URL("../../../examples/probe/dist/main.js", import.meta.url))
if (!existsSync(main)) {
  process.stderr.write("build the probe CLI first: npm run build -w @orchestrator/example-probe\n")
  process.exit(1)
}
const ticks = 100 // USER_HZ on Linux

/** The environment and node flags of the CLI's shebang (`#!/usr/bin/env -S NAME=value node --flag ...`). */
const shebang = (): { readonly env: Record<string, string>; readonly flags: Array<string> } => {
  const first = readFileSync(main, "utf8").split("\n", 1)[0] ?? ""
  const words = first
    .replace(/^#!\s*/, "")
    .split(/\s+/)
    .filter((word) => word !== "")
  const node = words.findIndex((word) => word === "node" || word.endsWith("/node"))
  if (node < 0) return { env: {}, flags: [] }
  const env: Record<string, string> = {}
  for (const word of words.slice(0, node)) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(word)
    if (match !== null) env[match[1]!] = match[2]!
  }
  return { env, flags: words.slice(node + 1) }
}
const override = process.env.FOOTPRINT_NODE_FLAGS
const fromShebang = shebang()
const nodeFlags =
  override === undefined ? fromShebang.flags : override === "none" ? [] : override.split(" ").filter((f) => f !== "")
const nodeEnv = override === undefined ? fromShebang.env : {}
const cacheDir = process.env.FOOTPRINT_COLD === "1" ? mkdtempSync(join(tmpdir(), "probe-footprint-")) : undefined

const app = await App.createApp({ port: 0 })
const probe = spawn(
  process.execPath,
  [...nodeFlags, child, main, "--app-url", app.url, "--interval", interval, "--probe-id", "footprint", ...extraArgs],
  {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...nodeEnv, ...(cacheDir !== undefined ? { NODE_COMPILE_CACHE: cacheDir } : {}) }
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
if (cacheDir !== undefined) rmSync(cacheDir, { recursive: true, force: true })

const warm = samples[warmupSeconds]!
const last = samples[samples.length - 1]!
const steady = samples.slice(warmupSeconds)
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
  [
    "run",
    `${seconds} s at a ${interval} interval, ${extraArgs.length > 0 ? extraArgs.join(" ") : "all collectors"} (${samples.length} samples)`
  ],
  [
    "node flags and environment",
    [...Object.entries(nodeEnv).map(([k, v]) => `${k}=${v}`), ...nodeFlags].join(" ") || "none"
  ],
  ["compile cache", cacheDir !== undefined ? "cold (first start)" : "as found in the OS temp directory"],
  ["reports accepted by the app (seq)", String(reports?.seq ?? "none")],
  [
    "CPU, whole run incl. startup (cpuUsage)",
    `${((measured.userUs + measured.systemUs) / 1000).toFixed(0)} ms = ${(((measured.userUs + measured.systemUs) / 1000 / measured.wallMs) * 100).toFixed(2)} % of one core`
  ],
  ["  user / system", `${(measured.userUs / 1000).toFixed(0)} ms / ${(measured.systemUs / 1000).toFixed(0)} ms`],
  [`CPU, steady state (after ${warmupSeconds} s, /proc)`, `${steadyCpu.toFixed(2)} % of one core`],
  ["peak RSS (resourceUsage.maxRSS)", mb(measured.maxRssKb)],
  [
    `RSS after ${warmupSeconds} s (/proc): mean / max`,
    `${mb(steady.reduce((sum, s) => sum + s.rssKb, 0) / steady.length)} / ${mb(Math.max(...steady.map((s) => s.rssKb)))}`
  ],
  ["RSS at exit (memoryUsage)", mb(measured.rssBytes / 1024)],
  ["heap used at exit", mb(measured.heapUsedBytes / 1024)]
]
const width = Math.max(...rows.map(([k]) => k.length))
for (const [key, value] of rows) process.stdout.write(`${key.padEnd(width)}  ${value}\n`)
if (reports === undefined) process.stderr.write(`the probe published nothing; its stderr:\n${stderr.slice(-4_000)}\n`)
