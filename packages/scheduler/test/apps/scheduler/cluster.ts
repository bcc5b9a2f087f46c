/**
 * A cluster for the app scheduler's tests: an in-process master, agents running tasks in the shared dockerd
 * (each with its own host port range and a `rack` attribute), and app schedulers on it with a ZooKeeper store.
 */
import { createServer, type Server } from "node:net"
import { Effect, Exit, Layer, Schema, Scope } from "effect"
import { zkCli } from "../../../../../test/fixtures/index.js"
import { createAgent, createMaster, Master, type RunningAgent, type RunningMaster } from "../../../src/cluster/index.js"
import type { Resources } from "../../../src/cluster/Resources.js"
import * as AppsApi from "../../../src/apps/api/AppsApi.js"
import { AppDefinition } from "../../../src/apps/model/AppDefinition.js"
import { AppScheduler } from "../../../src/apps/scheduler/AppScheduler.js"
import type { AppTask } from "../../../src/apps/scheduler/Views.js"
import {
  type CreateAppSchedulerOptions,
  createAppScheduler,
  type RunningAppScheduler
} from "../../../src/apps/scheduler/RunningAppScheduler.js"
import { eventually, removeContainersOf, uniqueId } from "../../cluster/helpers.js"

export interface TestCluster {
  readonly master: RunningMaster
  readonly agents: ReadonlyArray<RunningAgent>
  readonly agentIds: ReadonlyArray<string>
  readonly zookeeper: string
  /** The ZooKeeper root of the schedulers' store (removed by `stop`); other schedulers may use paths below it. */
  readonly root: string
  /** Starts an app scheduler on the master (same ZooKeeper root every time). */
  readonly scheduler: (extra?: Partial<CreateAppSchedulerOptions>) => Promise<RunningAppScheduler>
  readonly servicePortRange: { readonly begin: number; readonly end: number }
  readonly stop: () => Promise<void>
}

/** Mounts the `/v2` API of `scheduler` on the master; answers its base URL and how to unmount it. */
export const mountApi = async (
  master: RunningMaster,
  scheduler: RunningAppScheduler
): Promise<{ readonly v2: string; readonly close: () => Promise<void> }> => {
  const mounted = Effect.runSync(Scope.make())
  await Effect.runPromise(
    Layer.buildWithScope(AppsApi.layer, mounted).pipe(
      Effect.provideService(Master, master.service),
      Effect.provideService(AppScheduler, scheduler.service)
    )
  )
  return { v2: `${master.url}/v2`, close: () => Effect.runPromise(Scope.close(mounted, Exit.void)) }
}

/** Decodes an app definition (fills the defaults). */
export const app = (json: unknown): AppDefinition => Schema.decodeUnknownSync(AppDefinition)(json)

/** A busybox httpd serving `body` on port 8080 of its container. */
export const httpdCmd = (body: string) =>
  `mkdir -p /www && echo ${body} > /www/index.html && exec httpd -f -p 8080 -h /www`

/** Whether every port of `begin..end` can be listened on at 127.0.0.1 now. */
const allFree = async (begin: number, end: number): Promise<boolean> => {
  const servers: Array<Server> = []
  try {
    for (let port = begin; port <= end; port++)
      servers.push(
        await new Promise<Server>((resolve, reject) => {
          const server = createServer()
          server.once("error", reject)
          server.listen(port, "127.0.0.1", () => resolve(server))
        })
      )
    return true
  } catch {
    return false
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  }
}

/**
 * A range of `size` free ports below the kernel's ephemeral range (32768 up, where outgoing connections and
 * `listen(0)` take their ports: a range there can be taken by another suite's connection at any moment).
 */
export const portRange = async (size: number) => {
  for (let attempt = 0; attempt < 50; attempt++) {
    const begin = 20_000 + Math.floor(Math.random() * (12_000 - size))
    if (await allFree(begin, begin + size - 1)) return { begin, end: begin + size - 1 }
  }
  throw new Error(`no ${size} free ports in a row below 32000`)
}

export const startCluster = async (options: {
  readonly socketPath: string
  readonly agents: number
  readonly zookeeper: string
  /** Every agent's resources (default: 16 cpus, 8 GB, 1 GB disk, 40 ports of its own). */
  readonly resources?: Resources
}): Promise<TestCluster> => {
  const master = await createMaster({ host: "127.0.0.1", port: 0, allocationIntervalMs: 50, agentTimeoutMs: 5_000 })
  const agentIds: Array<string> = []
  const agents: Array<RunningAgent> = []
  for (let i = 0; i < options.agents; i++) {
    const agentId = uniqueId(`apps-agent${i}`)
    agentIds.push(agentId)
    agents.push(
      await createAgent({
        masterUrl: master.url,
        agentId,
        host: "127.0.0.1",
        port: 0,
        hostname: `node-${i}`,
        attributes: { rack: `r${i}` },
        resources: options.resources ?? { cpus: 16, mem: 8192, disk: 1024, ports: [await portRange(40)] },
        heartbeatIntervalMs: 200,
        dockerSocket: options.socketPath
      })
    )
  }
  const servicePortRange = await portRange(20)
  const root = `/orchestrator-apps-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  return {
    master,
    agents,
    agentIds,
    servicePortRange,
    zookeeper: options.zookeeper,
    root,
    scheduler: (extra = {}) =>
      createAppScheduler({
        master: master.service,
        zookeeper: { connectString: options.zookeeper, root },
        servicePortRange,
        lbHost: "127.0.0.1",
        tickMs: 100,
        pollMs: 300,
        refuseSeconds: 1,
        reconcileIntervalMs: 2_000,
        drainTimeoutMs: 2_000,
        ...extra
      }),
    stop: async () => {
      for (const agent of agents) await agent.stop().catch(() => undefined)
      await master.stop().catch(() => undefined)
      await removeContainersOf(options.socketPath, ...agentIds)
      await zkCli(options.zookeeper, ["deleteall", root]).catch(() => undefined)
    }
  }
}

/** A cluster, an app scheduler on it and its `/v2` API mounted on the master. */
export interface AppsApiCluster {
  readonly cluster: TestCluster
  readonly apps: RunningAppScheduler
  readonly v2: string
  /** Unmounts the API, stops the scheduler and the cluster. */
  readonly stop: () => Promise<void>
}

/** Starts a cluster (`startCluster` options), a scheduler on it (`cluster.scheduler` options) and mounts its API. */
export const startAppsApi = async (
  options: Parameters<typeof startCluster>[0],
  scheduler: Partial<CreateAppSchedulerOptions> = {}
): Promise<AppsApiCluster> => {
  const cluster = await startCluster(options)
  const apps = await cluster.scheduler(scheduler)
  const api = await mountApi(cluster.master, apps)
  return {
    cluster,
    apps,
    v2: api.v2,
    stop: async () => {
      await api.close()
      await apps.stop()
      await cluster.stop()
    }
  }
}

/** One GET through a service port; rejects on anything but a 200 (its body, trimmed, otherwise). */
export const getThrough = async (port: number, timeoutMs = 3_000): Promise<string> => {
  const answer = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(timeoutMs) })
  if (answer.status !== 200) throw new Error(`status ${answer.status}`)
  return (await answer.text()).trim()
}

/** An answer (or failure) a {@link loadClient} saw, with when it ended. */
export interface ClientResult {
  readonly at: number
  readonly body?: string
  readonly error?: string
}

/** Sends requests through a service port (two loops, a pause of `pauseMs` between requests) until stopped. */
export const loadClient = (port: number, pauseMs = 5) => {
  let running = true
  const results: Array<ClientResult> = []
  const loop = async () => {
    while (running) {
      try {
        results.push({ at: Date.now(), body: await getThrough(port) })
      } catch (error) {
        results.push({ at: Date.now(), error: String(error) })
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs))
    }
  }
  const done = Promise.all([loop(), loop()])
  return {
    results,
    stop: async () => {
      running = false
      await done
    }
  }
}

/** A task of `/prod/web` as the scheduler's views show it (what metric sources read). */
export const webTask = (id: string, state: AppTask["state"] = "TASK_RUNNING"): AppTask => ({
  id,
  appId: "/prod/web",
  version: "v",
  agentId: "a",
  host: "h",
  ports: [],
  servicePorts: [],
  state,
  stagedAt: "",
  healthy: true,
  ready: true,
  healthCheckResults: []
})

/**
 * The app's only task, once it runs and the deployment that started it has ended: a deployment ends at the tick
 * after its task runs, and a change made before that (scale, remove) conflicts with it (409).
 */
export const runningAndDeployed = (apps: RunningAppScheduler, appId: string, timeoutMs = 45_000): Promise<AppTask> =>
  eventually(
    `${appId} running, its deployment ended`,
    async () => {
      const tasks = await apps.run(apps.service.tasks(appId))
      const deploying = (await apps.run(apps.service.deployments)).some((d) => d.affectedApps.includes(appId))
      return tasks.length === 1 && tasks[0]!.state === "TASK_RUNNING" && !deploying ? tasks[0]! : undefined
    },
    timeoutMs
  )
