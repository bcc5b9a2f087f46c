/**
 * Who owns an endpoint in a topology, by following parents: endpoint -> process -> container -> pod -> host,
 * and pod -> services, deployments, namespaces. Renderers and node details use the same rules, so a
 * connection shows up between the same two nodes in both.
 *
 * @since 0.1.0
 */
import type { MergedReport } from "../../MergedReport.js"
import type { Node } from "../../Report.js"
import { Topologies } from "../../Topology.js"
import { endpointParts } from "./address.js"
import type { EndpointTable } from "./endpointTable.js"
import { first } from "./describe.js"

/**
 * The owners of an endpoint in one topology: one id, several ids (a pod behind two services) or none.
 *
 * @since 0.1.0
 * @category internal
 */
export type Owners = string | ReadonlyArray<string> | undefined

/**
 * Resolves an endpoint node to its owners in one topology.
 *
 * @since 0.1.0
 * @category internal
 */
export type OwnerFn = (endpoint: Node) => Owners

/**
 * The topologies owner resolution reads from the report.
 *
 * @since 0.1.0
 * @category internal
 */
export interface Lookup {
  readonly processes: ReadonlyMap<string, Node>
  readonly containers: ReadonlyMap<string, Node>
  readonly pods: ReadonlyMap<string, Node>
  readonly hosts: ReadonlyMap<string, Node>
}

/**
 * Reads the lookup maps from a report once per render.
 *
 * @since 0.1.0
 * @category internal
 */
export const lookup = (report: MergedReport): Lookup => ({
  processes: report.nodes(Topologies.processes),
  containers: report.nodes(Topologies.containers),
  pods: report.nodes(Topologies.pods),
  hosts: report.nodes(Topologies.hosts)
})

const processOf = (endpoint: Node, l: Lookup): Node | undefined => {
  const id = first(endpoint.parents[Topologies.processes])
  return id === undefined ? undefined : l.processes.get(id)
}

/**
 * The container of an endpoint: its own `containers` parent, else its process's.
 *
 * @since 0.1.0
 * @category internal
 */
export const containerOf = (endpoint: Node, l: Lookup): string | undefined =>
  first(endpoint.parents[Topologies.containers]) ?? first(processOf(endpoint, l)?.parents[Topologies.containers])

/**
 * The pod of an endpoint: via its process, else its container, else its own `pods` parent.
 *
 * @since 0.1.0
 * @category internal
 */
export const podOf = (endpoint: Node, l: Lookup): string | undefined => {
  const process = processOf(endpoint, l)
  const viaProcess = first(process?.parents[Topologies.pods])
  if (viaProcess !== undefined) return viaProcess
  const container = containerOf(endpoint, l)
  const viaContainer =
    container === undefined ? undefined : first(l.containers.get(container)?.parents[Topologies.pods])
  return viaContainer ?? first(endpoint.parents[Topologies.pods])
}

/**
 * The host of an endpoint: its `hosts` parent, else its process's, else the scope of a host-local address.
 *
 * @since 0.1.0
 * @category internal
 */
export const hostOf = (endpoint: Node | undefined, id: string, l: Lookup): string | undefined => {
  if (endpoint !== undefined) {
    const host = first(endpoint.parents[Topologies.hosts]) ?? first(processOf(endpoint, l)?.parents[Topologies.hosts])
    if (host !== undefined) return host
  }
  const scope = endpointParts(id)?.scope
  return scope === undefined || scope === "" ? undefined : scope
}

const viaPod =
  (l: Lookup, topology: string): OwnerFn =>
  (endpoint) => {
    const pod = podOf(endpoint, l)
    return pod === undefined ? undefined : l.pods.get(pod)?.parents[topology]
  }

/**
 * The owner function of a built-in topology, or `undefined` for topologies that do not own endpoints.
 *
 * @since 0.1.0
 * @category internal
 */
export const ownerFn = (topology: string, l: Lookup): OwnerFn | undefined => {
  switch (topology) {
    case Topologies.processes:
      return (endpoint) => first(endpoint.parents[Topologies.processes])
    case Topologies.containers:
      return (endpoint) => containerOf(endpoint, l)
    case Topologies.hosts:
      return (endpoint) => hostOf(endpoint, endpoint.id, l)
    case Topologies.pods:
      return (endpoint) => podOf(endpoint, l)
    case Topologies.services:
    case Topologies.deployments:
      return viaPod(l, topology)
    case Topologies.namespaces:
      return (endpoint) => {
        const pod = podOf(endpoint, l)
        const node = pod === undefined ? undefined : l.pods.get(pod)
        if (node === undefined) return undefined
        return node.parents[Topologies.namespaces] ?? node.latest.kubernetes_namespace?.value
      }
    default:
      return undefined
  }
}

/**
 * How a renderer finds the owners of the endpoint in slot `e` of an endpoint table: by slot in the owner
 * topology (`at`, no hashing; see `EndpointTable.at`) or by id (`of`).
 *
 * @since 0.1.0
 * @category internal
 */
export type TableOwner =
  | { readonly _tag: "At"; readonly at: Int32Array }
  | { readonly _tag: "Of"; readonly of: (table: EndpointTable, e: number) => Owners }

/**
 * The table-based owners of a built-in topology (same rules as {@link ownerFn}), or `undefined`.
 *
 * @since 0.1.0
 * @category internal
 */
export const tableOwner = (topology: string, table: EndpointTable, l: Lookup): TableOwner | undefined => {
  switch (topology) {
    case Topologies.processes:
      return { _tag: "At", at: table.at.processes }
    case Topologies.containers:
      return { _tag: "At", at: table.at.containers }
    case Topologies.hosts:
      return { _tag: "At", at: table.at.hosts }
    case Topologies.pods:
      return { _tag: "At", at: table.at.pods }
    case Topologies.services:
    case Topologies.deployments:
    case Topologies.namespaces: {
      const byPod = new Map<string, Owners>()
      return {
        _tag: "Of",
        of: (t, e) => {
          const pod = t.pod[e]
          if (pod === undefined) return undefined
          if (byPod.has(pod)) return byPod.get(pod)
          const node = l.pods.get(pod)
          const owners =
            topology === Topologies.namespaces
              ? (node?.parents[Topologies.namespaces] ?? node?.latest.kubernetes_namespace?.value)
              : node?.parents[topology]
          byPod.set(pod, owners)
          return owners
        }
      }
    }
    default:
      return undefined
  }
}
