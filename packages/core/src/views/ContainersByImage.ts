/**
 * The containers-by-image view: containers collapsed into one node per image (without its tag), so ten
 * replicas of `nginx` are one node with `stack: 10`. Containers without an image stay single.
 *
 * @since 0.1.0
 */
import * as Fields from "../Fields.js"
import { containerImage, containerStatus, field } from "../internal/views/describe.js"
import { renderTopology, type TopologySpec } from "../internal/views/render.js"
import { Topologies } from "../Topology.js"
import * as Specs from "../internal/views/specs.js"
import * as Containers from "./Containers.js"
import type { ViewDefinition } from "./View.js"

/** One spec for every render: renders of the same spec reuse the edges that did not change. */
const spec: TopologySpec = {
  ...Specs.containers,
  group: {
    key: (node) => {
      const image = containerImage(node)
      return image === "" ? undefined : image
    },
    status: (node, metrics) => containerStatus(field(node, Fields.Latest.containerState), metrics[Fields.Metrics.cpu]),
    shape: "hexagon",
    labelMinor: (n) => (n === 1 ? "1 container" : `${n} containers`)
  }
}

/**
 * The containers-by-image view definition (`containers-by-image`). Group ids are image names.
 *
 * @since 0.1.0
 * @category views
 */
export const view: ViewDefinition = {
  id: "containers-by-image",
  label: "Containers by image",
  reads: Containers.view.reads,
  countTopology: Topologies.containers,
  rank: 21,
  render: (report) => renderTopology(report, spec)
}
