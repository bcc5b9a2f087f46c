import { Fields, PluginRegistry, type Report } from "@orchestrator/core"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { engineRequest } from "../../../test/fixtures/dockerApi.js"
import { dockerFixture, requireDocker } from "../../../test/fixtures/index.js"
import * as DockerCollector from "../src/DockerCollector.js"
import * as DockerControls from "../src/DockerControls.js"
import { Demuxer, frame } from "../src/internal/docker/demux.js"
import { closedReason, control, controlChannel, output, resultOf, send } from "./docker/controlChannel.js"
import { sleeper, testContainers } from "./docker/helpers.js"
import { waitFor } from "./fakeApp.js"

const hostId = "test-host"
const probe = { hostId, probeId: "p1" }

describe("Docker stream demultiplexing", () => {
  it("strips 8-byte frame headers, whatever the chunking", () => {
    const stream = Buffer.concat([frame(1, "out-1\n"), frame(2, "err-1\n"), frame(1, ""), frame(1, "out-2\n")])
    for (const size of [1, 3, 7, 8, 9, stream.length]) {
      const seen: Array<string> = []
      const demuxer = new Demuxer((payload, type) => seen.push(`${type}:${payload.toString()}`))
      for (let at = 0; at < stream.length; at += size) demuxer.push(stream.subarray(at, at + size))
      expect(seen, `chunks of ${size}`).toEqual(["1:out-1\n", "2:err-1\n", "1:out-2\n"])
      expect(demuxer.buffered).toBe(0)
    }
  })
})

describe.skipIf(dockerFixture() === null)("DockerControls (the shared dockerd)", () => {
  const { socketPath, testImage } = dockerFixture() === null ? { socketPath: "", testImage: "" } : requireDocker()
  const { api, run: runContainer, removeAll } = testContainers(socketPath, testImage, "orch-probe-test-controls-")
  beforeAll(removeAll)
  afterAll(removeAll)

  const inspect = (id: string) =>
    api("GET", `/containers/${id}/json`) as Promise<{
      Id: string
      State: { Status: string; Running: boolean; StartedAt: string }
    }>

  const setup = () => {
    const host = new PluginRegistry.PluginHost()
    const collector = DockerCollector.plugin()
    host.register(collector, { socketPath, events: false, stats: "off" })
    host.register(DockerControls.plugin(), { socketPath })
    const nodeOf = async (id: string): Promise<Report.Node> =>
      (await host.runCollectors(probe, 10_000)).topologies.containers![id]!
    const run = async (action: string, id: string, args: Record<string, unknown> = {}, withNode = true) =>
      host.runControl(
        { id: `${action}-${Math.random()}`, nodeId: id, topology: "containers", action, args },
        withNode ? { ...probe, node: await nodeOf(id) } : probe
      )
    return { host, collector, nodeOf, run }
  }

  it("start, stop, pause, unpause, restart and remove really change the container's state", async () => {
    const { id, name } = await runContainer("lifecycle", sleeper)
    const { run, collector } = setup()
    const ids = DockerControls.Ids

    expect(await run(ids.stop, id)).toEqual({ container: id, name, state: "exited", changed: true })
    expect((await inspect(id)).State.Status).toBe("exited")
    // already stopped: the engine answers 304, the control says so
    expect(await run(ids.stop, id, {}, false)).toEqual({ container: id, name, state: "exited", changed: false })

    expect(await run(ids.start, id)).toEqual({ container: id, name, state: "running", changed: true })
    expect((await inspect(id)).State.Running).toBe(true)

    expect(await run(ids.pause, id)).toEqual({ container: id, name, state: "paused", changed: true })
    expect((await inspect(id)).State.Status).toBe("paused")

    expect(await run(ids.unpause, id)).toEqual({ container: id, name, state: "running", changed: true })
    expect((await inspect(id)).State.Status).toBe("running")

    const startedBefore = (await inspect(id)).State.StartedAt
    expect(await run(ids.restart, id, { timeoutSeconds: 5 })).toEqual({
      container: id,
      name,
      state: "running",
      changed: true
    })
    expect((await inspect(id)).State.StartedAt).not.toBe(startedBefore)

    // a running container cannot be removed through the control (appliesTo), only once stopped
    await expect(run(ids.remove, id)).rejects.toThrow(`control "docker.remove" does not apply to node "${id}"`)
    await run(ids.stop, id)
    expect(await run(ids.remove, id)).toEqual({ container: id, name, removed: true })
    const gone = await engineRequest(socketPath, "GET", `/containers/${id}/json`)
    expect(gone.status).toBe(404)
    collector.close()
  })

  it("offers controls by state and names the container in every error", async () => {
    const { id, name } = await runContainer("errors", sleeper)
    const { host, nodeOf, run } = setup()
    const running = await nodeOf(id)
    expect(
      host
        .controlsFor(running)
        .map((c) => c.id)
        .sort()
    ).toEqual([...DockerControls.forState("running")].sort())
    expect(host.controlsFor(running).find((c) => c.id === DockerControls.Ids.stop)).toEqual({
      id: "docker.stop",
      label: "Stop",
      icon: "stop",
      permission: "containers:write"
    })
    await expect(run(DockerControls.Ids.start, id)).rejects.toThrow(
      `control "docker.start" does not apply to node "${id}"`
    )
    await api("POST", `/containers/${id}/pause`)
    const paused = await nodeOf(id)
    expect(paused.latest[Fields.Latest.containerState]!.value).toBe("paused")
    expect(
      host
        .controlsFor(paused)
        .map((c) => c.id)
        .sort()
    ).toEqual(["docker.inspect", "docker.logs", "docker.stop", "docker.unpause"])
    // the engine refuses: the error says which action, which container, and why
    await expect(run(DockerControls.Ids.pause, id, {}, false)).rejects.toThrow(
      new RegExp(`docker\\.pause on container ${id.slice(0, 12)}: .*paused`)
    )
    await api("POST", `/containers/${id}/unpause`)
    const missing = "0".repeat(64)
    await expect(run(DockerControls.Ids.stop, missing, {}, false)).rejects.toThrow(
      `docker.stop on container 000000000000: No such container: ${missing}`
    )
    await expect(
      host.runControl(
        { id: "x", nodeId: id, topology: "containers", action: "docker.stop", args: {} },
        {
          ...probe,
          node: {
            ...running,
            latest: { ...running.latest, [Fields.Latest.containerState]: { value: "running", timestamp: 0 } }
          }
        }
      )
    ).resolves.toMatchObject({ container: id, name, state: "exited" })
    await expect(run(DockerControls.Ids.inspect, "../../images/json", {}, false)).rejects.toThrow(
      'docker.inspect: "../../images/json" is not a container id or name'
    )
  })

  it("inspect returns the container with secret env values redacted", async () => {
    // a value no hash or path in the inspect JSON can contain by chance (a short one like "abc" can)
    const secret = "Zq-inspect-secret-value-Zq"
    const { id, name } = await runContainer("inspect", { ...sleeper, Env: [`SECRET_KEY=${secret}`, "MODE=prod"] })
    const { run } = setup()
    const json = (await run(DockerControls.Ids.inspect, id)) as {
      Id: string
      Name: string
      Config: { Env: Array<string> }
    }
    expect(json.Id).toBe(id)
    expect(json.Name).toBe(`/${name}`)
    expect(json.Config.Env).toEqual(expect.arrayContaining(["SECRET_KEY=<redacted>", "MODE=prod"]))
    expect(JSON.stringify(json)).not.toContain(secret)
  })

  const channel = controlChannel(socketPath, hostId)

  it.live("answers every target of a bulk request on its own", () =>
    Effect.gen(function* () {
      const [a, b] = yield* Effect.promise(() =>
        Promise.all([runContainer("bulk-a", sleeper), runContainer("bulk-b", sleeper)])
      )
      const { connection } = yield* channel
      const missing = "f".repeat(64)
      // the app turns one call naming many containers into one request per target (routes/control.ts)
      for (const [requestId, nodeId] of [
        ["r-a", a!.id],
        ["r-b", b!.id],
        ["r-missing", missing]
      ] as const) {
        send(connection, control(requestId, nodeId, "docker.stop", { timeoutSeconds: 5 }))
      }
      expect(yield* resultOf(connection, "r-a")).toEqual({
        id: "r-a",
        ok: true,
        result: { container: a!.id, name: a!.name, state: "exited", changed: true }
      })
      expect(yield* resultOf(connection, "r-b")).toEqual({
        id: "r-b",
        ok: true,
        result: { container: b!.id, name: b!.name, state: "exited", changed: true }
      })
      expect(yield* resultOf(connection, "r-missing")).toEqual({
        id: "r-missing",
        ok: false,
        error: expect.stringContaining(`docker.stop on container ffffffffffff: No such container: ${missing}`)
      })
    })
  )

  it.live("streams logs: the last N lines, then what follows; demultiplexed, or raw with a TTY", () =>
    Effect.gen(function* () {
      const plain = yield* Effect.promise(() =>
        runContainer("logs", {
          Cmd: [
            "sh",
            "-c",
            "for i in 1 2 3 4 5; do echo line-$i; done; while [ ! -f /tmp/go ]; do sleep 0.1; done; echo after-1; sleep 0.2; echo after-2 >&2; exec sleep 3600"
          ]
        })
      )
      const tty = yield* Effect.promise(() =>
        runContainer("logs-tty", { Tty: true, Cmd: ["sh", "-c", "echo tty-out; exec sleep 3600"] })
      )
      const { connection, probe: probeChannel } = yield* channel
      yield* Effect.sleep(300)
      send(connection, control("follow", plain.id, "docker.logs", { tail: 2, follow: true }))
      const follow = yield* resultOf(connection, "follow")
      expect(follow).toEqual({
        id: "follow",
        ok: true,
        pipeId: expect.any(String),
        result: { container: plain.id, name: plain.name, follow: true, tail: "2", tty: false }
      })
      yield* waitFor("the last two lines", () => output(connection, follow.pipeId!).length >= 14)
      expect(output(connection, follow.pipeId!)).toBe("line-4\nline-5\n")
      yield* Effect.promise(async () => {
        const { Id } = (await api("POST", `/containers/${plain.id}/exec`, { Cmd: ["touch", "/tmp/go"] })) as {
          Id: string
        }
        await api("POST", `/exec/${Id}/start`, { Detach: true })
      })
      yield* waitFor("lines written after the request", () => output(connection, follow.pipeId!).includes("after-2\n"))
      expect(output(connection, follow.pipeId!)).toBe("line-4\nline-5\nafter-1\nafter-2\n")
      expect(closedReason(connection, follow.pipeId!)).toBeUndefined()
      send(connection, { type: "pipe.close", pipeId: follow.pipeId! })
      yield* waitFor("the follow pipe to close", () => probeChannel.stats().pipesOpen === 0)

      send(connection, control("all", plain.id, "docker.logs", { tail: "all", follow: false }))
      const all = yield* resultOf(connection, "all")
      yield* waitFor("the end of the logs", () => closedReason(connection, all.pipeId!) !== undefined)
      expect(output(connection, all.pipeId!)).toBe("line-1\nline-2\nline-3\nline-4\nline-5\nafter-1\nafter-2\n")
      expect(closedReason(connection, all.pipeId!)).toBe("end of logs")

      send(connection, control("tty", tty.id, "docker.logs", { follow: false }))
      const raw = yield* resultOf(connection, "tty")
      expect(raw.result).toMatchObject({ tty: true, tail: "200" })
      yield* waitFor("the end of the TTY logs", () => closedReason(connection, raw.pipeId!) !== undefined)
      expect(output(connection, raw.pipeId!)).toBe("tty-out\r\n")
    })
  )

  it.live("execs a shell with a TTY: input is echoed and run, resize reaches the terminal, exit closes the pipe", () =>
    Effect.gen(function* () {
      const { id } = yield* Effect.promise(() => runContainer("exec", sleeper))
      const { connection } = yield* channel
      send(connection, control("exec", id, "docker.exec", { cols: 80, rows: 24 }))
      const result = yield* resultOf(connection, "exec")
      expect(result).toMatchObject({ ok: true, result: { container: id, tty: true, exec: expect.any(String) } })
      const pipeId = result.pipeId!
      const input = (text: string) =>
        send(connection, { type: "pipe.input", pipeId, data: Buffer.from(text).toString("base64") })
      input("busybox stty size; echo $((6*7))\n")
      yield* waitFor("the answer", () => /\r\n42\r\n/.test(output(connection, pipeId)))
      expect(output(connection, pipeId)).toContain("24 80")
      send(connection, { type: "pipe.resize", pipeId, cols: 100, rows: 30 })
      yield* Effect.sleep(300)
      input("busybox stty size\n")
      yield* waitFor("the new size", () => output(connection, pipeId).includes("30 100"))
      input("exit 3\n")
      yield* waitFor("the pipe to close", () => closedReason(connection, pipeId) !== undefined)
      expect(closedReason(connection, pipeId)).toBe("exited with code 3")
      // the container itself goes on
      expect((yield* Effect.promise(() => inspect(id))).State.Running).toBe(true)
    })
  )

  it.live("attaches to the container's own terminal, and detaching leaves it running", () =>
    Effect.gen(function* () {
      const { id } = yield* Effect.promise(() => runContainer("attach", { Tty: true, OpenStdin: true, Cmd: ["sh"] }))
      const ticker = yield* Effect.promise(() =>
        runContainer("attach-plain", { Cmd: ["sh", "-c", "i=0; while :; do i=$((i+1)); echo out-$i; sleep 0.1; done"] })
      )
      const { connection, probe: probeChannel } = yield* channel
      send(connection, control("attach", id, "docker.attach", { cols: 90, rows: 20 }))
      const result = yield* resultOf(connection, "attach")
      expect(result).toMatchObject({ ok: true, result: { container: id, tty: true, stdin: true } })
      const pipeId = result.pipeId!
      send(connection, {
        type: "pipe.input",
        pipeId,
        data: Buffer.from("busybox stty size; echo attached-$((1+1))\n").toString("base64")
      })
      yield* waitFor("the container's shell to answer", () => output(connection, pipeId).includes("attached-2"))
      expect(output(connection, pipeId)).toContain("20 90")
      send(connection, { type: "pipe.close", pipeId })
      yield* waitFor("the pipe to close", () => probeChannel.stats().pipesOpen === 0)
      yield* Effect.sleep(300)
      expect((yield* Effect.promise(() => inspect(id))).State.Running).toBe(true)

      // without a TTY the output is demultiplexed: lines only, no frame headers
      send(connection, control("attach-plain", ticker.id, "docker.attach"))
      const plain = yield* resultOf(connection, "attach-plain")
      expect(plain.result).toMatchObject({ tty: false, stdin: false })
      yield* waitFor("a few lines", () => output(connection, plain.pipeId!).split("\n").length > 4)
      expect(output(connection, plain.pipeId!)).toMatch(/^(out-\d+\n)+$/)
    })
  )
})
