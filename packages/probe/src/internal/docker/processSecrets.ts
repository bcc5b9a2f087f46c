/**
 * Keeping a container's secret values out of its processes' nodes: a task started as `app --password "$DB"`
 * has the value in its command line, which the process collector reports. The Docker plugin's tagger replaces
 * the values (those of the variables the container's secret-env label lists) in every string of the process
 * nodes whose parent is that container. When the values cannot be known (the container is new and the engine did
 * not answer its inspect), it fails closed: the command line is replaced whole.
 */
import { Fields, type Plugin, type Report, Topology } from "@orchestrator/core"
import { redacted, scrubber } from "./redact.js"

const scrubStrings = (
  record: Readonly<Record<string, Report.LatestValue>>,
  scrub: (text: string) => string
): Record<string, Report.LatestValue> => {
  const out: Record<string, Report.LatestValue> = {}
  for (const [key, field] of Object.entries(record)) out[key] = { ...field, value: scrub(field.value) }
  return out
}

/** A copy of a node with `scrub` applied to its latest values, labels and sets. */
const scrubNode = (node: Report.Node, scrub: (text: string) => string): Report.Node => {
  const sets: Record<string, ReadonlyArray<string>> = {}
  for (const [key, values] of Object.entries(node.sets)) sets[key] = values.map(scrub)
  return { ...node, latest: scrubStrings(node.latest, scrub), labels: scrubStrings(node.labels, scrub), sets }
}

/** A process node whose container's secret values are unknown: its command line replaced whole. */
const hideCommand = (node: Report.Node): Report.Node => {
  const command = node.latest[Fields.Latest.command]
  return command === undefined
    ? node
    : { ...node, latest: { ...node.latest, [Fields.Latest.command]: { ...command, value: redacted } } }
}

/** The containers that the process nodes of a fragment belong to. */
export const processContainers = (fragment: Plugin.ReportFragment): ReadonlySet<string> => {
  const ids = new Set<string>()
  for (const node of Object.values(fragment.topologies[Topology.Topologies.processes] ?? {})) {
    const container = node.parents[Topology.Topologies.containers]?.[0]
    if (container !== undefined) ids.add(container)
  }
  return ids
}

/**
 * The fragment with the secret values of each container (`secrets`: container id to values, or `"unknown"`)
 * replaced in the nodes of its processes (`"unknown"`: their command lines hidden); the fragment itself when
 * there is nothing to replace.
 */
export const scrubProcesses = (
  fragment: Plugin.ReportFragment,
  secrets: ReadonlyMap<string, ReadonlyArray<string> | "unknown">
): Plugin.ReportFragment => {
  const processes = fragment.topologies[Topology.Topologies.processes]
  if (secrets.size === 0 || processes === undefined) return fragment
  const scrubbers = new Map<string, (text: string) => string>()
  const out: Record<string, Report.Node> = {}
  for (const [id, node] of Object.entries(processes)) {
    const container = node.parents[Topology.Topologies.containers]?.[0]
    const values = container === undefined ? undefined : secrets.get(container)
    if (container === undefined || values === undefined) {
      out[id] = node
      continue
    }
    if (values === "unknown") {
      out[id] = hideCommand(node)
      continue
    }
    let scrub = scrubbers.get(container)
    if (scrub === undefined) {
      scrub = scrubber(values)
      scrubbers.set(container, scrub)
    }
    out[id] = scrubNode(node, scrub)
  }
  return { ...fragment, topologies: { ...fragment.topologies, [Topology.Topologies.processes]: out } }
}
