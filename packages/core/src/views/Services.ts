/**
 * The services view: one node per Kubernetes service, with edges between services whose pods are connected
 * (a pod behind two services counts for both).
 *
 * @since 0.1.0
 */
import { kubeView } from "../internal/views/kube.js"
import { Topologies } from "../Topology.js"
import type { ViewDefinition } from "./View.js"

/**
 * The services view definition (`services`).
 *
 * @since 0.1.0
 * @category views
 */
export const view: ViewDefinition = kubeView({
  id: "services",
  label: "Services",
  topology: Topologies.services,
  rank: 31,
  shape: "triangle",
  status: () => "healthy"
})
