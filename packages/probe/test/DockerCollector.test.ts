import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Fields, Report } from "@orchestrator/core"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { dockerFixture, requireDocker } from "../../../test/fixtures/index.js"
import { sleep } from "../../../test/fixtures/process.js"
import * as DockerCollector from "../src/DockerCollector.js"
import { ControlIds } from "../src/internal/docker/actions.js"
import { readEvent, splitImage } from "../src/internal/docker/model.js"
import { formatPort } from "../src/internal/docker/nodes.js"
import { looksSecret, redactEntry, redactInspect } from "../src/internal/docker/redact.js"
import {
  keyedValue,
  parseBlkio,
  parseIoStat,
  parseProcCgroup,
  rates,
  readApiStats
} from "../src/internal/docker/stats.js"
import { dockerCollector, testContainers, until } from "./docker/helpers.js"
import { decodeReport } from "./proc/helpers.js"

const hostId = "test-host"

describe("Docker collector helpers", () => {
  it("redacts values of secret-looking names and passwords in URLs, and nothing else", () => {
    for (const name of ["DB_PASSWORD", "MYSQL_ROOT_PASSWD", "api_token", "AWS_SECRET_ACCESS_KEY", "GIT_CREDENTIALS"]) {
      expect(looksSecret(name), name).toBe(true)
    }
    for (const name of ["PATH", "HOME", "HOSTNAME", "LANG", "PWD", "TERM"]) expect(looksSecret(name), name).toBe(false)
    expect(redactEntry("DB_PASSWORD=hunter2")).toBe("DB_PASSWORD=<redacted>")
    expect(redactEntry("PLAIN=a=b")).toBe("PLAIN=a=b")
    expect(redactEntry("DATABASE_URL=postgres://app:pw@db:5432/app")).toBe(
      "DATABASE_URL=postgres://app:<redacted>@db:5432/app"
    )
    expect(redactEntry("UPSTREAM=http://example.com:8080/path")).toBe("UPSTREAM=http://example.com:8080/path")
    expect(redactEntry("NOVALUE")).toBe("NOVALUE")
    expect(redactInspect({ Id: "x", Config: { Env: ["A=1", "SECRET=2"], Tty: false } })).toEqual({
      Id: "x",
      Config: { Env: ["A=1", "SECRET=<redacted>"], Tty: false }
    })
  })

  it("formats ports like docker ps and splits image references", () => {
    expect(formatPort({ ip: "0.0.0.0", privatePort: 80, publicPort: 8080, type: "tcp" })).toBe("0.0.0.0:8080->80/tcp")
    expect(formatPort({ ip: "::", privatePort: 80, publicPort: 8080, type: "tcp" })).toBe("[::]:8080->80/tcp")
    expect(formatPort({ ip: undefined, privatePort: 53, publicPort: undefined, type: "udp" })).toBe("53/udp")
    expect(splitImage("reg:5000/team/app:1.2")).toEqual({ name: "reg:5000/team/app", tag: "1.2" })
    expect(splitImage("reg:5000/app")).toEqual({ name: "reg:5000/app", tag: undefined })
    expect(splitImage("app@sha256:abc")).toEqual({ name: "app", tag: undefined })
    expect(splitImage("sha256:abc")).toEqual({ name: "sha256:abc", tag: undefined })
  })

  it("reads cgroup v1 and v2 files, API stats and events, skipping what does not parse", () => {
    const cgroups = parseProcCgroup("4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n0::/system.slice/x.scope\n")
    expect(cgroups.get("memory")).toEqual({ dir: "memory", path: "/docker/abc" })
    expect(cgroups.get("cpuacct")).toEqual({ dir: "cpu,cpuacct", path: "/docker/abc" })
    expect(cgroups.get("")).toEqual({ dir: "", path: "/system.slice/x.scope" })
    expect(keyedValue("cache 5\ntotal_inactive_file 4096\n", "total_inactive_file")).toBe(4096)
    expect(keyedValue("inactive_file 7\n", "inactive_file")).toBe(7)
    expect(keyedValue("total_inactive_file 1\n", "inactive_file")).toBeUndefined()
    expect(parseBlkio("8:0 Read 100\n8:0 Write 50\n8:0 Total 150\n8:16 Read 1\nTotal 151\n")).toEqual({
      read: 101,
      written: 50
    })
    expect(parseIoStat("8:0 rbytes=10 wbytes=20 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n")).toEqual({
      read: 11,
      written: 22
    })
    const at = Date.parse("2026-01-01T00:00:00Z")
    const api = (seconds: number, cpu: number, rx: number) => ({
      read: new Date(at + seconds * 1000).toISOString(),
      cpu_stats: { cpu_usage: { total_usage: cpu } },
      memory_stats: { usage: 10_000, stats: { total_inactive_file: 4_000 } },
      networks: { eth0: { rx_bytes: rx, tx_bytes: 5 }, eth1: { rx_bytes: 1, tx_bytes: 1 } },
      blkio_stats: {
        io_service_bytes_recursive: [
          { op: "Read", value: 512 },
          { op: "write", value: 1024 }
        ]
      }
    })
    const before = readApiStats(api(0, 0, 0), false)!
    expect(before).toEqual({ at, cpuNs: 0, memory: 6_000, rx: 1, tx: 6, read: 512, written: 1024 })
    expect(readApiStats(api(0, 0, 0), true)).not.toHaveProperty("rx")
    expect(readApiStats({ read: "0001-01-01T00:00:00Z" }, false)).toBeUndefined()
    // half a core for 2 s, 2,000 bytes received in 2 s
    expect(rates(before, readApiStats(api(2, 1e9, 2_000), false)!)).toEqual({
      cpu: 50,
      memory: 6_000,
      rx: 1_000,
      tx: 0,
      read: 0,
      write: 0
    })
    expect(
      readEvent('{"Type":"container","Action":"exec_start: sh -c x","Actor":{"ID":"abc","Attributes":{"name":"web"}}}')
    ).toEqual({ type: "container", action: "exec_start", id: "abc", attributes: { name: "web" } })
    expect(readEvent("not json")).toBeUndefined()
    expect(readEvent('{"Type":"container"}')).toBeUndefined()
  })
})

describe.skipIf(dockerFixture() === null)("DockerCollector (the shared dockerd)", () => {
  const { socketPath, testImage } = dockerFixture() === null ? { socketPath: "", testImage: "" } : requireDocker()
  const { api, run: runContainer, removeAll } = testContainers(socketPath, testImage, "orch-probe-test-collector-")
  const scratch = mkdtempSync(join(tmpdir(), "orch-probe-docker-"))

  beforeAll(removeAll)
  afterAll(async () => {
    await removeAll()
    rmSync(scratch, { recursive: true, force: true })
  })

  const collector = (options: DockerCollector.Options = {}) =>
    dockerCollector(hostId, { socketPath, ...options }, 20_000)

  it("reports a container with its name, image, labels, redacted env, ports, mounts, limits and IPs", async () => {
    const { id, name } = await runContainer("fields", {
      Cmd: ["httpd", "-f", "-p", "8080", "-h", "/www"],
      Env: ["DB_PASSWORD=hunter2", "API_TOKEN=tok", "DATABASE_URL=postgres://app:pw@db:5432/app", "PLAIN=visible"],
      Labels: { "orch.test": "collector", team: "blue" },
      ExposedPorts: { "8080/tcp": {}, "9090/udp": {} },
      HostConfig: {
        PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
        Binds: [`${scratch}:/hostdata:ro`],
        Mounts: [{ Type: "volume", Target: "/data" }],
        Tmpfs: { "/scratch": "" },
        Memory: 64 * 1024 * 1024,
        CpuShares: 512,
        CpuQuota: 50_000,
        CpuPeriod: 100_000,
        PidsLimit: 50
      }
    })
    const inspect = (await api("GET", `/containers/${id}/json`)) as {
      Image: string
      State: { Pid: number; StartedAt: string }
      Created: string
      NetworkSettings: {
        Networks: Record<string, { IPAddress: string }>
        Ports: Record<string, Array<{ HostPort: string }>>
      }
      Mounts: Array<{ Type: string; Name?: string; Destination: string }>
      HostConfig: { NetworkMode: string }
    }
    const hostPort = inspect.NetworkSettings.Ports["8080/tcp"]![0]!.HostPort
    const ip = inspect.NetworkSettings.Networks.bridge!.IPAddress
    const volume = inspect.Mounts.find((m) => m.Destination === "/data")!.Name!

    const { plugin, collect } = collector()
    const fragment = await collect()
    plugin.close()
    const node = fragment.topologies.containers![id]!
    const at = node.latest[Fields.Latest.containerName]!.timestamp
    const latest = Object.fromEntries(Object.entries(node.latest).map(([k, v]) => [k, v.value]))
    expect(latest).toEqual({
      [Fields.Latest.containerName]: name,
      [Fields.Latest.containerState]: "running",
      [Fields.Latest.image]: "orchestrator/busybox",
      [Fields.Latest.imageTag]: "test",
      [Fields.Latest.imageId]: inspect.Image,
      [Fields.Latest.created]: new Date(Math.floor(Date.parse(inspect.Created) / 1000) * 1000).toISOString(),
      [Fields.Latest.networkMode]: inspect.HostConfig.NetworkMode,
      [DockerCollector.Keys.status]: expect.stringMatching(/^Up /),
      [DockerCollector.Keys.command]: "httpd -f -p 8080 -h /www",
      [DockerCollector.Keys.started]: inspect.State.StartedAt,
      [DockerCollector.Keys.pid]: String(inspect.State.Pid),
      [DockerCollector.Keys.restartCount]: "0",
      [DockerCollector.Keys.hostname]: id.slice(0, 12),
      [DockerCollector.Keys.tty]: "false",
      [DockerCollector.Keys.memoryLimit]: String(64 * 1024 * 1024),
      [DockerCollector.Keys.memorySwapLimit]: String(128 * 1024 * 1024),
      [DockerCollector.Keys.cpuShares]: "512",
      [DockerCollector.Keys.cpuQuota]: "50000",
      [DockerCollector.Keys.cpuPeriod]: "100000",
      [DockerCollector.Keys.pidsLimit]: "50"
    })
    expect(node.labels).toEqual({
      "orch.test": { value: "collector", timestamp: at },
      team: { value: "blue", timestamp: at }
    })
    expect(node.sets).toEqual({
      [Fields.Sets.ips]: [ip],
      [Fields.Sets.ports]: [`127.0.0.1:${hostPort}->8080/tcp`, "9090/udp"],
      [Fields.Sets.mounts]: [`${scratch}:/hostdata:ro`, `${volume}:/data:rw`, "tmpfs:/scratch:rw"].sort(),
      [Fields.Sets.env]: [
        "DB_PASSWORD=<redacted>",
        "API_TOKEN=<redacted>",
        "DATABASE_URL=postgres://app:<redacted>@db:5432/app",
        "PLAIN=visible"
      ]
    })
    expect(node.parents).toEqual({ hosts: [hostId], container_images: [inspect.Image] })
    expect(node.controls).toEqual([
      ControlIds.stop,
      ControlIds.restart,
      ControlIds.pause,
      ControlIds.logs,
      ControlIds.exec,
      ControlIds.attach,
      ControlIds.inspect
    ])
    // a first run has no rates yet, only memory
    expect(Object.keys(node.metrics)).toEqual([Fields.Metrics.memory])
    expect(Report.lastSample(node, Fields.Metrics.memory)).toBeGreaterThan(0)

    const image = fragment.topologies.container_images![inspect.Image]!
    expect(image.latest[Fields.Latest.name]!.value).toBe(testImage)
    expect(image.latest[Fields.Latest.image]!.value).toBe("orchestrator/busybox")
    expect(image.latest[Fields.Latest.imageTag]!.value).toBe("test")
    expect(Number(image.latest[DockerCollector.Keys.imageSize]!.value)).toBeGreaterThan(100_000)
    expect(image.sets.docker_image_tags).toContain(testImage)
    expect(image.parents).toEqual({ hosts: [hostId] })

    expect(fragment.health.filter((h) => h.name.startsWith("docker/")).map((h) => [h.name, h.status])).toEqual([
      ["docker/collector/docker", "ok"],
      ["docker/engine", "ok"],
      ["docker/events", "ok"],
      ["docker/stats", "ok"]
    ])
    // what the app decodes
    const report = decodeReport(hostId, {
      containers: fragment.topologies.containers!,
      container_images: fragment.topologies.container_images!
    })
    expect(report.topologies.containers!.nodes[id]).toEqual(node)

    const open = collector({ redactEnv: false, controls: false })
    const plain = (await open.collect()).topologies.containers![id]!
    open.plugin.close()
    expect(plain.sets[Fields.Sets.env]).toContain("DB_PASSWORD=hunter2")
    expect(plain.controls).toEqual([])
  })

  it("measures CPU of a busy loop from cgroup files and from the stats API", async () => {
    const { id } = await runContainer("busy", { Cmd: ["sh", "-c", "while :; do :; done"] })
    const viaCgroup = collector({ events: false })
    const viaApi = collector({ events: false, stats: "api" })
    await Promise.all([viaCgroup.collect(), viaApi.collect()])
    await sleep(1_200)
    const [cgroup, apiStats] = await Promise.all([viaCgroup.collect(), viaApi.collect()])
    for (const [source, fragment] of [
      ["cgroup", cgroup],
      ["api", apiStats]
    ] as const) {
      const node = fragment.topologies.containers![id]!
      expect(Report.lastSample(node, Fields.Metrics.cpu), source).toBeGreaterThan(20)
      expect(Report.lastSample(node, Fields.Metrics.cpu), source).toBeLessThan(210)
      expect(Report.lastSample(node, Fields.Metrics.memory), source).toBeGreaterThan(0)
      for (const metric of [
        Fields.Metrics.networkRx,
        Fields.Metrics.networkTx,
        Fields.Metrics.diskRead,
        Fields.Metrics.diskWrite
      ]) {
        expect(Report.lastSample(node, metric), `${source} ${metric}`).toBeGreaterThanOrEqual(0)
      }
    }
    expect(viaCgroup.plugin.stats()).toMatchObject({ apiReadings: 0 })
    expect(viaCgroup.plugin.stats().cgroupReadings).toBeGreaterThanOrEqual(2)
    expect(viaApi.plugin.stats()).toMatchObject({ cgroupReadings: 0 })
    expect(viaApi.plugin.stats().apiReadings).toBeGreaterThanOrEqual(2)
    await api("DELETE", `/containers/${id}?force=1`)
  })

  it("shows an HTTP transfer between two containers on their network counters", async () => {
    const server = await runContainer("http-server", {
      Cmd: ["sh", "-c", "dd if=/dev/zero of=/www/big bs=1M count=4 2>/dev/null; exec httpd -f -p 8080 -h /www"]
    })
    const { NetworkSettings } = (await api("GET", `/containers/${server.id}/json`)) as {
      NetworkSettings: { Networks: Record<string, { IPAddress: string }> }
    }
    const serverIp = NetworkSettings.Networks.bridge!.IPAddress
    await sleep(300)
    const client = await runContainer("http-client", {
      Cmd: ["sh", "-c", `while :; do wget -q -O /dev/null http://${serverIp}:8080/big; done`]
    })
    const { plugin, collect } = collector({ events: false })
    await collect()
    await sleep(1_500)
    const fragment = await collect()
    plugin.close()
    const served = fragment.topologies.containers![server.id]!
    const fetched = fragment.topologies.containers![client.id]!
    // at least 1 MB/s went from the server to the client; the requests the other way are small
    expect(Report.lastSample(served, Fields.Metrics.networkTx)).toBeGreaterThan(1_000_000)
    expect(Report.lastSample(fetched, Fields.Metrics.networkRx)).toBeGreaterThan(1_000_000)
    expect(Report.lastSample(served, Fields.Metrics.networkRx)!).toBeLessThan(
      Report.lastSample(served, Fields.Metrics.networkTx)!
    )
    expect(fragment.topologies.containers![server.id]!.sets[Fields.Sets.ips]).toEqual([serverIp])
    await Promise.all([server.id, client.id].map((id) => api("DELETE", `/containers/${id}?force=1`)))
  })

  it("asks for an early report within a second when a container starts, dies or is removed", async () => {
    const { plugin, requests, collect } = collector({ stats: "off" })
    await collect()
    await until("the event stream", () => plugin.stats().events.connected)
    const { id } = await runContainer("events", { Cmd: ["sleep", "3600"] }, false)
    const started = Date.now()
    await api("POST", `/containers/${id}/start`)
    await until("an early report after start", () => requests.some((at) => at >= started), 1_000)
    let node = (await collect()).topologies.containers![id]!
    expect(node.latest[Fields.Latest.containerState]!.value).toBe("running")
    expect(Number(node.latest[DockerCollector.Keys.pid]!.value)).toBeGreaterThan(0)

    const killed = Date.now()
    await api("POST", `/containers/${id}/kill`)
    await until("an early report after kill", () => requests.some((at) => at >= killed), 1_000)
    node = (await collect()).topologies.containers![id]!
    expect(node.latest[Fields.Latest.containerState]!.value).toBe("exited")
    // the inspect cache was invalidated by the event: the exit code is fresh, the pid gone
    expect(node.latest[DockerCollector.Keys.exitCode]!.value).toBe("137")
    expect(node.latest[DockerCollector.Keys.pid]).toBeUndefined()
    expect(node.controls).toContain(ControlIds.start)

    const removed = Date.now()
    await api("DELETE", `/containers/${id}`)
    await until("an early report after removal", () => requests.some((at) => at >= removed), 1_000)
    expect((await collect()).topologies.containers![id]).toBeUndefined()
    expect(plugin.stats().events.events).toBeGreaterThanOrEqual(3)
    plugin.close()
  })

  it("costs one engine request and a few ms of CPU per run with 20 containers", async () => {
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) => runContainer(`cost-${i}`, { Cmd: ["sleep", "3600"] }).then((c) => c.id))
    )
    const { plugin, collect } = collector()
    const first = await collect()
    for (const id of ids)
      expect(first.topologies.containers![id]!.latest[Fields.Latest.containerState]!.value).toBe("running")
    await collect()
    await until("the event stream", () => plugin.stats().events.connected)
    const runs = 20
    const before = plugin.stats()
    const cpu = process.cpuUsage()
    const wall = performance.now()
    let last = first
    for (let i = 0; i < runs; i++) last = await collect()
    const used = process.cpuUsage(cpu)
    const after = plugin.stats()
    const perRun = (used.user + used.system) / 1000 / runs
    const containers = Object.keys(last.topologies.containers!).length
    console.log(
      `docker collector, ${containers} containers: ${perRun.toFixed(2)} ms CPU per run (registry included), ` +
        `${((performance.now() - wall) / runs).toFixed(1)} ms wall, ${(after.requests - before.requests) / runs} engine requests per run, ` +
        `${after.cgroupReadings - before.cgroupReadings} cgroup readings`
    )
    // Other suites create, stop and remove containers on the shared dockerd meanwhile: only a container an
    // event named (or whose listed state changed, its event maybe still on the way) may be inspected again, and
    // besides the one list per run only an image-list refresh (for a new image) or an event-stream reconnect
    // may cost a request. On a quiet engine both are 0; inspecting every container every run would be 500.
    const inspects = after.inspects - before.inspects
    expect(inspects).toBeLessThanOrEqual(after.events.events - before.events.events + 3)
    expect(after.requests - before.requests - inspects - runs).toBeGreaterThanOrEqual(0)
    expect(after.requests - before.requests - inspects - runs).toBeLessThanOrEqual(2)
    expect(perRun).toBeLessThan(40)
    for (const id of ids)
      expect(Report.lastSample(last.topologies.containers![id]!, Fields.Metrics.cpu)).toBeGreaterThanOrEqual(0)
    plugin.close()
    await Promise.all(ids.map((id) => api("DELETE", `/containers/${id}?force=1`)))
  })
})
