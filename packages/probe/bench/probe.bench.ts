/**
 * `npm run bench:probe`: the probe's cost on this host under load. Starts 50 running containers (on a private
 * dockerd, so other jobs' containers send the probe no events), tops the host up to ~500 processes and holds
 * 1,000 connection ends on loopback, then runs the bundled probe CLI (examples/probe/dist/main.js, built
 * first) against an in-process app at the 15 s interval for at least two
 * minutes, and prints its CPU (% of one core, from its own CPU time in /proc), peak RSS, the cost of each
 * collector (from the probe-health entries of its reports), and report sizes. Baselines measured in the same
 * run: an idle bare Node process (the floor of any Node probe) and the full /proc fd walk Weave Scope's probe
 * did every interval.
 *
 *   npm run bench:probe                              # 150 s at 15 s
 *   npm run bench:probe -- --seconds 60 --interval 5s # quicker
 *   npm run bench:probe -- --main /tmp/old-dist/main.js # another build of the CLI (before/after)
 */
import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { App } from "@orchestrator/core"
import { startPrivateDockerd } from "../../../test/fixtures/dockerd.js"
import { benchLine, fmt, median, type Row, table, verdict } from "../../core/bench/app/Stats.js"
import { walkAllFds } from "./probe/NaiveWalk.js"
import { largestMappings, sampler } from "./probe/Sampler.js"
import * as Workload from "./probe/Workload.js"

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback
}
const seconds = Number(arg("seconds", "150"))
const interval = arg("interval", "15s")
const warmupSeconds = 20
const log = (line: string) => process.stderr.write(`${line}\n`)

// `--main <path>`: another build of the CLI (an older dist, say), for a before/after comparison.
const main = arg("main", fileURLToPath(new URL("../../../examples/probe/dist/main.js", import.meta.url)))
if (!existsSync(main)) {
  log("build the probe CLI first: npm run build -w @orchestrator/example-probe")
  process.exit(1)
}

/**
 * What else loads this shared machine: the load average, and the host's TIME_WAIT sockets (other jobs' short
 * connections), which the probe reports as endpoints too, so its work and memory grow with them.
 */
const machine = () => {
  const tw = /tw (\d+)/.exec(readFileSync("/proc/net/sockstat", "utf8"))?.[1] ?? "?"
  return { load: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "), timeWait: tw }
}

// A Docker engine of the bench's own: other jobs' containers on the shared engine would send the probe their
// events, each asking for an early report (one a second at most), and the bench would measure their churn.
const docker = await startPrivateDockerd({ name: "probebench" })
const workload = await Workload.start(
  {
    socketPath: docker.socketPath,
    containers: Number(arg("containers", "50")),
    processes: Number(arg("processes", "500")),
    connections: Number(arg("connections", "1000"))
  },
  log
).catch(async (error: unknown) => {
  await docker.stop()
  throw error
})
const app = await App.createApp({ port: 0 })
try {
  const probe = spawn(
    main,
    ["--app-url", app.url, "--interval", interval, "--probe-id", "bench", "--docker-socket", docker.socketPath],
    {
      stdio: ["ignore", "ignore", "pipe"]
    }
  )
  let stderr = ""
  probe.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000)
  })
  const bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 15000)"], { stdio: "ignore" })
  const probeSamples = sampler(probe.pid!)
  const bareSamples = sampler(bare.pid!)

  // Poll the app for what the probe published: per-collector durations and report sizes.
  const durations = new Map<string, Array<number>>()
  const sizes = { full: [] as Array<number>, delta: [] as Array<number> }
  const nodes: Array<number> = []
  let lastSeq = -1
  const poll = setInterval(async () => {
    try {
      const latest = (await (await fetch(`${app.url}/api/v1/query/agents/bench/latest`)).json()) as {
        seq?: number
        nodeCount?: number
        health?: Array<{ name: string; durationMs?: number }>
      }
      const series = (await (await fetch(`${app.url}/api/v1/query/agents/bench/timeseries`)).json()) as {
        agent?: { latest: { seq?: number; bytes?: number; kind?: "full" | "delta" } } | null
      }
      if (latest.seq === undefined || latest.seq === lastSeq) return
      lastSeq = latest.seq
      nodes.push(latest.nodeCount ?? 0)
      for (const h of latest.health ?? []) {
        if (h.durationMs === undefined) continue
        const list = durations.get(h.name) ?? []
        list.push(h.durationMs)
        durations.set(h.name, list)
      }
      const summary = series.agent?.latest
      if (summary?.bytes !== undefined && summary.kind !== undefined) sizes[summary.kind].push(summary.bytes)
    } catch {
      // the app answers once the probe registered
    }
  }, 1_000)

  log(`probe running for ${seconds} s at ${interval} (${workload.processes()} processes on the host)`)
  const before = machine()
  await new Promise((resolve) => setTimeout(resolve, seconds * 1_000))
  const after = machine()
  clearInterval(poll)
  const mappings = largestMappings(probe.pid!)
  probeSamples.stop()
  bareSamples.stop()
  probe.kill("SIGTERM")
  bare.kill("SIGTERM")
  await new Promise((resolve) => probe.once("exit", resolve))
  if (probeSamples.samples.length === 0) throw new Error(`the probe did not run:\n${stderr}`)

  // Baseline: the full fd walk, timed in this process (CPU ms per walk, median of 5).
  const walks = Array.from({ length: 5 }, () => {
    const cpu = process.cpuUsage()
    const sockets = walkAllFds()
    const used = process.cpuUsage(cpu)
    return { ms: (used.user + used.system) / 1000, sockets }
  })
  const walkMs = median(walks.map((w) => w.ms))
  const intervalSeconds = Number.parseFloat(interval) * (interval.endsWith("ms") ? 0.001 : 1) || 15

  const warm = Math.min(warmupSeconds, probeSamples.samples.length - 2)
  const cpu = probeSamples.cpuPercent(warm)
  const bareCpu = bareSamples.cpuPercent(warm)
  const peak = probeSamples.peakRssMb()
  const peakAt = probeSamples.peakReachedSeconds()
  const barePeak = bareSamples.peakRssMb()
  const steady = probeSamples.meanRssMb(warm)
  const parts = probeSamples.peakPartsMb()
  const bareParts = bareSamples.peakPartsMb()
  const rows: Array<Row> = [
    {
      measure: `probe CPU, steady state (${seconds - warm} s at ${interval})`,
      value: `${fmt(cpu, 2)}% of a core`,
      target: `< 1% ${verdict(cpu, 1)}`,
      baseline: `idle node ${fmt(bareCpu, 3)}%`,
      ratio: bareCpu > 0 ? fmt(cpu / bareCpu) : "—"
    },
    {
      measure: "probe peak RSS",
      value: `${fmt(peak, 1)} MB`,
      target: `< 70 MB ${verdict(peak, 70)}`,
      baseline: `idle node ${fmt(barePeak, 1)} MB`,
      ratio: fmt(peak / barePeak, 2)
    },
    { measure: "  peak reached at (s after start)", value: fmt(peakAt, 0), target: "—", baseline: "—", ratio: "—" },
    { measure: "probe mean RSS after warm-up", value: `${fmt(steady, 1)} MB`, target: "—", baseline: "—", ratio: "—" },
    {
      measure: "  peak private (anonymous) / file-backed RSS",
      value: `${fmt(parts.anon, 1)} / ${fmt(parts.file, 1)} MB`,
      target: "—",
      baseline: `idle node ${fmt(bareParts.anon, 1)} / ${fmt(bareParts.file, 1)} MB`,
      ratio: "—"
    }
  ]
  for (const [name, list] of [...durations].sort(([a], [b]) => a.localeCompare(b))) {
    const isNetwork = name.includes("network")
    rows.push({
      measure: `collector ${name}, wall (median of ${list.length})`,
      value: `${fmt(median(list), 1)} ms`,
      target: "—",
      baseline: isNetwork ? `full fd walk ${fmt(walkMs, 1)} ms` : "—",
      ratio: isNetwork ? fmt(median(list) / walkMs, 2) : "—"
    })
  }
  rows.push({
    measure: `report size, full / delta (gzip, ${sizes.full.length} / ${sizes.delta.length})`,
    value: `${fmt(median(sizes.full) / 1024, 1)} / ${fmt(median(sizes.delta) / 1024, 1)} KiB`,
    target: "—",
    baseline: "—",
    ratio: "—"
  })
  const output = [
    `probe bench: ${workload.containers.length} containers, ${workload.processes()} processes, ` +
      `${workload.connections} connection ends, ${seconds} s at ${interval}; nodes per report ${median(nodes)}`,
    `machine: load average ${before.load} -> ${after.load}, TIME_WAIT sockets ${before.timeWait} -> ${after.timeWait}`,
    "",
    table(rows),
    "",
    benchLine(
      "cpu",
      { seconds: seconds - warm, interval_s: intervalSeconds, percent_core: cpu, baseline_idle_node: bareCpu },
      "probe"
    ),
    benchLine(
      "rss",
      {
        peak_mb: peak,
        peak_at_s: peakAt,
        mean_mb: steady,
        peak_anon_mb: parts.anon,
        peak_file_mb: parts.file,
        baseline_idle_node_mb: barePeak
      },
      "probe"
    ),
    ...[...durations].map(([name, list]) =>
      benchLine("collector", { name, median_ms: median(list), runs: list.length }, "probe")
    ),
    benchLine("fdwalk", { cpu_ms: walkMs, sockets: walks[0]?.sockets ?? 0 }, "probe"),
    benchLine(
      "report",
      { full_kib: median(sizes.full) / 1024, delta_kib: median(sizes.delta) / 1024, nodes: median(nodes) },
      "probe"
    )
  ]
  process.stdout.write(`${output.join("\n")}\n`)
  log(`probe's largest mappings at the end: ${mappings.map((m) => `${m.name} ${fmt(m.mb, 1)} MB`).join(", ")}`)
} finally {
  await app.close()
  await workload.stop()
  await docker.stop()
}
