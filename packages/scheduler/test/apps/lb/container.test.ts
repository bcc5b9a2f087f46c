import { afterAll, describe, expect, it } from "@effect/vitest"
import Dockerode from "dockerode"
import { dockerFixture, requireDocker } from "../../../../../test/fixtures/index.js"
import { freePorts } from "../../../../../test/fixtures/process.js"
import { createLoadBalancer } from "../../../src/apps/lb/index.js"
import { eventually, uniqueId } from "../../cluster/helpers.js"
import { keepAlive, send, tally } from "./helpers.js"

const fixture = dockerFixture()

describe.skipIf(fixture === null)("LoadBalancer in front of real busybox httpd containers (shared dockerd)", () => {
  const { socketPath, testImage } = fixture === null ? { socketPath: "", testImage: "" } : requireDocker()
  const label = uniqueId("lb-test")
  const docker = new Dockerode({ socketPath })

  afterAll(async () => {
    const list = await docker.listContainers({ all: true, filters: { label: [`orchestrator.test=${label}`] } })
    await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })))
  })

  /** Starts `httpd -f -p 8080 -h /www` serving `text` at `/`, published on a free host port. */
  const httpd = async (text: string): Promise<number> => {
    const [hostPort] = await freePorts(1)
    const container = await docker.createContainer({
      Image: testImage,
      Cmd: ["sh", "-c", `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 8080 -h /www`],
      Labels: { "orchestrator.test": label },
      ExposedPorts: { "8080/tcp": {} },
      HostConfig: { PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(hostPort) }] } }
    })
    await container.start()
    await eventually(`httpd ${text} answering`, async () => {
      const answer = await send(`http://127.0.0.1:${hostPort}/`)
      return answer.status === 200 ? true : undefined
    })
    return hostPort!
  }

  it("proxies HTTP and TCP to two httpd containers, then around one that was killed", async () => {
    const ports = [await httpd("one"), await httpd("two")]
    const lb = await createLoadBalancer()
    try {
      const [httpPort, tcpPort] = await freePorts(2)
      const backends = ports.map((port, i) => ({ id: `task-${i}`, host: "127.0.0.1", port }))
      await lb.ensure({ servicePort: httpPort!, name: "web", mode: "http", strategy: "round-robin", host: "127.0.0.1" })
      await lb.ensure({
        servicePort: tcpPort!,
        name: "web-tcp",
        mode: "tcp",
        strategy: "least-connections",
        host: "127.0.0.1"
      })
      await lb.setBackends(httpPort!, backends)
      await lb.setBackends(tcpPort!, backends)

      const agent = keepAlive()
      const viaHttp: Array<string> = []
      for (let i = 0; i < 10; i++) viaHttp.push((await send(`http://127.0.0.1:${httpPort}/`, { agent })).body.trim())
      agent.destroy()
      expect(tally(viaHttp)).toEqual({ one: 5, two: 5 })

      // busybox httpd closes each connection: in TCP mode every request is one proxied connection
      const viaTcp: Array<string> = []
      for (let i = 0; i < 10; i++) viaTcp.push((await send(`http://127.0.0.1:${tcpPort}/`)).body.trim())
      expect(tally(viaTcp)).toEqual({ one: 5, two: 5 })

      const [first] = await docker.listContainers({
        filters: { label: [`orchestrator.test=${label}`], publish: [String(ports[0])] }
      })
      await docker.getContainer(first!.Id).remove({ force: true })
      const after: Array<number> = []
      for (let i = 0; i < 10; i++) {
        after.push((await send(`http://127.0.0.1:${httpPort}/`)).status)
        after.push((await send(`http://127.0.0.1:${tcpPort}/`).catch(() => ({ status: 0 }))).status)
      }
      expect(after).toEqual(Array(20).fill(200))
    } finally {
      await lb.close()
    }
  })
})
