/**
 * The baseline for the network collector: what Weave Scope's probe did every interval, a full walk of every
 * process's file descriptors (`readlink /proc/<pid>/fd/*`) to map socket inodes to processes, plus reading
 * the host's TCP tables.
 *
 * @since 0.1.0
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs"

/** Walks every fd of every process once; returns how many sockets it found. */
export const walkAllFds = (procRoot = "/proc"): number => {
  let sockets = 0
  for (const pid of readdirSync(procRoot)) {
    if (!/^\d+$/.test(pid)) continue
    let fds: Array<string>
    try {
      fds = readdirSync(`${procRoot}/${pid}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`${procRoot}/${pid}/fd/${fd}`).startsWith("socket:")) sockets++
      } catch {
        // closed meanwhile
      }
    }
  }
  for (const table of ["tcp", "tcp6", "udp", "udp6"]) {
    try {
      readFileSync(`${procRoot}/net/${table}`, "utf8")
    } catch {
      // no such table
    }
  }
  return sockets
}
