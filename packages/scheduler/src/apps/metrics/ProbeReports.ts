/**
 * Metric sources from the probes' reports (the core report model): the `containers` topology holds every
 * container a probe sees, with its Docker labels (the agent's `orchestrator.task-id` among them), `cpu`
 * samples (percent of one core) and `memory` samples (bytes). Unlike the Docker stats source this sees the
 * containers of every host that runs a probe.
 *
 * ```ts
 * const sources = ProbeReports.sources(Effect.map(aggregator.merged, (m) => m.report))
 * AppScheduler.layerMaster({ metricSources: sources })
 * ```
 *
 * @since 0.1.0
 */
import { Fields, Report } from "@orchestrator/core"
import { Effect, Option } from "effect"
import type { AppDefinition } from "../model/AppDefinition.js"
import type { AppTask } from "../scheduler/Views.js"
import type { MetricSource, MetricSources } from "./MetricSource.js"

/**
 * The part of a report the sources read: topologies of nodes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reports {
  readonly topologies: Readonly<Record<string, { readonly nodes: Readonly<Record<string, Report.Node>> }>>
}

const taskLabel = "orchestrator.task-id"
const memoryLimitKey = "docker_memory_limit_bytes"

/**
 * The container node of each task id in a report.
 *
 * @since 0.1.0
 * @category getters
 */
export const containersByTask = (report: Reports): ReadonlyMap<string, Report.Node> => {
  const out = new Map<string, Report.Node>()
  for (const node of Object.values(report.topologies.containers?.nodes ?? {})) {
    const taskId = node.labels[taskLabel]?.value
    if (taskId !== undefined) out.set(taskId, node)
  }
  return out
}

/**
 * CPU use of a container node in % of `cpus` (the probe reports % of one core).
 *
 * @since 0.1.0
 * @category metrics
 */
export const cpuPercent = (node: Report.Node, cpus: number): number | undefined => {
  const cpu = Report.lastSample(node, Fields.Metrics.cpu)
  return cpu === undefined || !(cpus > 0) ? undefined : cpu / cpus
}

/**
 * Memory use of a container node in % of its limit (the app's `mem` when the probe saw no limit).
 *
 * @since 0.1.0
 * @category metrics
 */
export const memPercent = (node: Report.Node, app: AppDefinition): number | undefined => {
  const used = Report.lastSample(node, Fields.Metrics.memory)
  const limit = Number(Report.latest(node, memoryLimitKey) ?? app.mem * 1024 * 1024)
  return used === undefined || !(limit > 0) ? undefined : (used / limit) * 100
}

/**
 * The `cpu` and `mem` sources over a way to read the current (merged) report.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sources = <E>(current: Effect.Effect<Reports, E>): MetricSources => {
  const source =
    (read: (node: Report.Node, app: AppDefinition) => number | undefined): MetricSource =>
    (app, tasks: ReadonlyArray<AppTask>) =>
      current.pipe(
        Effect.map((report) => {
          const byTask = containersByTask(report)
          const values = tasks
            .filter((t) => t.state === "TASK_RUNNING")
            .flatMap((t) => {
              const node = byTask.get(t.id)
              const value = node === undefined ? undefined : read(node, app)
              return value === undefined || !Number.isFinite(value) ? [] : [value]
            })
          return values.length === 0
            ? Option.none<number>()
            : Option.some(values.reduce((a, b) => a + b, 0) / values.length)
        }),
        Effect.catchCause((cause) =>
          Effect.as(Effect.logDebug("probe reports unavailable", cause), Option.none<number>())
        )
      )
  return {
    cpu: source((node, app) => cpuPercent(node, app.cpus)),
    mem: source(memPercent)
  }
}
