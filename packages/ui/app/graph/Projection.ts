/**
 * What the graph shows for a view: its nodes, or, when grouped by a parent (host, pod, namespace...), the rank
 * or a label, one node per collapsed group (standing for its members) and the members of expanded groups,
 * with edges aggregated between whatever is shown. Pure and client-side (from `RenderedNode.parents`,
 * `rank` and `labels`), so it is tested directly.
 */
import type { NodeRef } from "../HashState.js"
import type { NodeStatus, RenderedEdge, RenderedNode } from "../Protocol.js"
import { type ShapeName, shapeOf, worstStatus } from "./Appearance.js"

/** How nodes are grouped. */
export type Grouping =
  | { readonly kind: "none" }
  | { readonly kind: "parent"; readonly topology: string }
  | { readonly kind: "rank" }
  | { readonly kind: "label"; readonly key: string }

/** Reads the hash's `group` value: `""` none, `rank`, `label:<key>`, anything else a parent topology. */
export const parseGrouping = (value: string): Grouping => {
  const text = value.trim()
  if (text === "") return { kind: "none" }
  if (text === "rank") return { kind: "rank" }
  if (text.startsWith("label:") && text.length > "label:".length) return { kind: "label", key: text.slice(6) }
  return { kind: "parent", topology: text }
}

/** The hash's `group` value of a grouping. */
export const formatGrouping = (grouping: Grouping): string => {
  switch (grouping.kind) {
    case "none":
      return ""
    case "rank":
      return "rank"
    case "label":
      return `label:${grouping.key}`
    case "parent":
      return grouping.topology
  }
}

/** The key of the group a node belongs to, or `undefined` when it stays on its own (pseudo nodes always do). */
export const groupKeyOf = (node: RenderedNode, grouping: Grouping): string | undefined => {
  if (node.pseudo) return undefined
  switch (grouping.kind) {
    case "none":
      return undefined
    case "rank":
      return node.rank === "" ? undefined : node.rank
    case "label": {
      const value = node.labels[grouping.key]
      return value === undefined || value === "" ? undefined : value
    }
    case "parent":
      return node.parents[grouping.topology]?.[0]
  }
}

/** The id of the node standing for a group. */
export const groupId = (grouping: Grouping, key: string): string => `group:${formatGrouping(grouping)}:${key}`

/** A readable name for a group key: 64-hex ids (containers) shortened like `docker ps` does. */
export const groupLabel = (key: string): string => (/^[0-9a-f]{64}$/.test(key) ? key.slice(0, 12) : key)

/** Where a node sits when nothing groups it: with its host when it has one, else with its rank. */
export const defaultCluster = (node: RenderedNode): string => {
  if (node.pseudo) return "pseudo"
  const host = node.parents.hosts?.[0]
  if (host !== undefined && node.topology !== "hosts") return `hosts:${host}`
  return `rank:${node.rank}`
}

/** A node as the graph shows it: a view's node, or a collapsed group. */
export interface DisplayNode {
  readonly id: string
  readonly kind: "node" | "group"
  readonly label: string
  readonly minor: string
  readonly status: NodeStatus
  readonly shape: ShapeName
  readonly pseudo: boolean
  /** How many view nodes this stands for (a group's members; a node's `stack`). */
  readonly members: number
  /** Summed over a group's members. */
  readonly cpu: number | undefined
  readonly memory: number | undefined
  /** Connections over the shown edges, both directions. */
  readonly connections: number
  /** Nodes of one cluster are placed together (an expanded group's members, a host's containers). */
  readonly cluster: string
  /** The view node behind it, for the details panel (groups have none). */
  readonly ref: NodeRef | undefined
  /** The expanded group a member belongs to. */
  readonly group: string | undefined
}

/** An edge as the graph shows it (between shown nodes; several view edges when aggregated). */
export interface DisplayEdge {
  readonly id: string
  readonly source: string
  readonly target: string
  readonly connections: number
}

/** A summary of one group, for the group list. */
export interface GroupSummary {
  readonly id: string
  readonly label: string
  readonly members: number
  readonly expanded: boolean
}

/** What the graph shows. */
export interface Projection {
  readonly nodes: ReadonlyMap<string, DisplayNode>
  readonly edges: ReadonlyMap<string, DisplayEdge>
  /** Every group, largest first (empty without a grouping). */
  readonly groups: ReadonlyArray<GroupSummary>
  /** The member ids of each group. */
  readonly members: ReadonlyMap<string, ReadonlyArray<string>>
}

interface GroupAccumulator {
  id: string
  key: string
  ids: Array<string>
  members: number
  status: NodeStatus
  cpu: number | undefined
  memory: number | undefined
  minor: string | undefined
}

const add = (a: number | undefined, b: number | undefined) => (b === undefined ? a : (a ?? 0) + b)

/** The display node of a view node, ungrouped or inside an expanded group. */
export const displayNodeOf = (
  node: RenderedNode,
  connections: number,
  group: string | undefined = undefined
): DisplayNode => ({
  id: node.id,
  kind: "node",
  label: node.label,
  minor: node.labelMinor,
  status: node.status,
  shape: shapeOf(node.shape),
  pseudo: node.pseudo,
  members: node.stack,
  cpu: node.metrics.cpu,
  memory: node.metrics.memory,
  connections,
  cluster: group ?? defaultCluster(node),
  ref: { topology: node.topology, id: node.id },
  group
})

/**
 * Projects a view onto what the graph shows. Without a grouping, every node and edge as they are. With one,
 * a node whose group is not in `expanded` is replaced by its group's node (size = members, status = the
 * worst member's), and edges are re-pointed at what is shown, summed per direction; edges inside one
 * collapsed group are left out.
 */
export const project = (
  nodes: Iterable<RenderedNode>,
  edges: Iterable<RenderedEdge>,
  grouping: Grouping,
  expanded: ReadonlySet<string>
): Projection => {
  const shownAs = new Map<string, string>()
  const groups = new Map<string, GroupAccumulator>()
  const memberOf = new Map<string, string>()
  const viewNodes: Array<RenderedNode> = []
  for (const node of nodes) {
    viewNodes.push(node)
    const key = groupKeyOf(node, grouping)
    if (key === undefined) {
      shownAs.set(node.id, node.id)
      continue
    }
    const id = groupId(grouping, key)
    let group = groups.get(id)
    if (group === undefined) {
      group = {
        id,
        key,
        ids: [],
        members: 0,
        status: node.status,
        cpu: undefined,
        memory: undefined,
        minor: node.labelMinor
      }
      groups.set(id, group)
    }
    group.ids.push(node.id)
    group.members += node.stack
    group.status = worstStatus(group.status, node.status)
    group.cpu = add(group.cpu, node.metrics.cpu)
    group.memory = add(group.memory, node.metrics.memory)
    if (group.minor !== node.labelMinor) group.minor = undefined
    memberOf.set(node.id, id)
    shownAs.set(node.id, expanded.has(id) ? node.id : id)
  }

  const outEdges = new Map<string, DisplayEdge>()
  const connections = new Map<string, number>()
  for (const edge of edges) {
    const source = shownAs.get(edge.source)
    const target = shownAs.get(edge.target)
    if (source === undefined || target === undefined || source === target) continue
    connections.set(source, (connections.get(source) ?? 0) + edge.connections)
    connections.set(target, (connections.get(target) ?? 0) + edge.connections)
    const aggregated = source !== edge.source || target !== edge.target
    const id = aggregated ? `${source}->${target}` : edge.id
    const previous = outEdges.get(id)
    outEdges.set(id, {
      id,
      source,
      target,
      connections: (previous?.connections ?? 0) + edge.connections
    })
  }

  const outNodes = new Map<string, DisplayNode>()
  for (const node of viewNodes) {
    const shown = shownAs.get(node.id)!
    if (shown === node.id) {
      outNodes.set(node.id, displayNodeOf(node, connections.get(node.id) ?? 0, memberOf.get(node.id)))
    }
  }
  const summaries: Array<GroupSummary> = []
  const members = new Map<string, ReadonlyArray<string>>()
  for (const group of groups.values()) {
    members.set(group.id, group.ids)
    const isExpanded = expanded.has(group.id)
    summaries.push({ id: group.id, label: groupLabel(group.key), members: group.members, expanded: isExpanded })
    if (isExpanded) continue
    outNodes.set(group.id, {
      id: group.id,
      kind: "group",
      label: groupLabel(group.key),
      minor: `${group.members} ${group.members === 1 ? "node" : "nodes"}${group.minor === undefined || group.minor === "" ? "" : ` · ${group.minor}`}`,
      status: group.status,
      shape: "circle",
      pseudo: false,
      members: group.members,
      cpu: group.cpu,
      memory: group.memory,
      connections: connections.get(group.id) ?? 0,
      cluster: "",
      ref: undefined,
      group: undefined
    })
  }
  summaries.sort((a, b) => b.members - a.members || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
  return { nodes: outNodes, edges: outEdges, groups: summaries, members }
}

/**
 * The groupings a view's nodes offer: parent topologies and label keys that at least two nodes share, and the
 * rank when it groups anything. Most common first, at most `limit` label keys.
 */
export const groupingChoices = (
  nodes: Iterable<RenderedNode>,
  limit = 8
): Array<{ readonly value: string; readonly label: string }> => {
  const parents = new Map<string, Map<string, number>>()
  const labels = new Map<string, Map<string, number>>()
  const ranks = new Map<string, number>()
  const count = (index: Map<string, Map<string, number>>, key: string, value: string) => {
    let values = index.get(key)
    if (values === undefined) {
      values = new Map()
      index.set(key, values)
    }
    values.set(value, (values.get(value) ?? 0) + 1)
  }
  let total = 0
  for (const node of nodes) {
    if (node.pseudo) continue
    total++
    for (const [topology, ids] of Object.entries(node.parents))
      if (ids[0] !== undefined) count(parents, topology, ids[0])
    for (const [key, value] of Object.entries(node.labels)) if (value !== "") count(labels, key, value)
    ranks.set(node.rank, (ranks.get(node.rank) ?? 0) + 1)
  }
  /** A key groups something when some value is shared by two nodes or more. */
  const groupsSomething = (values: ReadonlyMap<string, number>) => [...values.values()].some((n) => n > 1)
  const coverage = (values: ReadonlyMap<string, number>) => [...values.values()].reduce((a, b) => a + b, 0)
  const byCoverage = (index: Map<string, Map<string, number>>) =>
    [...index.entries()]
      .filter(([, values]) => groupsSomething(values))
      .sort((a, b) => coverage(b[1]) - coverage(a[1]) || (a[0] < b[0] ? -1 : 1))
  const out: Array<{ value: string; label: string }> = []
  for (const [topology] of byCoverage(parents)) out.push({ value: topology, label: topologyLabel(topology) })
  if (total > 0 && ranks.size < total && groupsSomething(ranks)) out.push({ value: "rank", label: "Rank" })
  for (const [key] of byCoverage(labels).slice(0, limit)) out.push({ value: `label:${key}`, label: `Label ${key}` })
  return out
}

/** "hosts" -> "Host", "pods" -> "Pod". */
const topologyLabel = (topology: string): string => {
  const singular = topology.endsWith("s") ? topology.slice(0, -1) : topology
  return singular.charAt(0).toUpperCase() + singular.slice(1)
}
