/**
 * Parsers for the /proc files the host collector reads. Pure: they take the file's text, so tests can feed
 * them fixtures, and the collector reads each file once per run.
 */

/** Aggregate CPU time from the first line of /proc/stat, in clock ticks. */
export interface CpuTimes {
  /** Every tick counted (user, nice, system, idle, iowait, irq, softirq, steal). */
  readonly total: number
  /** Ticks spent idle or waiting for I/O. */
  readonly idle: number
}

/** Reads the `cpu ` line of /proc/stat. Guest time is already part of user time, so it is not added. */
export const parseCpuTimes = (stat: string): CpuTimes | undefined => {
  const end = stat.indexOf("\n")
  const line = end === -1 ? stat : stat.slice(0, end)
  if (!line.startsWith("cpu ")) return undefined
  const f = line.slice(4).trim().split(/\s+/).map(Number)
  if (f.length < 4 || f.some((n) => !Number.isFinite(n))) return undefined
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait }
}

/**
 * CPU use between two readings as a percent of the host's total capacity (0-100, all cores together), or
 * `undefined` when no time passed.
 */
export const cpuPercent = (before: CpuTimes, after: CpuTimes): number | undefined => {
  const total = after.total - before.total
  if (total <= 0) return undefined
  const busy = total - (after.idle - before.idle)
  return Math.min(100, Math.max(0, (busy / total) * 100))
}

/** Reads `Key: value kB` lines of /proc/meminfo into bytes. */
export const parseMeminfo = (meminfo: string): { readonly total: number; readonly available: number } | undefined => {
  let total: number | undefined
  let available: number | undefined
  let free = 0
  let buffers = 0
  let cached = 0
  for (const line of meminfo.split("\n")) {
    const colon = line.indexOf(":")
    if (colon === -1) continue
    const key = line.slice(0, colon)
    const rest = line.slice(colon + 1).trim()
    const value = Number.parseInt(rest, 10) * (rest.endsWith("kB") ? 1024 : 1)
    if (!Number.isFinite(value)) continue
    if (key === "MemTotal") total = value
    else if (key === "MemAvailable") available = value
    else if (key === "MemFree") free = value
    else if (key === "Buffers") buffers = value
    else if (key === "Cached") cached = value
  }
  if (total === undefined) return undefined
  // Kernels before 3.14 have no MemAvailable: approximate it the way `free` did.
  return { total, available: available ?? free + buffers + cached }
}

/** Byte counters of one network interface. */
export interface NetCounters {
  readonly rx: number
  readonly tx: number
}

/** Sums received and transmitted bytes over every interface in /proc/net/dev except loopback. */
export const parseNetDev = (netdev: string): NetCounters => {
  let rx = 0
  let tx = 0
  for (const line of netdev.split("\n")) {
    const colon = line.indexOf(":")
    if (colon === -1) continue
    const name = line.slice(0, colon).trim()
    if (name === "lo" || name === "") continue
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
    const r = Number(f[0])
    const t = Number(f[8])
    if (Number.isFinite(r) && Number.isFinite(t)) {
      rx += r
      tx += t
    }
  }
  return { rx, tx }
}

/** Bytes read and written by whole disks. */
export interface DiskCounters {
  readonly read: number
  readonly written: number
}

/**
 * Sums bytes read and written over the whole disks in /proc/diskstats (sectors are always 512 bytes there,
 * whatever the device's sector size). `isWholeDisk` decides which devices count, so partitions and stacked
 * devices (dm, md) are not counted twice.
 */
export const parseDiskstats = (diskstats: string, isWholeDisk: (name: string) => boolean): DiskCounters => {
  let read = 0
  let written = 0
  for (const line of diskstats.split("\n")) {
    const f = line.trim().split(/\s+/)
    if (f.length < 10) continue
    const name = f[2]!
    if (!isWholeDisk(name)) continue
    const r = Number(f[5])
    const w = Number(f[9])
    if (Number.isFinite(r) && Number.isFinite(w)) {
      read += r * 512
      written += w * 512
    }
  }
  return { read, written }
}

const virtualPrefixes = ["loop", "ram", "zram", "dm-", "md", "sr", "fd", "nbd"]

/**
 * Whether a block device name looks like a whole physical disk, for when /sys/block cannot be read:
 * not a virtual device and not a partition (`sda1`, `nvme0n1p1`, `mmcblk0p1`).
 */
export const looksLikeWholeDisk = (name: string): boolean => {
  if (virtualPrefixes.some((prefix) => name.startsWith(prefix))) return false
  if (/^(nvme\d+n\d+|mmcblk\d+)p\d+$/.test(name)) return false
  if (/^(nvme\d+n\d+|mmcblk\d+)$/.test(name)) return true
  return !/\d$/.test(name)
}

/** The first three numbers of /proc/loadavg. */
export const parseLoadavg = (loadavg: string): number | undefined => {
  const first = Number(loadavg.trim().split(/\s+/)[0])
  return Number.isFinite(first) ? first : undefined
}

/** Seconds since boot from /proc/uptime. */
export const parseUptime = (uptime: string): number | undefined => {
  const first = Number(uptime.trim().split(/\s+/)[0])
  return Number.isFinite(first) ? first : undefined
}

/** `PRETTY_NAME` from /etc/os-release (quotes removed). */
export const parseOsRelease = (osRelease: string): string | undefined => {
  for (const line of osRelease.split("\n")) {
    if (!line.startsWith("PRETTY_NAME=")) continue
    const raw = line.slice("PRETTY_NAME=".length).trim()
    return raw.replace(/^(["'])(.*)\1$/, "$2").replace(/\\(.)/g, "$1")
  }
  return undefined
}

/** A per-second rate between two counter readings, or `undefined` when time did not move or a counter reset. */
export const rate = (before: number, after: number, elapsedMs: number): number | undefined => {
  if (elapsedMs <= 0 || after < before) return undefined
  return ((after - before) * 1000) / elapsedMs
}
