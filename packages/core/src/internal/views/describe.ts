/**
 * How report nodes look in views and panels: labels, minor labels, ranks, shapes and statuses per topology.
 * Shared by the renderers and the node details so both name a node the same way.
 *
 * @since 0.1.0
 */
import * as Fields from "../../Fields.js"
import type { Node } from "../../Report.js"
import { Topologies } from "../../Topology.js"
import type { NodeStatus, RenderedNode } from "../../views/View.js"

/**
 * A shared empty record; rendered nodes are read-only data, so sharing it is safe.
 *
 * @since 0.1.0
 * @category internal
 */
export const emptyRecord: Readonly<Record<string, never>> = Object.freeze({})

/**
 * Reads a latest-value field.
 *
 * @since 0.1.0
 * @category internal
 */
export const field = (node: Node, key: string): string | undefined => node.latest[key]?.value

/**
 * The first element of an optional array.
 *
 * @since 0.1.0
 * @category internal
 */
export const first = (values: ReadonlyArray<string> | undefined): string | undefined =>
  values !== undefined && values.length > 0 ? values[0] : undefined

/**
 * Label values of a node, without timestamps.
 *
 * @since 0.1.0
 * @category internal
 */
export const labelValues = (node: Node): Record<string, string> => {
  let out: Record<string, string> | undefined
  for (const key in node.labels) {
    out ??= {}
    out[key] = node.labels[key]!.value
  }
  return out ?? emptyRecord
}

/**
 * The latest sample of every metric of a node.
 *
 * @since 0.1.0
 * @category internal
 */
export const latestMetrics = (node: Node): Record<string, number> => {
  let out: Record<string, number> | undefined
  for (const key in node.metrics) {
    const samples = node.metrics[key]!
    if (samples.length === 0) continue
    out ??= {}
    out[key] = samples[samples.length - 1]![1]
  }
  return out ?? emptyRecord
}

/**
 * Strips a tag (and digest) from an image reference, keeping a registry port: `reg:5000/app:1` -> `reg:5000/app`.
 *
 * @since 0.1.0
 * @category internal
 */
export const imageName = (image: string): string => {
  const at = image.indexOf("@")
  const ref = at >= 0 ? image.slice(0, at) : image
  const colon = ref.lastIndexOf(":")
  return colon > ref.lastIndexOf("/") ? ref.slice(0, colon) : ref
}

const basename = (command: string): string => {
  const program = command.trim().split(/\s+/, 1)[0] ?? ""
  const slash = program.lastIndexOf("/")
  return slash >= 0 ? program.slice(slash + 1) : program
}

/**
 * The display name of a process: its `name` field, else the program of its command line, else its pid.
 *
 * @since 0.1.0
 * @category internal
 */
export const processName = (node: Node): string => {
  const name = field(node, Fields.Latest.name)
  if (name !== undefined && name !== "") return name
  const command = field(node, Fields.Latest.command)
  const program = command === undefined ? "" : basename(command)
  if (program !== "") return program
  return processPid(node)
}

/**
 * The pid of a process: its `pid` field, else the part of the id after the last `;`.
 *
 * @since 0.1.0
 * @category internal
 */
export const processPid = (node: Node): string =>
  field(node, Fields.Latest.pid) ?? node.id.slice(node.id.lastIndexOf(";") + 1)

/**
 * The display name of a container: its Docker name without the leading `/`, else `name`, else a short id.
 *
 * @since 0.1.0
 * @category internal
 */
export const containerName = (node: Node): string => {
  const name = field(node, Fields.Latest.containerName) ?? field(node, Fields.Latest.name)
  if (name !== undefined && name !== "") return name.startsWith("/") ? name.slice(1) : name
  return node.id.slice(0, 12)
}

/**
 * The image of a container without its tag, or `""`.
 *
 * @since 0.1.0
 * @category internal
 */
export const containerImage = (node: Node): string => {
  const image = field(node, Fields.Latest.image)
  return image === undefined ? "" : imageName(image)
}

/**
 * The display name of a node of any topology.
 *
 * @since 0.1.0
 * @category internal
 */
export const nodeLabel = (node: Node): string => {
  switch (node.topology) {
    case Topologies.processes:
      return processName(node)
    case Topologies.containers:
      return containerName(node)
    case Topologies.endpoints: {
      const address = field(node, Fields.Latest.address)
      const port = field(node, Fields.Latest.port)
      if (address !== undefined && port !== undefined)
        return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`
      const parts = node.id.split(";")
      if (parts.length >= 3) {
        const a = parts[1]!
        return a.includes(":") ? `[${a}]:${parts[2]}` : `${a}:${parts[2]}`
      }
      return node.id
    }
    case Topologies.containerImages:
      return field(node, Fields.Latest.image) ?? field(node, Fields.Latest.name) ?? node.id
    default: {
      const name = field(node, Fields.Latest.name)
      return name !== undefined && name !== "" ? name : node.id
    }
  }
}

/**
 * The label of a host id: the host's name when the host is in the report, else the id.
 *
 * @since 0.1.0
 * @category internal
 */
export const hostLabel = (hosts: ReadonlyMap<string, Node>, hostId: string): string => {
  const host = hosts.get(hostId)
  return host === undefined ? hostId : nodeLabel(host)
}

const namespaceOf = (node: Node): string =>
  field(node, Fields.Latest.namespace) ?? first(node.parents[Topologies.namespaces]) ?? ""

/**
 * The minor label of a node: where it runs or what it belongs to.
 *
 * @since 0.1.0
 * @category internal
 */
export const nodeLabelMinor = (node: Node, hosts: ReadonlyMap<string, Node>): string => {
  switch (node.topology) {
    case Topologies.processes: {
      const host = first(node.parents[Topologies.hosts]) ?? node.id.slice(0, Math.max(0, node.id.lastIndexOf(";")))
      return `${hostLabel(hosts, host)} (${processPid(node)})`
    }
    case Topologies.containers:
    case Topologies.endpoints: {
      const host = first(node.parents[Topologies.hosts])
      return host === undefined ? "" : hostLabel(hosts, host)
    }
    case Topologies.hosts:
      return field(node, Fields.Latest.os) ?? ""
    case Topologies.pods:
    case Topologies.services:
    case Topologies.deployments:
      return namespaceOf(node)
    default:
      return ""
  }
}

const percentStatus = (percent: number | undefined): NodeStatus | undefined =>
  percent === undefined ? undefined : percent > 95 ? "critical" : percent > 80 ? "warning" : undefined

/**
 * The status of a container from its state and CPU use.
 *
 * @since 0.1.0
 * @category internal
 */
export const containerStatus = (state: string | undefined, cpu: number | undefined): NodeStatus => {
  switch (state) {
    case "running":
      return percentStatus(cpu) ?? "healthy"
    case "paused":
    case "restarting":
      return "warning"
    case "exited":
    case "dead":
    case "created":
    case "removing":
      return "stopped"
    default:
      return "unknown"
  }
}

/**
 * The status of a host from CPU (normalised by its cores) and memory pressure.
 *
 * @since 0.1.0
 * @category internal
 */
export const hostStatus = (node: Node, metrics: Readonly<Record<string, number>>): NodeStatus => {
  // A host's cpu is already a percent of its whole capacity (see Fields.Metrics.cpu).
  const cpuPercent = metrics[Fields.Metrics.cpu]
  const total = Number(field(node, Fields.Latest.memoryTotal))
  const memory = metrics[Fields.Metrics.memory]
  const memoryPercent = memory !== undefined && total > 0 ? (memory / total) * 100 : undefined
  const a = percentStatus(cpuPercent)
  const b = percentStatus(memoryPercent)
  return a === "critical" || b === "critical" ? "critical" : (a ?? b ?? "healthy")
}

/**
 * The status of a pod from its phase.
 *
 * @since 0.1.0
 * @category internal
 */
export const podStatus = (phase: string | undefined): NodeStatus => {
  switch (phase?.toLowerCase()) {
    case "running":
      return "healthy"
    case "pending":
      return "warning"
    case "failed":
      return "critical"
    case "succeeded":
      return "stopped"
    default:
      return "unknown"
  }
}

const severity: Readonly<Record<NodeStatus, number>> = { stopped: 0, healthy: 1, unknown: 2, warning: 3, critical: 4 }

/**
 * The status of a group: the worst status of its members that are not stopped, or stopped when all are.
 *
 * @since 0.1.0
 * @category internal
 */
export const worstStatus = (a: NodeStatus, b: NodeStatus): NodeStatus => (severity[b] > severity[a] ? b : a)

/**
 * Whether a report node is a system node (kernel threads, the probe, pause containers).
 *
 * @since 0.1.0
 * @category internal
 */
export const isSystem = (node: Node): boolean => field(node, Fields.Latest.system) === "true"

/**
 * Builds a rendered node with the fields every view fills the same way.
 *
 * @since 0.1.0
 * @category internal
 */
export const renderedNode = (
  node: Node,
  fields: Pick<RenderedNode, "label" | "labelMinor" | "rank" | "shape" | "status">,
  metrics: Readonly<Record<string, number>> = latestMetrics(node)
): RenderedNode => ({
  id: node.id,
  topology: node.topology,
  label: fields.label,
  labelMinor: fields.labelMinor,
  rank: fields.rank,
  shape: fields.shape,
  status: fields.status,
  pseudo: false,
  stack: 1,
  parents: node.parents,
  labels: labelValues(node),
  metrics,
  members: [node.id]
})
