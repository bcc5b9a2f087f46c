/**
 * The processes view: one node per process, with edges between processes whose sockets are connected.
 * Processes are grouped by host in the UI through `parents.hosts`.
 *
 * @since 0.1.0
 */
import { renderTopology } from "../internal/views/render.js"
import * as Specs from "../internal/views/specs.js"
import { Topologies } from "../Topology.js"
import type { ViewDefinition } from "./View.js"

/**
 * The processes view definition (`processes`).
 *
 * @since 0.1.0
 * @category views
 */
export const view: ViewDefinition = {
  id: "processes",
  label: "Processes",
  reads: [Topologies.processes, Topologies.endpoints, Topologies.hosts],
  countTopology: Topologies.processes,
  rank: 10,
  render: (report) => renderTopology(report, Specs.processes)
}
