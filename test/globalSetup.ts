/**
 * Vitest global setup: starts the shared fixtures once per run, in parallel, and hands their connection
 * details to test files (`inject("orchDocker")`, `inject("zkConnectString")`...; see `test/fixtures/types.ts`
 * and the helpers in `test/fixtures/index.ts`).
 *
 * - Docker: reuses the machine's dockerd or starts one (stopped by the last run out if a run started it),
 *   and builds the test image `orchestrator/busybox:test` when missing.
 * - ZooKeeper: a standalone server and a 3-server ensemble on free ports, stopped at teardown.
 *
 * `ORCH_FIXTURES=none` (or `docker` / `zookeeper`) limits what starts for quick local runs; under `CI=true`
 * everything always starts, and a missing tool fails the run with what to install.
 */
import { accessSync, constants, rmSync } from "node:fs"
import { join } from "node:path"
import type { TestProject } from "vitest/node"
import { ensureTestImage, testImage } from "./fixtures/dockerImage.js"
import { ensureDockerd } from "./fixtures/dockerd.js"
import { assertPrerequisites, fixtureSelection } from "./fixtures/prerequisites.js"
import {
  acquireDockerdLease,
  createRunDir,
  reapStaleRuns,
  recordDockerdStarted,
  releaseDockerdLease
} from "./fixtures/runState.js"
import type { DockerFixture, ZooKeeperFixture } from "./fixtures/types.js"
import { startZooKeeperEnsemble, startZooKeeperServer, stopZooKeeperServer, timing } from "./fixtures/zookeeper.js"

const log = (message: string): void => {
  process.stderr.write(`[fixtures] ${message}\n`)
}

const dockerdLogPath = (runDir: string): string => {
  try {
    accessSync("/var/log", constants.W_OK)
    return "/var/log/dockerd.log"
  } catch {
    return join(runDir, "dockerd.log")
  }
}

/**
 * Starts the selected fixtures, provides their details to every project, and returns the teardown that stops
 * what this run started.
 *
 * @since 0.1.0
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedAt = Date.now()
  const selection = fixtureSelection()
  if (!selection.docker && !selection.zookeeper) {
    log("ORCH_FIXTURES=none: no Docker, no ZooKeeper; suites that need them skip")
  }
  assertPrerequisites(selection)

  const reaped = await reapStaleRuns()
  if (reaped.length > 0) log(`stopped fixtures left by dead runs: ${reaped.join(", ")}`)
  const runDir = createRunDir()
  const cleanups: Array<() => Promise<unknown>> = []
  const teardown = async (): Promise<void> => {
    const stoppingAt = Date.now()
    const results = await Promise.allSettled(cleanups.splice(0).map((cleanup) => cleanup()))
    rmSync(runDir, { recursive: true, force: true })
    for (const result of results) if (result.status === "rejected") log(`teardown: ${String(result.reason)}`)
    if (results.length > 0) log(`stopped in ${((Date.now() - stoppingAt) / 1000).toFixed(1)} s`)
  }

  const startDocker = async (): Promise<DockerFixture> => {
    acquireDockerdLease()
    cleanups.push(async () => {
      if (await releaseDockerdLease()) log("stopped the dockerd a fixture run had started")
    })
    const engine = await ensureDockerd({ logPath: dockerdLogPath(runDir), onStarted: recordDockerdStarted })
    if (engine.startedByRun) log(`started dockerd (pid ${engine.pid}, log ${engine.logPath})`)
    if (await ensureTestImage(engine.socketPath, testImage)) log(`built ${testImage}`)
    return { socketPath: engine.socketPath, testImage, startedByRun: engine.startedByRun }
  }

  const startZooKeeper = async (): Promise<ZooKeeperFixture> => {
    const [standalone, ensemble] = await Promise.allSettled([
      startZooKeeperServer({ root: runDir, name: "standalone" }),
      startZooKeeperEnsemble({ root: runDir, name: "ensemble" })
    ])
    const servers = [
      ...(standalone.status === "fulfilled" ? [standalone.value] : []),
      ...(ensemble.status === "fulfilled" ? ensemble.value.servers : [])
    ]
    cleanups.push(() => Promise.all(servers.map((server) => stopZooKeeperServer(server))))
    if (standalone.status === "rejected") throw standalone.reason
    if (ensemble.status === "rejected") throw ensemble.reason
    return {
      standalone: standalone.value,
      ensemble: ensemble.value,
      tickTimeMs: timing.tickTimeMs,
      minSessionTimeoutMs: timing.minSessionTimeoutMs,
      maxSessionTimeoutMs: timing.maxSessionTimeoutMs
    }
  }

  const [docker, zookeeper] = await Promise.allSettled([
    selection.docker ? startDocker() : Promise.resolve(null),
    selection.zookeeper ? startZooKeeper() : Promise.resolve(null)
  ])
  if (docker.status === "rejected" || zookeeper.status === "rejected") {
    await teardown()
    const reasons = [docker, zookeeper].flatMap((result) => (result.status === "rejected" ? [result.reason] : []))
    throw new Error(`test fixtures failed to start:\n${reasons.map((reason) => String(reason)).join("\n")}`)
  }

  project.provide("orchFixtures", selection)
  project.provide("orchDocker", docker.value)
  project.provide("orchZooKeeper", zookeeper.value)
  project.provide("dockerSocketPath", docker.value?.socketPath ?? "")
  project.provide("dockerTestImage", docker.value?.testImage ?? "")
  project.provide("zkConnectString", zookeeper.value?.standalone.connectString ?? "")
  project.provide("zkEnsembleConnectString", zookeeper.value?.ensemble.connectString ?? "")

  const started = [
    docker.value === null ? undefined : `docker (${docker.value.startedByRun ? "started" : "reused"})`,
    zookeeper.value === null
      ? undefined
      : `zookeeper standalone ${zookeeper.value.standalone.connectString}, ensemble ${zookeeper.value.ensemble.connectString}`
  ].filter((item) => item !== undefined)
  if (started.length > 0) log(`ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${started.join("; ")}`)
  return teardown
}
