/**
 * The example master and agent as users run them (`npx orchestrator-master`, `npx orchestrator-agent`): built with
 * their own tsup configuration and started from `dist/main.js` with the real dockerd of the test run. Other tests
 * run the hosts from source; this one catches what only the bundle can break (a CommonJS library bundled into
 * the ES module that cannot `require` a built-in module, a dependency left out).
 */
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dockerFixture, requireDocker } from "../../../test/fixtures/index.js"
import { freePorts, isAlive, spawnDetached, terminate, waitFor } from "../../../test/fixtures/process.js"
import { removeContainersOf } from "../../../packages/scheduler/test/cluster/helpers.js"

const examples = new URL("../../", import.meta.url).pathname
const tsup = new URL("../../../node_modules/.bin/tsup", import.meta.url).pathname

const build = (host: string) => promisify(execFile)(tsup, [], { cwd: join(examples, host), timeout: 120_000 })

/** The body of a GET, or `undefined` when nothing answers yet. */
const get = async (url: string): Promise<{ readonly status: number; readonly text: string } | undefined> => {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) })
    return { status: response.status, text: await response.text() }
  } catch {
    return undefined
  }
}

describe.skipIf(dockerFixture() === null)("the built example hosts (dist/main.js, real dockerd)", () => {
  const { socketPath, testImage } = dockerFixture() === null ? { socketPath: "", testImage: "" } : requireDocker()
  const agentId = `built-${process.pid}`
  const logDir = mkdtempSync(join(tmpdir(), "orch-built-hosts-"))
  const pids: Array<number> = []
  const logs = () =>
    ["master", "agent"].map((name) => `--- ${name}\n${readFileSync(join(logDir, `${name}.log`), "utf8")}`).join("\n")

  beforeAll(async () => {
    await Promise.all([build("master"), build("agent")])
  }, 240_000)

  afterAll(async () => {
    await Promise.all(pids.map((pid) => terminate(pid)))
    await removeContainersOf(socketPath, agentId)
    rmSync(logDir, { recursive: true, force: true })
  })

  it("start, register, run an app reachable through the load balancer, and stop on SIGTERM", async () => {
    const [masterPort, agentPort, servicePort] = (await freePorts(3)) as [number, number, number]
    const master = `http://127.0.0.1:${masterPort}`
    const masterPid = spawnDetached(
      process.execPath,
      [
        join(examples, "master/dist/main.js"),
        "--host=127.0.0.1",
        `--port=${masterPort}`,
        `--service-ports=${servicePort}-${servicePort}`,
        "--allocation-interval=100ms"
      ],
      { logPath: join(logDir, "master.log") }
    )
    pids.push(masterPid)
    const agentPid = spawnDetached(
      process.execPath,
      [
        join(examples, "agent/dist/main.js"),
        `--master=${master}`,
        "--host=127.0.0.1",
        `--port=${agentPort}`,
        "--hostname=127.0.0.1",
        `--agent-id=${agentId}`,
        `--docker-socket=${socketPath}`
      ],
      { logPath: join(logDir, "agent.log") }
    )
    pids.push(agentPid)

    await waitFor(
      async () => {
        const answer = await get(`${master}/api/v1/agents`)
        return answer?.status === 200 && answer.text.includes(agentId) ? true : undefined
      },
      { timeoutMs: 30_000, describe: () => `the agent registered with the master\n${logs()}` }
    )
    const created = await fetch(`${master}/v2/apps`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id: "/built/web",
        cmd: "mkdir -p /www && echo built > /www/index.html && exec httpd -f -p 8080 -h /www",
        container: { docker: { image: testImage }, portMappings: [{ containerPort: 8080, servicePort }] },
        instances: 1,
        cpus: 0.1,
        mem: 32
      })
    })
    expect(created.status, await created.text()).toBe(201)
    // no health check: the task joins the load balancer once running, before httpd may listen, so poll
    await waitFor(
      async () => ((await get(`http://127.0.0.1:${servicePort}/`))?.text === "built\n" ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 250, describe: () => `the app answered through the load balancer\n${logs()}` }
    )

    for (const pid of [agentPid, masterPid]) process.kill(pid, "SIGTERM")
    await waitFor(async () => (isAlive(agentPid) || isAlive(masterPid) ? undefined : true), {
      timeoutMs: 20_000,
      describe: () => `both hosts stopped on SIGTERM\n${logs()}`
    })
  }, 120_000)
})
