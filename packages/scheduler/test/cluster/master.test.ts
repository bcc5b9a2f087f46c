import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dockerFixture, requireDocker } from "../../../../test/fixtures/index.js"
import { freePorts } from "../../../../test/fixtures/process.js"
import { createAgent, createMaster, type RunningAgent, type RunningMaster } from "../../src/cluster/index.js"
import {
  containersOf,
  eventually,
  http,
  removeContainersOf,
  uniqueId,
  takeOffer as takeOfferOf,
  taskState as taskStateOf
} from "./helpers.js"

const fixture = dockerFixture()

describe.skipIf(fixture === null)("Master and agent over REST (real dockerd)", () => {
  const { socketPath, testImage } = fixture === null ? { socketPath: "", testImage: "" } : requireDocker()
  const agentId = uniqueId("agent")
  let master: RunningMaster
  let agent: RunningAgent
  let api: string
  let ports: { begin: number; end: number }

  const startAgent = () =>
    createAgent({
      masterUrl: master.url,
      agentId,
      host: "127.0.0.1",
      port: 0,
      hostname: "node-a",
      attributes: { rack: "r1" },
      resources: { cpus: 2, mem: 1024, disk: 2048, ports: [ports] },
      heartbeatIntervalMs: 200,
      dockerSocket: socketPath
    })

  beforeAll(async () => {
    const [first] = await freePorts(1)
    ports = { begin: first!, end: first! + 9 }
    master = await createMaster({ host: "127.0.0.1", port: 0, allocationIntervalMs: 50, agentTimeoutMs: 1_500 })
    api = `${master.url}/api/v1`
    agent = await startAgent()
    await eventually("agent registered", () => agent.isRegistered().then((ok) => (ok ? true : undefined)))
  })

  afterAll(async () => {
    await agent?.stop()
    await master?.stop()
    await removeContainersOf(socketPath, agentId)
  })

  const registerFramework = async (name: string, role?: string): Promise<string> => {
    const answer = await http("POST", `${api}/frameworks`, { name, ...(role === undefined ? {} : { role }) })
    expect(answer.status).toBe(200)
    return answer.body.frameworkId as string
  }

  const takeOffer = (frameworkId: string) => takeOfferOf(api, frameworkId)
  const taskState = (taskId: string, states: ReadonlyArray<string>) => taskStateOf(api, taskId, states)

  it("answers /health with its info and leadership", async () => {
    const answer = await http("GET", `${master.url}/health`)
    expect(answer).toMatchObject({ status: 200, body: { status: "ok", leading: true, master: { url: master.url } } })
  })

  it("lists the registered agent with its declared resources, hostname and attributes", async () => {
    const answer = await http("GET", `${api}/agents/${agentId}`)
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({
      agentId,
      hostname: "node-a",
      url: agent.url,
      attributes: { rack: "r1" },
      resources: { cpus: 2, mem: 1024, disk: 2048, ports: [ports] },
      active: true
    })
  })

  it("offers the agent to a framework, launches a task through dockerd and tracks it to finished", async () => {
    const frameworkId = await registerFramework("batch")
    const offer = await takeOffer(frameworkId)
    expect(offer).toMatchObject({ frameworkId, agentId, hostname: "node-a", attributes: { rack: "r1" } })
    expect(offer.resources).toMatchObject({ cpus: 2, mem: 1024 })
    const accepted = await http("POST", `${api}/frameworks/${frameworkId}/accept`, {
      offerId: offer.offerId,
      tasks: [
        {
          taskId: uniqueId("job"),
          image: testImage,
          command: ["sh", "-c", "sleep 0.3"],
          resources: { cpus: 0.5, mem: 64 }
        }
      ]
    })
    expect(accepted.status).toBe(200)
    const [staged] = accepted.body
    expect(staged).toMatchObject({ frameworkId, agentId, state: "staging" })
    const running = await taskState(staged.taskId, ["running", "finished"])
    expect(running.containerId).toMatch(/^[0-9a-f]{64}$/)
    const finished = await taskState(staged.taskId, ["finished", "failed"])
    expect(finished).toMatchObject({ state: "finished", exitCode: 0 })
    // the framework's status feed holds every state, in order, and a long poll after it waits for more
    const feed = await http("GET", `${api}/frameworks/${frameworkId}/updates?after=0`)
    expect(feed.status).toBe(200)
    expect(feed.body.updates.map((u: { state: string }) => u.state)).toEqual([
      "staging",
      "starting",
      "running",
      "finished"
    ])
    const waitedAt = Date.now()
    const empty = await http("GET", `${api}/frameworks/${frameworkId}/updates?after=${feed.body.seq}&wait=300`)
    expect(empty.body).toEqual({ seq: feed.body.seq, updates: [] })
    expect(Date.now() - waitedAt).toBeGreaterThanOrEqual(250)
    // the agent removes a task's container once the master has its final state
    await eventually("container removed", async () =>
      (await containersOf(socketPath, agentId)).some((c) => c.Id === running.containerId) ? undefined : true
    )
    await http("DELETE", `${api}/frameworks/${frameworkId}`)
  })

  it("propagates a non-zero exit as failed and a kill as killed", async () => {
    const frameworkId = await registerFramework("kills")
    const offer = await takeOffer(frameworkId)
    const bad = uniqueId("bad")
    const sleeper = uniqueId("sleeper")
    const accepted = await http("POST", `${api}/frameworks/${frameworkId}/accept`, {
      offerId: offer.offerId,
      tasks: [
        { taskId: bad, image: testImage, command: ["sh", "-c", "exit 5"], resources: { cpus: 0.1, mem: 32 } },
        { taskId: sleeper, image: testImage, command: ["sleep", "600"], resources: { cpus: 0.1, mem: 32 } }
      ]
    })
    expect(accepted.status).toBe(200)
    expect(await taskState(bad, ["failed", "finished"])).toMatchObject({ state: "failed", exitCode: 5 })
    await taskState(sleeper, ["running"])
    const kill = await http("POST", `${api}/tasks/${sleeper}/kill`)
    expect(kill.status).toBe(200)
    expect(await taskState(sleeper, ["killed", "failed"])).toMatchObject({ state: "killed" })
    await http("DELETE", `${api}/frameworks/${frameworkId}`)
  })

  it("sets role weights and quotas, and refuses bad ones with 400 leaving the role unchanged", async () => {
    const ok = await http("PUT", `${api}/roles/eng`, {
      weight: 2,
      guarantee: { cpus: 1, mem: 256 },
      limit: { cpus: 1.5 }
    })
    expect(ok).toMatchObject({
      status: 200,
      body: { weight: 2, guarantee: { cpus: 1, mem: 256 }, limit: { cpus: 1.5 } }
    })
    const before = (await http("GET", `${api}/roles`)).body
    const bad: ReadonlyArray<[unknown, RegExp]> = [
      [{ weight: -1 }, /weight/],
      [{ weight: 0 }, /weight/],
      [{ guarantee: { cpus: -2 } }, /guarantee\.cpus/],
      [{ guarantee: { bananas: 3 } }, /guarantee/],
      [{ guarantee: { cpus: 64 } }, /quota/],
      [{ guarantee: { cpus: 1.5 }, limit: { cpus: 1 } }, /quota/],
      [{ guarantee: { ports: [{ begin: 1000, end: 1001 }] } }, /guarantee\.ports/],
      ["not json {", /body/]
    ]
    for (const [body, field] of bad) {
      const answer = await http("PUT", `${api}/roles/eng`, body)
      expect(answer.status, JSON.stringify(body)).toBe(400)
      expect(answer.body.error).toBe("InvalidRequest")
      expect(answer.body.message, JSON.stringify(body)).toMatch(field)
    }
    expect((await http("GET", `${api}/roles`)).body).toEqual(before)
    expect(before).toContainEqual({ role: "eng", weight: 2, guarantee: { cpus: 1, mem: 256 }, limit: { cpus: 1.5 } })
  })

  it("reserves an agent's free resources for a role and releases them; refuses what is not free or not reserved", async () => {
    const reserved = await http("POST", `${api}/agents/${agentId}/reserve`, {
      role: "ops",
      resources: { cpus: 0.5, mem: 128 }
    })
    expect(reserved).toMatchObject({ status: 200, body: [{ role: "ops", resources: { cpus: 0.5, mem: 128 } }] })
    expect((await http("GET", `${api}/reservations`)).body).toEqual([
      { agentId, reservations: [{ role: "ops", resources: { cpus: 0.5, mem: 128 } }] }
    ])
    expect(await http("POST", `${api}/agents/nope/reserve`, { role: "ops", resources: { cpus: 1 } })).toMatchObject({
      status: 404
    })
    expect(
      await http("POST", `${api}/agents/${agentId}/reserve`, { role: "ops", resources: { cpus: 64 } })
    ).toMatchObject({
      status: 409,
      body: { error: "Conflict" }
    })
    expect(
      await http("POST", `${api}/agents/${agentId}/reserve`, { role: "ops", resources: { cpus: -1 } })
    ).toMatchObject({
      status: 400
    })
    expect(
      await http("POST", `${api}/agents/${agentId}/unreserve`, { role: "ops", resources: { cpus: 4 } })
    ).toMatchObject({
      status: 400,
      body: { message: "invalid resources: not reserved for ops: cpus 4 asked, 0.5 available" }
    })
    expect((await http("GET", `${api}/reservations`)).body).toHaveLength(1)
    const released = await http("POST", `${api}/agents/${agentId}/unreserve`, {
      role: "ops",
      resources: { cpus: 0.5, mem: 128 }
    })
    expect(released).toMatchObject({ status: 200, body: [] })
    expect((await http("GET", `${api}/reservations`)).body).toEqual([])
  })

  it("answers unknown agents, frameworks, offers and tasks with 404 and bad bodies with 400", async () => {
    expect(await http("POST", `${api}/agents/nope/heartbeat`)).toMatchObject({
      status: 404,
      body: { error: "NotFound", message: 'unknown agent "nope"' }
    })
    expect(await http("GET", `${api}/tasks/nope`)).toMatchObject({ status: 404, body: { error: "NotFound" } })
    expect(await http("POST", `${api}/tasks/nope/kill`)).toMatchObject({ status: 404 })
    expect(await http("GET", `${api}/frameworks/nope/offers`)).toMatchObject({ status: 404 })
    const frameworkId = await registerFramework("bad-input")
    expect(await http("POST", `${api}/frameworks/${frameworkId}/accept`, { offerId: "nope", tasks: [] })).toMatchObject(
      {
        status: 404,
        body: { message: 'unknown offer "nope"' }
      }
    )
    const registration = { agentId: "x", hostname: "h", url: "http://127.0.0.1:1", attributes: {}, tasks: [] }
    const negative = await http("POST", `${api}/agents`, { ...registration, resources: { cpus: -1 } })
    expect(negative).toMatchObject({ status: 400, body: { error: "InvalidRequest" } })
    expect(negative.body.message).toMatch(/resources\.cpus/)
    const unknownResource = await http("POST", `${api}/agents`, { ...registration, resources: { cpus: 1, bananas: 2 } })
    expect(unknownResource.status).toBe(400)
    expect(unknownResource.body.message).toMatch(/bananas/)
    const badRange = await http("POST", `${api}/agents`, {
      ...registration,
      resources: { ports: [{ begin: 10, end: 5 }] }
    })
    expect(badRange.status).toBe(400)
    expect((await http("GET", `${api}/agents`)).body.map((a: { agentId: string }) => a.agentId)).toEqual([agentId])
    expect(await http("POST", `${api}/frameworks`, { role: "x" })).toMatchObject({ status: 400 })
    expect(await http("GET", `${api}/nothing-here`)).toMatchObject({ status: 404 })
    expect(await http("GET", `${api}/offers?wait=soon`)).toMatchObject({ status: 400 })

    // a task bigger than its offer: refused, and the offer is still there, unchanged
    const offer = await takeOffer(frameworkId)
    const tooBig = await http("POST", `${api}/frameworks/${frameworkId}/accept`, {
      offerId: offer.offerId,
      tasks: [{ taskId: uniqueId("big"), image: testImage, resources: { cpus: 1, mem: 4096 } }]
    })
    expect(tooBig).toMatchObject({ status: 400, body: { error: "InvalidRequest" } })
    expect(tooBig.body.message).toMatch(/mem 4096 asked, \d+ available/)
    const badPorts = await http("POST", `${api}/frameworks/${frameworkId}/accept`, {
      offerId: offer.offerId,
      tasks: [{ taskId: uniqueId("p"), image: testImage, resources: { cpus: 0.1, ports: [{ begin: 1, end: 1 }] } }]
    })
    expect(badPorts.status).toBe(400)
    expect(badPorts.body.message).toMatch(/ports 1-1 not available/)
    const after = await http("GET", `${api}/frameworks/${frameworkId}/offers`)
    expect(after.body).toEqual([offer])
    expect((await http("GET", `${api}/tasks?framework=${frameworkId}`)).body).toEqual([])
    await http("POST", `${api}/frameworks/${frameworkId}/decline`, { offerId: offer.offerId, refuseSeconds: 0 })
    await http("DELETE", `${api}/frameworks/${frameworkId}`)
  })

  it("publishes Prometheus metrics", async () => {
    const answer = await fetch(`${master.url}/metrics`)
    expect(answer.headers.get("content-type")).toMatch(/^text\/plain/)
    const text = await answer.text()
    expect(text).toMatch(/^orchestrator_master_leader 1$/m)
    expect(text).toMatch(/^orchestrator_master_agents\{state="active"\} 1$/m)
    expect(text).toMatch(/^orchestrator_master_resources_total\{resource="cpus"\} 2$/m)
    expect(text).toMatch(/^orchestrator_master_tasks\{state="finished"\} \d+$/m)
    expect(text).toMatch(/^orchestrator_master_tasks_launched_total [1-9]\d*$/m)
  })

  it("reconciles after an agent restart (running task re-attached) and after a master restart", async () => {
    const frameworkId = await registerFramework("long-running", "eng")
    const offer = await takeOffer(frameworkId)
    const taskId = uniqueId("long")
    await http("POST", `${api}/frameworks/${frameworkId}/accept`, {
      offerId: offer.offerId,
      tasks: [{ taskId, image: testImage, command: ["sleep", "600"], resources: { cpus: 0.2, mem: 32 } }]
    })
    const running = await taskState(taskId, ["running"])

    // the agent stops: after the agent timeout the master marks it inactive and the task lost
    await agent.stop()
    const lost = await taskState(taskId, ["lost"])
    expect(lost.message).toMatch(/agent lost/)
    // the container kept running; the restarted agent finds it by label and the task is running again
    agent = await startAgent()
    const back = await taskState(taskId, ["running"])
    expect(back.containerId).toBe(running.containerId)
    expect((await agent.tasks()).map((t) => t.taskId)).toContain(taskId)

    // the master restarts on the same port: the agent registers again, the framework reconciles
    const port = master.port
    await master.stop()
    master = await createMaster({ host: "127.0.0.1", port, allocationIntervalMs: 50, agentTimeoutMs: 1_500 })
    await eventually("agent re-registered", async () => {
      const answer = await http("GET", `${api}/agents/${agentId}`)
      return answer.status === 200 ? true : undefined
    })
    expect((await http("POST", `${api}/frameworks`, { frameworkId, name: "long-running", role: "eng" })).status).toBe(
      200
    )
    const reconciled = await http("POST", `${api}/frameworks/${frameworkId}/reconcile`, { taskIds: [taskId, "gone"] })
    expect(reconciled.status).toBe(200)
    expect(reconciled.body).toMatchObject([
      { taskId, state: "running", containerId: running.containerId, agentId },
      { taskId: "gone", state: "lost", message: "unknown task" }
    ])
    // the new master accounts for the task's resources: the offer holds the rest
    const rest = await takeOffer(frameworkId)
    expect(rest.resources).toMatchObject({ cpus: 1.8, mem: 992 })
    expect((await http("POST", `${api}/tasks/${taskId}/kill`)).status).toBe(200)
    await taskState(taskId, ["killed"])
  })
})
