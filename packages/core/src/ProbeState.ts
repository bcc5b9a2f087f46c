/**
 * The report delta protocol, as pure functions: the app keeps each probe's latest state; a full report
 * replaces it; a delta (the next sequence number, changed nodes, tombstones) patches it; a delta that does
 * not follow the last accepted report is refused with a request for a full report.
 *
 * @since 0.1.0
 */
import type { Node, ProbeHealth, Report } from "./Report.js"

/**
 * Everything the app holds for one probe.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProbeState {
  readonly probeId: string
  readonly hostname: string
  /** Sequence number of the last accepted report. */
  readonly seq: number
  readonly reportTimestamp: number
  readonly intervalMs: number | undefined
  readonly health: ReadonlyArray<ProbeHealth>
  /** Nodes by topology, then id. Owned by the state: never shared with another probe's state. */
  readonly topologies: ReadonlyMap<string, ReadonlyMap<string, Node>>
  readonly nodeCount: number
}

/**
 * One node that a report added, changed or removed.
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeChange {
  readonly topology: string
  readonly id: string
  /** The node as the probe now has it, or `undefined` when it was removed. */
  readonly node: Node | undefined
}

/**
 * The result of applying a report.
 *
 * @since 0.1.0
 * @category models
 */
export type ApplyResult =
  | { readonly _tag: "Applied"; readonly state: ProbeState; readonly changes: ReadonlyArray<NodeChange> }
  | { readonly _tag: "Duplicate"; readonly state: ProbeState }
  | { readonly _tag: "ResyncRequired"; readonly expectedSeq: number | null; readonly reason: string }

const fromReport = (report: Report, topologies: Map<string, Map<string, Node>>): ProbeState => {
  let nodeCount = 0
  for (const byId of topologies.values()) nodeCount += byId.size
  return {
    probeId: report.probeId,
    hostname: report.hostname,
    seq: report.seq,
    reportTimestamp: report.timestamp,
    intervalMs: report.intervalMs,
    health: report.health ?? [],
    topologies,
    nodeCount
  }
}

const applyFull = (previous: ProbeState | undefined, report: Report): ApplyResult => {
  const topologies = new Map<string, Map<string, Node>>()
  const changes: Array<NodeChange> = []
  for (const topology in report.topologies) {
    const nodes = report.topologies[topology]!.nodes
    const byId = new Map<string, Node>()
    const before = previous?.topologies.get(topology)
    for (const id in nodes) {
      const node = nodes[id]!
      byId.set(id, node)
      changes.push({ topology, id, node })
    }
    topologies.set(topology, byId)
    if (before !== undefined) {
      for (const id of before.keys()) if (!byId.has(id)) changes.push({ topology, id, node: undefined })
    }
  }
  if (previous !== undefined) {
    for (const [topology, before] of previous.topologies) {
      if (topologies.has(topology)) continue
      for (const id of before.keys()) changes.push({ topology, id, node: undefined })
    }
  }
  return { _tag: "Applied", state: fromReport(report, topologies), changes }
}

const applyDelta = (previous: ProbeState, report: Report): ApplyResult => {
  const topologies = new Map<string, Map<string, Node>>()
  for (const [topology, byId] of previous.topologies) topologies.set(topology, byId as Map<string, Node>)
  const changes: Array<NodeChange> = []
  for (const topology in report.topologies) {
    const patch = report.topologies[topology]!
    // Copy-on-write: the previous state's maps are never mutated, so a reader holding it sees a stable value.
    const byId = new Map(topologies.get(topology) ?? [])
    for (const id of patch.removed ?? []) {
      if (byId.delete(id)) changes.push({ topology, id, node: undefined })
    }
    for (const id in patch.nodes) {
      const node = patch.nodes[id]!
      byId.set(id, node)
      changes.push({ topology, id, node })
    }
    if (byId.size === 0) topologies.delete(topology)
    else topologies.set(topology, byId)
  }
  return { _tag: "Applied", state: fromReport(report, topologies), changes }
}

/**
 * Applies a report to a probe's state (`undefined` when the app has none yet).
 *
 * - a full report always applies and replaces the state; the changes name every node it holds and every
 *   node that is gone;
 * - a delta applies when its `seq` is exactly one more than the state's; a delta with a `seq` the app has
 *   already accepted is a harmless duplicate (a retried publish); any other delta, or a delta with no state,
 *   needs a full report.
 *
 * @since 0.1.0
 * @category combinators
 */
export const apply = (previous: ProbeState | undefined, report: Report): ApplyResult => {
  if (report.kind === "full") return applyFull(previous, report)
  if (previous === undefined) {
    return { _tag: "ResyncRequired", expectedSeq: null, reason: "no full report received from this probe yet" }
  }
  if (report.seq <= previous.seq) return { _tag: "Duplicate", state: previous }
  if (report.seq !== previous.seq + 1) {
    return {
      _tag: "ResyncRequired",
      expectedSeq: previous.seq + 1,
      reason: `delta seq ${report.seq} does not follow ${previous.seq}`
    }
  }
  return applyDelta(previous, report)
}
