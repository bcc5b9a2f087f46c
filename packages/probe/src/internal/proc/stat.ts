/**
 * Parsers for the per-process files the process collector reads: `stat` (every run), `status` (the uid, once
 * per process) and `cmdline` (once per process).
 */

/** `PF_KTHREAD` in the `flags` field of /proc/<pid>/stat: the task is a kernel thread. */
const kernelThreadFlag = 0x00200000

/** What the process collector takes from /proc/<pid>/stat. */
export interface PidStat {
  readonly pid: number
  /** The executable's name as the kernel keeps it (at most 15 characters). */
  readonly comm: string
  /** `R`, `S`, `D`, `Z`, `T`... */
  readonly state: string
  readonly ppid: number
  readonly kernelThread: boolean
  /** User plus system CPU time, in clock ticks. */
  readonly ticks: number
  readonly threads: number
  /** When the process started, in clock ticks after boot: with the pid, it names one process. */
  readonly startTime: number
  /** Resident set size, in pages. */
  readonly rssPages: number
}

/**
 * Reads /proc/<pid>/stat. The command name sits in parentheses and may itself hold spaces and parentheses,
 * so the fields are counted from the LAST `)`.
 */
export const parseStat = (text: string): PidStat | undefined => {
  const open = text.indexOf("(")
  const close = text.lastIndexOf(")")
  if (open <= 0 || close < open) return undefined
  const pid = Number(text.slice(0, open))
  // Fields after ")": state is field 3 of stat(5), so rest[i] is field i + 3.
  const rest = text.slice(close + 2).split(" ")
  if (rest.length < 22 || !Number.isInteger(pid)) return undefined
  const num = (field: number) => Number(rest[field - 3])
  const flags = num(9)
  const stat: PidStat = {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0]!,
    ppid: num(4),
    kernelThread: Number.isFinite(flags) && (flags & kernelThreadFlag) !== 0,
    ticks: num(14) + num(15),
    threads: num(20),
    startTime: num(22),
    rssPages: num(24)
  }
  return Number.isFinite(stat.ppid) && Number.isFinite(stat.ticks) && Number.isFinite(stat.startTime) ? stat : undefined
}

/** The real uid from the `Uid:` line of /proc/<pid>/status. */
export const parseStatusUid = (text: string): number | undefined => {
  const at = text.indexOf("\nUid:")
  if (at < 0) return undefined
  const uid = Number.parseInt(text.slice(at + 5).trimStart(), 10)
  return Number.isInteger(uid) ? uid : undefined
}

/**
 * The command line from /proc/<pid>/cmdline (arguments separated by NULs) as one line, cut at `maxLength`
 * characters. Empty for kernel threads and zombies.
 */
export const parseCmdline = (text: string, maxLength: number): string => {
  let end = text.length
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--
  const line = text.slice(0, end).replaceAll("\0", " ")
  return line.length > maxLength ? line.slice(0, maxLength) : line
}

/**
 * The name to show for a process: the kernel's `comm`, or, when `comm` was cut at 15 characters, the base
 * name of the program in the command line it is a prefix of (`kube-controller` -> `kube-controller-manager`).
 */
export const processName = (comm: string, cmdline: string): string => {
  if (comm.length < 15 || cmdline === "") return comm
  const program = cmdline.split(" ", 1)[0]!
  const base = program.slice(program.lastIndexOf("/") + 1)
  return base.startsWith(comm) ? base : comm
}
