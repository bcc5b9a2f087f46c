import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { dockerFixture, requireDocker } from "../../../../test/fixtures/index.js"
import { freePorts } from "../../../../test/fixtures/process.js"
import { containerizers, nextUpdate, taskOn } from "./containerizerHarness.js"
import { containersOf, inspect, logsOf, uniqueId } from "./helpers.js"
import * as Labels from "../../src/cluster/containerizer/Labels.js"
import { engineRequest } from "../../../../test/fixtures/dockerApi.js"

const fixture = dockerFixture()

describe.skipIf(fixture === null)("DockerContainerizer (the shared dockerd)", () => {
  const { socketPath, testImage } = fixture === null ? { socketPath: "", testImage: "" } : requireDocker()
  const openContainerizer = containerizers(socketPath, "ctr")
  const open = (agentId?: string) => openContainerizer(agentId === undefined ? {} : { agentId })
  const task = taskOn(testImage)

  it.live("applies CPU, memory and pids limits, ports, env and labels (docker inspect and the cgroup files)", () =>
    Effect.gen(function* () {
      const containerizer = yield* open()
      const [hostPort] = yield* Effect.promise(() => freePorts(1))
      const script = [
        "for f in memory/memory.limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares pids/pids.max memory.max cpu.max cpu.weight pids.max;",
        'do [ -f /sys/fs/cgroup/$f ] && echo "$f=$(cat /sys/fs/cgroup/$f)"; done; echo "FOO=$FOO"'
      ].join(" ")
      const finished = yield* nextUpdate(containerizer, "limits", ["finished", "failed"])
      const status = yield* containerizer.launch(
        "fw-1",
        task("limits", ["sh", "-c", script], {
          resources: { cpus: 0.5, mem: 64, ports: [{ begin: hostPort!, end: hostPort! }] },
          containerPorts: [8080],
          pidsLimit: 50,
          env: { FOO: "bar" },
          labels: { team: "web" }
        })
      )
      expect(status).toMatchObject({ taskId: "limits", frameworkId: "fw-1", state: "running", hostPorts: [hostPort] })
      const info = yield* Effect.promise(() => inspect(socketPath, status.containerId!))
      expect(info.HostConfig).toMatchObject({
        CpuShares: 512,
        CpuQuota: 50_000,
        CpuPeriod: 100_000,
        Memory: 64 * 1024 * 1024,
        MemorySwap: 64 * 1024 * 1024,
        PidsLimit: 50,
        PortBindings: { "8080/tcp": [{ HostIp: "", HostPort: String(hostPort) }] }
      })
      expect(info.Config.Env).toContain("FOO=bar")
      expect(info.Config.Labels).toMatchObject({
        team: "web",
        "orchestrator.agent-id": containerizer.agentId,
        "orchestrator.task-id": "limits",
        "orchestrator.framework-id": "fw-1"
      })
      const done = yield* Fiber.join(finished)
      expect(done).toMatchObject({ state: "finished", exitCode: 0 })
      const output = yield* Effect.promise(() => logsOf(socketPath, status.containerId!))
      const values = Object.fromEntries(
        output
          .trim()
          .split("\n")
          .map((line) => line.split("=") as [string, string])
      )
      expect(values.FOO).toBe("bar")
      if (values["memory/memory.limit_in_bytes"] !== undefined) {
        // cgroup v1
        expect(values).toMatchObject({
          "memory/memory.limit_in_bytes": String(64 * 1024 * 1024),
          "cpu/cpu.cfs_quota_us": "50000",
          "cpu/cpu.cfs_period_us": "100000",
          "cpu/cpu.shares": "512",
          "pids/pids.max": "50"
        })
      } else {
        expect(values).toMatchObject({
          "memory.max": String(64 * 1024 * 1024),
          "cpu.max": "50000 100000",
          "pids.max": "50"
        })
      }
    })
  )

  it.live("reports exit codes: 0 -> finished, non-zero -> failed", () =>
    Effect.gen(function* () {
      const containerizer = yield* open()
      const ok = yield* nextUpdate(containerizer, "ok", ["finished", "failed"])
      const bad = yield* nextUpdate(containerizer, "bad", ["finished", "failed"])
      yield* containerizer.launch("fw", task("ok", ["true"]))
      yield* containerizer.launch("fw", task("bad", ["sh", "-c", "exit 3"]))
      expect(yield* Fiber.join(ok)).toMatchObject({
        taskId: "ok",
        state: "finished",
        exitCode: 0,
        message: "exited with code 0"
      })
      expect(yield* Fiber.join(bad)).toMatchObject({
        taskId: "bad",
        state: "failed",
        exitCode: 3,
        message: "exited with code 3"
      })
    })
  )

  it.live("kill stops the container and reports killed; an unknown task is NotFound", () =>
    Effect.gen(function* () {
      const containerizer = yield* open()
      const killed = yield* nextUpdate(containerizer, "sleeper", ["killed", "failed", "finished"])
      yield* containerizer.launch("fw", task("sleeper", ["sleep", "600"]))
      yield* containerizer.kill("sleeper")
      expect(yield* Fiber.join(killed)).toMatchObject({ state: "killed", exitCode: 137, message: "killed on request" })
      const missing = yield* containerizer.kill("nope").pipe(Effect.flip)
      expect(missing).toMatchObject({ _tag: "NotFound", kind: "task", id: "nope" })
    })
  )

  it.live("a task Docker refuses (unknown image, memory below Docker's minimum) fails with the reason", () =>
    Effect.gen(function* () {
      const containerizer = yield* open()
      const noImage = yield* containerizer.launch(
        "fw",
        task("no-image", ["true"], { image: "orchestrator/no-such-image:1" })
      )
      expect(noImage.state).toBe("failed")
      expect(noImage.message).toMatch(/no-such-image/)
      const tiny = yield* containerizer.launch("fw", task("tiny", ["true"], { resources: { mem: 1 } }))
      expect(tiny.state).toBe("failed")
      expect(tiny.message).toMatch(/memory/i)
    })
  )

  it.live("after an agent restart, a new containerizer re-attaches to its containers by label", () =>
    Effect.gen(function* () {
      const agentId = uniqueId("restart")
      const before = yield* Effect.scoped(
        Effect.gen(function* () {
          const first = yield* open(agentId)
          const done = yield* nextUpdate(first, "short", ["finished", "failed"])
          const long = yield* first.launch(
            "fw-a",
            task("long", ["sleep", "600"], { resources: { cpus: 0.2, mem: 48 } })
          )
          yield* first.launch("fw-a", task("short", ["sh", "-c", "exit 7"]))
          yield* Fiber.join(done)
          return long
        })
      )
      const second = yield* open(agentId)
      const recovered = yield* second.recover
      const byTask = Object.fromEntries(recovered.map((status) => [status.taskId, status]))
      expect(Object.keys(byTask).sort()).toEqual(["long", "short"])
      expect(byTask.long).toMatchObject({
        state: "running",
        frameworkId: "fw-a",
        agentId,
        containerId: before.containerId,
        resources: { cpus: 0.2, mem: 48 }
      })
      expect(byTask.short).toMatchObject({ state: "failed", exitCode: 7 })
      const killed = yield* nextUpdate(second, "long", ["killed"])
      yield* second.kill("long")
      expect(yield* Fiber.join(killed)).toMatchObject({ state: "killed" })
      yield* second.remove("long")
      yield* second.remove("short")
      expect(yield* Effect.promise(() => containersOf(socketPath, agentId))).toEqual([])
    })
  )

  it.live("reports a kill of a container that was created but never started (no exit will report it)", () =>
    Effect.gen(function* () {
      const containerizer = yield* open()
      const taskId = uniqueId("created")
      // what `launch` leaves between its create and start calls: a container with the task's labels, not started
      const created = yield* Effect.promise(() =>
        engineRequest(socketPath, "POST", `/containers/create?name=orch-${taskId}`, {
          contentType: "application/json",
          body: Buffer.from(
            JSON.stringify({
              Image: testImage,
              Cmd: ["sleep", "60"],
              Labels: Labels.encode({
                agentId: containerizer.agentId,
                taskId,
                frameworkId: "fw-1",
                resources: {},
                hostPorts: []
              })
            })
          )
        })
      )
      expect(created.status, created.body).toBe(201)
      const update = yield* nextUpdate(containerizer, taskId, ["killed"])
      yield* containerizer.kill(taskId)
      expect(yield* Fiber.join(update)).toMatchObject({ state: "killed", message: "killed before it started" })
      const [container] = yield* Effect.promise(() => containersOf(socketPath, containerizer.agentId))
      expect(container?.State).toBe("created")
      yield* containerizer.remove(taskId)
    })
  )
})
