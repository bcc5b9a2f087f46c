/**
 * Metric sources from Docker's container stats: `cpu` (CPU use in % of the task's `cpus`) and `mem`
 * (memory use in % of the container's limit), averaged over the app's running tasks. Containers are found
 * by the agent's `orchestrator.task-id` label.
 *
 * **Gotchas**: the engine must be the one the agents run their containers on (one host, or a scheduler on
 * each host): tasks on other hosts are not seen and do not count in the average.
 *
 * @since 0.1.0
 */
import { DockerClient } from "@orchestrator/core/docker"
import { Effect, Option } from "effect"
import type { AppDefinition } from "../model/AppDefinition.js"
import type { AppTask } from "../scheduler/Views.js"
import type { MetricSource, MetricSources } from "./MetricSource.js"

/**
 * The part of Docker's stats answer the sources read.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContainerStats {
  readonly cpu_stats: {
    readonly cpu_usage: { readonly total_usage: number; readonly percpu_usage?: ReadonlyArray<number> }
    readonly system_cpu_usage?: number
    readonly online_cpus?: number
  }
  readonly precpu_stats: {
    readonly cpu_usage: { readonly total_usage: number }
    readonly system_cpu_usage?: number
  }
  readonly memory_stats: {
    readonly usage?: number
    readonly limit?: number
    readonly stats?: Readonly<Record<string, number>>
  }
}

/**
 * CPU use in % of `cpus` (100 = the task uses all the CPU it asked for), or `undefined` without a previous sample.
 *
 * @since 0.1.0
 * @category metrics
 */
export const cpuPercent = (stats: ContainerStats, cpus: number): number | undefined => {
  const cpuDelta = stats.cpu_stats.cpu_usage.total_usage - stats.precpu_stats.cpu_usage.total_usage
  const systemDelta = (stats.cpu_stats.system_cpu_usage ?? 0) - (stats.precpu_stats.system_cpu_usage ?? 0)
  const online = stats.cpu_stats.online_cpus ?? stats.cpu_stats.cpu_usage.percpu_usage?.length ?? 1
  if (!(systemDelta > 0) || cpuDelta < 0 || !(cpus > 0)) return undefined
  return ((cpuDelta / systemDelta) * online * 100) / cpus
}

/**
 * Memory use (without the page cache) in % of the container's limit.
 *
 * @since 0.1.0
 * @category metrics
 */
export const memPercent = (stats: ContainerStats): number | undefined => {
  const usage = stats.memory_stats.usage
  const limit = stats.memory_stats.limit
  if (usage === undefined || limit === undefined || !(limit > 0)) return undefined
  const cache = stats.memory_stats.stats?.inactive_file ?? stats.memory_stats.stats?.cache ?? 0
  return (Math.max(0, usage - cache) / limit) * 100
}

const average = (values: ReadonlyArray<number | undefined>): Option.Option<number> => {
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v))
  return known.length === 0 ? Option.none() : Option.some(known.reduce((a, b) => a + b, 0) / known.length)
}

/**
 * The `cpu` and `mem` sources over a Docker client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sources = (docker: DockerClient["Service"]): MetricSources => {
  const statsOf = (taskId: string) =>
    docker
      .use("stats", async (d, signal) => {
        const list = await d.listContainers({
          filters: JSON.stringify({ label: [`orchestrator.task-id=${taskId}`] }),
          abortSignal: signal
        } as Parameters<typeof d.listContainers>[0])
        const id = list[0]?.Id
        if (id === undefined) return undefined
        return (await d.getContainer(id).stats({ stream: false })) as unknown as ContainerStats
      })
      .pipe(Effect.orElseSucceed(() => undefined))
  const source =
    (read: (stats: ContainerStats, app: AppDefinition) => number | undefined): MetricSource =>
    (app, tasks: ReadonlyArray<AppTask>) =>
      Effect.forEach(
        tasks.filter((t) => t.state === "TASK_RUNNING"),
        (t) => Effect.map(statsOf(t.id), (stats) => (stats === undefined ? undefined : read(stats, app))),
        { concurrency: 8 }
      ).pipe(Effect.map(average))
  return {
    cpu: source((stats, app) => cpuPercent(stats, app.cpus)),
    mem: source((stats) => memPercent(stats))
  }
}

/**
 * The `cpu` and `mem` sources from the `DockerClient` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<MetricSources, never, DockerClient> = DockerClient.useSync(sources)
