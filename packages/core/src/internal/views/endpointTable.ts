/**
 * The endpoint table: every endpoint of the report numbered once, with its process, container, pod and host
 * resolved, and the connections as arrays of endpoint numbers. Built once per state of the topologies it
 * reads and shared by every view rendered in that state, so a render walks flat arrays instead of chasing
 * `node -> parents -> array -> id -> map` for every connection (the cost that dominates at 100k+
 * connections: it is all cache misses).
 *
 * @since 0.1.0
 */
import type { MergedReport } from "../../MergedReport.js"
import type { Node } from "../../Report.js"
import { Topologies } from "../../Topology.js"
import { endpointParts } from "./address.js"

/**
 * The endpoints of one report state, numbered 0..size-1 in the report's order, with their owners resolved,
 * and the connections as arrays of endpoint numbers.
 *
 * Resolving every endpoint in one sequential pass and numbering targets through one map is cheaper than
 * chasing each target's parents at random (measured: the chase is mostly cache misses).
 *
 * @since 0.1.0
 * @category internal
 */
export interface EndpointTable {
  readonly size: number
  readonly ids: ReadonlyArray<string>
  /** Owner ids by endpoint number (`undefined` when unknown). */
  readonly process: ReadonlyArray<string | undefined>
  readonly container: ReadonlyArray<string | undefined>
  readonly pod: ReadonlyArray<string | undefined>
  /** The host: the `hosts` parent, else the process's, else the scope of a host-local address. */
  readonly host: ReadonlyArray<string | undefined>
  /**
   * The same owners as positions in their topology's node map (its iteration order), or -1 when the owner
   * is not in the report: renderers number their nodes in that order and resolve owners without hashing.
   */
  readonly at: {
    readonly processes: Int32Array
    readonly containers: Int32Array
    readonly pods: Int32Array
    readonly hosts: Int32Array
  }
  /** Numbers of the endpoints that opened connections. */
  readonly sources: Int32Array
  /** `targets[offsets[i] .. offsets[i + 1]]` are the targets of `sources[i]`. */
  readonly offsets: Int32Array
  /** A target endpoint number, or `-(k + 1)` for `absent[k]`, a target id not in the report. */
  readonly targets: Int32Array
  readonly absent: ReadonlyArray<string>
}

const first = (values: ReadonlyArray<string> | undefined): string | undefined =>
  values !== undefined && values.length > 0 ? values[0] : undefined

interface Numbered {
  readonly position: Map<string, number>
  readonly nodes: Array<Node>
}

const numbered = (nodes: ReadonlyMap<string, Node>): Numbered => {
  const position = new Map<string, number>()
  const list: Array<Node> = []
  for (const node of nodes.values()) {
    position.set(node.id, list.length)
    list.push(node)
  }
  return { position, nodes: list }
}

const build = (report: MergedReport): EndpointTable => {
  const endpoints = report.nodes(Topologies.endpoints)
  const processes = numbered(report.nodes(Topologies.processes))
  const containers = numbered(report.nodes(Topologies.containers))
  const pods = numbered(report.nodes(Topologies.pods))
  const hosts = numbered(report.nodes(Topologies.hosts))
  const size = endpoints.size
  const ids: Array<string> = []
  const nodes: Array<Node> = []
  const process: Array<string | undefined> = []
  const container: Array<string | undefined> = []
  const pod: Array<string | undefined> = []
  const host: Array<string | undefined> = []
  const at = {
    processes: new Int32Array(size),
    containers: new Int32Array(size),
    pods: new Int32Array(size),
    hosts: new Int32Array(size)
  }
  const listening = new Map<string, number>()
  let connected = 0
  let connections = 0
  let i = 0
  for (const node of endpoints.values()) {
    const parents = node.parents
    const processId = first(parents[Topologies.processes])
    const processAt = processId === undefined ? -1 : (processes.position.get(processId) ?? -1)
    const processNode = processAt < 0 ? undefined : processes.nodes[processAt]
    const containerId = first(parents[Topologies.containers]) ?? first(processNode?.parents[Topologies.containers])
    const containerAt = containerId === undefined ? -1 : (containers.position.get(containerId) ?? -1)
    let podId = first(processNode?.parents[Topologies.pods])
    if (podId === undefined && containerAt >= 0) podId = first(containers.nodes[containerAt]!.parents[Topologies.pods])
    podId ??= first(parents[Topologies.pods])
    const podAt = podId === undefined ? -1 : (pods.position.get(podId) ?? -1)
    let hostId = first(parents[Topologies.hosts]) ?? first(processNode?.parents[Topologies.hosts])
    if (hostId === undefined) {
      const scope = endpointParts(node.id)?.scope
      if (scope !== undefined && scope !== "") hostId = scope
    }
    const hostAt = hostId === undefined ? -1 : (hosts.position.get(hostId) ?? -1)
    ids.push(node.id)
    nodes.push(node)
    // Store the owners' own id strings: renderers key their maps by them, so lookups compare pointers.
    process.push(processNode?.id ?? processId)
    container.push(containerAt < 0 ? containerId : containers.nodes[containerAt]!.id)
    pod.push(podAt < 0 ? podId : pods.nodes[podAt]!.id)
    host.push(hostAt < 0 ? hostId : hosts.nodes[hostAt]!.id)
    at.processes[i] = processAt
    at.containers[i] = containerAt
    at.pods[i] = podAt
    at.hosts[i] = hostAt
    if (node.adjacency.length > 0) {
      connected++
      connections += node.adjacency.length
    } else listening.set(node.id, i)
    i++
  }
  // Targets are nearly always endpoints that opened no connection themselves (a server's listening side), so
  // only those are numbered up front; a map of the others is built the first time a target is one of them.
  let opened: Map<string, number> | undefined
  const ordinal = (id: string): number | undefined => {
    const found = listening.get(id)
    if (found !== undefined || !endpoints.has(id)) return found
    if (opened === undefined) {
      opened = new Map()
      for (let e = 0; e < size; e++) if (nodes[e]!.adjacency.length > 0) opened.set(ids[e]!, e)
    }
    return opened.get(id)
  }
  const sources = new Int32Array(connected)
  const offsets = new Int32Array(connected + 1)
  const targets = new Int32Array(connections)
  const absent: Array<string> = []
  const absentIndex = new Map<string, number>()
  let s = 0
  let t = 0
  for (let e = 0; e < size; e++) {
    const adjacency = nodes[e]!.adjacency
    if (adjacency.length === 0) continue
    sources[s] = e
    offsets[s] = t
    s++
    for (const id of adjacency) {
      let target = ordinal(id)
      if (target === undefined) {
        let k = absentIndex.get(id)
        if (k === undefined) {
          k = absent.length
          absent.push(id)
          absentIndex.set(id, k)
        }
        target = -(k + 1)
      }
      targets[t++] = target
    }
  }
  offsets[s] = t
  return { size, ids, process, container, pod, host, at, sources, offsets, targets, absent }
}

const reads = [
  Topologies.endpoints,
  Topologies.processes,
  Topologies.containers,
  Topologies.pods,
  Topologies.hosts
] as const

const cache = new WeakMap<
  MergedReport,
  { readonly generations: ReadonlyArray<number>; readonly table: EndpointTable }
>()

/**
 * The endpoint table of a report, rebuilt when endpoints, processes, containers, pods or hosts changed.
 *
 * @since 0.1.0
 * @category internal
 */
export const endpointTable = (report: MergedReport): EndpointTable => {
  const generations = reads.map((topology) => report.generation(topology))
  const cached = cache.get(report)
  if (cached?.generations.every((g, i) => g === generations[i])) return cached.table
  const table = build(report)
  cache.set(report, { generations, table })
  return table
}
