import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dockerFixture, requireDocker } from "../../../../test/fixtures/index.js"
import { freePorts } from "../../../../test/fixtures/process.js"
import { createAgent, createMaster, type RunningAgent, type RunningMaster } from "../../src/cluster/index.js"
import * as Resources from "../../src/cluster/Resources.js"
import {
  eventually,
  http,
  inspect,
  removeContainersOf,
  uniqueId,
  takeOffer as takeOfferOf,
  taskState as taskStateOf
} from "./helpers.js"

const fixture = dockerFixture()

describe.skipIf(fixture === null)(
  "static reservations and custom scalars end to end (real agent, real dockerd)",
  () => {
    const { socketPath, testImage } = fixture === null ? { socketPath: "", testImage: "" } : requireDocker()
    const agentId = uniqueId("agent-res")
    let master: RunningMaster
    let agent: RunningAgent
    let api: string

    beforeAll(async () => {
      const [port] = await freePorts(1)
      // what an operator writes after --resources: a static reservation for role eng and a custom scalar
      const declared = Resources.parse(
        `cpus:1;mem:512;disk:1024;cpus(eng):1;mem(eng):256;licenses:3;ports:[${port}-${port! + 2}]`,
        "--resources"
      )
      if (!("cpus" in declared)) throw new Error(`bad test resources: ${String(declared)}`)
      master = await createMaster({ host: "127.0.0.1", port: 0, allocationIntervalMs: 50, agentTimeoutMs: 3_000 })
      api = `${master.url}/api/v1`
      agent = await createAgent({
        masterUrl: master.url,
        agentId,
        host: "127.0.0.1",
        port: 0,
        hostname: "node-r",
        resources: declared,
        heartbeatIntervalMs: 200,
        dockerSocket: socketPath
      })
      await eventually("agent registered", () => agent.isRegistered().then((ok) => (ok ? true : undefined)))
    })

    afterAll(async () => {
      await agent?.stop()
      await master?.stop()
      await removeContainersOf(socketPath, agentId)
    })

    const register = async (name: string, role: string): Promise<string> => {
      const answer = await http("POST", `${api}/frameworks`, { name, role })
      expect(answer.status).toBe(200)
      return answer.body.frameworkId as string
    }

    const takeOffer = (frameworkId: string) => takeOfferOf(api, frameworkId)
    const taskState = (taskId: string, states: ReadonlyArray<string>) => taskStateOf(api, taskId, states)

    it("registers the agent with its static reservation and custom scalar, visible over REST", async () => {
      const answer = await http("GET", `${api}/agents/${agentId}`)
      expect(answer.body.resources).toMatchObject({
        cpus: 1,
        mem: 512,
        scalars: { licenses: 3 },
        reserved: [{ role: "eng", type: "static", resources: { cpus: 1, mem: 256 } }]
      })
    })

    it("never offers the reserved part to another role, and refuses a task of that role asking for it", async () => {
      const web = await register("web-fw", "web")
      const offer = await takeOffer(web)
      expect(offer.reserved).toBeUndefined()
      expect(offer.resources.reserved).toBeUndefined()
      expect(Resources.quantities(offer.resources).cpus).toBeLessThanOrEqual(1)
      const asked = await http("POST", `${api}/frameworks/${web}/accept`, {
        offerId: offer.offerId,
        tasks: [
          {
            taskId: uniqueId("web"),
            image: testImage,
            resources: { reserved: [{ role: "eng", resources: { cpus: 0.5, mem: 32 } }] }
          }
        ]
      })
      expect(asked.status).toBe(400)
      expect(asked.body.message).toContain("tasks[0].resources")
      expect(asked.body.message).toContain("cpus(eng) 0.5 asked, 0 available")
      // out of the way for the rest of the suite: web turns everything unreserved down for a minute
      expect(
        (await http("POST", `${api}/frameworks/${web}/decline`, { offerId: offer.offerId, refuseSeconds: 60 })).status
      ).toBe(200)
    })

    it("offers the reserved part and the custom scalar to role eng; a task consumes both and runs in Docker", async () => {
      const eng = await register("eng-fw", "eng")
      const offer = await eventually("an eng offer with everything", async () => {
        const o = await takeOffer(eng)
        if (Resources.quantities(o.resources).licenses === 3 && o.reserved !== undefined) return o
        await http("POST", `${api}/frameworks/${eng}/decline`, { offerId: o.offerId, refuseSeconds: 0 })
        return undefined
      })
      expect(offer.reserved).toEqual({ cpus: 1, mem: 256 })
      expect(offer.resources.reserved).toEqual([{ role: "eng", type: "static", resources: { cpus: 1, mem: 256 } }])
      const taskId = uniqueId("eng")
      const accepted = await http("POST", `${api}/frameworks/${eng}/accept`, {
        offerId: offer.offerId,
        tasks: [
          {
            taskId,
            image: testImage,
            command: ["sleep", "600"],
            resources: { reserved: [{ role: "eng", resources: { cpus: 1, mem: 128 } }], scalars: { licenses: 2 } }
          }
        ]
      })
      expect(accepted.status).toBe(200)
      const running = await taskState(taskId, ["running"])
      expect(running.resources).toMatchObject({ scalars: { licenses: 2 } })
      // the containerizer sizes the container from the reserved cpus and mem
      const info = await inspect(socketPath, running.containerId)
      expect(info.HostConfig.CpuShares).toBe(1024)
      expect(info.HostConfig.Memory).toBe(128 * 1024 * 1024)
      // one license is left: the next offer says so and a task asking for two is refused naming the field
      const next = await takeOffer(eng)
      expect(Resources.quantities(next.resources).licenses).toBe(1)
      const tooMany = await http("POST", `${api}/frameworks/${eng}/accept`, {
        offerId: next.offerId,
        tasks: [{ taskId: uniqueId("eng"), image: testImage, resources: { cpus: 0.1, scalars: { licenses: 2 } } }]
      })
      expect(tooMany.status).toBe(400)
      expect(tooMany.body.message).toMatch(/tasks\[0\]\.resources.*licenses 2 asked, 1 available/)
      // killed, its licenses come back
      await http("POST", `${api}/tasks/${taskId}/kill`)
      await taskState(taskId, ["killed"])
      await http("POST", `${api}/frameworks/${eng}/decline`, { offerId: next.offerId, refuseSeconds: 0 })
      await eventually("licenses back", async () => {
        const offers = (await http("GET", `${api}/frameworks/${eng}/offers?wait=1000`)).body
        let licenses = 0
        for (const o of offers) {
          licenses += Resources.quantities(o.resources).licenses ?? 0
          await http("POST", `${api}/frameworks/${eng}/decline`, { offerId: o.offerId, refuseSeconds: 0 })
        }
        return licenses === 3 ? true : undefined
      })
      await http("DELETE", `${api}/frameworks/${eng}`)
    })

    it("refuses bad resources in REST bodies naming the field", async () => {
      const eng = await register("eng-bad", "eng")
      const offer = await takeOffer(eng)
      const bad = await http("POST", `${api}/frameworks/${eng}/accept`, {
        offerId: offer.offerId,
        tasks: [{ taskId: uniqueId("bad"), image: testImage, resources: { scalars: { licenses: -1 } } }]
      })
      expect(bad.status).toBe(400)
      expect(bad.body.message).toContain("licenses")
      const badRole = await http("POST", `${api}/frameworks/${eng}/accept`, {
        offerId: offer.offerId,
        tasks: [
          {
            taskId: uniqueId("bad"),
            image: testImage,
            resources: { reserved: [{ role: "*", resources: { cpus: 1 } }] }
          }
        ]
      })
      expect(badRole.status).toBe(400)
      expect(badRole.body.message).toContain("tasks[0].resources.reserved[0].role")
      await http("DELETE", `${api}/frameworks/${eng}`)
    })
  }
)
