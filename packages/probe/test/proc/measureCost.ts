/**
 * Measures what the process and network collectors cost per run on this host, against the naive way
 * (every process's fds and every namespace's four socket tables read on every run). Not a test: run it as root
 * with
 *
 * ```sh
 * npx tsx --conditions=source packages/probe/test/proc/measureCost.ts [sleepers=300] [namespaces=50] [connections=1000]
 * ```
 *
 * It starts `sleepers` idle processes, `namespaces` network namespaces (`unshare -n`, each with a busybox
 * httpd listening) and one client holding `connections` TCP connections to one server, then prints a table of
 * CPU milliseconds per run (user + system of this process, mean of 20 warm runs) and what each run read.
 * Everything it starts is stopped at the end.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { readdirSync } from "node:fs"
import { type Plugin, PluginRegistry } from "@orchestrator/core"
import { Effect } from "effect"
import { NetworkScanner } from "../../src/internal/proc/namespaces.js"
import { listDir, listPids, namespaceInode, readLink, readProcFile } from "../../src/internal/proc/read.js"
import * as NetworkCollector from "../../src/NetworkCollector.js"
import * as ProcessCollector from "../../src/ProcessCollector.js"

const [sleepers = 300, namespaces = 50, connections = 1000] = process.argv.slice(2).map(Number)
const children: Array<ChildProcess> = []
const start = (command: string, args: ReadonlyArray<string>, stdout: "ignore" | "pipe" = "ignore") => {
  const child = spawn(command, [...args], { stdio: ["ignore", stdout, "inherit"] })
  children.push(child)
  return child
}
const stopAll = () => {
  for (const child of children) child.kill("SIGKILL")
}
process.on("exit", stopAll)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const mean = (values: ReadonlyArray<number>) => values.reduce((sum, v) => sum + v, 0) / values.length

/** CPU ms of `f` per call: the mean of `runs` calls after one warm-up (so periodic refreshes count). */
const measure = async (runs: number, f: () => unknown | Promise<unknown>, pauseMs = 200) => {
  await f()
  const samples: Array<number> = []
  for (let i = 0; i < runs; i++) {
    await sleep(pauseMs)
    const before = cpuMs()
    await f()
    samples.push(cpuMs() - before)
  }
  return mean(samples)
}

const naiveFdWalk = () => {
  let links = 0
  for (const pid of listPids("/proc")) {
    for (const fd of listDir(`/proc/${pid}/fd`) ?? []) {
      readLink(`/proc/${pid}/fd/${fd}`)
      links++
    }
  }
  return links
}

const naiveTables = () => {
  const seen = new Set<string>()
  for (const pid of listPids("/proc")) {
    const netns = namespaceInode(readLink(`/proc/${pid}/ns/net`))
    if (netns === undefined || seen.has(netns)) continue
    seen.add(netns)
    for (const table of ["tcp", "tcp6", "udp", "udp6"]) readProcFile(`/proc/${pid}/net/${table}`)
  }
  return seen.size
}

const main = async () => {
  for (let i = 0; i < sleepers; i++) start("sleep", ["600"])
  for (let i = 0; i < namespaces; i++) {
    start("unshare", ["-n", "sh", "-c", "ip link set lo up && exec busybox httpd -f -p 80"])
  }
  const server = start(
    process.execPath,
    [
      "-e",
      `const s = require("net").createServer((c) => c.on("data", () => {})).listen(0, "127.0.0.1", () => console.log(s.address().port)); setInterval(() => {}, 1000)`
    ],
    "pipe"
  )
  const port = await new Promise<number>((r) => server.stdout!.once("data", (d: Buffer) => r(Number(String(d).trim()))))
  const client = start(
    process.execPath,
    [
      "-e",
      `const net = require("net"); let n = 0; const held = [];
       for (let i = 0; i < ${connections}; i++) { const c = net.connect(${port}, "127.0.0.1", () => { if (++n === ${connections}) console.log("up") }); held.push(c) }
       setInterval(() => {}, 1000)`
    ],
    "pipe"
  )
  await new Promise((r) => client.stdout!.once("data", r))
  await sleep(1_000)
  const pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).length

  const probe = { hostId: "bench-host", probeId: "bench" }
  const collector = async (plugin: Plugin.AnyPlugin) => {
    const registry = await Effect.runPromise(PluginRegistry.make())
    await Effect.runPromise(registry.register(plugin, {}))
    let nodes = 0
    const ms = await measure(20, async () => {
      const fragment = await Effect.runPromise(registry.runCollectors(probe, 30_000))
      nodes = Object.values(fragment.topologies).reduce((sum, t) => sum + Object.keys(t).length, 0)
    })
    return { ms, nodes }
  }
  const processes = await collector(ProcessCollector.plugin() as Plugin.AnyPlugin)
  const network = await collector(NetworkCollector.plugin() as Plugin.AnyPlugin)
  // The same, calling the hook directly: the difference is the registry's work (validating every node).
  const direct = async (plugin: Plugin.AnyPlugin) => {
    const hook = plugin.collectors![0]!
    const ctx: Plugin.CollectorContext<unknown> = {
      ...probe,
      plugin: plugin.name,
      hook: hook.name,
      options: {},
      now: Date.now(),
      signal: new AbortController().signal,
      logger: { debug() {}, info() {}, warn() {}, error() {} }
    }
    return measure(20, () => hook.collect(ctx))
  }
  const processesDirect = await direct(ProcessCollector.plugin() as Plugin.AnyPlugin)
  const networkDirect = await direct(NetworkCollector.plugin() as Plugin.AnyPlugin)

  const scanner = new NetworkScanner({ procRoot: "/proc", recheckEvery: 20, tableMaxAge: 40 })
  const firstBefore = cpuMs()
  scanner.scan()
  const firstMs = cpuMs() - firstBefore
  const firstStats = scanner.stats
  const warm = { tables: 0, dirs: 0, links: 0, runs: 0 }
  const scanMs = await measure(20, () => {
    scanner.scan()
    warm.tables += scanner.stats.tcpTablesRead
    warm.dirs += scanner.stats.owners.walked
    warm.links += scanner.stats.owners.links
    warm.runs++
  })
  const per = (n: number) => (n / warm.runs).toFixed(1)
  let links = 0
  const naiveWalkMs = await measure(5, () => {
    links = naiveFdWalk()
  })
  let tableNamespaces = 0
  const naiveTablesMs = await measure(5, () => {
    tableNamespaces = naiveTables()
  })

  const rows: Array<[string, string, string]> = [
    ["processes in /proc", String(pids), ""],
    ["process collector, warm run", processes.ms.toFixed(1), `${processes.nodes} process nodes`],
    ["  its collect() alone (no registry)", processesDirect.toFixed(1), ""],
    ["network collector, warm run", network.ms.toFixed(1), `${network.nodes} endpoint nodes`],
    ["  its collect() alone (no registry)", networkDirect.toFixed(1), ""],
    [
      "  network scan, first run (cold)",
      firstMs.toFixed(1),
      `${firstStats.namespaces} namespaces, ${firstStats.tcpTablesRead} TCP tables, ${firstStats.owners.walked} fd dirs, ${firstStats.owners.links} fd links`
    ],
    [
      "  network scan, warm run",
      scanMs.toFixed(1),
      `per run on average: ${per(warm.tables)} TCP tables, ${per(warm.dirs)} fd dirs, ${per(warm.links)} fd links`
    ],
    ["naive: every fd of every process", naiveWalkMs.toFixed(1), `${links} fd links`],
    ["naive: 4 tables of every namespace", naiveTablesMs.toFixed(1), `${tableNamespaces} namespaces`]
  ]
  console.log(`| what | CPU ms per run | read |\n|---|---:|---|`)
  for (const [what, ms, read] of rows) console.log(`| ${what} | ${ms} | ${read} |`)
}

main().then(
  () => {
    stopAll()
    process.exit(0)
  },
  (error: unknown) => {
    console.error(error)
    stopAll()
    process.exit(1)
  }
)
