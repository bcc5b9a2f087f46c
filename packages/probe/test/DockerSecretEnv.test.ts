/**
 * Secret env values never leave the probe: the variables a container's `orchestrator.secret-env` label lists
 * are redacted in reports (the container's node, its processes' command lines, the app server's aggregator and
 * node details) and in every control answer and stream (inspect, logs, exec, attach, lifecycle), against the
 * shared dockerd.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { App, type ControlProtocol, Fields, type Plugin, PluginRegistry, Report, Topology } from "@orchestrator/core"
import { secretEnvLabel } from "@orchestrator/core/docker"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { dockerFixture, requireDocker } from "../../../test/fixtures/index.js"
import * as DockerCollector from "../src/DockerCollector.js"
import * as ProcessCollector from "../src/ProcessCollector.js"
import {
  redacted,
  redactEntry,
  redactEnv,
  redactInspect,
  rulesFor,
  scrubber,
  secretValues
} from "../src/internal/docker/redact.js"
import { streamScrubber } from "../src/internal/docker/scrubStream.js"
import { createProbe } from "../src/RunningProbe.js"
import { closedReason, control, controlChannel, output, resultOf, send } from "./docker/controlChannel.js"
import { dockerCollector, testContainers, until } from "./docker/helpers.js"
import { waitFor } from "./fakeApp.js"

const secret = "hunter2-value"
const hostId = "test-host"

describe("secret env redaction (pure)", () => {
  const listed = rulesFor({ [secretEnvLabel]: " DB , ABSENT,," }, true)

  it("redacts the listed variables whatever their names, with or without the name rule", () => {
    expect([...listed.listed]).toEqual(["DB", "ABSENT"])
    expect(redactEntry("DB=hunter2-value", listed)).toBe("DB=<redacted>")
    expect(redactEntry("DB=hunter2-value", { ...listed, byName: false })).toBe("DB=<redacted>")
    expect(redactEntry("DB=hunter2-value")).toBe("DB=hunter2-value")
    expect(redactEntry("API_TOKEN=t", { ...listed, byName: false })).toBe("API_TOKEN=t")
    expect(redactEntry("API_TOKEN=t", listed)).toBe("API_TOKEN=<redacted>")
    // a name alone (no value) carries nothing; an empty value stays recognisably redacted
    expect(redactEntry("DB", listed)).toBe("DB")
    expect(redactEntry("DB=", listed)).toBe("DB=<redacted>")
  })

  it("removes listed values from other entries, ignoring values too short to look for", () => {
    const env = ["DB=hunter2-value", "COPY=x-hunter2-value-y", "PIN=12", "PORT=12", "PLAIN=visible"]
    const rules = rulesFor({ [secretEnvLabel]: "DB,PIN" }, false)
    expect(secretValues(env, rules.listed)).toEqual([secret])
    expect(redactEnv(env, rules)).toEqual([
      "DB=<redacted>",
      "COPY=x-<redacted>-y",
      "PIN=<redacted>",
      "PORT=12",
      "PLAIN=visible"
    ])
    expect(scrubber([])("unchanged")).toBe("unchanged")
    expect(scrubber(["abcdef", "abcd"])("abcdefabcd")).toBe(`${redacted}${redacted}`)
  })

  it("redacts an inspect answer by its own labels, and the listed values anywhere in it", () => {
    const json = {
      Id: "c1",
      Args: ["-c", "echo hunter2-value"],
      Config: {
        Env: ["DB=hunter2-value", "PLAIN=visible", "SECRET_KEY=k"],
        Labels: { [secretEnvLabel]: "DB,NOT_SET" },
        Tty: false
      }
    }
    const out = redactInspect(json) as typeof json
    expect(out.Config.Env).toEqual(["DB=<redacted>", "PLAIN=visible", "SECRET_KEY=<redacted>"])
    expect(out.Args).toEqual(["-c", "echo <redacted>"])
    expect(out.Config.Labels).toEqual({ [secretEnvLabel]: "DB,NOT_SET" })
    expect(JSON.stringify(out)).not.toContain(secret)
    const byLabelOnly = redactInspect(json, false) as typeof json
    expect(byLabelOnly.Config.Env).toEqual(["DB=<redacted>", "PLAIN=visible", "SECRET_KEY=k"])
    // not an inspect answer: given back as it is
    expect(redactInspect("text")).toBe("text")
    expect(redactInspect({ Id: "x" })).toEqual({ Id: "x" })
  })

  it("scrubs a stream whatever its chunking, holding back no more than a value's start", () => {
    const values = ["hunter2-value", "hunt", "pässwörd", "er2-v"]
    const whole = scrubber([...values].sort((a, b) => b.length - a.length))
    const text = fc
      .array(fc.constantFrom("hunter2-value", "hunter", "hunt", "pässwörd", "päss", "er2", "h", "-", "x\n", "é"), {
        maxLength: 30
      })
      .map((parts) => parts.join(""))
    fc.assert(
      fc.property(text, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 10 }), (input, sizes) => {
        const bytes = Buffer.from(input, "utf8")
        const scrub = streamScrubber(values)
        const out: Array<Buffer> = []
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const size = sizes[i % sizes.length]!
          out.push(scrub.push(bytes.subarray(at, at + size)))
          at += size
        }
        out.push(scrub.end())
        expect(Buffer.concat(out).toString("utf8")).toBe(whole(input))
      })
    )
    const scrub = streamScrubber(values)
    expect(scrub.push(Buffer.from("ok hunt")).toString()).toBe("ok ")
    expect(scrub.push(Buffer.from("er2-value!")).toString()).toBe(`${redacted}!`)
    expect(scrub.end().length).toBe(0)
    // held back as the start of a longer value, redacted as a shorter one when the stream ends there
    expect(scrub.push(Buffer.from("hunt")).toString()).toBe("")
    expect(scrub.end().toString()).toBe(redacted)
    expect(streamScrubber([]).push(Buffer.from("as is")).toString()).toBe("as is")
  })
})

describe("the secrets tagger against an engine that does not answer", () => {
  it("hides the command lines of an uninspected container within its budget (never passes them on as they are)", async () => {
    // a Docker socket that accepts connections and never answers
    const dir = mkdtempSync(join(tmpdir(), "probe-silent-engine-"))
    const socketPath = join(dir, "docker.sock")
    const held = new Set<Socket>()
    const silent = createServer((socket) => held.add(socket))
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve))
    const docker = DockerCollector.plugin()
    const host = new PluginRegistry.PluginHost()
    host.register(docker, { socketPath, events: false, stats: "off", requestTimeoutMs: 300 })
    const probe = { hostId, probeId: "p1" }
    const container = "c0ffee".padEnd(64, "0")
    const node = Report.makeNode(Topology.Topologies.processes, `${hostId};4242`, {
      latest: Report.latestFields(1, { [Fields.Latest.command]: `task ${secret}`, [Fields.Latest.pid]: 4242 }),
      parents: { [Topology.Topologies.containers]: [container] }
    })
    try {
      await host.runCollectors(probe, 20_000)
      const started = Date.now()
      const tagged = await host.runTaggers({ topologies: { processes: { [node.id]: node } } }, probe, 20_000)
      expect(Date.now() - started).toBeLessThan(3_000)
      expect(tagged.health.find((h) => h.name === "docker/tagger/secrets")?.status).toBe("ok")
      expect(tagged.topologies.processes?.[node.id]?.latest[Fields.Latest.command]?.value).toBe(redacted)
      expect(tagged.topologies.processes?.[node.id]?.latest[Fields.Latest.pid]?.value).toBe("4242")
    } finally {
      docker.close()
      for (const socket of held) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe.skipIf(dockerFixture() === null)("secret env redaction (the shared dockerd)", () => {
  const { socketPath, testImage } = dockerFixture() === null ? { socketPath: "", testImage: "" } : requireDocker()
  const { api, run: runContainer, removeAll } = testContainers(socketPath, testImage, "orch-probe-test-secret-env-")
  beforeAll(removeAll)
  afterAll(removeAll)

  /** Prints its env every 200 ms; `ABSENT` is listed but not set. */
  const spec = (labelled: boolean) => ({
    Cmd: ["sh", "-c", "trap 'exit 0' TERM; while :; do echo \"db=$DB plain=$PLAIN\"; sleep 0.2; done"],
    Env: [`DB=${secret}`, "PLAIN=visible"],
    Labels: labelled ? { [secretEnvLabel]: "DB,ABSENT", "orch.test": "secret-env" } : { "orch.test": "secret-env" }
  })
  /** A labelled task whose argv holds the value: the shell expands "$DB" into the argv of the process it execs. */
  const argvSpec = {
    ...spec(true),
    Cmd: ["sh", "-c", `exec sh -c 'trap "exit 0" TERM; while :; do sleep 0.2; done' task "$DB"`]
  }
  /** The command lines of container `id`'s processes in a fragment. */
  const commandsOf = (id: string) => (fragment: Plugin.ReportFragment) =>
    Object.values(fragment.topologies.processes ?? {})
      .filter((node) => node.parents[Topology.Topologies.containers]?.[0] === id)
      .map((node) => node.latest[Fields.Latest.command]?.value ?? "")

  it("reports DB=<redacted> and PLAIN=visible, by the label, even with the name rule off", async () => {
    const [labelled, unlabelled] = await Promise.all([
      runContainer("labelled", spec(true)),
      runContainer("plain", spec(false))
    ])
    for (const redactEnv of [true, false]) {
      const { plugin, collect } = dockerCollector(
        hostId,
        { socketPath, redactEnv, events: false, stats: "off" },
        20_000
      )
      const fragment = await collect()
      plugin.close()
      const node = fragment.topologies.containers![labelled.id]!
      expect(node.sets[Fields.Sets.env]).toEqual(expect.arrayContaining(["DB=<redacted>", "PLAIN=visible"]))
      expect(node.labels[secretEnvLabel]?.value).toBe("DB,ABSENT")
      expect(JSON.stringify(node)).not.toContain(secret)
      // the same env without the label: `DB` is not a secret-looking name, so its value shows
      expect(fragment.topologies.containers![unlabelled.id]!.sets[Fields.Sets.env]).toContain(`DB=${secret}`)
    }
    await api("DELETE", `/containers/${unlabelled.id}?force=1`)
  })

  it("keeps the value out of the container's processes' command lines (the Docker plugin's tagger)", async () => {
    const { id } = await runContainer("argv", argvSpec)
    const host = new PluginRegistry.PluginHost()
    const docker = DockerCollector.plugin()
    host.register(ProcessCollector.plugin(), {})
    host.register(docker, { socketPath, events: false, stats: "off" })
    const probe = { hostId, probeId: "p1" }
    try {
      const collected = await host.runCollectors(probe, 20_000)
      const command = commandsOf(id)
      // what the process collector alone sees
      expect(command(collected).some((line) => line.endsWith(`task ${secret}`))).toBe(true)
      const tagged = await host.runTaggers(collected, probe, 20_000)
      expect(tagged.health.find((h) => h.name === "docker/tagger/secrets")?.status).toBe("ok")
      expect(command(tagged)).toContainEqual(expect.stringMatching(/task <redacted>$/))
      expect(JSON.stringify(tagged)).not.toContain(secret)
      // processes of other containers and of the host are left as they are
      const others = Object.values(tagged.topologies.processes ?? {}).filter(
        (node) => node.parents[Topology.Topologies.containers]?.[0] !== id
      )
      expect(others.length).toBeGreaterThan(0)
      for (const node of others) expect(node).toEqual(collected.topologies.processes![node.id])
    } finally {
      docker.close()
    }
  })

  it("inspects a container started after the Docker collector's last run (also with no run at all); a socket with no engine knows none", async () => {
    // the Docker plugin collects before the container exists, the process collector after it started
    const docker = DockerCollector.plugin()
    const dockerHost = new PluginRegistry.PluginHost()
    dockerHost.register(docker, { socketPath, events: false, stats: "off" })
    const processHost = new PluginRegistry.PluginHost()
    processHost.register(ProcessCollector.plugin(), {})
    const probe = { hostId, probeId: "p1" }
    const unreachable = DockerCollector.plugin()
    const unreachableHost = new PluginRegistry.PluginHost()
    unreachableHost.register(unreachable, { socketPath: "/nonexistent/docker.sock", events: false, stats: "off" })
    try {
      await dockerHost.runCollectors(probe, 20_000)
      const { id } = await runContainer("late", argvSpec)
      const collected = await processHost.runCollectors(probe, 20_000)
      const commands = commandsOf(id)
      expect(commands(collected).some((line) => line.endsWith(`task ${secret}`))).toBe(true)
      // this engine knows the container: the tagger inspects it now and replaces the value
      const tagged = await dockerHost.runTaggers(collected, probe, 20_000)
      expect(commands(tagged)).toContainEqual(expect.stringMatching(/task <redacted>$/))
      expect(JSON.stringify(tagged)).not.toContain(secret)
      // a Docker plugin whose collector never ran (disabled in the probe's config) inspects them too
      const idle = DockerCollector.plugin()
      const idleHost = new PluginRegistry.PluginHost()
      idleHost.register(idle, { socketPath, events: false, stats: "off" })
      const byIdle = await idleHost.runTaggers(collected, probe, 20_000)
      idle.close()
      expect(commands(byIdle)).toContainEqual(expect.stringMatching(/task <redacted>$/))
      expect(JSON.stringify(byIdle)).not.toContain(secret)
      // no engine at the plugin's socket (a host without Docker: its containers are another runtime's): the
      // command lines are left as they are, as are the host's own processes' (an engine that exists but does not
      // answer, or a container of its own it cannot answer for, hides them: the tests around this one)
      await unreachableHost.runCollectors(probe, 20_000)
      const unknown = await unreachableHost.runTaggers(collected, probe, 20_000)
      expect(unknown.topologies.processes).toEqual(collected.topologies.processes)
    } finally {
      docker.close()
      unreachable.close()
    }
  })

  it("hides the command lines of a container of this engine removed before the tagger ran (a 404 is not 'foreign')", async () => {
    const docker = DockerCollector.plugin()
    const dockerHost = new PluginRegistry.PluginHost()
    // with the event stream: the container's events tell the plugin it is one of this engine's
    dockerHost.register(docker, { socketPath, stats: "off" })
    const processHost = new PluginRegistry.PluginHost()
    processHost.register(ProcessCollector.plugin(), {})
    const probe = { hostId, probeId: "p1" }
    try {
      await dockerHost.runCollectors(probe, 20_000)
      await until("the event stream", () => docker.stats().events.connected)
      const before = docker.stats().events.events
      const { id } = await runContainer("removed", argvSpec)
      await until("its events", () => docker.stats().events.events > before)
      const collected = await processHost.runCollectors(probe, 20_000)
      const commands = commandsOf(id)
      expect(commands(collected).some((line) => line.endsWith(`task ${secret}`))).toBe(true)
      await api("DELETE", `/containers/${id}?force=1`)
      const tagged = await dockerHost.runTaggers(collected, probe, 20_000)
      expect(commands(tagged).length).toBeGreaterThan(0)
      expect(commands(tagged).every((line) => line === redacted)).toBe(true)
      expect(JSON.stringify(tagged)).not.toContain(secret)
    } finally {
      docker.close()
    }
  })

  it("never shows the value in what the app server holds and serves", async () => {
    const { id } = await runContainer("app", spec(true))
    const app = await App.createApp({ port: 0 })
    const probe = await createProbe({
      appUrl: app.url,
      probeId: "secret-env-probe",
      intervalMs: 500,
      plugins: [],
      builtins: { processes: false, kubernetes: false, docker: true, dockerSocket: socketPath }
    })
    try {
      const snapshot = await probe.collect()
      expect(snapshot.topologies.containers?.[id]).toBeDefined()
      expect(JSON.stringify(snapshot)).not.toContain(secret)
      await until(
        "the container on the app",
        () => app.aggregator.topology("containers").nodes.some((node) => node.id === id),
        30_000
      )
      const details = await fetch(`${app.url}/api/v1/query/nodes/containers/${id}`)
      expect(details.status).toBe(200)
      const text = await details.text()
      expect(text).toContain("visible")
      expect(text).toContain(redacted)
      expect(text).not.toContain(secret)
      const held = [
        app.aggregator.topology("containers"),
        await app.aggregator.node("containers", id),
        await (await fetch(`${app.url}/api/v1/query/topology?topology=containers`)).text()
      ]
      for (const value of held) expect(typeof value === "string" ? value : JSON.stringify(value)).not.toContain(secret)
      const search = await fetch(`${app.url}/api/v1/query/search?q=${encodeURIComponent(secret)}`)
      expect(((await search.json()) as { nodes: ReadonlyArray<unknown> }).nodes).toEqual([])
    } finally {
      await probe.stop()
      await app.close()
    }
  })

  it.live("answers every control on the container without the value: inspect, logs, exec, attach, lifecycle", () =>
    Effect.gen(function* () {
      const { id } = yield* Effect.promise(() => runContainer("controls", spec(true)))
      // the engine itself has the value: only the probe keeps it in
      expect(JSON.stringify(yield* Effect.promise(() => api("GET", `/containers/${id}/json`)))).toContain(secret)
      const { connection } = yield* controlChannel(socketPath, hostId)
      const results = new Map<string, ControlProtocol.ControlResult>()
      const run = (action: string, args: Record<string, unknown> = {}) =>
        Effect.gen(function* () {
          const requestId = `${action}-${results.size}`
          send(connection, control(requestId, id, action, args))
          const result = yield* resultOf(connection, requestId, 60_000)
          expect(result, action).toMatchObject({ ok: true })
          results.set(requestId, result)
          return result
        })
      const closed = (pipeId: string) => closedReason(connection, pipeId) !== undefined

      const inspect = (yield* run("docker.inspect")).result as { Config: { Env: Array<string> } }
      expect(inspect.Config.Env).toEqual(expect.arrayContaining(["DB=<redacted>", "PLAIN=visible"]))

      yield* Effect.sleep(600)
      const logs = yield* run("docker.logs", { follow: false, tail: "all" })
      yield* waitFor("the end of the logs", () => closed(logs.pipeId!), 30_000)
      expect(output(connection, logs.pipeId!)).toContain("db=<redacted> plain=visible\n")

      const exec = yield* run("docker.exec", { command: ["busybox", "env"] })
      yield* waitFor("env to exit", () => closed(exec.pipeId!), 30_000)
      expect(output(connection, exec.pipeId!)).toContain("DB=<redacted>")
      expect(output(connection, exec.pipeId!)).toContain("PLAIN=visible")

      const attach = yield* run("docker.attach")
      yield* waitFor("attached output", () => output(connection, attach.pipeId!).includes("plain=visible"), 30_000)
      expect(output(connection, attach.pipeId!)).toContain("db=<redacted>")
      send(connection, { type: "pipe.close", pipeId: attach.pipeId! })

      for (const action of ["docker.pause", "docker.unpause", "docker.restart", "docker.stop", "docker.start"]) {
        yield* run(action, { timeoutSeconds: 5 })
      }
      yield* run("docker.remove", { force: true })
      expect(results.size).toBe(10)
      const pipes = [logs, exec, attach].map((result) => output(connection, result.pipeId!)).join("\n")
      expect(pipes).not.toContain(secret)
      expect(JSON.stringify(connection.messages)).not.toContain(secret)
      yield* Effect.promise(() =>
        api("GET", `/containers/${id}/json`).then(
          () => expect.unreachable("removed"),
          (error: Error) => expect(error.message).toContain("404")
        )
      )
    })
  )
})
