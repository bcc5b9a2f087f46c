import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Schema } from "effect"
import { dockerFixture, requireDocker } from "../../../../test/fixtures/index.js"
import { freePorts } from "../../../../test/fixtures/process.js"
import type { DockerContainerizer } from "../../src/cluster/containerizer/DockerContainerizer.js"
import { TaskSpec } from "../../src/cluster/Task.js"
import { containerizers, hostPerl, nextUpdate, taskOn, udpAsk, udpEchoCommand } from "./containerizerHarness.js"
import { eventually, inspect, logsOf } from "./helpers.js"

const fixture = dockerFixture()

describe.skipIf(fixture === null)("DockerContainerizer task spec (the shared dockerd)", () => {
  const { socketPath, testImage } = fixture === null ? { socketPath: "", testImage: "" } : requireDocker()
  const open = containerizers(socketPath, "spec")
  const task = taskOn(testImage)

  const trapsTerm = ["sh", "-c", 'trap "echo term; exit 0" TERM; echo up; while :; do sleep 0.1; done']
  const ignoresTerm = ["sh", "-c", 'trap "" TERM; echo up; while :; do sleep 0.1; done']

  /** Launches, waits for the script's `up`, kills, and returns the end state, its logs and the kill's duration. */
  const launchThenKill = (containerizer: DockerContainerizer["Service"], spec: TaskSpec) =>
    Effect.gen(function* () {
      const status = yield* containerizer.launch("fw", spec)
      expect(status.state).toBe("running")
      yield* Effect.promise(() =>
        eventually("the task's trap", async () =>
          (await logsOf(socketPath, status.containerId!)).includes("up") ? true : undefined
        )
      )
      const ended = yield* nextUpdate(containerizer, spec.taskId, ["killed", "failed", "finished"])
      const started = Date.now()
      yield* containerizer.kill(spec.taskId)
      const end = yield* Fiber.join(ended)
      const seconds = (Date.now() - started) / 1000
      const logs = yield* Effect.promise(() => logsOf(socketPath, status.containerId!))
      return { end, seconds, logs }
    })

  it("decodes specs without the new fields, and refuses bad new ones naming them", () => {
    const old = { taskId: "t", image: "busybox", resources: { cpus: 1 }, containerPorts: [80] }
    expect(Schema.decodeUnknownSync(TaskSpec)(old)).toEqual(old)
    const bad = Schema.decodeUnknownExit(TaskSpec)({ ...old, portProtocols: ["tcp", "udp"] })
    expect(String(bad)).toMatch(/portProtocols/)
    const negative = Schema.decodeUnknownExit(TaskSpec)({ ...old, killGraceSeconds: -1 })
    expect(String(negative)).toMatch(/killGraceSeconds/)
    const hostWithPorts = Schema.decodeUnknownExit(TaskSpec)({ ...old, networkMode: "host" })
    expect(String(hostWithPorts)).toMatch(/networkMode host/)
    const relative = Schema.decodeUnknownExit(TaskSpec)({
      ...old,
      volumes: [{ containerPath: "/data", hostPath: "data", mode: "RW" }]
    })
    expect(String(relative)).toMatch(/hostPath/)
  })

  it.live(
    "a task's kill grace: SIGTERM first (a trap exits 0), SIGKILL after the grace when ignored, at once with 0",
    () =>
      Effect.gen(function* () {
        const containerizer = yield* open()
        const graceful = yield* launchThenKill(containerizer, task("trap", trapsTerm, { killGraceSeconds: 5 }))
        expect(graceful.end).toMatchObject({ state: "killed", exitCode: 0, message: "killed on request" })
        expect(graceful.logs).toContain("term")
        expect(graceful.seconds).toBeLessThan(5)

        const stubborn = yield* launchThenKill(containerizer, task("stubborn", ignoresTerm, { killGraceSeconds: 1 }))
        expect(stubborn.end).toMatchObject({ state: "killed", exitCode: 137 })
        expect(stubborn.seconds).toBeGreaterThanOrEqual(0.9)
        expect(stubborn.seconds).toBeLessThan(30)

        const atOnce = yield* launchThenKill(containerizer, task("at-once", trapsTerm, { killGraceSeconds: 0 }))
        expect(atOnce.end).toMatchObject({ state: "killed", exitCode: 137 })
        expect(atOnce.logs).not.toContain("term")
      }),
    120_000
  )

  it.live(
    "a kill repeated during the grace period sends no second SIGTERM",
    () =>
      Effect.gen(function* () {
        const containerizer = yield* open()
        // counts the SIGTERMs it gets and keeps running
        const countsTerm = ["sh", "-c", 'trap "echo term" TERM; echo up; while :; do sleep 0.1; done']
        const spec = task("repeat", countsTerm, { killGraceSeconds: 3 })
        const status = yield* containerizer.launch("fw", spec)
        yield* Effect.promise(() =>
          eventually("the task's trap", async () =>
            (await logsOf(socketPath, status.containerId!)).includes("up") ? true : undefined
          )
        )
        const ended = yield* nextUpdate(containerizer, spec.taskId, ["killed", "failed", "finished"])
        yield* containerizer.kill(spec.taskId)
        yield* Effect.sleep("700 millis")
        // the scheduler re-sends a kill that has not finished yet
        yield* containerizer.kill(spec.taskId)
        yield* Effect.sleep("700 millis")
        yield* containerizer.kill(spec.taskId)
        const end = yield* Fiber.join(ended)
        expect(end).toMatchObject({ state: "killed", exitCode: 137 })
        const logs = yield* Effect.promise(() => logsOf(socketPath, status.containerId!))
        expect(logs.match(/term/g)?.length).toBe(1)
      }),
    60_000
  )

  it.live(
    "the agent's kill grace applies to specs without one; a spec's 0 overrides it",
    () =>
      Effect.gen(function* () {
        const containerizer = yield* open({ killGraceSeconds: 10 })
        const graceful = yield* launchThenKill(containerizer, task("default-grace", trapsTerm))
        expect(graceful.end).toMatchObject({ state: "killed", exitCode: 0 })
        expect(graceful.logs).toContain("term")
        const atOnce = yield* launchThenKill(containerizer, task("no-grace", ignoresTerm, { killGraceSeconds: 0 }))
        expect(atOnce.end).toMatchObject({ state: "killed", exitCode: 137 })
        // SIGKILL at once, not after the agent's 10 s
        expect(atOnce.seconds).toBeLessThan(8)
      }),
    120_000
  )

  it.live(
    "publishes a udp port mapping as udp: a UDP echo is reached on its host port",
    () =>
      Effect.gen(function* () {
        const containerizer = yield* open()
        const [hostPort] = yield* Effect.promise(() => freePorts(1))
        const status = yield* containerizer.launch(
          "fw",
          task("udp-echo", udpEchoCommand(9999), {
            resources: { cpus: 0.1, mem: 32, ports: [{ begin: hostPort!, end: hostPort! }] },
            containerPorts: [9999],
            portProtocols: ["udp"],
            volumes: hostPerl
          })
        )
        expect(status).toMatchObject({ state: "running", hostPorts: [hostPort] })
        const info = yield* Effect.promise(() => inspect(socketPath, status.containerId!))
        expect(info.HostConfig.PortBindings).toEqual({ "9999/udp": [{ HostIp: "", HostPort: String(hostPort) }] })
        expect(yield* Effect.promise(() => udpAsk(hostPort!, "ping"))).toBe("echo:ping")
      }),
    60_000
  )

  it.live("bind-mounts volumes: RO refuses writes, RW writes reach the host", () =>
    Effect.gen(function* () {
      const containerizer = yield* open()
      const ro = mkdtempSync(join(tmpdir(), "orch-ro-"))
      const rw = mkdtempSync(join(tmpdir(), "orch-rw-"))
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          rmSync(ro, { recursive: true, force: true })
          rmSync(rw, { recursive: true, force: true })
        })
      )
      const done = yield* nextUpdate(containerizer, "volumes", ["finished", "failed"])
      const status = yield* containerizer.launch(
        "fw",
        task(
          "volumes",
          [
            "sh",
            "-c",
            "echo written > /data/rw/out; if echo x > /data/ro/x; then echo ro-writable; else echo ro-refused; fi"
          ],
          {
            volumes: [
              { hostPath: ro, containerPath: "/data/ro", mode: "RO" },
              { hostPath: rw, containerPath: "/data/rw", mode: "RW" }
            ]
          }
        )
      )
      expect(status.state).toBe("running")
      expect(yield* Fiber.join(done)).toMatchObject({ state: "finished", exitCode: 0 })
      expect(readFileSync(join(rw, "out"), "utf8")).toBe("written\n")
      const logs = yield* Effect.promise(() => logsOf(socketPath, status.containerId!))
      expect(logs).toContain("ro-refused")
      expect(logs).not.toContain("ro-writable")
    })
  )

  it.live("host networking: no port mappings, the task listens on its offered port itself", () =>
    Effect.gen(function* () {
      const containerizer = yield* open()
      const [port] = yield* Effect.promise(() => freePorts(1))
      const status = yield* containerizer.launch(
        "fw",
        task("host-net", ["sh", "-c", `mkdir -p /www && echo hello > /www/index.html && httpd -f -p ${port} -h /www`], {
          resources: { cpus: 0.1, mem: 32, ports: [{ begin: port!, end: port! }] },
          networkMode: "host"
        })
      )
      expect(status).toMatchObject({ state: "running", hostPorts: [port] })
      const info = yield* Effect.promise(() => inspect(socketPath, status.containerId!))
      expect(info.HostConfig).toMatchObject({ NetworkMode: "host", PortBindings: {} })
      const body = yield* Effect.promise(() =>
        eventually("httpd on the host network", async () => {
          const response = await fetch(`http://127.0.0.1:${port}/index.html`)
          return response.ok ? response.text() : undefined
        })
      )
      expect(body).toBe("hello\n")
    })
  )
})
