/**
 * The pods view: one node per Kubernetes pod, coloured by phase, with edges between pods whose containers'
 * processes are connected; processes outside any pod show up as a per-host "Unmanaged" node.
 *
 * @since 0.1.0
 */
import * as Fields from "../Fields.js"
import { field, podStatus } from "../internal/views/describe.js"
import { kubeView } from "../internal/views/kube.js"
import { Topologies } from "../Topology.js"
import type { ViewDefinition } from "./View.js"

/**
 * The pods view definition (`pods`).
 *
 * @since 0.1.0
 * @category views
 */
export const view: ViewDefinition = kubeView({
  id: "pods",
  label: "Pods",
  topology: Topologies.pods,
  rank: 30,
  shape: "heptagon",
  status: (node) => podStatus(field(node, Fields.Latest.podPhase))
})
