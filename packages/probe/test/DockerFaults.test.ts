import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Server } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Fields } from "@orchestrator/core"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { ping } from "../../../test/fixtures/dockerApi.js"
import { ensureTestImage, testImage } from "../../../test/fixtures/dockerImage.js"
import { dockerFixture, type PrivateDockerd, startPrivateDockerd } from "../../../test/fixtures/index.js"
import { which } from "../../../test/fixtures/prerequisites.js"
import { spawnDetached, terminate } from "../../../test/fixtures/process.js"
import type * as DockerCollector from "../src/DockerCollector.js"
import { dockerCollector, sleeper, testContainers, until } from "./docker/helpers.js"

const hostId = "test-host"

const collector = (options: DockerCollector.Options) =>
  dockerCollector(hostId, { reconnectInitialMs: 50, reconnectMaxMs: 500, requestTimeoutMs: 2_000, ...options })

const statusOf = (health: ReadonlyArray<{ readonly name: string; readonly status: string }>) =>
  Object.fromEntries(health.filter((h) => h.name.startsWith("docker/")).map((h) => [h.name, h.status]))

/** The health of a run that reached the engine, its event stream and its containers' counters. */
const healthy = {
  "docker/collector/docker": "ok",
  "docker/engine": "ok",
  "docker/events": "ok",
  "docker/stats": "ok"
}

describe("DockerCollector faults without a Docker engine", () => {
  const dir = mkdtempSync(join(tmpdir(), "orch-probe-docker-faults-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("returns no nodes and a failed engine health while the socket is missing, and never throws", async () => {
    const socketPath = join(dir, "missing.sock")
    const { plugin, collect } = collector({ socketPath })
    for (let run = 0; run < 3; run++) {
      const fragment = await collect()
      expect(fragment.topologies).toEqual({})
      expect(statusOf(fragment.health)).toEqual({
        "docker/collector/docker": "ok",
        "docker/engine": "failed",
        // the first run may come before the event stream's first attempt failed
        "docker/events": run === 0 ? expect.stringMatching(/^(ok|degraded)$/) : "degraded"
      })
      const engine = fragment.health.find((h) => h.name === "docker/engine")!
      expect(engine.message).toBe(`cannot reach the Docker engine at ${socketPath}: connect ENOENT ${socketPath}`)
    }
    // the event stream keeps retrying in the background, with backoff
    await until("a few reconnect attempts", () => plugin.stats().events.attempts >= 3)
    expect(plugin.stats().events).toMatchObject({ connected: false, connects: 0 })
    plugin.close()
  })

  it("survives an engine that answers garbage: malformed JSON, a list that is not one, a stream that ends", async () => {
    const socketPath = join(dir, "fake.sock")
    let listAnswer = '{"not":"a list"}'
    let eventStreams = 0
    const server: Server = createServer((req, res) => {
      if (req.url?.startsWith("/events")) {
        eventStreams++
        res.writeHead(200, { "content-type": "application/json" })
        res.write('garbage\n{"Type":"container"}\n{"Type":"container","Action":"start","Actor":{"ID":"x"}}\n')
        setTimeout(() => res.end(), 50)
        return
      }
      if (req.url?.startsWith("/containers/json") && listAnswer === "cut") {
        res.writeHead(200, { "content-type": "application/json", "content-length": "1000" })
        res.write("[{")
        setTimeout(() => res.destroy(), 20)
        return
      }
      if (req.url?.startsWith("/containers/json")) {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(listAnswer)
        return
      }
      res.writeHead(404, { "content-type": "application/json" })
      res.end('{"message":"page not found"}')
    })
    await new Promise<void>((resolve) => server.listen(socketPath, resolve))
    try {
      const { plugin, requests, collect } = collector({ socketPath })
      let fragment = await collect()
      expect(fragment.topologies).toEqual({})
      expect(fragment.health.find((h) => h.name === "docker/engine")).toMatchObject({
        status: "failed",
        message: "GET /containers/json: the engine answered something that is not a list"
      })
      listAnswer = "[{"
      fragment = await collect()
      expect(fragment.health.find((h) => h.name === "docker/engine")).toMatchObject({
        status: "failed",
        message: expect.stringMatching(/^GET \/containers\/json: the engine answered malformed JSON/)
      })
      listAnswer = "cut"
      fragment = await collect()
      expect(fragment.health.find((h) => h.name === "docker/engine")).toMatchObject({
        status: "failed",
        message: expect.stringContaining(`cannot reach the Docker engine at ${socketPath}`)
      })
      // entries without an id are skipped, the rest is read
      listAnswer = JSON.stringify([{ Names: ["/no-id"] }, { Id: "abc", Names: ["/web"], State: "running", Ports: "x" }])
      fragment = await collect()
      expect(Object.keys(fragment.topologies.containers!)).toEqual(["abc"])
      expect(fragment.topologies.containers!.abc!.latest[Fields.Latest.containerName]!.value).toBe("web")
      // the event stream skipped the garbage, took the one real event, and reopened each time it ended
      await until("the event stream to reopen", () => eventStreams >= 3)
      expect(plugin.stats().events.events).toBeGreaterThanOrEqual(1)
      expect(requests.length).toBeGreaterThanOrEqual(1)
      plugin.close()
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})

describe.skipIf(dockerFixture() === null)("DockerCollector against a private dockerd that stops and restarts", () => {
  let engine: PrivateDockerd | undefined
  let restartedPid: number | undefined

  afterAll(async () => {
    if (restartedPid !== undefined) await terminate(restartedPid, 15_000)
    await engine?.stop()
  })

  it("reports the engine down, then recovers: events reconnect and a container started after the restart shows", async () => {
    engine = await startPrivateDockerd({ name: "probefault" })
    const { socketPath } = engine
    await ensureTestImage(socketPath)
    const containers = testContainers(socketPath, testImage, "orch-probe-test-faults-")
    const run = async (name: string) => (await containers.run(name, sleeper)).id

    const before = await run("before")
    const { plugin, requests, collect } = collector({ socketPath })
    let fragment = await collect()
    expect(fragment.topologies.containers![before]!.latest[Fields.Latest.containerState]!.value).toBe("running")
    await until("the event stream", () => plugin.stats().events.connected)
    fragment = await collect()
    expect(statusOf(fragment.health)).toEqual(healthy)

    // dockerd goes away mid-run
    await terminate(engine.pid, 15_000)
    await until("the event stream to drop", () => !plugin.stats().events.connected)
    for (let i = 0; i < 2; i++) {
      fragment = await collect()
      expect(fragment.topologies).toEqual({})
      expect(statusOf(fragment.health)).toEqual({
        "docker/collector/docker": "ok",
        "docker/engine": "failed",
        "docker/events": "degraded"
      })
      expect(fragment.health.find((h) => h.name === "docker/engine")!.message).toContain(socketPath)
    }

    // and comes back: the same arguments the fixture started it with (test/fixtures/dockerd.ts)
    restartedPid = spawnDetached(
      which("dockerd") ?? "dockerd",
      [
        `--host=unix://${socketPath}`,
        `--data-root=${engine.dataRoot}`,
        `--exec-root=${engine.execRoot}`,
        `--pidfile=${engine.pidfile}`,
        `--bridge=${engine.bridge!.name}`,
        "--iptables=false",
        "--ip6tables=false",
        "--containerd-namespace=orch-probefault",
        "--containerd-plugins-namespace=orch-probefault-plugins"
      ],
      { logPath: engine.logPath }
    )
    await until("dockerd to answer again", () => ping(socketPath, 500), 60_000)
    // the event stream reconnects on its own backoff, without waiting for a run, and asks for a report
    const restartedAt = Date.now()
    await until("the event stream to reconnect", () => plugin.stats().events.connects >= 2, 5_000)
    await until("a report request after the reconnect", () => requests.some((at) => at >= restartedAt - 1_000), 1_000)

    const startedAt = Date.now()
    const after = await run("after")
    await until("an early report for the new container", () => requests.some((at) => at >= startedAt), 1_000)
    fragment = await collect()
    expect(statusOf(fragment.health)).toEqual(healthy)
    expect(fragment.topologies.containers![after]!.latest[Fields.Latest.containerState]!.value).toBe("running")
    // the container from before the restart was stopped with its daemon
    expect(fragment.topologies.containers![before]!.latest[Fields.Latest.containerState]!.value).toBe("exited")
    plugin.close()
    await containers.removeAll()
  }, 120_000)
})
