import { readFileSync } from "node:fs"
import * as os from "node:os"
import { Fields, PluginRegistry, Report } from "@orchestrator/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as HostCollector from "../src/HostCollector.js"
import {
  cpuPercent,
  looksLikeWholeDisk,
  parseCpuTimes,
  parseDiskstats,
  parseMeminfo,
  parseNetDev,
  parseOsRelease,
  rate
} from "../src/internal/procfs.js"

const probe = { hostId: "test-host", probeId: "p1" }

describe("procfs parsers", () => {
  it("reads aggregate CPU time and turns two readings into percent of total capacity", () => {
    const before = parseCpuTimes("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n")!
    const after = parseCpuTimes("cpu  200 0 100 1550 150 0 0 0 0 0\n")!
    expect(before).toEqual({ total: 1000, idle: 850 })
    expect(cpuPercent(before, after)).toBe(15)
    expect(cpuPercent(after, after)).toBeUndefined()
    expect(parseCpuTimes("intr 1 2 3")).toBeUndefined()
  })

  it("reads memory in bytes, approximating MemAvailable on old kernels", () => {
    expect(parseMeminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 600 kB\n")).toEqual({
      total: 1_024_000,
      available: 614_400
    })
    expect(parseMeminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n")).toEqual({
      total: 1_024_000,
      available: 409_600
    })
  })

  it("sums network bytes over every interface but loopback", () => {
    const netdev = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 1000 10 0 0 0 0 0 0 1000 10 0 0 0 0 0 0
  eth0: 500 5 0 0 0 0 0 0 70 3 0 0 0 0 0 0
  eth1: 20 1 0 0 0 0 0 0 30 1 0 0 0 0 0 0
`
    expect(parseNetDev(netdev)).toEqual({ rx: 520, tx: 100 })
  })

  it("sums whole-disk sectors as bytes, skipping partitions and virtual devices", () => {
    const diskstats = [
      "   7       0 loop0 10 0 100 0 0 0 100 0 0 0 0",
      " 254       0 vda 38743 8323 2000 11322 31137 39399 4000 15670 0 5820 27703",
      " 254       1 vda1 100 0 1000 0 0 0 3000 0 0 0 0",
      " 259       0 nvme0n1 1 0 10 0 1 0 20 0 0 0 0",
      " 259       1 nvme0n1p1 1 0 10 0 1 0 20 0 0 0 0",
      " 253       0 dm-0 1 0 99 0 1 0 99 0 0 0 0"
    ].join("\n")
    expect(parseDiskstats(diskstats, looksLikeWholeDisk)).toEqual({
      read: (2000 + 10) * 512,
      written: (4000 + 20) * 512
    })
    expect(["sda", "vda", "nvme0n1", "mmcblk0", "xvda"].every(looksLikeWholeDisk)).toBe(true)
    expect(["sda1", "nvme0n1p2", "mmcblk0p1", "loop3", "dm-1", "md0", "zram0", "sr0"].some(looksLikeWholeDisk)).toBe(
      false
    )
  })

  it("reads PRETTY_NAME and computes rates, refusing counter resets", () => {
    expect(parseOsRelease('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toBe(
      "Debian GNU/Linux 12 (bookworm)"
    )
    expect(parseOsRelease("PRETTY_NAME=Alpine\n")).toBe("Alpine")
    expect(rate(100, 300, 2_000)).toBe(100)
    expect(rate(300, 100, 2_000)).toBeUndefined()
    expect(rate(100, 300, 0)).toBeUndefined()
  })
})

describe("HostCollector (this machine's /proc)", () => {
  it.live("reports the host node with plausible fields and, from the second run, rates", () =>
    Effect.gen(function* () {
      const registry = yield* PluginRegistry.make()
      yield* registry.register(HostCollector.plugin())
      const first = yield* registry.runCollectors(probe, 5_000)
      expect(first.health).toEqual([
        { name: "host/collector/host", status: "ok", durationMs: expect.any(Number), timestamp: expect.any(Number) }
      ])
      const firstNode = first.topologies.hosts!["test-host"]!
      expect(Object.keys(firstNode.metrics)).toEqual([Fields.Metrics.memory])
      yield* Effect.sleep(300)
      const second = yield* registry.runCollectors(probe, 5_000)
      const node = second.topologies.hosts!["test-host"]!
      const meminfo = readFileSync("/proc/meminfo", "utf8")
      const memTotal = Number(/MemTotal:\s+(\d+) kB/.exec(meminfo)![1]) * 1024
      const pretty = /PRETTY_NAME="?([^"\n]*)"?/.exec(readFileSync("/etc/os-release", "utf8"))![1]
      expect(node.id).toBe("test-host")
      expect(node.topology).toBe("hosts")
      expect(Report.latest(node, Fields.Latest.name)).toBe(os.hostname())
      expect(Report.latest(node, Fields.Latest.os)).toBe(pretty)
      expect(Report.latest(node, Fields.Latest.kernel)).toBe(os.release())
      expect(Report.latest(node, Fields.Latest.arch)).toBe(os.arch())
      expect(Number(Report.latest(node, Fields.Latest.cpuCores))).toBe(os.cpus().length)
      expect(Number(Report.latest(node, Fields.Latest.memoryTotal))).toBe(memTotal)
      expect(Number(Report.latest(node, Fields.Latest.uptime))).toBeGreaterThan(0)
      expect(Number(Report.latest(node, Fields.Latest.load1))).toBeGreaterThanOrEqual(0)
      const ips = Object.values(os.networkInterfaces())
        .flatMap((list) => list ?? [])
        .filter((a) => !a.internal)
        .map((a) => a.address)
      expect(node.sets[Fields.Sets.ips]).toEqual([...new Set(ips)].sort())
      expect(Object.keys(node.metrics).sort()).toEqual(
        [
          Fields.Metrics.cpu,
          Fields.Metrics.memory,
          Fields.Metrics.networkRx,
          Fields.Metrics.networkTx,
          Fields.Metrics.diskRead,
          Fields.Metrics.diskWrite
        ].sort()
      )
      for (const [metric, samples] of Object.entries(node.metrics)) {
        expect(samples).toHaveLength(1)
        const [timestamp, value] = samples[0]!
        expect(Math.abs(timestamp - Date.now())).toBeLessThan(10_000)
        expect(value, metric).toBeGreaterThanOrEqual(0)
      }
      expect(Report.lastSample(node, Fields.Metrics.cpu)).toBeLessThanOrEqual(100)
      const used = Report.lastSample(node, Fields.Metrics.memory)!
      expect(used).toBeGreaterThan(0)
      expect(used).toBeLessThan(memTotal)
      expect(
        Report.decodeSync({
          version: 1,
          probeId: "p1",
          hostname: "test-host",
          kind: "full",
          seq: 0,
          timestamp: Date.now(),
          topologies: { hosts: { nodes: { "test-host": node } } }
        }).topologies.hosts!.nodes["test-host"]
      ).toEqual(node)
    })
  )

  it.live("reads disk traffic from whole disks: writing a file shows in disk_write_bytes_per_second", () =>
    Effect.gen(function* () {
      const registry = yield* PluginRegistry.make()
      yield* registry.register(HostCollector.plugin())
      yield* registry.runCollectors(probe, 5_000)
      const { writeFileSync, rmSync, fsyncSync, openSync, closeSync } = yield* Effect.promise(() => import("node:fs"))
      const path = `${os.tmpdir()}/probe-disk-test-${process.pid}`
      const fd = openSync(path, "w")
      writeFileSync(fd, Buffer.alloc(8 * 1024 * 1024, 1))
      fsyncSync(fd)
      closeSync(fd)
      rmSync(path)
      yield* Effect.sleep(200)
      const second = yield* registry.runCollectors(probe, 5_000)
      const written = Report.lastSample(second.topologies.hosts!["test-host"]!, Fields.Metrics.diskWrite)
      // tmpfs /tmp writes nothing to disk; only assert when /tmp is on a real disk.
      const onTmpfs = readFileSync("/proc/mounts", "utf8")
        .split("\n")
        .some((line) => line.split(" ")[1] === os.tmpdir() && line.split(" ")[2] === "tmpfs")
      if (!onTmpfs) expect(written).toBeGreaterThan(0)
      else expect(written).toBeGreaterThanOrEqual(0)
    })
  )
})
