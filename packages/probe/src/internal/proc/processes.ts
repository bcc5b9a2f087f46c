/**
 * The incremental process table behind the process collector. Each run lists /proc and reads ONE file per
 * process, /proc/<pid>/stat (ppid, CPU ticks, threads, RSS, start time). What rarely changes is read once per
 * process (a pid plus its start time names one process; a new `comm` means it exec'd):
 * the command line, the uid (from `status`), the working directory and the cgroup. Open file descriptors are
 * counted at a slower cadence, staggered by pid so each run counts a share of the processes, and the
 * working directory is refreshed at the same time.
 */
import { type CgroupOwner, parseCgroup } from "./cgroup.js"
import { listDir, listPids, readLink, readProcFile } from "./read.js"
import { parseCmdline, parseStat, parseStatusUid, type PidStat, processName } from "./stat.js"
import { UserNames } from "./users.js"

/** One process as the collector reports it. */
export interface ProcessInfo {
  readonly pid: number
  readonly ppid: number
  readonly name: string
  readonly cmdline: string
  readonly uid: number | undefined
  readonly user: string | undefined
  readonly cwd: string | undefined
  readonly threads: number
  readonly rssBytes: number
  /** Percent of one core since the previous run; absent on a process's first run. */
  readonly cpuPercent: number | undefined
  readonly openFiles: number | undefined
  readonly owner: CgroupOwner
  readonly kernelThread: boolean
  /** The probe's own process. */
  readonly self: boolean
}

/** How the scanner reads. */
export interface ScannerSettings {
  readonly procRoot: string
  readonly passwdPath: string
  /** Clock ticks per second of the times in /proc/<pid>/stat (`USER_HZ`, 100 on every mainstream kernel). */
  readonly clockTicks: number
  /** Count open files of each process every this many runs. */
  readonly openFilesEvery: number
  readonly maxCommandLength: number
  /** Read kernel threads' details (they have no command line, files or cgroup of their own). */
  readonly kernelThreads: boolean
}

interface Known {
  readonly startTime: number
  readonly comm: string
  readonly cmdline: string
  readonly name: string
  readonly uid: number | undefined
  readonly owner: CgroupOwner
  cwd: string | undefined
  openFiles: number | undefined
  ticks: number
  at: number
}

/** What a scan cost: files and links read, for benchmarks and tests. */
export interface ScanStats {
  readonly processes: number
  /** Processes seen for the first time (whose static details were read). */
  readonly fresh: number
  /** Processes whose open files were counted this run. */
  readonly fdCounts: number
}

const noOwner: CgroupOwner = {}

/** The process table, kept between runs. */
export class ProcessScanner {
  private known = new Map<number, Known>()
  private readonly users: UserNames
  private run = 0
  private selfPid: number | undefined
  private pageSize: number | undefined
  stats: ScanStats = { processes: 0, fresh: 0, fdCounts: 0 }

  constructor(private readonly settings: ScannerSettings) {
    this.users = new UserNames(settings.passwdPath)
  }

  /** Reads every process; `now` is a monotonic time in ms (`performance.now()`). */
  scan(now: number): Array<ProcessInfo> {
    const { procRoot, kernelThreads } = this.settings
    const run = this.run++
    this.selfPid ??= Number(readLink(`${procRoot}/self`)) || undefined
    this.pageSize ??= detectPageSize(procRoot)
    const next = new Map<number, Known>()
    const out: Array<ProcessInfo> = []
    const containers = new Set<string>()
    let fresh = 0
    let fdCounts = 0
    for (const pid of listPids(procRoot)) {
      const text = readProcFile(`${procRoot}/${pid}/stat`)
      const stat = text === undefined ? undefined : parseStat(text)
      if (stat === undefined || stat.state === "Z") continue
      if (stat.kernelThread && !kernelThreads) continue
      let known = this.known.get(pid)
      let cpuPercent: number | undefined
      if (known !== undefined && known.startTime === stat.startTime && known.comm === stat.comm) {
        const seconds = (now - known.at) / 1000
        if (seconds > 0 && stat.ticks >= known.ticks) {
          cpuPercent = round(((stat.ticks - known.ticks) / this.settings.clockTicks / seconds) * 100)
        }
        known.ticks = stat.ticks
        known.at = now
      } else {
        known = this.readStatics(pid, stat, now)
        fresh++
      }
      // Staggered by pid: each run counts about 1/openFilesEvery of the processes, new ones at once.
      const due = known.openFiles === undefined || (pid + run) % this.settings.openFilesEvery === 0
      if (due && !stat.kernelThread) {
        known.openFiles = listDir(`${procRoot}/${pid}/fd`)?.length
        known.cwd = readLink(`${procRoot}/${pid}/cwd`) ?? known.cwd
        fdCounts++
      }
      next.set(pid, known)
      const containerId = known.owner.containerId
      if (containerId !== undefined) containers.add(containerId)
      const user =
        known.uid === undefined
          ? undefined
          : containerId === undefined
            ? this.users.hostName(known.uid, now)
            : this.users.containerName(containerId, `${procRoot}/${pid}/root/etc/passwd`, known.uid, now)
      out.push({
        pid,
        ppid: stat.ppid,
        name: known.name,
        cmdline: known.cmdline,
        uid: known.uid,
        user,
        cwd: known.cwd,
        threads: stat.threads,
        rssBytes: stat.rssPages * this.pageSize,
        cpuPercent,
        openFiles: known.openFiles,
        owner: known.owner,
        kernelThread: stat.kernelThread,
        self: pid === this.selfPid
      })
    }
    this.known = next
    this.users.retain(containers)
    this.stats = { processes: out.length, fresh, fdCounts }
    return out
  }

  private readStatics(pid: number, stat: PidStat, now: number): Known {
    const { procRoot, maxCommandLength } = this.settings
    if (stat.kernelThread) {
      return {
        startTime: stat.startTime,
        comm: stat.comm,
        cmdline: "",
        name: stat.comm,
        uid: 0,
        owner: noOwner,
        cwd: undefined,
        openFiles: undefined,
        ticks: stat.ticks,
        at: now
      }
    }
    const raw = readProcFile(`${procRoot}/${pid}/cmdline`, "utf8", maxCommandLength * 4 + 64)
    const cmdline = raw === undefined ? "" : parseCmdline(raw, maxCommandLength)
    const status = readProcFile(`${procRoot}/${pid}/status`)
    const cgroup = readProcFile(`${procRoot}/${pid}/cgroup`)
    return {
      startTime: stat.startTime,
      comm: stat.comm,
      cmdline,
      name: processName(stat.comm, cmdline),
      uid: status === undefined ? undefined : parseStatusUid(status),
      owner: cgroup === undefined ? noOwner : parseCgroup(cgroup),
      cwd: undefined,
      openFiles: undefined,
      ticks: stat.ticks,
      at: now
    }
  }
}

/** The kernel's page size, from the first `KernelPageSize` of /proc/self/smaps (4 KiB when unreadable). */
const detectPageSize = (procRoot: string): number => {
  const smaps = readProcFile(`${procRoot}/self/smaps`, "latin1", 64 * 1024)
  const match = smaps === undefined ? null : /KernelPageSize:\s+(\d+) kB/.exec(smaps)
  return match === null ? 4096 : Number(match[1]) * 1024
}

const round = (value: number): number => Math.round(value * 100) / 100
