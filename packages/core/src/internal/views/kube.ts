/**
 * The shared shape of the Kubernetes views (pods, services, deployments, namespaces): nodes labelled by
 * name with their namespace as minor label, and traffic outside any pod going to per-host "Unmanaged" nodes.
 *
 * @since 0.1.0
 */
import type { Node } from "../../Report.js"
import { Topologies } from "../../Topology.js"
import type { NodeStatus, RenderedNode, ViewDefinition } from "../../views/View.js"
import { nodeLabel, nodeLabelMinor, renderedNode } from "./describe.js"
import { type TopologySpec, renderTopology } from "./render.js"

/**
 * Builds a Kubernetes view definition.
 *
 * @since 0.1.0
 * @category internal
 */
export const kubeView = (options: {
  readonly id: string
  readonly label: string
  readonly topology: string
  readonly rank: number
  readonly shape: RenderedNode["shape"]
  readonly status: (node: Node) => NodeStatus
}): ViewDefinition => {
  const spec: TopologySpec = {
    topology: options.topology,
    node: (node, hosts) => {
      const labelMinor = nodeLabelMinor(node, hosts)
      return renderedNode(node, {
        label: nodeLabel(node),
        labelMinor,
        rank: labelMinor,
        shape: options.shape,
        status: options.status(node)
      })
    },
    unowned: "unmanaged"
  }
  const reads = [options.topology, Topologies.endpoints, Topologies.processes, Topologies.containers, Topologies.hosts]
  if (options.topology !== Topologies.pods) reads.push(Topologies.pods)
  return {
    id: options.id,
    label: options.label,
    reads,
    countTopology: options.topology,
    rank: options.rank,
    render: (report) => renderTopology(report, spec)
  }
}
