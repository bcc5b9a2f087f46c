/**
 * The hosts view: one node per host, coloured by CPU (normalised by cores) and memory pressure, with edges
 * between hosts whose processes are connected.
 *
 * @since 0.1.0
 */
import { hostStatus, latestMetrics, nodeLabel, nodeLabelMinor, renderedNode } from "../internal/views/describe.js"
import { type TopologySpec, renderTopology } from "../internal/views/render.js"
import { Topologies } from "../Topology.js"
import type { ViewDefinition } from "./View.js"

const spec: TopologySpec = {
  topology: Topologies.hosts,
  node: (node, hosts) => {
    const metrics = latestMetrics(node)
    const label = nodeLabel(node)
    return renderedNode(
      node,
      {
        label,
        labelMinor: nodeLabelMinor(node, hosts),
        rank: label,
        shape: "circle",
        status: hostStatus(node, metrics)
      },
      metrics
    )
  }
}

/**
 * The hosts view definition (`hosts`).
 *
 * @since 0.1.0
 * @category views
 */
export const view: ViewDefinition = {
  id: "hosts",
  label: "Hosts",
  reads: [Topologies.hosts, Topologies.endpoints, Topologies.processes],
  countTopology: Topologies.hosts,
  rank: 40,
  render: (report) => renderTopology(report, spec)
}
