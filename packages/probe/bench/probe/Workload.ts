/**
 * The probe benchmark's workload on this host: running containers (half serving HTTP, half idle), extra
 * processes up to a target count, and long-lived TCP connections on loopback (IPv4 and IPv6). Everything it
 * starts is stopped by `stop()`.
 *
 * @since 0.1.0
 */
import { type ChildProcess, spawn } from "node:child_process"
import { readdirSync } from "node:fs"
import { ensureDockerd } from "../../../../test/fixtures/dockerd.js"
import { ensureTestImage, testImage } from "../../../../test/fixtures/dockerImage.js"
import { type EngineApi, engineApi } from "../../test/docker/helpers.js"

/** What to start. */
export interface WorkloadOptions {
  readonly containers: number
  readonly processes: number
  readonly connections: number
  /** A Docker engine to use instead of the shared one (e.g. a private dockerd no other suite stops). */
  readonly socketPath?: string
}

/** The running workload. */
export interface Workload {
  readonly containers: ReadonlyArray<string>
  readonly processes: () => number
  readonly connections: number
  stop(): Promise<void>
}

const prefix = "orch-probe-bench-"

/** Processes on this host now. */
export const countProcesses = (): number => readdirSync("/proc").filter((name) => /^\d+$/.test(name)).length

const removeLeftovers = async (api: EngineApi): Promise<void> => {
  const filters = encodeURIComponent(JSON.stringify({ name: [prefix] }))
  const list = (await api("GET", `/containers/json?all=1&filters=${filters}`)) as Array<{ Id: string }>
  await Promise.all(list.map((c) => api("DELETE", `/containers/${c.Id}?force=1`)))
}

/** A child that holds `pairs` connections to a server it also runs (so both ends are on this host). */
const connectionHolder = (pairs: number): Promise<ChildProcess> => {
  const script = `
    const net = require("node:net")
    const pairs = ${pairs}
    const keep = []
    const servers = [net.createServer((s) => keep.push(s)).listen(0, "127.0.0.1"),
                     net.createServer((s) => keep.push(s)).listen(0, "::1")]
    let open = 0
    Promise.all(servers.map((s) => new Promise((r) => s.once("listening", r)))).then(() => {
      for (let i = 0; i < pairs; i++) {
        const server = servers[i % 2]
        const c = net.connect(server.address().port, server.address().address, () => {
          keep.push(c)
          if (++open === pairs) process.send("ready")
        })
        c.on("error", () => {})
      }
      setInterval(() => { for (const s of keep.slice(0, 20)) s.write("x") }, 1000)
    })`
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "ignore", "inherit", "ipc"] })
  return new Promise((resolve, reject) => {
    child.once("message", () => resolve(child))
    child.once("exit", (code) => reject(new Error(`connection holder exited (${code})`)))
  })
}

/** Starts the workload on `options.socketPath`, or on the shared Docker engine (started when missing). */
export const start = async (options: WorkloadOptions, log: (line: string) => void): Promise<Workload> => {
  const socketPath =
    options.socketPath ?? (await ensureDockerd({ logPath: "/tmp/orchestrator-bench-dockerd.log" })).socketPath
  const api = engineApi(socketPath)
  await ensureTestImage(socketPath)
  await removeLeftovers(api)
  const containers: Array<string> = []
  for (let i = 0; i < options.containers; i++) {
    const serving = i % 2 === 0
    const created = (await api("POST", `/containers/create?name=${prefix}${i}`, {
      Image: testImage,
      Cmd: serving ? ["httpd", "-f", "-p", "8080"] : ["sh", "-c", "while true; do sleep 5; done"],
      Labels: { "orchestrator.bench": "probe", role: serving ? "web" : "idle" },
      Env: ["MODE=bench", "API_TOKEN=not-a-real-secret"],
      HostConfig: { Memory: 64 * 1024 * 1024 }
    })) as { Id: string }
    await api("POST", `/containers/${created.Id}/start`)
    containers.push(created.Id)
  }
  log(`started ${containers.length} containers`)
  const holder = await connectionHolder(Math.ceil(options.connections / 2))
  log(`holding ${options.connections} connection ends on loopback (IPv4 and IPv6)`)
  const sleepers: Array<ChildProcess> = []
  const missing = Math.max(0, options.processes - countProcesses())
  for (let i = 0; i < missing; i++) sleepers.push(spawn("sleep", ["3600"], { stdio: "ignore" }))
  log(`started ${sleepers.length} sleep processes: ${countProcesses()} processes on the host`)
  return {
    containers,
    processes: countProcesses,
    connections: options.connections,
    stop: async () => {
      holder.kill("SIGKILL")
      for (const s of sleepers) s.kill("SIGKILL")
      await removeLeftovers(api)
    }
  }
}
