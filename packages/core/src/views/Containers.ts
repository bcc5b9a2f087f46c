/**
 * The containers view: one node per container, coloured by state and CPU use, with edges between containers
 * whose processes are connected. Processes outside any container show up as a per-host "Uncontained" node.
 *
 * @since 0.1.0
 */
import { renderTopology } from "../internal/views/render.js"
import * as Specs from "../internal/views/specs.js"
import { Topologies } from "../Topology.js"
import type { ViewDefinition } from "./View.js"

/**
 * The containers view definition (`containers`).
 *
 * @since 0.1.0
 * @category views
 */
export const view: ViewDefinition = {
  id: "containers",
  label: "Containers",
  reads: [Topologies.containers, Topologies.endpoints, Topologies.processes, Topologies.hosts],
  countTopology: Topologies.containers,
  rank: 20,
  render: (report) => renderTopology(report, Specs.containers)
}
