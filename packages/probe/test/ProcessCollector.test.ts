import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Fields, NodeId, Report } from "@orchestrator/core"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { dockerFixture, requireDocker } from "../../../test/fixtures/index.js"
import { sleep, waitFor } from "../../../test/fixtures/process.js"
import { ownerOfPath, parseCgroup } from "../src/internal/proc/cgroup.js"
import { ProcessScanner } from "../src/internal/proc/processes.js"
import { parseCmdline, parseStat, parseStatusUid, processName } from "../src/internal/proc/stat.js"
import { parsePasswd } from "../src/internal/proc/users.js"
import * as ProcessCollector from "../src/ProcessCollector.js"
import { scopedContainer } from "./docker/helpers.js"
import { collectorRun, decodeReport, healthyRun, procCounts, scopedScript, vmRss } from "./proc/helpers.js"

const hostId = "test-host"
const probe = { hostId, probeId: "p1" }
const id64 = (c: string) => c.repeat(64)

describe("process parsers", () => {
  it("reads /proc/<pid>/stat, counting fields from the last parenthesis", () => {
    // A real line of this machine, with a command name holding spaces and parentheses.
    const line =
      "4520 (a) b (c)) S 4503 4520 4520 0 -1 4194560 7748 74166 0 22 2 4 43 17 20 0 3 0 1100824 5124096 981 18446744073709551615 0"
    expect(parseStat(line)).toEqual({
      pid: 4520,
      comm: "a) b (c)",
      state: "S",
      ppid: 4503,
      kernelThread: false,
      ticks: 6,
      threads: 3,
      startTime: 1100824,
      rssPages: 981
    })
    const kthread = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 1 0 0 20 0 1 0 2 0 0 18446744073709551615"
    expect(parseStat(kthread)?.kernelThread).toBe(true)
    expect(parseStat("garbage")).toBeUndefined()
    const self = parseStat(readFileSync("/proc/self/stat", "latin1"))!
    expect(self.pid).toBe(process.pid)
    expect(self.ppid).toBe(process.ppid)
  })

  it("reads the uid, the command line and the display name", () => {
    expect(parseStatusUid("Name:\tbash\nUmask:\t0022\nState:\tS\nUid:\t1000\t1000\t1000\t1000\nGid:\t0\n")).toBe(1000)
    expect(parseCmdline("/usr/bin/node\0server.js\0--port\x008080\0", 4096)).toBe("/usr/bin/node server.js --port 8080")
    expect(parseCmdline("abcdef\0", 3)).toBe("abc")
    expect(processName("kube-controller", "/usr/local/bin/kube-controller-manager --v=2")).toBe(
      "kube-controller-manager"
    )
    expect(processName("nginx", "nginx: worker process")).toBe("nginx")
    expect(processName("kworker/0:1-eve", "")).toBe("kworker/0:1-eve")
  })

  it("finds container ids and pod uids in cgroup v1 and v2 paths of Docker, containerd, CRI-O and Kubernetes", () => {
    const a = id64("a")
    const b = id64("b")
    expect(parseCgroup(`12:memory:/docker/${a}\n11:cpu,cpuacct:/docker/${a}\n0::/docker/${a}\n`)).toEqual({
      containerId: a
    })
    expect(parseCgroup(`0::/system.slice/docker-${a}.scope\n`)).toEqual({ containerId: a })
    expect(parseCgroup("9:name=systemd:/\n4:memory:/user.slice\n0::/\n")).toEqual({})
    expect(
      ownerOfPath(
        `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b6f3f3e_1c2d_4e5f_8a9b_0123456789ab.slice/cri-containerd-${a}.scope`
      )
    ).toEqual({ containerId: a, podUid: "0b6f3f3e-1c2d-4e5f-8a9b-0123456789ab" })
    expect(ownerOfPath(`/kubepods/besteffort/pod0b6f3f3e-1c2d-4e5f-8a9b-0123456789ab/${a}`)).toEqual({
      containerId: a,
      podUid: "0b6f3f3e-1c2d-4e5f-8a9b-0123456789ab"
    })
    expect(ownerOfPath(`/kubepods/pod6c4e1f0a9b8d7c6e5f4a3b2c1d0e9f8a/${a}`)).toEqual({
      containerId: a,
      podUid: "6c4e1f0a9b8d7c6e5f4a3b2c1d0e9f8a"
    })
    expect(ownerOfPath(`/machine.slice/libpod-${a}.scope/container`)).toEqual({ containerId: a })
    expect(ownerOfPath(`/system.slice/crio-${a}.scope`)).toEqual({ containerId: a })
    // conmon watches a CRI-O container from beside it: a host process.
    expect(ownerOfPath(`/system.slice/crio-conmon-${a}.scope`)).toEqual({})
    // Docker in Docker: the outer container is the one the host's runtime knows.
    expect(ownerOfPath(`/docker/${a}/docker/${b}`)).toEqual({ containerId: a })
    // A pod uid outside a kubepods hierarchy is not a pod.
    expect(ownerOfPath("/user.slice/pod0b6f3f3e-1c2d-4e5f-8a9b-0123456789ab")).toEqual({})
  })

  it("reads /etc/passwd, the first name of a uid winning", () => {
    expect([
      ...parsePasswd(
        "root:x:0:0:root:/root:/bin/bash\n# c\nadmin:x:0:0::/:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n"
      )
    ]).toEqual([
      [0, "root"],
      [1000, "bob"]
    ])
  })
})

const threadsScript = `
import { Worker } from "node:worker_threads"
import { openSync } from "node:fs"
const workers = Array.from({ length: 3 }, () => new Worker("setInterval(() => {}, 1000)", { eval: true }))
for (let i = 0; i < 20; i++) openSync("/dev/null", "r")
await Promise.all(workers.map((w) => new Promise((r) => w.once("online", r))))
console.log(JSON.stringify({ ok: true }))
setInterval(() => {}, 1000)
`

const busyScript = `
console.log(JSON.stringify({ ok: true }))
for (;;) {}
`

const execScript = `
import { spawn } from "node:child_process"
const child = spawn("sh", ["-c", "sleep 0.5; exec sleep 30"], { stdio: "ignore" })
console.log(JSON.stringify({ pid: child.pid }))
setInterval(() => {}, 1000)
`

const nodeOf = (nodes: Record<string, Report.Node>, pid: number): Report.Node | undefined =>
  nodes[NodeId.processId(hostId, pid)]

describe("ProcessCollector (this machine's /proc)", () => {
  const dir = mkdtempSync(join(tmpdir(), "probe-proc-cwd-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it.live("reports real processes with their command line, cwd, user, threads, open files, memory and CPU", () =>
    Effect.gen(function* () {
      const worker = yield* scopedScript<{ ok: boolean }>(threadsScript, { cwd: dir, argv: ["--marker", "threads"] })
      const busy = yield* scopedScript<{ ok: boolean }>(busyScript, { argv: ["--marker", "busy"] })
      const collect = yield* collectorRun(probe, ProcessCollector.plugin())
      const first = yield* collect
      expect(first.health).toEqual([healthyRun("process/collector/process")])
      const firstNode = nodeOf(first.topologies.processes!, worker.pid)!
      expect(Object.keys(firstNode.metrics)).toEqual([Fields.Metrics.memory])
      yield* Effect.sleep(1_000)
      const second = yield* collect
      const nodes = second.topologies.processes!
      const node = nodeOf(nodes, worker.pid)!
      const counts = procCounts(worker.pid)
      expect(node.id).toBe(`${hostId};${worker.pid}`)
      expect(node.topology).toBe("processes")
      expect(Report.latest(node, Fields.Latest.name)).toBe("node")
      expect(Report.latest(node, Fields.Latest.pid)).toBe(String(worker.pid))
      expect(Report.latest(node, Fields.Latest.ppid)).toBe(String(process.pid))
      expect(Report.latest(node, Fields.Latest.command)).toBe(
        [process.execPath, "--input-type=module", "-e", threadsScript, "--", "--marker", "threads"].join(" ")
      )
      expect(Report.latest(node, Fields.Latest.cwd)).toBe(dir)
      expect(Report.latest(node, ProcessCollector.uidField)).toBe(String(process.getuid!()))
      const passwd = readFileSync("/etc/passwd", "utf8")
      const userName = new RegExp(`^([^:]+):[^:]*:${process.getuid!()}:`, "m").exec(passwd)![1]
      expect(Report.latest(node, Fields.Latest.user)).toBe(userName)
      // Three workers on top of node's own threads, counted the same as /proc/<pid>/task.
      expect(Number(Report.latest(node, Fields.Latest.threads))).toBe(counts.threads)
      expect(counts.threads).toBeGreaterThanOrEqual(4)
      // 20 extra /dev/null descriptors besides stdio and node's own.
      expect(Number(Report.latest(node, Fields.Latest.openFiles))).toBeGreaterThanOrEqual(23)
      expect(Math.abs(Number(Report.latest(node, Fields.Latest.openFiles)) - counts.fds)).toBeLessThanOrEqual(2)
      const rss = Report.lastSample(node, Fields.Metrics.memory)!
      expect(rss / vmRss(worker.pid)).toBeGreaterThan(0.7)
      expect(rss / vmRss(worker.pid)).toBeLessThan(1.3)
      expect(Report.lastSample(node, Fields.Metrics.cpu)).toBeLessThan(50)
      expect(node.parents).toEqual({ hosts: [hostId] })
      expect(Report.latest(node, Fields.Latest.system)).toBeUndefined()
      // A busy loop uses about one core.
      const busyCpu = Report.lastSample(nodeOf(nodes, busy.pid)!, Fields.Metrics.cpu)!
      expect(busyCpu).toBeGreaterThan(20)
      expect(busyCpu).toBeLessThan(110)
      // The collector's own process (the vitest worker) is a system process; so no kernel thread is reported.
      expect(Report.latest(nodeOf(nodes, process.pid)!, Fields.Latest.system)).toBe("true")
      expect(Object.values(nodes).some((n) => Report.latest(n, Fields.Latest.ppid) === "2")).toBe(false)
      expect(nodeOf(nodes, 2)).toBeUndefined()
      // Every node survives the wire format.
      const decoded = decodeReport(hostId, { processes: nodes })
      expect(decoded.topologies.processes!.nodes[node.id]).toEqual(node)
    })
  )

  it.live("drops exited processes and re-reads a process that exec'd another program", () =>
    Effect.gen(function* () {
      const parent = yield* scopedScript<{ pid: number }>(execScript)
      const collect = yield* collectorRun(probe, ProcessCollector.plugin())
      const before = nodeOf((yield* collect).topologies.processes!, parent.ready.pid)!
      expect(Report.latest(before, Fields.Latest.name)).toBe("sh")
      expect(Report.latest(before, Fields.Latest.command)).toBe("sh -c sleep 0.5; exec sleep 30")
      yield* Effect.sleep(1_000)
      const after = nodeOf((yield* collect).topologies.processes!, parent.ready.pid)!
      expect(Report.latest(after, Fields.Latest.name)).toBe("sleep")
      expect(Report.latest(after, Fields.Latest.command)).toBe("sleep 30")
      expect(Report.latest(after, Fields.Latest.ppid)).toBe(String(parent.pid))
      yield* Effect.promise(() => parent.stop())
      process.kill(parent.ready.pid, "SIGKILL")
      yield* Effect.promise(() =>
        waitFor(async () => (readFileSafe(`/proc/${parent.ready.pid}/stat`) === undefined ? true : undefined), {
          timeoutMs: 5_000,
          describe: () => "sleep did not exit"
        })
      )
      const gone = (yield* collect).topologies.processes!
      expect(nodeOf(gone, parent.ready.pid)).toBeUndefined()
      expect(nodeOf(gone, parent.pid)).toBeUndefined()
    })
  )

  it.live("reports kernel threads marked system with kernelThreads: system", () =>
    Effect.gen(function* () {
      const collect = yield* collectorRun(probe, ProcessCollector.plugin(), { kernelThreads: "system" })
      const nodes = (yield* collect).topologies.processes!
      const kthreadd = nodeOf(nodes, 2)!
      expect(Report.latest(kthreadd, Fields.Latest.name)).toBe(readFileSync("/proc/2/comm", "utf8").trim())
      expect(Report.latest(kthreadd, Fields.Latest.system)).toBe("true")
      expect(Report.latest(kthreadd, Fields.Latest.command)).toBeUndefined()
      const children = Object.values(nodes).filter((n) => Report.latest(n, Fields.Latest.ppid) === "2")
      expect(children.length).toBeGreaterThan(0)
      expect(children.every((n) => Report.latest(n, Fields.Latest.system) === "true")).toBe(true)
    })
  )

  it("reads only /proc/<pid>/stat for processes it already knows", () => {
    const scanner = new ProcessScanner({
      procRoot: "/proc",
      passwdPath: "/etc/passwd",
      clockTicks: 100,
      openFilesEvery: 4,
      maxCommandLength: 4096,
      kernelThreads: false
    })
    scanner.scan(performance.now())
    expect(scanner.stats.fresh).toBe(scanner.stats.processes)
    expect(scanner.stats.fdCounts).toBe(scanner.stats.processes)
    scanner.scan(performance.now())
    // Other test files start processes meanwhile; the ones known are not read again.
    expect(scanner.stats.fresh).toBeLessThan(scanner.stats.processes / 4)
    // Open files are counted for about a quarter of the processes (staggered by pid), plus the new ones.
    expect(scanner.stats.fdCounts).toBeLessThan(scanner.stats.processes / 2 + scanner.stats.fresh)
  })
})

const readFileSafe = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

describe.skipIf(dockerFixture() === null)("ProcessCollector (a process in a Docker container)", () => {
  it.live("gives the container's process its container parent from the cgroup", () =>
    Effect.gen(function* () {
      const { socketPath, testImage } = requireDocker()
      const container = yield* scopedContainer(
        socketPath,
        testImage,
        ["sleep", "300"],
        `probe-proc-test-${process.pid}-${Date.now()}`
      )
      const collect = yield* collectorRun(probe, ProcessCollector.plugin())
      // docker start returns once the process runs; give runc a moment to leave it in its final cgroup.
      yield* Effect.promise(() => sleep(100))
      const nodes = (yield* collect).topologies.processes!
      const node = nodeOf(nodes, container.pid)!
      expect(node.parents).toEqual({ hosts: [hostId], containers: [container.id] })
      expect(Report.latest(node, Fields.Latest.name)).toBe("sleep")
      expect(Report.latest(node, Fields.Latest.command)).toBe("sleep 300")
      expect(Report.latest(node, Fields.Latest.user)).toBe("root")
      expect(Report.latest(node, Fields.Latest.cwd)).toBe("/")
    })
  )
})
