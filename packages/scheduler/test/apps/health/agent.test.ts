import { Effect, Option, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dockerFixture, requireDocker } from "../../../../../test/fixtures/index.js"
import { freePorts } from "../../../../../test/fixtures/process.js"
import { checkOnce } from "../../../src/apps/health/checkOnce.js"
import type { HealthTarget } from "../../../src/apps/health/HealthTarget.js"
import { HealthCheck } from "../../../src/apps/model/AppDefinition.js"
import { createAgent, createMaster, type RunningAgent, type RunningMaster } from "../../../src/cluster/index.js"
import { maxFilesBytes } from "../../../src/cluster/Task.js"
import { labelOf, openMonitor } from "./helpers.js"
import { eventually, http, removeContainersOf, takeOffer, taskState, uniqueId } from "../../cluster/helpers.js"

const fixture = dockerFixture()

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64")
const healthCheck = (input: Record<string, unknown>): HealthCheck =>
  Schema.decodeUnknownSync(HealthCheck)({ delaySeconds: 0, intervalSeconds: 0.2, gracePeriodSeconds: 0, ...input })

describe.skipIf(fixture === null)("agent exec, task files and command health checks (real agent, real dockerd)", () => {
  const { socketPath, testImage } = fixture === null ? { socketPath: "", testImage: "" } : requireDocker()
  const agentId = uniqueId("health-agent")
  const sleeper = uniqueId("sleeper")
  const short = uniqueId("short")
  const longPath = `/opt/${"deep-folder-name/".repeat(8)}settings.conf`
  let master: RunningMaster
  let agent: RunningAgent
  let api: string
  let frameworkId: string
  let offer: { offerId: string }

  const exec = (taskId: string, command: ReadonlyArray<string>, timeoutMs?: number) =>
    http("POST", `${agent.url}/api/v1/tasks/${taskId}/exec`, {
      command,
      ...(timeoutMs === undefined ? {} : { timeoutMs })
    })
  const accept = (files: unknown, taskId = uniqueId("bad")) =>
    http("POST", `${api}/frameworks/${frameworkId}/accept`, {
      offerId: offer.offerId,
      tasks: [{ taskId, image: testImage, command: ["sleep", "600"], resources: { cpus: 0.1, mem: 32 }, files }]
    })
  const target = (): HealthTarget => ({
    taskId: sleeper,
    host: "127.0.0.1",
    ports: [],
    agentUrl: agent.url,
    startedAt: Date.now()
  })

  beforeAll(async () => {
    const [first] = await freePorts(1)
    master = await createMaster({ host: "127.0.0.1", port: 0, allocationIntervalMs: 50, agentTimeoutMs: 5_000 })
    api = `${master.url}/api/v1`
    agent = await createAgent({
      masterUrl: master.url,
      agentId,
      host: "127.0.0.1",
      port: 0,
      resources: { cpus: 2, mem: 1024, ports: [{ begin: first!, end: first! + 4 }] },
      heartbeatIntervalMs: 200,
      dockerSocket: socketPath
    })
    await eventually("agent registered", () => agent.isRegistered().then((ok) => (ok ? true : undefined)))
    frameworkId = (await http("POST", `${api}/frameworks`, { name: "health-tests" })).body.frameworkId
    offer = await takeOffer(api, frameworkId)
  })

  afterAll(async () => {
    await agent?.stop()
    await master?.stop()
    await removeContainersOf(socketPath, agentId)
  })

  it("refuses task files with a relative path, a '..', bad base64, a duplicate or too many bytes, naming the field and never quoting the content", async () => {
    const secret = "s3cr3t-value-never-echoed"
    const cases: ReadonlyArray<readonly [unknown, string, RegExp]> = [
      [[{ path: "etc/app.conf", content: base64(secret) }], "body.tasks[0].files[0].path", /absolute path/],
      [[{ path: "/etc/../app.conf", content: base64(secret) }], "body.tasks[0].files[0].path", /'\.\.' segments/],
      [[{ path: "/etc/app.conf", content: `${secret}!` }], "body.tasks[0].files[0].content", /base64/],
      [
        [
          { path: "/a", content: base64(secret) },
          { path: "/a", content: base64(secret) }
        ],
        "body.tasks[0].files",
        /files\[1\] has the same path as files\[0\]/
      ],
      [
        [{ path: "/big", content: Buffer.alloc(maxFilesBytes + 1, 7).toString("base64") }],
        "body.tasks[0].files",
        /at most 524288 bytes of files in all, got 524289/
      ],
      [[{ path: "/a", content: base64(secret), mode: 0o10000 }], "body.tasks[0].files[0].mode", /4095/]
    ]
    for (const [files, field, reason] of cases) {
      const answer = await accept(files)
      expect(answer.status, JSON.stringify(answer.body)).toBe(400)
      expect(answer.body.error).toBe("InvalidRequest")
      expect(answer.body.message).toContain(`invalid ${field}:`)
      expect(answer.body.message).toMatch(reason)
      expect(answer.body.message).not.toContain(secret)
      expect(answer.body.message).not.toContain(base64(secret))
      expect(answer.body.message.length).toBeLessThan(300)
    }
  })

  it("writes a task's files before it starts: contents, modes, new folders and long paths", async () => {
    const config = '{"db":"postgres://db:5432"}\n'
    const accepted = await http("POST", `${api}/frameworks/${frameworkId}/accept`, {
      offerId: offer.offerId,
      tasks: [
        {
          taskId: sleeper,
          image: testImage,
          // the command reads a file at start: it was there before the container started
          command: ["sh", "-c", "cp /etc/app/config.json /tmp/seen-at-start; sleep 600"],
          resources: { cpus: 0.1, mem: 32 },
          files: [
            { path: "/etc/app/config.json", content: base64(config), mode: 0o600 },
            { path: "/tmp/run/token", content: base64("tok"), mode: 0o400 },
            { path: longPath, content: base64("long=yes") }
          ]
        },
        { taskId: short, image: testImage, command: ["true"], resources: { cpus: 0.1, mem: 32 } }
      ]
    })
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200)
    await taskState(api, sleeper, ["running"])
    expect(await exec(sleeper, ["cat", "/tmp/seen-at-start"])).toEqual({
      status: 200,
      body: { exitCode: 0, output: config }
    })
    expect((await exec(sleeper, ["cat", longPath])).body).toEqual({ exitCode: 0, output: "long=yes" })
    const listing = (await exec(sleeper, ["sh", "-c", "ls -l /etc/app/config.json /tmp/run/token; ls -ld /tmp"])).body
    expect(listing.exitCode).toBe(0)
    expect(listing.output).toMatch(/^-rw------- .* root +root .* \/etc\/app\/config\.json$/m)
    expect(listing.output).toMatch(/^-r-------- .* root +root .* \/tmp\/run\/token$/m)
    // the archive holds no folder entries: /tmp keeps its sticky, world-writable mode
    expect(listing.output).toMatch(/^drwxrwxrwt .* \/tmp$/m)
    // nothing of the files shows in the task's status
    const status = await http("GET", `${api}/tasks/${sleeper}`)
    expect(JSON.stringify(status.body)).not.toContain(base64(config))
  })

  it("exec answers the exit code and the last 4 KB of output; unknown or ended tasks are refused", async () => {
    expect((await exec(sleeper, ["sh", "-c", "echo out; sleep 0.1; echo err >&2; exit 3"])).body).toEqual({
      exitCode: 3,
      output: "out\nerr\n"
    })
    const long = (await exec(sleeper, ["sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done"]))
      .body
    expect(long.exitCode).toBe(0)
    expect(long.output.length).toBe(4_096)
    expect(long.output.endsWith("line1998\nline1999\n")).toBe(true)
    // the Promise facade runs the same exec
    expect(await agent.exec(sleeper, { command: ["echo", "facade"] })).toEqual({ exitCode: 0, output: "facade\n" })
    await expect(agent.exec("no-such-task", { command: ["true"] })).rejects.toMatchObject({
      _tag: "NotFound",
      kind: "task",
      id: "no-such-task"
    })
    expect(await exec("no-such-task", ["true"])).toMatchObject({
      status: 404,
      body: { error: "NotFound", message: 'unknown task "no-such-task"' }
    })
    await taskState(api, short, ["finished"])
    const ended = await exec(short, ["true"])
    expect([404, 409]).toContain(ended.status)
    const invalid = await http("POST", `${agent.url}/api/v1/tasks/${sleeper}/exec`, { command: [] })
    expect(invalid).toMatchObject({ status: 400, body: { error: "InvalidRequest" } })
    expect(invalid.body.message).toMatch(/^invalid body\.command:/)
  })

  it("exec kills a command that outlives its timeout and says so", async () => {
    const startedAt = Date.now()
    const answer = await exec(sleeper, ["sh", "-c", "echo started; sleep 41"], 1_500)
    expect(Date.now() - startedAt).toBeLessThan(5_000)
    expect(answer.body).toEqual({
      exitCode: 124,
      output: "started\n[timed out after 1500 ms; killed]",
      timedOut: true
    })
    const ps = await exec(sleeper, ["ps"])
    expect(ps.body.output).not.toContain("sleep 41")
  })

  it("COMMAND checks run `sh -c` in the container: they flip as a file appears and goes, and time out", async () => {
    const check = healthCheck({ protocol: "COMMAND", command: { value: "test -f /tmp/ok" }, maxConsecutiveFailures: 3 })
    expect(await Effect.runPromise(checkOnce(check, target()))).toMatchObject({
      healthy: false,
      message: "command exited with code 1"
    })
    const slow = healthCheck({ protocol: "COMMAND", command: { value: "sleep 42" }, timeoutSeconds: 0.3 })
    const timedOut = await Effect.runPromise(checkOnce(slow, target()))
    expect(timedOut).toMatchObject({ healthy: false, message: "command timed out after 300 ms" })
    expect(timedOut.durationMs).toBeLessThan(3_000)

    const events = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const { monitor, seen } = yield* openMonitor()
          const waitFor = (tag: string) =>
            Effect.promise(() =>
              eventually(tag, () => (seen.some((event) => labelOf(event) === tag) ? true : undefined))
            )
          yield* monitor.watch(target(), [check], [])
          yield* waitFor("alive=false")
          yield* Effect.promise(() => exec(sleeper, ["touch", "/tmp/ok"]))
          yield* waitFor("alive=true")
          expect(Option.getOrThrow(yield* monitor.get(sleeper))).toMatchObject({ alive: true, consecutiveFailures: 0 })
          yield* Effect.promise(() => exec(sleeper, ["rm", "/tmp/ok"]))
          yield* waitFor("Unhealthy")
          return seen.map(labelOf)
        })
      )
    )
    expect(events).toEqual(["ready=true", "alive=false", "alive=true", "alive=false", "Unhealthy"])
  })
})
