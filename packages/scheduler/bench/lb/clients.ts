/**
 * The processes of the load balancer bench other than the load balancer: the Node keep-alive backend and the
 * HTTP clients (throughput: back to back over keep-alive agents; latency: a fixed rate per path, the paths
 * interleaved request by request). Each runs as `node -e` in a child process, optionally pinned to CPUs.
 */
import { spawn } from "node:child_process"
import { once } from "node:events"

/** A Node HTTP server answering 2 bytes with keep-alive; prints its port. */
export const nodeBackendScript = `
const http = require("node:http")
const server = http.createServer((req, res) => {
  req.resume()
  res.writeHead(200, { "content-type": "text/plain", "content-length": 2 })
  res.end("ok")
})
server.keepAliveTimeout = 120000
server.listen(0, "127.0.0.1", () => console.log(server.address().port))
`

/** The client: `throughput` or `latency` mode, configured by a JSON argument; prints a JSON result. */
const clientScript = `
const http = require("node:http")
const cfg = JSON.parse(process.argv[1])
const one = (url, agent, lat, stats, done) => {
  const t0 = process.hrtime.bigint()
  const req = http.get(url, { agent }, (res) => {
    res.resume()
    res.on("end", () => { stats.count++; lat.push(Number(process.hrtime.bigint() - t0) / 1e6); done() })
  })
  req.on("error", () => { stats.errors++; done() })
}
const summary = (lat, stats, elapsed) => {
  lat.sort((a, b) => a - b)
  const q = (p) => lat.length === 0 ? 0 : lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]
  return { count: stats.count, errors: stats.errors, rps: stats.count / (elapsed / 1000), p50: q(0.5), p99: q(0.99) }
}
const cpuMs = () => { const cpu = process.cpuUsage(); return (cpu.user + cpu.system) / 1000 }
if (cfg.kind === "throughput") {
  const agent = new http.Agent({ keepAlive: true, maxSockets: cfg.connections })
  const lat = [], stats = { count: 0, errors: 0 }
  const start = Date.now(), end = start + cfg.durationMs
  let running = cfg.connections
  const finish = () => { console.log(JSON.stringify({ ...summary(lat, stats, Date.now() - start), cpuMs: cpuMs() })); process.exit(0) }
  const loop = () => Date.now() >= end ? (--running === 0 && finish()) : one(cfg.urls[0], agent, lat, stats, loop)
  for (let i = 0; i < cfg.connections; i++) loop()
} else {
  // every path gets cfg.rate requests/s over its own 8 keep-alive sockets, request by request in turn, so
  // that all of them see the same moments of a noisy machine
  const paths = cfg.urls.map((url) => ({ url, agent: new http.Agent({ keepAlive: true, maxSockets: 8 }), lat: [], stats: { count: 0, errors: 0 } }))
  const start = Date.now(), end = start + cfg.durationMs
  let sent = 0, pending = 0
  const timer = setInterval(() => {
    const now = Date.now()
    if (now >= end) {
      clearInterval(timer)
      // every latency in µs, so that the parent can pool the rounds
      const wait = () => pending === 0 ? (console.log(JSON.stringify({ paths: paths.map((p) => ({ ...p.stats, lat: p.lat.map((ms) => Math.round(ms * 1000)) })), cpuMs: cpuMs() })), process.exit(0)) : setTimeout(wait, 5)
      wait()
      return
    }
    const due = Math.floor(((now - start) * cfg.rate * paths.length) / 1000) - sent
    for (let i = 0; i < due; i++) { const p = paths[sent++ % paths.length]; pending++; one(p.url, p.agent, p.lat, p.stats, () => pending--) }
  }, 1)
}
`

/** What a throughput client prints. */
export interface ClientResult {
  readonly count: number
  readonly errors: number
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly cpuMs: number
}

/** `node` with its arguments, under `taskset -c cpus` when `cpus` is given. */
export const nodeCommand = (args: ReadonlyArray<string>, cpus?: string): [string, Array<string>] =>
  cpus === undefined ? [process.execPath, [...args]] : ["taskset", ["-c", cpus, process.execPath, ...args]]

/** Runs one client to its end and returns what it printed. */
export const runClient = async <A = ClientResult>(config: Record<string, unknown>, cpus?: string): Promise<A> => {
  const [command, args] = nodeCommand(["-e", clientScript, JSON.stringify(config)], cpus)
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] })
  let out = ""
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString()
  })
  await once(child, "exit")
  return JSON.parse(out) as A
}
