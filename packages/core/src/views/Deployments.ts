/**
 * The deployments view: one node per Kubernetes deployment, with edges between deployments whose pods are
 * connected.
 *
 * @since 0.1.0
 */
import { kubeView } from "../internal/views/kube.js"
import { Topologies } from "../Topology.js"
import type { ViewDefinition } from "./View.js"

/**
 * The deployments view definition (`deployments`).
 *
 * @since 0.1.0
 * @category views
 */
export const view: ViewDefinition = kubeView({
  id: "deployments",
  label: "Deployments",
  topology: Topologies.deployments,
  rank: 32,
  shape: "heptagon",
  status: () => "healthy"
})
