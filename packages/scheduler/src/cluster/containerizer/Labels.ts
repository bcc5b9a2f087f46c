/**
 * The Docker labels that mark a task's container: which agent launched it, for which framework, and what it
 * holds. The agent finds its containers again by these labels after a restart.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Resources } from "../Resources.js"

/**
 * Label names.
 *
 * @since 0.1.0
 * @category constants
 */
export const Label = {
  agentId: "orchestrator.agent-id",
  taskId: "orchestrator.task-id",
  frameworkId: "orchestrator.framework-id",
  resources: "orchestrator.resources",
  hostPorts: "orchestrator.host-ports",
  killGraceSeconds: "orchestrator.kill-grace-seconds"
} as const

/**
 * What the labels of a task's container say.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskLabels {
  readonly agentId: string
  readonly taskId: string
  readonly frameworkId: string
  readonly resources: Resources
  readonly hostPorts: ReadonlyArray<number>
  /** The task's own SIGTERM-to-SIGKILL delay, when its spec sets one. */
  readonly killGraceSeconds?: number
}

/**
 * The labels for a task's container.
 *
 * @since 0.1.0
 * @category constructors
 */
export const encode = (labels: TaskLabels): Record<string, string> => ({
  [Label.agentId]: labels.agentId,
  [Label.taskId]: labels.taskId,
  [Label.frameworkId]: labels.frameworkId,
  [Label.resources]: JSON.stringify(labels.resources),
  [Label.hostPorts]: labels.hostPorts.join(","),
  ...(labels.killGraceSeconds === undefined ? {} : { [Label.killGraceSeconds]: String(labels.killGraceSeconds) })
})

const decodeResources = Schema.decodeUnknownOption(Schema.fromJsonString(Resources))

/**
 * Reads a container's labels back; `undefined` when they do not name an agent, task and framework.
 *
 * @since 0.1.0
 * @category parsers
 */
export const decode = (labels: Readonly<Record<string, string>> | undefined): TaskLabels | undefined => {
  const agentId = labels?.[Label.agentId]
  const taskId = labels?.[Label.taskId]
  const frameworkId = labels?.[Label.frameworkId]
  if (agentId === undefined || taskId === undefined || frameworkId === undefined) return undefined
  const resources = decodeResources(labels?.[Label.resources] ?? "{}")
  const ports = (labels?.[Label.hostPorts] ?? "").split(",").filter((p) => p !== "")
  const grace = Number(labels?.[Label.killGraceSeconds] ?? "")
  return {
    agentId,
    taskId,
    frameworkId,
    resources: resources._tag === "Some" ? resources.value : {},
    hostPorts: ports.map(Number).filter(Number.isInteger),
    ...(labels?.[Label.killGraceSeconds] !== undefined && Number.isInteger(grace) && grace >= 0
      ? { killGraceSeconds: grace }
      : {})
  }
}
