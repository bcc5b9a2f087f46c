/**
 * Helpers for the process and network collector tests: real child processes (node scripts with known
 * command lines and sockets) and busybox containers on the shared dockerd, all cleaned up by their caller.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { createInterface } from "node:readline"
import { engineRequest } from "../../../../test/fixtures/dockerApi.js"
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

/** The number of entries of /proc/<pid>/task (threads) and /proc/<pid>/fd (open files), read independently. */
export const procCounts = (pid: number): { readonly threads: number; readonly fds: number } => ({
  threads: readdirSync(`/proc/${pid}/task`).length,
  fds: readdirSync(`/proc/${pid}/fd`).length
})

/** VmRSS of /proc/<pid>/status in bytes. */
export const vmRss = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024

/** A container started on the shared dockerd. */
export interface Container {
  readonly id: string
  readonly pid: number
  readonly ip: string
}

const json = async (socketPath: string, method: string, path: string, body?: unknown): Promise<unknown> => {
  const res = await engineRequest(socketPath, method, path, {
    ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)), contentType: "application/json" }),
    timeoutMs: 30_000
  })
  if (res.status >= 300) throw new Error(`docker ${method} ${path}: ${res.status} ${res.body}`)
  return res.body === "" ? undefined : JSON.parse(res.body)
}

/** Creates and starts a container running `cmd` in `image`; resolves with its id, main pid and bridge IP. */
export const runContainer = async (
  socketPath: string,
  image: string,
  cmd: ReadonlyArray<string>,
  name: string
): Promise<Container> => {
  const created = (await json(socketPath, "POST", `/containers/create?name=${name}`, {
    Image: image,
    Cmd: cmd,
    Labels: { "orchestrator.test": "probe-proc" }
  })) as { Id: string }
  await json(socketPath, "POST", `/containers/${created.Id}/start`)
  const inspect = (await json(socketPath, "GET", `/containers/${created.Id}/json`)) as {
    State: { Pid: number }
    NetworkSettings: { IPAddress: string }
  }
  return { id: created.Id, pid: inspect.State.Pid, ip: inspect.NetworkSettings.IPAddress }
}

/** Removes a container, running or not. */
export const removeContainer = async (socketPath: string, id: string): Promise<void> => {
  await engineRequest(socketPath, "DELETE", `/containers/${id}?force=true`, { timeoutMs: 30_000 }).catch(() => {})
}

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
