/**
 * The host collector: one node in the `hosts` topology for the machine the probe runs on, read straight from
 * /proc (a handful of small reads per run, no child processes, no heavy libraries).
 *
 * | field / metric                         | source                                      | unit                      |
 * |----------------------------------------|---------------------------------------------|---------------------------|
 * | `name`                                 | `os.hostname()`                             |                           |
 * | `os`                                   | `PRETTY_NAME` of /etc/os-release            |                           |
 * | `kernel_version`, `arch`, `cpu_cores`  | `os.release()`, `os.arch()`, `os.cpus()`    |                           |
 * | `memory_total_bytes`                   | `MemTotal` of /proc/meminfo                 | bytes                     |
 * | `uptime_seconds`, `load1`              | /proc/uptime, /proc/loadavg                 | seconds, run-queue length |
 * | set `ips`                              | `os.networkInterfaces()` (not loopback)     | IPv4 and IPv6             |
 * | metric `cpu`                           | /proc/stat deltas                           | percent of TOTAL capacity |
 * | metric `memory`                        | `MemTotal - MemAvailable`                   | bytes                     |
 * | metrics `network_{rx,tx}_bytes_per_second` | /proc/net/dev deltas, all interfaces but `lo` | bytes per second     |
 * | metrics `disk_{read,write}_bytes_per_second` | /proc/diskstats deltas, whole disks only (sectors x 512) | bytes per second |
 *
 * **Gotchas**
 *
 * - Host `cpu` is the percent of the whole machine (0-100 whatever the core count), unlike process and
 *   container `cpu`, which is the percent of one core. Multiply by `cpu_cores` for core-percent.
 * - Rates need two readings: the first run has no `cpu`, network or disk samples.
 * - Each {@link plugin} call keeps its own previous readings: register one instance per probe.
 * - In a container, mount the host's /proc (and /sys, /etc) and pass `procRoot` (`sysRoot`, `etcRoot`).
 *
 * @since 0.1.0
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs"
import * as os from "node:os"
import { Fields, Plugin, Report, Topology } from "@orchestrator/core"
import { Schema } from "effect"
import {
  type CpuTimes,
  cpuPercent,
  type DiskCounters,
  looksLikeWholeDisk,
  type NetCounters,
  parseCpuTimes,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseNetDev,
  parseOsRelease,
  parseUptime,
  rate
} from "./internal/procfs.js"

/**
 * The plugin's name, also its collector's name: health entries read `host/collector/host`.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "host"

/**
 * The host collector's options; every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export const Options = Schema.Struct({
  /** Where the host's /proc is mounted (default `/proc`). */
  procRoot: Schema.optionalKey(Schema.String),
  /** Where the host's /sys is mounted (default `/sys`). */
  sysRoot: Schema.optionalKey(Schema.String),
  /** Where the host's /etc is mounted (default `/etc`). */
  etcRoot: Schema.optionalKey(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Options = typeof Options.Type

const cacheMs = 60_000

interface Reading {
  readonly at: number
  readonly cpu: CpuTimes | undefined
  readonly net: NetCounters
  readonly disk: DiskCounters
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

/** The non-loopback addresses of this machine, sorted. */
const hostIps = (): ReadonlyArray<string> => {
  const out = new Set<string>()
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (!address.internal) out.add(address.address)
    }
  }
  return [...out].sort()
}

/**
 * Makes the host collector plugin.
 *
 * ```ts
 * import { HostCollector } from "@orchestrator/probe"
 * registry.register(HostCollector.plugin())
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const plugin = () => {
  let previous: Reading | undefined
  let disks: { readonly at: number; readonly test: (name: string) => boolean } | undefined
  let statics: { readonly at: number; readonly os: string | undefined; readonly cores: number } | undefined

  const wholeDisks = (sysRoot: string, now: number): ((name: string) => boolean) => {
    if (disks !== undefined && now - disks.at < cacheMs) return disks.test
    let test: (name: string) => boolean = looksLikeWholeDisk
    try {
      // A whole disk has an entry in /sys/block; virtual ones (loop, zram, dm, md) link under devices/virtual.
      const names = new Set(
        readdirSync(`${sysRoot}/block`).filter((entry) => {
          try {
            return !readlinkSync(`${sysRoot}/block/${entry}`).includes("/virtual/")
          } catch {
            return looksLikeWholeDisk(entry)
          }
        })
      )
      test = (device) => names.has(device)
    } catch {
      // no /sys: fall back to the name heuristic
    }
    disks = { at: now, test }
    return test
  }

  const staticInfo = (etcRoot: string, now: number) => {
    if (statics !== undefined && now - statics.at < cacheMs) return statics
    const release = readText(`${etcRoot}/os-release`) ?? readText("/usr/lib/os-release")
    statics = {
      at: now,
      os: release === undefined ? undefined : parseOsRelease(release),
      cores: Math.max(1, os.cpus().length)
    }
    return statics
  }

  return Plugin.definePlugin({
    name,
    version: "0.1.0",
    apiVersion: 1,
    description: "The host node: OS, kernel, cores, memory, uptime, load, IPs; CPU, memory, network and disk metrics",
    options: Options,
    collectors: [
      {
        name,
        collect: (ctx) => {
          const proc = ctx.options.procRoot ?? "/proc"
          const monotonic = performance.now()
          const now = ctx.now
          const info = staticInfo(ctx.options.etcRoot ?? "/etc", monotonic)
          const stat = readText(`${proc}/stat`)
          const meminfo = readText(`${proc}/meminfo`)
          const netdev = readText(`${proc}/net/dev`)
          const diskstats = readText(`${proc}/diskstats`)
          const loadavg = readText(`${proc}/loadavg`)
          const uptime = readText(`${proc}/uptime`)
          const memory = meminfo === undefined ? undefined : parseMeminfo(meminfo)
          const reading: Reading = {
            at: monotonic,
            cpu: stat === undefined ? undefined : parseCpuTimes(stat),
            net: netdev === undefined ? { rx: 0, tx: 0 } : parseNetDev(netdev),
            disk:
              diskstats === undefined
                ? { read: 0, written: 0 }
                : parseDiskstats(diskstats, wholeDisks(ctx.options.sysRoot ?? "/sys", monotonic))
          }
          const metrics: Record<string, ReadonlyArray<Report.Sample>> = {}
          const sample = (metric: string, value: number | undefined) => {
            if (value !== undefined && Number.isFinite(value)) metrics[metric] = [[now, round(value)]]
          }
          if (memory !== undefined) sample(Fields.Metrics.memory, memory.total - memory.available)
          if (previous !== undefined) {
            const elapsed = reading.at - previous.at
            if (previous.cpu !== undefined && reading.cpu !== undefined) {
              sample(Fields.Metrics.cpu, cpuPercent(previous.cpu, reading.cpu))
            }
            if (netdev !== undefined) {
              sample(Fields.Metrics.networkRx, rate(previous.net.rx, reading.net.rx, elapsed))
              sample(Fields.Metrics.networkTx, rate(previous.net.tx, reading.net.tx, elapsed))
            }
            if (diskstats !== undefined) {
              sample(Fields.Metrics.diskRead, rate(previous.disk.read, reading.disk.read, elapsed))
              sample(Fields.Metrics.diskWrite, rate(previous.disk.written, reading.disk.written, elapsed))
            }
          }
          previous = reading
          const uptimeSeconds = uptime === undefined ? undefined : parseUptime(uptime)
          const node = Report.makeNode(Topology.Topologies.hosts, ctx.hostId, {
            latest: Report.latestFields(now, {
              [Fields.Latest.name]: os.hostname(),
              [Fields.Latest.os]: info.os,
              [Fields.Latest.kernel]: os.release(),
              [Fields.Latest.arch]: os.arch(),
              [Fields.Latest.cpuCores]: info.cores,
              [Fields.Latest.memoryTotal]: memory?.total,
              [Fields.Latest.uptime]: uptimeSeconds === undefined ? undefined : Math.floor(uptimeSeconds),
              [Fields.Latest.load1]: loadavg === undefined ? undefined : parseLoadavg(loadavg)
            }),
            sets: { [Fields.Sets.ips]: hostIps() },
            metrics
          })
          return { topologies: { [Topology.Topologies.hosts]: { [ctx.hostId]: node } } }
        }
      }
    ]
  })
}

const round = (value: number): number => Math.round(value * 100) / 100
