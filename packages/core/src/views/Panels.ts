/**
 * The default node details: the panels the app returns for `GET /api/v1/query/nodes/:topology/:id`, built
 * from the merged report (fields, labels, sets, parents, connections) plus the metric series and controls the
 * caller supplies. Plugins add panels by appending to the list; the UI renders every panel generically.
 *
 * Panels, in order (each only when it has content):
 *
 * | id            | type          | content                                                                  |
 * |---------------|---------------|--------------------------------------------------------------------------|
 * | `controls`    | `controls`    | the given controls the node offers (`node.controls`)                     |
 * | `metrics`     | `metrics`     | the series from `options.series(node.id)`                                 |
 * | `info`        | `table`       | latest fields with friendly labels (well-known first), other sets (IPs)  |
 * | `labels`      | `labels`      | Docker / Kubernetes labels                                               |
 * | `connections` | `connections` | inbound and outbound peers in the node's topology, with ports and counts |
 * | `relatives`   | `connections` | parents and children                                                     |
 * | `environment` | `table`       | the `env` set (`KEY=value`)                                               |
 * | `ports`       | `table`       | the `ports` set                                                          |
 * | `mounts`      | `table`       | the `mounts` set (`source:destination[:mode]`)                           |
 *
 * @since 0.1.0
 */
import * as Fields from "../Fields.js"
import { first, hostLabel, labelValues, nodeLabel, nodeLabelMinor } from "../internal/views/describe.js"
import { endpointParts } from "../internal/views/address.js"
import { lookup, type OwnerFn, ownerFn } from "../internal/views/owners.js"
import { relations } from "../internal/views/relations.js"
import { Resolver, type Unowned } from "../internal/views/render.js"
import type { MergedReport } from "../MergedReport.js"
import type { ControlDescription, MetricSeries, NodeDetails, Panel } from "../NodeDetails.js"
import type { Node } from "../Report.js"
import { Topologies } from "../Topology.js"
import * as Pseudo from "./Pseudo.js"

/**
 * What {@link defaultPanels} needs besides the node and the report.
 *
 * @since 0.1.0
 * @category models
 */
export interface PanelOptions {
  /** Recent samples of the node's metrics (from the time-series store). */
  readonly series: (nodeId: string) => ReadonlyArray<MetricSeries>
  /** The probe that runs the node's controls; found by the node's host name when omitted. */
  readonly probeId?: string
  /** Descriptions of controls; those whose id the node lists in `controls` are shown. */
  readonly controls?: ReadonlyArray<ControlDescription>
}

type Format = (value: string) => string

const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]

/**
 * Formats a byte count with binary units (`1.5 GiB`).
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatBytes = (bytes: number): string => {
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`
}

/**
 * Formats a duration in seconds as days, hours and minutes (`3d 4h 5m`).
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatDuration = (seconds: number): string => {
  const s = Math.floor(seconds)
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (d > 0) return `${d}d ${h}h ${m}m`
  if (h > 0) return `${h}h ${m}m`
  if (m > 0) return `${m}m ${s % 60}s`
  return `${s}s`
}

const numberFormat =
  (f: (n: number) => string): Format =>
  (value) => {
    const n = Number(value)
    return value.trim() !== "" && Number.isFinite(n) ? f(n) : value
  }

/**
 * Friendly labels of well-known latest fields, in the order the info table lists them.
 *
 * @since 0.1.0
 * @category constants
 */
export const fieldLabels: ReadonlyArray<readonly [key: string, label: string]> = [
  [Fields.Latest.name, "Name"],
  [Fields.Latest.containerName, "Container name"],
  [Fields.Latest.containerState, "State"],
  [Fields.Latest.podPhase, "Phase"],
  [Fields.Latest.namespace, "Namespace"],
  [Fields.Latest.image, "Image"],
  [Fields.Latest.imageTag, "Image tag"],
  [Fields.Latest.imageId, "Image ID"],
  [Fields.Latest.created, "Created"],
  [Fields.Latest.networkMode, "Network mode"],
  [Fields.Latest.pid, "PID"],
  [Fields.Latest.ppid, "Parent PID"],
  [Fields.Latest.command, "Command"],
  [Fields.Latest.user, "User"],
  [Fields.Latest.cwd, "Working directory"],
  [Fields.Latest.threads, "Threads"],
  [Fields.Latest.openFiles, "Open files"],
  [Fields.Latest.os, "OS"],
  [Fields.Latest.kernel, "Kernel"],
  [Fields.Latest.arch, "Architecture"],
  [Fields.Latest.cpuCores, "CPU cores"],
  [Fields.Latest.memoryTotal, "Memory"],
  [Fields.Latest.uptime, "Uptime"],
  [Fields.Latest.load1, "Load (1m)"],
  [Fields.Latest.address, "Address"],
  [Fields.Latest.port, "Port"],
  [Fields.Latest.protocol, "Protocol"],
  [Fields.Latest.socketState, "Socket state"]
]

const labelOf = new Map(fieldLabels)
const rankOf = new Map(fieldLabels.map(([key], i) => [key, i]))
const formats: ReadonlyMap<string, Format> = new Map([
  [Fields.Latest.memoryTotal, numberFormat(formatBytes)],
  [Fields.Latest.uptime, numberFormat(formatDuration)]
])

/** Fields collectors use for bookkeeping, not for people. */
const hidden = (key: string) => key === Fields.Latest.system || key.startsWith("_")

const humanize = (key: string): string => {
  const words = key.replace(/[_.-]+/g, " ").trim()
  return words.length === 0 ? key : words[0]!.toUpperCase() + words.slice(1)
}

const tableSets = new Set<string>([Fields.Sets.env, Fields.Sets.ports, Fields.Sets.mounts])

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const infoPanel = (node: Node): Panel | undefined => {
  const keys = Object.keys(node.latest).filter((k) => !hidden(k))
  keys.sort((a, b) => (rankOf.get(a) ?? 1e9) - (rankOf.get(b) ?? 1e9) || compareText(a, b))
  const rows = keys.map((key) => {
    const value = node.latest[key]!.value
    return { key, label: labelOf.get(key) ?? humanize(key), value: formats.get(key)?.(value) ?? value }
  })
  const setKeys = Object.keys(node.sets).filter((k) => !tableSets.has(k) && node.sets[k]!.length > 0)
  setKeys.sort(compareText)
  for (const key of setKeys) {
    rows.push({
      key,
      label: key === Fields.Sets.ips ? "IP addresses" : humanize(key),
      value: node.sets[key]!.join(", ")
    })
  }
  return rows.length === 0 ? undefined : { type: "table", id: "info", title: "Info", rows }
}

const setTables = (node: Node): Array<Panel> => {
  const out: Array<Panel> = []
  const env = node.sets[Fields.Sets.env]
  if (env !== undefined && env.length > 0) {
    const rows = env.map((entry) => {
      const eq = entry.indexOf("=")
      const name = eq >= 0 ? entry.slice(0, eq) : entry
      return { key: name, label: name, value: eq >= 0 ? entry.slice(eq + 1) : "" }
    })
    rows.sort((a, b) => compareText(a.key, b.key))
    out.push({ type: "table", id: "environment", title: "Environment", rows })
  }
  const ports = node.sets[Fields.Sets.ports]
  if (ports !== undefined && ports.length > 0) {
    out.push({
      type: "table",
      id: "ports",
      title: "Ports",
      rows: ports.map((p) => ({ key: p, label: "Port", value: p }))
    })
  }
  const mounts = node.sets[Fields.Sets.mounts]
  if (mounts !== undefined && mounts.length > 0) {
    const rows = mounts.map((m) => {
      const [source, destination, mode] = m.split(":")
      if (destination === undefined) return { key: m, label: "Mount", value: m }
      return { key: m, label: destination, value: mode === undefined ? source! : `${source} (${mode})` }
    })
    out.push({ type: "table", id: "mounts", title: "Mounts", rows })
  }
  return out
}

const hostIdOf = (node: Node): string | undefined => {
  if (node.topology === Topologies.hosts) return node.id
  const host = first(node.parents[Topologies.hosts])
  if (host !== undefined) return host
  if (node.topology === Topologies.processes) {
    const at = node.id.lastIndexOf(";")
    return at > 0 ? node.id.slice(0, at) : undefined
  }
  return undefined
}

const controlsPanel = (node: Node, report: MergedReport, options: PanelOptions): Panel | undefined => {
  if (options.controls === undefined || node.controls.length === 0) return undefined
  const offered = new Set(node.controls)
  const controls = options.controls.filter((c) => offered.has(c.id))
  if (controls.length === 0) return undefined
  let probeId = options.probeId
  if (probeId === undefined) {
    const host = hostIdOf(node)
    for (const probe of report.probes.values()) {
      if (host !== undefined && probe.hostname === host) {
        probeId = probe.probeId
        break
      }
    }
  }
  return probeId === undefined ? undefined : { type: "controls", id: "controls", title: "Controls", probeId, controls }
}

type Row = {
  nodeId: string
  topology: string
  label: string
  detail?: string
  direction?: "inbound" | "outbound" | "parent" | "child"
}

const unownedOf = (topology: string): Unowned =>
  topology === Topologies.containers
    ? "uncontained"
    : topology === Topologies.pods ||
        topology === Topologies.services ||
        topology === Topologies.deployments ||
        topology === Topologies.namespaces
      ? "unmanaged"
      : undefined

const connectionsPanel = (node: Node, report: MergedReport): Panel | undefined => {
  const topology = node.topology
  const l = lookup(report)
  const endpoints = report.nodes(Topologies.endpoints)
  const isEndpoint = topology === Topologies.endpoints
  const owner: OwnerFn | undefined = isEndpoint ? (e) => e.id : ownerFn(topology, l)
  if (owner === undefined) return undefined
  const inTopology = report.nodes(topology)
  const resolver = new Resolver(l, unownedOf(topology), { has: (id) => inTopology.has(id), of: owner })
  const rel = relations(report)
  const mine = isEndpoint ? [node.id] : rel.owned(topology, node.id)
  const peers = new Map<string, { direction: "inbound" | "outbound"; id: string; ports: Set<string>; count: number }>()
  const add = (
    direction: "inbound" | "outbound",
    resolved: string | ReadonlyArray<string>,
    port: string | undefined
  ) => {
    for (const id of typeof resolved === "string" ? [resolved] : resolved) {
      if (id === node.id) continue
      const key = `${direction}\u0000${id}`
      let peer = peers.get(key)
      if (peer === undefined) {
        peer = { direction, id, ports: new Set(), count: 0 }
        peers.set(key, peer)
      }
      peer.count++
      if (port !== undefined) peer.ports.add(port)
    }
  }
  for (const endpointId of mine) {
    const endpoint = endpoints.get(endpointId)
    for (const target of endpoint?.adjacency ?? []) {
      add("outbound", resolver.resolve(endpoints.get(target), target, "out"), endpointParts(target)?.port)
    }
    for (const source of rel.sources(endpointId)) {
      add("inbound", resolver.resolve(endpoints.get(source), source, "in"), endpointParts(endpointId)?.port)
    }
  }
  if (peers.size === 0) return undefined
  const rows: Array<Row> = []
  for (const peer of peers.values()) {
    const pseudo = resolver.node(peer.id)
    const real = pseudo === undefined ? inTopology.get(peer.id) : undefined
    const label =
      pseudo === undefined
        ? real === undefined
          ? peer.id
          : nodeLabel(real)
        : pseudo.topology === Pseudo.topology && pseudo.rank !== "internet" && pseudo.labelMinor !== ""
          ? `${pseudo.label} (${pseudo.labelMinor})`
          : pseudo.label
    const ports = Array.from(peer.ports).sort((a, b) => Number(a) - Number(b) || compareText(a, b))
    const count = peer.count === 1 ? "1 connection" : `${peer.count} connections`
    rows.push({
      nodeId: peer.id,
      topology: pseudo === undefined ? topology : Pseudo.topology,
      label,
      detail: ports.length === 0 ? count : `${ports.length === 1 ? "port" : "ports"} ${ports.join(", ")} · ${count}`,
      direction: peer.direction
    })
  }
  rows.sort((a, b) => compareText(a.direction!, b.direction!) || compareText(a.label, b.label))
  return { type: "connections", id: "connections", title: "Connections", rows }
}

const relativesPanel = (node: Node, report: MergedReport): Panel | undefined => {
  const rows: Array<Row> = []
  const hosts = report.nodes(Topologies.hosts)
  for (const topology of Object.keys(node.parents).sort(compareText)) {
    for (const id of node.parents[topology]!) {
      const parent = report.node(id, topology)
      const label =
        parent === undefined ? (topology === Topologies.hosts ? hostLabel(hosts, id) : id) : nodeLabel(parent)
      rows.push({ nodeId: id, topology, label, detail: topology, direction: "parent" })
    }
  }
  const children = relations(report).children(node.topology, node.id)
  const sorted = [...children].sort((a, b) => compareText(a.topology, b.topology))
  for (const child of sorted) {
    const found = report.node(child.id, child.topology)
    rows.push({
      nodeId: child.id,
      topology: child.topology,
      label: found === undefined ? child.id : nodeLabel(found),
      detail: child.topology,
      direction: "child"
    })
  }
  return rows.length === 0 ? undefined : { type: "connections", id: "relatives", title: "Relatives", rows }
}

/**
 * The default panels of a node's details.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultPanels = (node: Node, report: MergedReport, options: PanelOptions): Array<Panel> => {
  const panels: Array<Panel> = []
  const controls = controlsPanel(node, report, options)
  if (controls !== undefined) panels.push(controls)
  const series = options.series(node.id)
  if (series.length > 0) panels.push({ type: "metrics", id: "metrics", title: "Metrics", metrics: series })
  const info = infoPanel(node)
  if (info !== undefined) panels.push(info)
  const labels = labelValues(node)
  if (Object.keys(labels).length > 0) panels.push({ type: "labels", id: "labels", title: "Labels", labels })
  const connections = connectionsPanel(node, report)
  if (connections !== undefined) panels.push(connections)
  const relatives = relativesPanel(node, report)
  if (relatives !== undefined) panels.push(relatives)
  panels.push(...setTables(node))
  return panels
}

/**
 * A node's details: its label, minor label and default panels.
 *
 * @since 0.1.0
 * @category constructors
 */
export const nodeDetails = (node: Node, report: MergedReport, options: PanelOptions): NodeDetails => ({
  id: node.id,
  topology: node.topology,
  label: nodeLabel(node),
  labelMinor: nodeLabelMinor(node, report.nodes(Topologies.hosts)),
  panels: defaultPanels(node, report, options)
})

/**
 * The label the details and views use for a node (for API callers that list nodes).
 *
 * @since 0.1.0
 * @category getters
 */
export const label = (node: Node): string => nodeLabel(node)
