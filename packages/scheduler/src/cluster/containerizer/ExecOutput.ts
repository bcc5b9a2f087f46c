/**
 * Helpers for running a command in a task's container: the tail of its multiplexed output, and the kill of
 * a command that outlived its timeout (Docker's API has no way to stop an exec).
 *
 * @since 0.1.0
 */
import { readdir, readFile } from "node:fs/promises"

/**
 * Keeps the last `limit` bytes of a Docker exec's output. Without a TTY, Docker frames it: an 8-byte header
 * (stream type, 3 zero bytes, big-endian payload size) before each payload; frames may span chunks.
 *
 * @since 0.1.0
 * @category models
 */
export class OutputTail {
  private tail = Buffer.alloc(0)
  private header = Buffer.alloc(0)
  /** Payload bytes of the current frame still to come. */
  private remaining = 0
  constructor(private readonly limit: number) {}

  /** Adds a chunk of the framed stream. */
  push(chunk: Buffer): void {
    let at = 0
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at)
        this.keep(chunk.subarray(at, at + take))
        at += take
        this.remaining -= take
        continue
      }
      const part = chunk.subarray(at, at + 8 - this.header.length)
      this.header = Buffer.concat([this.header, part])
      at += part.length
      if (this.header.length === 8) {
        this.remaining = this.header.readUInt32BE(4)
        this.header = Buffer.alloc(0)
      }
    }
  }

  /** The output kept so far, as UTF-8. */
  text(): string {
    return this.tail.toString("utf8")
  }

  private keep(payload: Buffer): void {
    const joined = Buffer.concat([this.tail, payload])
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - this.limit)))
  }
}

const parentOf = async (pid: string): Promise<number | undefined> => {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8")
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
  } catch {
    return undefined
  }
}

/**
 * Kills (SIGKILL) the process `pid` and its descendants, once `/proc/<pid>/cgroup` shows it belongs to the
 * container `containerId`. Returns whether it did: it cannot when the agent runs in another PID namespace
 * than the Docker engine (the process then runs on until it ends by itself).
 *
 * @since 0.1.0
 * @category constructors
 */
export const killProcessTree = async (pid: number, containerId: string): Promise<boolean> => {
  if (!(pid > 0)) return false
  try {
    const cgroup = await readFile(`/proc/${pid}/cgroup`, "utf8")
    if (!cgroup.includes(containerId)) return false
  } catch {
    return false
  }
  const children = new Map<number, Array<number>>()
  for (const entry of await readdir("/proc").catch((): Array<string> => [])) {
    if (!/^\d+$/.test(entry)) continue
    const parent = await parentOf(entry)
    if (parent === undefined) continue
    const list = children.get(parent) ?? []
    list.push(Number(entry))
    children.set(parent, list)
  }
  const tree: Array<number> = []
  const stack = [pid]
  while (stack.length > 0) {
    const next = stack.pop()!
    tree.push(next)
    stack.push(...(children.get(next) ?? []))
  }
  for (const target of tree) {
    try {
      process.kill(target, "SIGKILL")
    } catch {
      // it ended meanwhile
    }
  }
  return true
}
