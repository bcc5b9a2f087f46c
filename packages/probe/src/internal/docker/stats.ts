/**
 * Container resource counters, from the container's cgroup files (cgroup v1 and v2) and its network
 * namespace's /proc/<pid>/net/dev, or from the Engine API's stats as a fallback, and the rates between two
 * readings.
 *
 * Why cgroup files first: measured here with 40 running containers (cgroup v1, Docker 28), reading them cost
 * the probe 4.5 ms of CPU per run and nothing else, while `GET /containers/{id}/stats?stream=false&one-shot=true`
 * for each cost the probe 26 ms, dockerd and containerd 170 ms, and the machine about 725 ms of CPU in all,
 * and each answer waited about a second for dockerd's stats collector.
 */
import { existsSync, readFileSync } from "node:fs"
import { parseNetDev, rate } from "../procfs.js"

/** One reading of a container's counters; a counter the source does not have is absent. */
export interface Counters {
  /** When it was read, ms (monotonic for cgroup readings, the engine's clock for API readings). */
  readonly at: number
  /** CPU time used since the container started, ns. */
  readonly cpuNs?: number
  /** Memory in use without the inactive page cache, bytes (what `docker stats` shows). */
  readonly memory?: number
  readonly rx?: number
  readonly tx?: number
  readonly read?: number
  readonly written?: number
}

/** Rates between two readings. */
export interface Rates {
  /** Percent of one core. */
  readonly cpu?: number
  readonly memory?: number
  readonly rx?: number
  readonly tx?: number
  readonly read?: number
  readonly write?: number
}

/** Where a container's counters live on this host. */
export interface CgroupFiles {
  readonly version: 1 | 2
  /** v1: `cpuacct.usage` (ns); v2: `cpu.stat` (`usage_usec`). */
  readonly cpu: string | undefined
  /** v1: `memory.usage_in_bytes`; v2: `memory.current`. */
  readonly memory: string | undefined
  readonly memoryStat: string | undefined
  /** v1: `blkio.throttle.io_service_bytes`; v2: `io.stat`. */
  readonly io: string | undefined
  /** `/proc/<pid>/net/dev`, or `undefined` when the container shares the host's network. */
  readonly net: string | undefined
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

const exists = (path: string): boolean => existsSync(path)

/** Reads /proc/<pid>/cgroup into controller -> path (`""` for the v2 unified hierarchy). */
export const parseProcCgroup = (text: string): ReadonlyMap<string, { readonly dir: string; readonly path: string }> => {
  const out = new Map<string, { readonly dir: string; readonly path: string }>()
  for (const line of text.split("\n")) {
    const first = line.indexOf(":")
    const second = line.indexOf(":", first + 1)
    if (first < 0 || second < 0) continue
    const controllers = line.slice(first + 1, second)
    const path = line.slice(second + 1)
    if (controllers === "") {
      out.set("", { dir: "", path })
      continue
    }
    for (const controller of controllers.split(",")) out.set(controller, { dir: controllers, path })
  }
  return out
}

/**
 * Finds a container's cgroup files from the cgroup of its first process (`pid`), which works for the
 * cgroupfs and systemd drivers, v1 and v2 alike. Falls back to the usual layouts (`docker/<id>`,
 * `system.slice/docker-<id>.scope`) when the paths from /proc do not exist here (a probe in its own cgroup
 * namespace). `undefined` when nothing readable is found: the caller then asks the Engine API.
 */
export const locateCgroup = (options: {
  readonly procRoot: string
  readonly cgroupRoot: string
  readonly pid: number
  readonly id: string
  readonly hostNetwork: boolean
}): CgroupFiles | undefined => {
  const { procRoot, cgroupRoot, pid, id } = options
  if (pid <= 0) return undefined
  const text = readText(`${procRoot}/${pid}/cgroup`)
  if (text === undefined) return undefined
  const cgroups = parseProcCgroup(text)
  const net = options.hostNetwork ? undefined : `${procRoot}/${pid}/net/dev`
  const layouts = [`/docker/${id}`, `/system.slice/docker-${id}.scope`]
  const v1dir = (controller: string): string | undefined => {
    const entry = cgroups.get(controller)
    if (entry === undefined) return undefined
    const mounts = [entry.dir, controller]
    for (const mount of mounts) {
      for (const path of [entry.path, ...layouts]) {
        const dir = `${cgroupRoot}/${mount}${path}`
        if (exists(`${dir}/cgroup.procs`)) return dir
      }
    }
    return undefined
  }
  if (cgroups.has("cpuacct") || cgroups.has("memory")) {
    const cpu = v1dir("cpuacct")
    const memory = v1dir("memory")
    const blkio = v1dir("blkio")
    if (cpu === undefined && memory === undefined) return undefined
    return {
      version: 1,
      cpu: cpu === undefined ? undefined : `${cpu}/cpuacct.usage`,
      memory: memory === undefined ? undefined : `${memory}/memory.usage_in_bytes`,
      memoryStat: memory === undefined ? undefined : `${memory}/memory.stat`,
      io: blkio === undefined ? undefined : `${blkio}/blkio.throttle.io_service_bytes`,
      net
    }
  }
  const unified = cgroups.get("")
  if (unified === undefined) return undefined
  for (const path of [unified.path, ...layouts]) {
    const dir = `${cgroupRoot}${path === "/" ? "" : path}`
    if (!exists(`${dir}/cpu.stat`)) continue
    return {
      version: 2,
      cpu: `${dir}/cpu.stat`,
      memory: `${dir}/memory.current`,
      memoryStat: `${dir}/memory.stat`,
      io: `${dir}/io.stat`,
      net
    }
  }
  return undefined
}

/** A `key value` line of a flat-keyed file (`memory.stat`, `cpu.stat`). */
export const keyedValue = (text: string, key: string): number | undefined => {
  let at = text.startsWith(`${key} `) ? 0 : text.indexOf(`\n${key} `)
  if (at < 0) return undefined
  if (at > 0) at += 1
  const end = text.indexOf("\n", at)
  const value = Number(text.slice(at + key.length + 1, end < 0 ? undefined : end))
  return Number.isFinite(value) ? value : undefined
}

/** Sums `Read` and `Write` bytes over devices in a v1 `blkio.*io_service_bytes` file. */
export const parseBlkio = (text: string): { readonly read: number; readonly written: number } => {
  let read = 0
  let written = 0
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/)
    if (f.length !== 3) continue
    const value = Number(f[2])
    if (!Number.isFinite(value)) continue
    if (f[1] === "Read") read += value
    else if (f[1] === "Write") written += value
  }
  return { read, written }
}

/** Sums `rbytes` and `wbytes` over devices in a v2 `io.stat` file. */
export const parseIoStat = (text: string): { readonly read: number; readonly written: number } => {
  let read = 0
  let written = 0
  for (const match of text.matchAll(/\b([rw])bytes=(\d+)/g)) {
    if (match[1] === "r") read += Number(match[2])
    else written += Number(match[2])
  }
  return { read, written }
}

/** A file's text, or `undefined` when there is no such file for this container or it cannot be read. */
const textIn = (path: string | undefined): string | undefined => (path === undefined ? undefined : readText(path))

const numberIn = (path: string | undefined): number | undefined => {
  const text = textIn(path)
  if (text === undefined) return undefined
  const value = Number(text.trim())
  return Number.isFinite(value) ? value : undefined
}

/**
 * Memory in use without the inactive page cache, as `docker stats` shows it: `inactiveKey` names that cache
 * in `memory.stat` (v1 `total_inactive_file`, v2 `inactive_file`).
 */
const memoryIn = (files: CgroupFiles, inactiveKey: string): number | undefined => {
  const usage = numberIn(files.memory)
  if (usage === undefined) return undefined
  const stat = textIn(files.memoryStat)
  const inactive = stat === undefined ? undefined : keyedValue(stat, inactiveKey)
  return Math.max(0, usage - (inactive ?? 0))
}

/** Reads a container's counters from its cgroup files; `undefined` when its cgroup is gone. */
export const readCgroup = (files: CgroupFiles, at: number): Counters | undefined => {
  const out: { -readonly [K in keyof Counters]: Counters[K] } = { at }
  const v1 = files.version === 1
  if (v1) {
    const cpu = numberIn(files.cpu)
    if (cpu === undefined && files.cpu !== undefined) return undefined
    if (cpu !== undefined) out.cpuNs = cpu
  } else {
    const cpuStat = textIn(files.cpu)
    if (cpuStat === undefined) return undefined
    const usec = keyedValue(cpuStat, "usage_usec")
    if (usec !== undefined) out.cpuNs = usec * 1000
  }
  const memory = memoryIn(files, v1 ? "total_inactive_file" : "inactive_file")
  if (memory !== undefined) out.memory = memory
  const io = textIn(files.io)
  if (io !== undefined) {
    const { read, written } = v1 ? parseBlkio(io) : parseIoStat(io)
    out.read = read
    out.written = written
  }
  const netdev = textIn(files.net)
  if (netdev !== undefined) {
    const { rx, tx } = parseNetDev(netdev)
    out.rx = rx
    out.tx = tx
  }
  return out
}

type Json = Readonly<Record<string, unknown>>
const obj = (u: unknown): Json => (typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Json) : {})
const num = (u: unknown): number | undefined => (typeof u === "number" && Number.isFinite(u) ? u : undefined)

/**
 * Reads `GET /containers/{id}/stats?stream=false&one-shot=true`; `undefined` when it holds no reading (a
 * container that stopped answers zeros and a zero `read` time).
 */
export const readApiStats = (json: unknown, hostNetwork: boolean): Counters | undefined => {
  const stats = obj(json)
  const read = typeof stats.read === "string" ? Date.parse(stats.read) : Number.NaN
  if (!Number.isFinite(read) || read <= 0) return undefined
  const out: { -readonly [K in keyof Counters]: Counters[K] } = { at: read }
  const cpu = num(obj(obj(stats.cpu_stats).cpu_usage).total_usage)
  if (cpu !== undefined) out.cpuNs = cpu
  const memory = obj(stats.memory_stats)
  const usage = num(memory.usage)
  if (usage !== undefined) {
    const detail = obj(memory.stats)
    const inactive = num(detail.total_inactive_file) ?? num(detail.inactive_file) ?? 0
    out.memory = Math.max(0, usage - inactive)
  }
  if (!hostNetwork && stats.networks !== undefined) {
    let rx = 0
    let tx = 0
    for (const network of Object.values(obj(stats.networks))) {
      rx += num(obj(network).rx_bytes) ?? 0
      tx += num(obj(network).tx_bytes) ?? 0
    }
    out.rx = rx
    out.tx = tx
  }
  const io = obj(stats.blkio_stats).io_service_bytes_recursive
  if (Array.isArray(io)) {
    let r = 0
    let w = 0
    for (const entry of io) {
      const op = String(obj(entry).op).toLowerCase()
      const value = num(obj(entry).value) ?? 0
      if (op === "read") r += value
      else if (op === "write") w += value
    }
    out.read = r
    out.written = w
  }
  return out
}

const round = (value: number): number => Math.round(value * 100) / 100

/** Rates between two readings of one container (memory is the newer reading). */
export const rates = (before: Counters | undefined, after: Counters): Rates => {
  const out: { -readonly [K in keyof Rates]: Rates[K] } = {}
  if (after.memory !== undefined) out.memory = after.memory
  if (before === undefined) return out
  const elapsed = after.at - before.at
  const between = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined || b === undefined ? undefined : rate(a, b, elapsed)
  const cpu = between(before.cpuNs, after.cpuNs)
  // ns of CPU per second over 1e9 ns per second of one core, in percent
  if (cpu !== undefined) out.cpu = round(cpu / 1e7)
  const rx = between(before.rx, after.rx)
  if (rx !== undefined) out.rx = round(rx)
  const tx = between(before.tx, after.tx)
  if (tx !== undefined) out.tx = round(tx)
  const read = between(before.read, after.read)
  if (read !== undefined) out.read = round(read)
  const write = between(before.written, after.written)
  if (write !== undefined) out.write = round(write)
  return out
}
