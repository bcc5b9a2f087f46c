/**
 * Baselines for the render measurement, built from the same probe reports the app ingested:
 *
 * - {@link remerge}: what Weave Scope's app did per request: fold every probe's latest report into a fresh
 *   merged report (a new object per node, `mergeNode` where probes share a node), before rendering from it;
 * - {@link copyMaps}: a plain copy of the merged node maps, the least any design that rebuilds the merged
 *   report per render must pay.
 *
 * @since 0.1.0
 */
import { mergeNode } from "../../src/Merge.js"
import type { MergedReport } from "../../src/MergedReport.js"
import type { Node, Report } from "../../src/Report.js"

const empty: ReadonlyMap<string, Node> = new Map()

const wrap = (topologies: Map<string, Map<string, Node>>): MergedReport => ({
  topologies,
  probes: new Map(),
  generation: () => 0,
  nodes: (topology) => topologies.get(topology) ?? empty,
  node: (id, topology) => {
    if (topology !== undefined) return topologies.get(topology)?.get(id)
    for (const byId of topologies.values()) {
      const found = byId.get(id)
      if (found !== undefined) return found
    }
    return undefined
  }
})

/** Merges every report into fresh maps, copying each node (Scope's merge-on-read). */
export const remerge = (reports: ReadonlyArray<Report>): MergedReport => {
  const topologies = new Map<string, Map<string, Node>>()
  for (const report of reports) {
    for (const topology in report.topologies) {
      let byId = topologies.get(topology)
      if (byId === undefined) {
        byId = new Map()
        topologies.set(topology, byId)
      }
      const nodes = report.topologies[topology]!.nodes
      for (const id in nodes) {
        const node = nodes[id]!
        const ours = byId.get(id)
        byId.set(id, ours === undefined ? { ...node } : mergeNode(ours, node))
      }
    }
  }
  return wrap(topologies)
}

/** Copies every node map of a merged report (no merging, no new nodes). */
export const copyMaps = (report: MergedReport): MergedReport => {
  const topologies = new Map<string, Map<string, Node>>()
  for (const [topology, byId] of report.topologies) topologies.set(topology, new Map(byId))
  return wrap(topologies)
}
