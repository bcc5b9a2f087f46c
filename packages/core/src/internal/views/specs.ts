/**
 * Renderer specs of the built-in views that other views build on (processes-by-name groups the processes
 * spec, containers-by-image the containers spec).
 *
 * @since 0.1.0
 */
import * as Fields from "../../Fields.js"
import { Topologies } from "../../Topology.js"
import {
  containerImage,
  containerName,
  containerStatus,
  field,
  latestMetrics,
  nodeLabelMinor,
  processName,
  renderedNode
} from "./describe.js"
import type { TopologySpec } from "./render.js"

/**
 * Processes: labelled by name, `host (pid)` below, always healthy.
 *
 * @since 0.1.0
 * @category internal
 */
export const processes: TopologySpec = {
  topology: Topologies.processes,
  node: (node, hosts) => {
    const name = processName(node)
    return renderedNode(node, {
      label: name,
      labelMinor: nodeLabelMinor(node, hosts),
      rank: name,
      shape: "square",
      status: "healthy"
    })
  }
}

/**
 * Containers: labelled by name, host below, ranked by image, coloured by state and CPU.
 *
 * @since 0.1.0
 * @category internal
 */
export const containers: TopologySpec = {
  topology: Topologies.containers,
  node: (node, hosts) => {
    const metrics = latestMetrics(node)
    return renderedNode(
      node,
      {
        label: containerName(node),
        labelMinor: nodeLabelMinor(node, hosts),
        rank: containerImage(node),
        shape: "hexagon",
        status: containerStatus(field(node, Fields.Latest.containerState), metrics[Fields.Metrics.cpu])
      },
      metrics
    )
  },
  unowned: "uncontained"
}
