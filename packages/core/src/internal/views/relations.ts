/**
 * Indexes for node details, built lazily once per report state and shared by every details request: who
 * connected to an endpoint (reverse adjacency), which endpoints a node owns in a topology, and the children
 * of a node (nodes naming it in their `parents`).
 *
 * @since 0.1.0
 */
import type { MergedReport } from "../../MergedReport.js"
import { Topologies } from "../../Topology.js"
import { lookup, ownerFn } from "./owners.js"

/**
 * A child of a node: its topology and id.
 *
 * @since 0.1.0
 * @category internal
 */
export interface Child {
  readonly topology: string
  readonly id: string
}

/**
 * The relation indexes of one report state.
 *
 * @since 0.1.0
 * @category internal
 */
export interface Relations {
  /** Ids of the endpoints that connected to an endpoint. */
  readonly sources: (endpointId: string) => ReadonlyArray<string>
  /** Ids of the endpoints a node owns in a topology. */
  readonly owned: (topology: string, nodeId: string) => ReadonlyArray<string>
  /** The children of a node. */
  readonly children: (topology: string, nodeId: string) => ReadonlyArray<Child>
}

const none: ReadonlyArray<never> = []

const push = <K, V>(map: Map<K, Array<V>>, key: K, value: V) => {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else list.push(value)
}

const build = (report: MergedReport): Relations => {
  let reverse: Map<string, Array<string>> | undefined
  let children: Map<string, Array<Child>> | undefined
  const owned = new Map<string, Map<string, Array<string>>>()
  const endpoints = report.nodes(Topologies.endpoints)
  return {
    sources: (id) => {
      if (reverse === undefined) {
        reverse = new Map()
        for (const endpoint of endpoints.values())
          for (const target of endpoint.adjacency) push(reverse, target, endpoint.id)
      }
      return reverse.get(id) ?? none
    },
    owned: (topology, nodeId) => {
      let index = owned.get(topology)
      if (index === undefined) {
        index = new Map()
        owned.set(topology, index)
        const owner = ownerFn(topology, lookup(report))
        if (owner !== undefined) {
          for (const endpoint of endpoints.values()) {
            const owners = owner(endpoint)
            if (typeof owners === "string") push(index, owners, endpoint.id)
            else if (owners !== undefined) for (const id of owners) push(index, id, endpoint.id)
          }
        }
      }
      return index.get(nodeId) ?? none
    },
    children: (topology, nodeId) => {
      if (children === undefined) {
        children = new Map()
        for (const [name, nodes] of report.topologies) {
          if (name === Topologies.endpoints) continue
          for (const node of nodes.values()) {
            for (const parentTopology in node.parents) {
              for (const parent of node.parents[parentTopology]!) {
                push(children, `${parentTopology}\u0000${parent}`, { topology: name, id: node.id })
              }
            }
          }
        }
      }
      return children.get(`${topology}\u0000${nodeId}`) ?? none
    }
  }
}

const cache = new WeakMap<MergedReport, { readonly key: string; readonly relations: Relations }>()

/**
 * The relations of a report, rebuilt when any topology's generation changed.
 *
 * @since 0.1.0
 * @category internal
 */
export const relations = (report: MergedReport): Relations => {
  let key = ""
  for (const topology of report.topologies.keys()) key += `${topology}:${report.generation(topology)};`
  const cached = cache.get(report)
  if (cached !== undefined && cached.key === key) return cached.relations
  const fresh = build(report)
  cache.set(report, { key, relations: fresh })
  return fresh
}
