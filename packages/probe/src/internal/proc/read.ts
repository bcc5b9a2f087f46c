/**
 * Cheap, never-throwing reads of /proc for the process and network collectors. A process can exit between
 * listing /proc and reading its files, so every reader returns `undefined` instead of throwing.
 *
 * Files are read into one shared buffer with `openSync`/`readSync`/`closeSync` (three system calls; about half
 * the cost of `readFileSync`, which also `fstat`s and allocates per call). The collectors run synchronously,
 * so a shared buffer is safe.
 */
import { closeSync, openSync, readdirSync, readlinkSync, readSync } from "node:fs"

const baseSize = 64 * 1024
const shared = Buffer.allocUnsafe(baseSize)

/**
 * Reads a whole /proc file as text (`latin1` for the kernel's ASCII tables, `utf8` for command lines and
 * paths), or `undefined` when it cannot be read. Reads past `maxBytes` are cut there.
 */
export const readProcFile = (
  path: string,
  encoding: "latin1" | "utf8" = "latin1",
  maxBytes = 64 * 1024 * 1024
): string | undefined => {
  let fd: number
  try {
    fd = openSync(path, "r")
  } catch {
    return undefined
  }
  try {
    let buffer = shared
    let length = 0
    for (;;) {
      if (length === buffer.length) {
        if (buffer.length >= maxBytes) break
        // A big table (/proc/net/tcp with many sockets): grow a private buffer, dropped after the read.
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes, buffer.length * 4))
        buffer.copy(bigger, 0, 0, length)
        buffer = bigger
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null)
      if (n === 0) break
      length += n
    }
    return buffer.toString(encoding, 0, length)
  } catch {
    return undefined
  } finally {
    closeSync(fd)
  }
}

/** The target of a symbolic link (`/proc/<pid>/cwd`, `ns/net`, `fd/3`), or `undefined`. */
export const readLink = (path: string): string | undefined => {
  try {
    return readlinkSync(path)
  } catch {
    return undefined
  }
}

/** The entries of a directory, or `undefined` when it cannot be listed. */
export const listDir = (path: string): ReadonlyArray<string> | undefined => {
  try {
    return readdirSync(path)
  } catch {
    return undefined
  }
}

const isDigits = (name: string): boolean => {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return name.length > 0
}

/** The pids listed in a /proc (thread-group leaders only: threads live under `task/`). */
export const listPids = (procRoot: string): Array<number> => {
  const out: Array<number> = []
  for (const name of listDir(procRoot) ?? []) if (isDigits(name)) out.push(Number(name))
  return out
}

/**
 * The number in a namespace link (`net:[4026531840]` -> `4026531840`), kept as text: namespace inodes are
 * only compared.
 */
export const namespaceInode = (link: string | undefined): string | undefined => {
  if (link === undefined) return undefined
  const open = link.indexOf("[")
  const close = link.lastIndexOf("]")
  return open >= 0 && close > open ? link.slice(open + 1, close) : undefined
}
