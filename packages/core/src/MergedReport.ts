/**
 * The merged state of all probes, as the aggregator holds it and as views read it.
 *
 * @since 0.1.0
 */
import type { Node, ProbeHealth } from "./Report.js"

/**
 * What the app knows about one probe.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProbeSummary {
  readonly probeId: string
  readonly hostname: string
  readonly seq: number
  /** When the app last accepted a report from the probe (ms since epoch). */
  readonly lastSeen: number
  /** Timestamp the probe put on its last report. */
  readonly reportTimestamp: number
  readonly intervalMs: number | undefined
  readonly nodeCount: number
  readonly health: ReadonlyArray<ProbeHealth>
}

/**
 * One change to the nodes of a topology, as {@link MergedReport.changes} lists them.
 *
 * @since 0.1.0
 * @category models
 */
export interface TopologyChange {
  readonly id: string
  /** `true` when the node left the report; `false` when it was added or replaced by a new object. */
  readonly removed: boolean
}

/**
 * A read-only view of the merged report. The maps are live: read them synchronously and do not keep them
 * across an `await`/`yield` if you need a consistent snapshot; compare `generation` to know whether a
 * topology changed since you last read it.
 *
 * @since 0.1.0
 * @category models
 */
export interface MergedReport {
  /** Nodes by topology, then by id. */
  readonly topologies: ReadonlyMap<string, ReadonlyMap<string, Node>>
  /** The probes that contribute to the report. */
  readonly probes: ReadonlyMap<string, ProbeSummary>
  /** A counter per topology that grows whenever a node of that topology changes. */
  generation(topology: string): number
  /** Nodes of one topology (an empty map when the topology is absent). */
  nodes(topology: string): ReadonlyMap<string, Node>
  /** One node, searched across all topologies when `topology` is omitted. */
  node(id: string, topology?: string): Node | undefined
  /**
   * The changes to a topology since it was at `generation`, oldest first, or `undefined` when the report
   * does not know them (it keeps a bounded history, or none). Replaying them in order on a copy of the node
   * map (replace in place, delete, append) gives the current map, order included.
   *
   * **When to use**: a reader that keeps state per node (the views' endpoint table) updates what changed
   * instead of comparing whole maps. Optional, so readers must handle its absence by comparing.
   */
  changes?(topology: string, generation: number): ReadonlyArray<TopologyChange> | undefined
}

const noChanges: ReadonlyArray<TopologyChange> = []

const empty: ReadonlyMap<string, Node> = new Map()

/**
 * Builds a static merged report from plain nodes (for tests, plugins' testing kit and tools).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromNodes = (
  nodes: Iterable<Node>,
  probes: ReadonlyMap<string, ProbeSummary> = new Map()
): MergedReport => {
  const topologies = new Map<string, Map<string, Node>>()
  for (const node of nodes) {
    let byId = topologies.get(node.topology)
    if (byId === undefined) {
      byId = new Map()
      topologies.set(node.topology, byId)
    }
    byId.set(node.id, node)
  }
  return {
    topologies,
    probes,
    generation: () => 0,
    changes: (_, generation) => (generation === 0 ? noChanges : undefined),
    nodes: (topology) => topologies.get(topology) ?? empty,
    node: (id, topology) => {
      if (topology !== undefined) return topologies.get(topology)?.get(id)
      for (const byId of topologies.values()) {
        const found = byId.get(id)
        if (found !== undefined) return found
      }
      return undefined
    }
  }
}
