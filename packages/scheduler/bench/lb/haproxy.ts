/**
 * HAProxy (Debian's `haproxy`) as a reference load balancer for the bench (`LB_REFERENCE=haproxy`): the same
 * service ports, modes and backends as ours, one thread (as our load balancer's one event loop), so that the bench
 * shows what a C proxy passes on the same machine and paths in the same run.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { procCpuMs } from "./processes.js"

/** One service port of the reference: where it listens, how, and the one backend behind it. */
export interface ReferenceRoute {
  readonly name: string
  readonly mode: "tcp" | "http"
  readonly servicePort: number
  readonly host: string
  readonly port: number
}

/** A running HAProxy. */
export interface ReferenceProxy {
  readonly pid: number
  /** CPU time (ms) of the HAProxy process so far. */
  readonly cpuMs: () => number
  readonly stop: () => Promise<void>
}

/** Whether `haproxy` can be run here. */
export const haproxyAvailable = (): boolean => {
  try {
    execFileSync("haproxy", ["-v"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/** The configuration: a frontend and a backend per route (keep-alive and connection reuse are HAProxy's defaults). */
export const haproxyConfig = (routes: ReadonlyArray<ReferenceRoute>): string =>
  [
    "global",
    "  nbthread 1",
    "  maxconn 4000",
    "defaults",
    "  timeout connect 5s",
    "  timeout client 30s",
    "  timeout server 30s",
    ...routes.flatMap((r, i) => [
      `frontend f${i}_${r.name}_${r.mode}`,
      `  mode ${r.mode}`,
      `  bind 127.0.0.1:${r.servicePort}`,
      `  default_backend b${i}`,
      `backend b${i}`,
      `  mode ${r.mode}`,
      `  server s${i} ${r.host}:${r.port}`
    ]),
    ""
  ].join("\n")

const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

/** Starts HAProxy in the foreground with one frontend per route; resolves once every service port listens. */
export const startHaproxy = async (routes: ReadonlyArray<ReferenceRoute>): Promise<ReferenceProxy> => {
  const dir = mkdtempSync(join(tmpdir(), "lb-bench-haproxy-"))
  const file = join(dir, "haproxy.cfg")
  writeFileSync(file, haproxyConfig(routes))
  const child: ChildProcess = spawn("haproxy", ["-db", "-f", file], { stdio: ["ignore", "ignore", "inherit"] })
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const stop = async () => {
    child.kill("SIGTERM")
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 10_000
  for (const route of routes)
    while (!(await listening(route.servicePort))) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        const code = child.exitCode
        await stop()
        throw new Error(`haproxy did not listen on ${route.servicePort} (exit code ${code ?? "none"})`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  const pid = child.pid as number
  return { pid, cpuMs: () => procCpuMs(pid), stop }
}
