/**
 * The namespaces view: one node per Kubernetes namespace, with edges between namespaces whose pods are
 * connected.
 *
 * @since 0.1.0
 */
import { kubeView } from "../internal/views/kube.js"
import { Topologies } from "../Topology.js"
import type { ViewDefinition } from "./View.js"

/**
 * The namespaces view definition (`namespaces`).
 *
 * @since 0.1.0
 * @category views
 */
export const view: ViewDefinition = kubeView({
  id: "namespaces",
  label: "Namespaces",
  topology: Topologies.namespaces,
  rank: 33,
  shape: "triangle",
  status: () => "healthy"
})
