/**
 * The processes-by-name view: processes collapsed into one node per name (all `nginx` processes on every
 * host become one node with `stack` = how many there are).
 *
 * @since 0.1.0
 */
import { processName } from "../internal/views/describe.js"
import { renderTopology, type TopologySpec } from "../internal/views/render.js"
import { Topologies } from "../Topology.js"
import * as Specs from "../internal/views/specs.js"
import * as Processes from "./Processes.js"
import type { ViewDefinition } from "./View.js"

/** One spec for every render: renders of the same spec reuse the edges that did not change. */
const spec: TopologySpec = {
  ...Specs.processes,
  group: {
    key: processName,
    status: () => "healthy",
    shape: "square",
    labelMinor: (n) => (n === 1 ? "1 process" : `${n} processes`)
  }
}

/**
 * The processes-by-name view definition (`processes-by-name`). Group ids are the process names.
 *
 * @since 0.1.0
 * @category views
 */
export const view: ViewDefinition = {
  id: "processes-by-name",
  label: "Processes by name",
  reads: Processes.view.reads,
  countTopology: Topologies.processes,
  rank: 11,
  render: (report) => renderTopology(report, spec)
}
