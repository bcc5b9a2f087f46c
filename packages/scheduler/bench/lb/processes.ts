/**
 * CPU accounting and placement of the bench's processes, from `/proc` and cgroup v1: CPU time of a process, of a
 * container's cgroup, of the whole machine and of this process; the docker-proxy of a published port; CPU
 * affinity (`taskset`) of a process and all its threads.
 */
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"

const ticksPerMs = 100 / 1000

/** CPU time (ms) of a process and its reaped children, from `/proc/<pid>/stat`; 0 once it is gone. */
export const procCpuMs = (pid: number | undefined): number => {
  if (pid === undefined) return 0
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    // utime stime cutime cstime are fields 14-17 of stat, 12-15 after pid, comm and state
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / ticksPerMs
  } catch {
    return 0
  }
}

/** CPU time (ms) of a cgroup v1 `cpuacct` group, or of the process when the group cannot be read. */
export const cgroupCpuMs = (pid: number): number => {
  try {
    const line = readFileSync(`/proc/${pid}/cgroup`, "utf8")
      .split("\n")
      .find((l) => /(^|[:,])cpuacct([:,])/.test(l))
    const path = line?.slice(line.lastIndexOf(":") + 1)
    if (path !== undefined) return Number(readFileSync(`/sys/fs/cgroup/cpuacct${path}/cpuacct.usage`, "utf8")) / 1e6
  } catch {}
  return procCpuMs(pid)
}

/** The docker-proxy process serving a published host port. */
export const dockerProxyPid = (hostPort: number): number | undefined => {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")
      const at = args.indexOf("-host-port")
      if (args[0]?.endsWith("docker-proxy") && args[at + 1] === String(hostPort)) return Number(entry)
    } catch {}
  }
  return undefined
}

/** Busy CPU time (ms) of the whole machine so far, from `/proc/stat`. */
export const machineBusyMs = (): number => {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/)
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number)
  return (user! + nice! + system! + irq! + softirq! + steal!) / ticksPerMs
}

/** CPU time (ms) of this process so far. */
export const ownCpuMs = (): number => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

/** Pins a process and all its threads to `cpus` (a `taskset` list such as `0` or `0,1`); false if it could not. */
export const pin = (pid: number | undefined, cpus: string): boolean => {
  if (pid === undefined) return false
  try {
    execFileSync("taskset", ["-a", "-cp", cpus, String(pid)], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/**
 * How many times a listening socket's accept queue overflowed in the network namespace of `pid` (each is a SYN or
 * handshake dropped, which the client retransmits after its 1 s initial timeout), from `TcpExt: ListenOverflows`
 * of `/proc/<pid>/net/netstat`; 0 when it cannot be read.
 */
export const listenOverflows = (pid: number): number => {
  try {
    const [names, values] = readFileSync(`/proc/${pid}/net/netstat`, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("TcpExt:"))
      .map((line) => line.split(" "))
    const at = names?.indexOf("ListenOverflows") ?? -1
    return at < 0 ? 0 : Number(values?.[at] ?? 0)
  } catch {
    return 0
  }
}
