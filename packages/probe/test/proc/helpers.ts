/**
 * Helpers for the collector tests: real child processes (node scripts with known command lines and sockets),
 * cleaned up by their caller; a collector run on a registry of its own; what a healthy run and the app see.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { createInterface } from "node:readline"
import { type Plugin, PluginRegistry, Report } from "@orchestrator/core"
import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { terminate } from "../../../../test/fixtures/process.js"

/** A spawned node script that printed one JSON line when ready. */
export interface Child<Ready> {
  readonly process: ChildProcess
  readonly pid: number
  readonly ready: Ready
  /** The next line the script prints, parsed as JSON. */
  nextLine<A>(): Promise<A>
  stop(): Promise<void>
}

/**
 * Runs `script` (ESM source) with this node binary, and waits for its first line of output, parsed as JSON.
 * `argv` follows the script; `cwd` is the child's working directory. With `netns`, the script runs in a new
 * network namespace of its own (`unshare -n`, loopback up), as the same pid.
 */
export const spawnScript = <Ready>(
  script: string,
  options: {
    readonly argv?: ReadonlyArray<string>
    readonly cwd?: string
    readonly timeoutMs?: number
    readonly netns?: boolean
  } = {}
): Promise<Child<Ready>> =>
  new Promise((resolve, reject) => {
    const nodeArgs = ["--input-type=module", "-e", script, "--", ...(options.argv ?? [])]
    const [command, args] = options.netns
      ? ["unshare", ["-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs]
    const child = spawn(command, args, { cwd: options.cwd ?? process.cwd(), stdio: ["ignore", "pipe", "inherit"] })
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error("child script did not get ready"))
    }, options.timeoutMs ?? 10_000)
    child.once("error", reject)
    const lines: Array<string> = []
    const waiting: Array<(line: string) => void> = []
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const waiter = waiting.shift()
      if (waiter === undefined) lines.push(line)
      else waiter(line)
    })
    const nextLine = <A>(): Promise<A> =>
      new Promise<string>((r) => {
        const line = lines.shift()
        if (line === undefined) waiting.push(r)
        else r(line)
      }).then((line) => JSON.parse(line) as A)
    nextLine<Ready>().then((ready) => {
      clearTimeout(timer)
      const pid = child.pid!
      resolve({ process: child, pid, ready, nextLine, stop: () => terminate(pid, 2_000) })
    }, reject)
  })

/** `spawnScript` in a scope: the script is stopped when the scope closes. */
export const scopedScript = <Ready>(script: string, options: Parameters<typeof spawnScript>[1] = {}) =>
  Effect.acquireRelease(
    Effect.promise(() => spawnScript<Ready>(script, options)),
    (child) => Effect.promise(() => child.stop())
  )

/** The number of entries of /proc/<pid>/task (threads) and /proc/<pid>/fd (open files), read independently. */
export const procCounts = (pid: number): { readonly threads: number; readonly fds: number } => ({
  threads: readdirSync(`/proc/${pid}/task`).length,
  fds: readdirSync(`/proc/${pid}/fd`).length
})

/** VmRSS of /proc/<pid>/status in bytes. */
export const vmRss = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024

/** A registry holding `plugin`, and one run of its collectors as `probe` (10 s budget), to repeat at will. */
export const collectorRun = <P extends Plugin.AnyPlugin>(
  probe: Plugin.ProbeContext,
  plugin: P,
  ...options: Plugin.RegisterArgs<P>
) =>
  Effect.gen(function* () {
    const registry = yield* PluginRegistry.make()
    yield* registry.register(plugin, ...options)
    return registry.runCollectors(probe, 10_000)
  })

/** The health entry of a collector run that went well (`<plugin>/collector/<name>`). */
export const healthyRun = (name: string) => ({
  name,
  status: "ok",
  durationMs: expect.any(Number),
  timestamp: expect.any(Number)
})

/** A full report of `hostId` holding the given nodes, decoded as the app decodes what a probe sends. */
export const decodeReport = (hostId: string, topologies: Record<string, Record<string, Report.Node>>): Report.Report =>
  Report.decodeSync({
    version: 1,
    probeId: "p1",
    hostname: hostId,
    kind: "full",
    seq: 0,
    timestamp: Date.now(),
    topologies: Object.fromEntries(Object.entries(topologies).map(([name, nodes]) => [name, { nodes }]))
  })

/** The pids of processes whose command line contains `needle` (NULs read as spaces). */
export const pidsWithCmdline = (needle: string): Array<number> => {
  const out: Array<number> = []
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ").includes(needle)) out.push(Number(name))
    } catch {
      // exited
    }
  }
  return out
}
