/**
 * User names for uids, from /etc/passwd files. The host's file is re-read when its modification time changes
 * (checked at most once a minute); a container's own /etc/passwd (through /proc/<pid>/root) is read once per
 * container and kept for ten minutes, so `www-data` inside a container shows as `www-data` even when the host
 * has no such user.
 */
import { statSync } from "node:fs"
import { readProcFile } from "./read.js"

/** Reads `name:x:uid:...` lines into a uid -> name map (the first name of a uid wins). */
export const parsePasswd = (text: string): Map<number, string> => {
  const out = new Map<number, string>()
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue
    const first = line.indexOf(":")
    const second = line.indexOf(":", first + 1)
    const third = line.indexOf(":", second + 1)
    if (first <= 0 || second < 0 || third < 0) continue
    const uid = Number(line.slice(second + 1, third))
    if (Number.isInteger(uid) && !out.has(uid)) out.set(uid, line.slice(0, first))
  }
  return out
}

const hostCheckMs = 60_000
const containerKeepMs = 10 * 60_000
const maxContainers = 512

interface Table {
  readonly names: ReadonlyMap<number, string>
  readonly at: number
}

/** Resolves uids to names, per host and per container. */
export class UserNames {
  private host: (Table & { readonly mtimeMs: number }) | undefined
  private readonly containers = new Map<string, Table>()

  constructor(private readonly passwdPath: string) {}

  /** The name of `uid` on the host, or `undefined`. `now` is a monotonic time in ms. */
  hostName(uid: number, now: number): string | undefined {
    return this.hostTable(now).get(uid)
  }

  /**
   * The name of `uid` inside a container, read from `rootPasswd` (`/proc/<pid>/root/etc/passwd` of one of
   * its processes) on first use; the host's name when the container has no such user.
   */
  containerName(containerId: string, rootPasswd: string, uid: number, now: number): string | undefined {
    let table = this.containers.get(containerId)
    if (table === undefined || now - table.at > containerKeepMs) {
      const text = readProcFile(rootPasswd, "utf8", 4 * 1024 * 1024)
      if (this.containers.size >= maxContainers) this.containers.clear()
      table = { names: text === undefined ? new Map() : parsePasswd(text), at: now }
      this.containers.set(containerId, table)
    }
    return table.names.get(uid) ?? this.hostName(uid, now)
  }

  /** Forgets containers that are gone. */
  retain(containerIds: ReadonlySet<string>): void {
    for (const id of this.containers.keys()) if (!containerIds.has(id)) this.containers.delete(id)
  }

  private hostTable(now: number): ReadonlyMap<number, string> {
    if (this.host !== undefined && now - this.host.at < hostCheckMs) return this.host.names
    let mtimeMs = -1
    try {
      mtimeMs = statSync(this.passwdPath).mtimeMs
    } catch {
      // no passwd file: uids stay numbers
    }
    if (this.host !== undefined && this.host.mtimeMs === mtimeMs) {
      this.host = { ...this.host, at: now }
      return this.host.names
    }
    const text = mtimeMs < 0 ? undefined : readProcFile(this.passwdPath, "utf8", 16 * 1024 * 1024)
    this.host = { names: text === undefined ? new Map() : parsePasswd(text), at: now, mtimeMs }
    return this.host.names
  }
}
