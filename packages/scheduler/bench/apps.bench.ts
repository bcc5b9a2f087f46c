/**
 * `npm run bench:apps`: the app scheduler on a real master, two agents and dockerd (busybox httpd tasks).
 *
 * 1. Baseline, same run: start the same number of httpd containers straight through Docker (create + start,
 *    8 at a time) and wait until each answers HTTP.
 * 2. Deploy an app of `APPS_INSTANCES` (50) httpd tasks with an HTTP health check behind the load balancer
 *    (TCP mode), wait until all are healthy.
 * 3. Roll an update (new command, so every task is replaced; Marathon's default strategy 1.0 / 1.0) while
 *    `APPS_CLIENTS` (8) clients keep sending requests through the load balancer: time to complete, requests
 *    sent and failed, and which version answered at the end.
 * 4. The load balancer's throughput and added latency vs straight to the backend (`lb.bench.ts`;
 *    `APPS_LB=0` skips it).
 *
 * Prints a table and one `bench apps ...` line per result.
 */
import { request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Dockerode from "dockerode"
import { Schema } from "effect"
import { benchLine, fmt, type Row, table } from "../../core/bench/app/Stats.js"
import { ensureTestImage, testImage } from "../../../test/fixtures/dockerImage.js"
import { ensureDockerd } from "../../../test/fixtures/dockerd.js"
import { freePorts, terminate } from "../../../test/fixtures/process.js"
import { AppDefinition } from "../src/apps/model/AppDefinition.js"
import { createAppScheduler } from "../src/apps/scheduler/RunningAppScheduler.js"
import { createAgent, createMaster } from "../src/cluster/index.js"
import { removeContainersLabelled, removeContainersOf } from "../test/cluster/helpers.js"
import { runLbBench } from "./lb.bench.js"

const instances = Number(process.env.APPS_INSTANCES ?? 50)
const clients = Number(process.env.APPS_CLIENTS ?? 8)
const httpd = (body: string) => `mkdir -p /www && echo ${body} > /www/index.html && exec httpd -f -p 8080 -h /www`

const engine = await ensureDockerd({ logPath: join(tmpdir(), "orch-apps-bench-dockerd.log") })
await ensureTestImage(engine.socketPath)
const docker = new Dockerode({ socketPath: engine.socketPath })
const plainLabel = `bench-apps-plain-${process.pid}`

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One GET; resolves with the body, or undefined when it failed. */
const get = (port: number, timeoutMs = 5_000): Promise<string | undefined> =>
  new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", agent: false, timeout: timeoutMs }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => {
        body += chunk
      })
      res.on("end", () => resolve(res.statusCode === 200 ? body.trim() : undefined))
      res.on("error", () => resolve(undefined))
    })
    req.on("timeout", () => req.destroy())
    req.on("error", () => resolve(undefined))
    req.end()
  })

const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

const removePlain = () => removeContainersLabelled(engine.socketPath, `bench=${plainLabel}`)

/** Baseline: `instances` httpd containers straight through Docker, until each answers. */
const plainStart = async (): Promise<number> => {
  const ports = await freePorts(instances)
  const started = performance.now()
  let next = 0
  const worker = async () => {
    while (next < ports.length) {
      const port = ports[next++]!
      const container = await docker.createContainer({
        Image: testImage,
        Cmd: ["sh", "-c", httpd("plain")],
        Labels: { bench: plainLabel },
        ExposedPorts: { "8080/tcp": {} },
        HostConfig: { PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }] } }
      })
      await container.start()
      await until(`plain container on ${port}`, async () => (await get(port, 1_000)) === "plain", 60_000)
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  return (performance.now() - started) / 1000
}

const rows: Array<Row> = []
const lines: Array<string> = []
const agentIds = [`bench-apps-a-${process.pid}`, `bench-apps-b-${process.pid}`]
const master = await createMaster({ host: "127.0.0.1", port: 0, allocationIntervalMs: 100 })
const agents = []
try {
  const plainSeconds = await plainStart()
  await removePlain()

  const [first] = await freePorts(1)
  const portBase = Math.min(first!, 60_000)
  for (const [i, agentId] of agentIds.entries()) {
    agents.push(
      await createAgent({
        masterUrl: master.url,
        agentId,
        host: "127.0.0.1",
        port: 0,
        hostname: `bench-node-${i}`,
        attributes: { rack: `r${i}` },
        resources: {
          cpus: 16,
          mem: 16_384,
          disk: 1024,
          ports: [{ begin: portBase + i * 200, end: portBase + i * 200 + 199 }]
        },
        heartbeatIntervalMs: 500,
        dockerSocket: engine.socketPath
      })
    )
  }
  const [servicePort] = await freePorts(1)
  const apps = await createAppScheduler({
    master: master.service,
    servicePortRange: { begin: servicePort!, end: servicePort! },
    lbHost: "127.0.0.1",
    tickMs: 100,
    pollMs: 300,
    refuseSeconds: 1
  })
  const app = (body: string) =>
    Schema.decodeUnknownSync(AppDefinition)({
      id: "/bench/web",
      cmd: httpd(body),
      container: { docker: { image: testImage }, portMappings: [{ containerPort: 8080, servicePort }] },
      instances,
      cpus: 0.05,
      mem: 16,
      healthChecks: [
        { protocol: "HTTP", path: "/", intervalSeconds: 1, timeoutSeconds: 2, gracePeriodSeconds: 30, delaySeconds: 0 }
      ],
      taskKillGracePeriodSeconds: 1
    })
  const settled = async (): Promise<boolean> => {
    const status = await apps.run(apps.service.app("/bench/web"))
    return status.tasksHealthy === instances && status.tasksRunning === instances && status.deployments.length === 0
  }

  const deployStarted = performance.now()
  await apps.run(apps.service.put(app("v1")))
  await until("v1 healthy", settled)
  const deploySeconds = (performance.now() - deployStarted) / 1000
  await until("v1 through the load balancer", async () => (await get(servicePort!)) === "v1")

  // clients through the load balancer during the rolling update
  let running = true
  let sent = 0
  let failed = 0
  const answers = new Map<string, number>()
  const client = async () => {
    while (running) {
      const body = await get(servicePort!)
      sent++
      if (body === undefined) failed++
      else answers.set(body, (answers.get(body) ?? 0) + 1)
    }
  }
  const load = Array.from({ length: clients }, client)
  await sleep(1_000)
  const updateStarted = performance.now()
  await apps.run(apps.service.put(app("v2")))
  await until("v2 healthy", async () => {
    if (!(await settled())) return false
    const tasks = await apps.run(apps.service.tasks("/bench/web"))
    const version = (await apps.run(apps.service.app("/bench/web"))).version
    return tasks.length === instances && tasks.every((t) => t.version === version)
  })
  const updateSeconds = (performance.now() - updateStarted) / 1000
  await sleep(1_000)
  running = false
  await Promise.all(load)
  const endAnswers = await Promise.all(Array.from({ length: 20 }, () => get(servicePort!)))
  const v2AtEnd = endAnswers.filter((b) => b === "v2").length / endAnswers.length

  rows.push(
    {
      measure: `deploy ${instances} instances until all healthy`,
      value: `${fmt(deploySeconds)} s`,
      target: "—",
      baseline: `docker run x${instances} ${fmt(plainSeconds)} s`,
      ratio: fmt(deploySeconds / plainSeconds, 2)
    },
    {
      measure: `rolling update of ${instances} (1.0 / 1.0), until all new healthy`,
      value: `${fmt(updateSeconds)} s`,
      target: "—",
      baseline: `docker run x${instances} ${fmt(plainSeconds)} s`,
      ratio: fmt(updateSeconds / plainSeconds, 2)
    },
    {
      measure: `requests through the LB during the update (${clients} clients)`,
      value: `${sent} sent, ${failed} failed`,
      target: "0 failed",
      baseline: `v1 ${answers.get("v1") ?? 0}, v2 ${answers.get("v2") ?? 0}`,
      ratio: failed === 0 ? "ok" : "MISSED"
    },
    {
      measure: "answers from v2 after the update",
      value: `${fmt(v2AtEnd * 100)}%`,
      target: "100%",
      baseline: "—",
      ratio: v2AtEnd === 1 ? "ok" : "MISSED"
    }
  )
  lines.push(
    benchLine(
      "rolling_update",
      {
        instances,
        deploy_s: deploySeconds,
        update_s: updateSeconds,
        plain_docker_s: plainSeconds,
        update_ratio: updateSeconds / plainSeconds,
        requests: sent,
        failed,
        v2_share_end: v2AtEnd
      },
      "apps"
    )
  )
  await apps.run(apps.service.remove("/bench/web", { force: true }))
  await until("app removed", async () => (await apps.run(apps.service.tasks())).length === 0, 120_000)
  await apps.stop()

  console.log(table(rows))
  for (const line of lines) console.log(line)
  if (process.env.APPS_LB !== "0") {
    console.log("\nLoad balancer vs straight to the backend (lb.bench.ts):")
    await runLbBench({ print: true })
  }
} finally {
  for (const agent of agents) await agent.stop().catch(() => undefined)
  await master.stop().catch(() => undefined)
  await removePlain().catch(() => undefined)
  await removeContainersOf(engine.socketPath, ...agentIds).catch(() => undefined)
  if (engine.startedByRun) await terminate(engine.pid)
}
