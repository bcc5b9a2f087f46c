/**
 * Starts `server.ts` in a child process and talks to it over IPC: readiness, CPU and memory snapshots, exit.
 * The child runs the same Node binary as the benchmark with tsx as an import hook (one process, so its pid
 * is the server's own and nothing else is counted in its CPU time or RSS).
 *
 * @since 0.1.0
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { AppServerConfig } from "../../src/AppServerConfig.js"
import type { ChildStats, ParentMessage } from "./server.js"

/** A running server child. */
export interface ServerProcess {
  readonly port: number
  readonly pid: number
  readonly url: string
  /** CPU time, memory and counters, as the child sees them now. */
  stats(): Promise<ChildStats>
  /** Runs a full GC in the child, then takes {@link stats}. */
  statsAfterGc(): Promise<ChildStats>
  /** Starts a CPU profile of the child, or stops the running one and writes it to `file`. */
  profile(file: string): Promise<ChildStats>
  /** The last lines the child printed (for diagnostics). */
  output(): ReadonlyArray<string>
  /** Closes the app and waits for the child to exit (killing it by pid after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>
}

/** Options of {@link start}. */
export interface StartOptions {
  readonly config: Partial<AppServerConfig>
  readonly readyTimeoutMs?: number
  /** Extra Node/V8 flags for the child (`--max-semi-space-size=64`...), to measure deployment settings. */
  readonly nodeFlags?: ReadonlyArray<string>
}

/** CPU seconds used between two snapshots. */
export const cpuSeconds = (from: ChildStats, to: ChildStats): number =>
  (to.cpu.user - from.cpu.user + to.cpu.system - from.cpu.system) / 1e6

/** Starts the server child and resolves once it listens. */
export const start = (options: StartOptions): Promise<ServerProcess> => {
  const script = fileURLToPath(new URL("./server.ts", import.meta.url))
  const args = [...(options.nodeFlags ?? []), "--expose-gc", "--import", import.meta.resolve("tsx")]
  args.push(script, JSON.stringify(options.config))
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe", "ipc"] })
  const lines: Array<string> = []
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() === "") continue
      lines.push(line)
      if (lines.length > 100) lines.shift()
      if (/WARN|ERROR|FATAL/.test(line)) process.stderr.write(`  [app] ${line}\n`)
    }
  }
  child.stdout?.on("data", keep)
  child.stderr?.on("data", keep)
  const pending = new Map<number, (stats: ChildStats) => void>()
  let nextId = 0
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))

  const request = (type: "stats" | "gc" | "profile", file = "", timeoutMs = 60_000) =>
    new Promise<ChildStats>((resolve, reject) => {
      const id = nextId++
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new Error(`app child did not answer "${type}" within ${timeoutMs} ms`))
      }, timeoutMs)
      pending.set(id, (stats) => {
        clearTimeout(timer)
        resolve(stats)
      })
      const message: ParentMessage = type === "profile" ? { type, id, file } : { type, id }
      child.send(message)
    })

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`app child not ready within ${options.readyTimeoutMs ?? 60_000} ms:\n${lines.join("\n")}`))
    }, options.readyTimeoutMs ?? 60_000)
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`app child exited with ${code}:\n${lines.join("\n")}`))
    })
    child.on("message", (message: { type: string; port?: number; pid?: number; id?: number }) => {
      if (message.type === "stats") {
        pending.get(message.id!)?.(message as ChildStats)
        pending.delete(message.id!)
        return
      }
      if (message.type !== "ready") return
      clearTimeout(timer)
      const port = message.port!
      resolve({
        port,
        pid: message.pid!,
        url: `http://127.0.0.1:${port}`,
        stats: () => request("stats"),
        statsAfterGc: () => request("gc"),
        profile: (file) => request("profile", file),
        output: () => lines,
        stop: async (timeoutMs = 15_000) => {
          if (child.exitCode !== null) return
          const exit: ParentMessage = { type: "exit" }
          if (child.connected) child.send(exit)
          const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
          await exited
          clearTimeout(killer)
        }
      })
    })
  })
}
