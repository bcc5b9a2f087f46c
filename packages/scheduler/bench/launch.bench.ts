/**
 * Tasks launched per second through framework (REST) -> master -> agent -> dockerd, against plain dockerode
 * create+start loops in the same run, with the same image, command and cgroup limits.
 *
 * - sequential: one task at a time (plain and orchestrator launches interleaved), each waited for until its container runs (the orchestrator: one offer,
 *   one accept, the `running` status from the framework's long-polled status feed), against a plain `for`
 *   loop of create+start.
 * - batch: N tasks at once (the orchestrator: one offer accepted with N tasks, the agent launches them
 *   concurrently), against a plain `Promise.all` of create+start; two rounds of each, alternating.
 *
 * `LAUNCH_TASKS` (default 30) tasks per measurement. Run: `npx tsx --conditions=source packages/scheduler/bench/launch.bench.ts`
 */
import { tmpdir } from "node:os"
import { join } from "node:path"
import Dockerode from "dockerode"
import { benchLine, fmt, type Row, table } from "../../core/bench/app/Stats.js"
import { testImage } from "../../../test/fixtures/dockerImage.js"
import { ensureTestImage } from "../../../test/fixtures/dockerImage.js"
import { ensureDockerd } from "../../../test/fixtures/dockerd.js"
import { freePorts, terminate } from "../../../test/fixtures/process.js"
import { createAgent, createMaster, hostConfigFor, Labels, type Task } from "../src/cluster/index.js"
import { removeContainersOf } from "../test/cluster/helpers.js"

const tasks = Number(process.env.LAUNCH_TASKS ?? 30)
const resources = { cpus: 0.1, mem: 32 }
const command = ["sleep", "60"]

const engine = await ensureDockerd({ logPath: join(tmpdir(), "orch-launch-bench-dockerd.log") })
await ensureTestImage(engine.socketPath)
const docker = new Dockerode({ socketPath: engine.socketPath })
const plainAgent = `bench-plain-${process.pid}`
const agentId = `bench-agent-${process.pid}`

const removeAll = (id: string): Promise<void> => removeContainersOf(engine.socketPath, id)

let plainSeq = 0
const plainRun = async (): Promise<void> => {
  const spec: Task.TaskSpec = { taskId: `p${plainSeq++}`, image: testImage, command, resources }
  const container = await docker.createContainer({
    Image: testImage,
    Cmd: command,
    Labels: Labels.encode({ agentId: plainAgent, taskId: spec.taskId, frameworkId: "plain", resources, hostPorts: [] }),
    HostConfig: hostConfigFor(spec, [], [], 1_024)
  })
  await container.start()
}

const time = async (f: () => Promise<void>): Promise<number> => {
  const started = performance.now()
  await f()
  return (performance.now() - started) / 1000
}

const plainConcurrent = (n: number) =>
  time(() => Promise.all(Array.from({ length: n }, plainRun)).then(() => undefined))

// ---- the orchestrator ----
const [portBegin] = await freePorts(1)
const master = await createMaster({ host: "127.0.0.1", port: 0, allocationIntervalMs: 1_000 })
const agent = await createAgent({
  masterUrl: master.url,
  agentId,
  host: "127.0.0.1",
  port: 0,
  hostname: "bench-node",
  resources: { cpus: 64, mem: 64 * 1024, ports: [{ begin: portBegin!, end: portBegin! + 10 }] },
  heartbeatIntervalMs: 1_000,
  dockerSocket: engine.socketPath
})
const api = `${master.url}/api/v1`
// biome-ignore lint/suspicious/noExplicitAny: the benchmark reads JSON answers directly
const call = async (method: string, path: string, body?: unknown): Promise<any> => {
  const response = await fetch(`${api}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } })
  })
  const parsed = await response.json()
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(parsed)}`)
  return parsed
}
while (!(await agent.isRegistered())) await new Promise((resolve) => setTimeout(resolve, 20))
const { frameworkId } = await call("POST", "/frameworks", { name: "launch-bench" })

let taskSeq = 0
/** An offer holding `n` tasks; smaller ones (resources of tasks that just ended) are declined to merge. */
const offer = async (n: number): Promise<{ offerId: string }> => {
  for (;;) {
    const offers: ReadonlyArray<{ offerId: string; resources: { cpus?: number; mem?: number } }> = await call(
      "GET",
      `/frameworks/${frameworkId}/offers?wait=2000`
    )
    const fit = offers.find(
      (o) => (o.resources.cpus ?? 0) >= n * resources.cpus && (o.resources.mem ?? 0) >= n * resources.mem
    )
    if (fit !== undefined) return fit
    for (const small of offers) {
      await call("POST", `/frameworks/${frameworkId}/decline`, { offerId: small.offerId, refuseSeconds: 0 })
    }
  }
}
let after = 0
/** Waits for every task to run, following the framework's status feed (long polls, no busy polling). */
const waitRunning = async (ids: ReadonlyArray<string>): Promise<void> => {
  const pending = new Set(ids)
  while (pending.size > 0) {
    const { seq, updates } = await call("GET", `/frameworks/${frameworkId}/updates?after=${after}&wait=5000`)
    after = seq
    for (const status of updates as ReadonlyArray<Task.TaskStatus>) {
      if (!pending.has(status.taskId)) continue
      if (status.state === "running") pending.delete(status.taskId)
      else if (status.state !== "staging" && status.state !== "starting") {
        throw new Error(`task ${status.taskId} ${status.state}: ${status.message}`)
      }
    }
  }
}
const launch = async (n: number): Promise<void> => {
  const { offerId } = await offer(n)
  const ids = Array.from({ length: n }, () => `t${taskSeq++}`)
  await call("POST", `/frameworks/${frameworkId}/accept`, {
    offerId,
    tasks: ids.map((taskId) => ({ taskId, image: testImage, command, resources }))
  })
  await waitRunning(ids)
}
const orchestratorBatch = (n: number) => time(() => launch(n))

const cleanup = async () => {
  const running: ReadonlyArray<Task.TaskStatus> = await call("GET", `/tasks?framework=${frameworkId}`)
  await Promise.all(
    running
      .filter((t) => t.state === "running")
      .map((t) => call("POST", `/tasks/${t.taskId}/kill`).catch(() => undefined))
  )
  await removeAll(plainAgent)
}

/**
 * Sequential mode, interleaved: plain task i, then orchestrator task i, so that both see the same engine
 * (the number of containers grows alike, and drift in the engine's speed hits both).
 */
const sequential = async (n: number): Promise<{ readonly plain: number; readonly ours: number }> => {
  let plain = 0
  let ours = 0
  for (let i = 0; i < n; i++) {
    plain += await time(plainRun)
    ours += await time(() => launch(1))
  }
  return { plain, ours }
}

try {
  // warm-up: image layers, Docker's and Node's caches
  await sequential(3)
  await cleanup()

  const results: Array<{ name: string; seconds: number }> = []
  const seq = await sequential(tasks)
  results.push({ name: "plain-sequential", seconds: seq.plain }, { name: "orchestrator-sequential", seconds: seq.ours })
  await cleanup()
  // batch mode: two rounds each, alternating, for the same reason
  let plainBatch = 0
  let oursBatch = 0
  for (let round = 0; round < 2; round++) {
    plainBatch += await plainConcurrent(tasks)
    await cleanup()
    oursBatch += await orchestratorBatch(tasks)
    await cleanup()
  }
  results.push(
    { name: "plain-concurrent", seconds: plainBatch / 2 },
    { name: "orchestrator-batch", seconds: oursBatch / 2 }
  )
  const rate = (name: string) => tasks / results.find((r) => r.name === name)!.seconds
  const rows: Array<Row> = []
  const lines: Array<string> = []
  for (const [mode, plain] of [
    ["sequential", "plain-sequential"],
    ["batch", "plain-concurrent"]
  ] as const) {
    const ours = rate(mode === "sequential" ? "orchestrator-sequential" : "orchestrator-batch")
    const base = rate(plain)
    const slowdown = base / ours
    rows.push({
      measure: `tasks/s, ${mode} (${tasks} tasks)`,
      value: fmt(ours),
      target: "<= 1.3x slower",
      baseline: `${fmt(base)} (${plain})`,
      ratio: `${fmt(slowdown, 2)}x slower ${slowdown <= 1.3 ? "ok" : "MISSED"}`
    })
    lines.push(
      benchLine(
        mode,
        { tasks, tasksPerSecond: ours, plainTasksPerSecond: base, slowdown, met: slowdown <= 1.3 },
        "launch"
      )
    )
  }
  console.log(table(rows))
  for (const line of lines) console.log(line)
} finally {
  await cleanup().catch(() => undefined)
  await agent.stop()
  await master.stop()
  await removeAll(agentId)
  await removeAll(plainAgent)
  if (engine.startedByRun) await terminate(engine.pid)
}
