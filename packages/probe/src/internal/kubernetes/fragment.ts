/**
 * Turns the cached Kubernetes records into report nodes. Pure: records in, nodes out.
 *
 * Joins, as the core views read them (`internal/views/owners.ts`):
 * - container -> pod: a `containers` node per container id in the pod's status, with a `pods` parent (it
 *   merges with the Docker collector's node of the same id);
 * - pod -> services: the pod's `services` parents, every service of its namespace whose selector matches;
 * - pod -> deployment: the pod's `deployments` parent, through its controlling ReplicaSet's owner;
 * - pod, service, deployment -> namespace: a `namespaces` parent (namespace ids are names);
 * - pod -> host: a `hosts` parent, this probe's host id, when the pod runs on this node.
 */
import { Fields, NodeId, Report, Topology } from "@orchestrator/core"
import type { DeploymentInfo, Meta, NamespaceInfo, NodeInfo, PodInfo, ReplicaSetInfo, ServiceInfo } from "./objects.js"
import { selectorText, selects } from "./objects.js"

/** The field keys the collector writes besides the shared ones in `Fields`. */
export const Keys = {
  podStatus: "kubernetes_pod_status",
  nodeName: "kubernetes_node_name",
  podIP: "kubernetes_pod_ip",
  hostIP: "kubernetes_host_ip",
  restarts: "kubernetes_restart_count",
  containersReady: "kubernetes_containers_ready",
  qosClass: "kubernetes_qos_class",
  owner: "kubernetes_owner",
  created: "kubernetes_created",
  containerName: "kubernetes_container_name",
  containerRuntime: "kubernetes_container_runtime",
  containerState: "kubernetes_container_state",
  serviceType: "kubernetes_service_type",
  clusterIP: "kubernetes_cluster_ip",
  externalName: "kubernetes_external_name",
  selector: "kubernetes_selector",
  replicasDesired: "kubernetes_replicas_desired",
  replicas: "kubernetes_replicas",
  replicasReady: "kubernetes_replicas_ready",
  replicasAvailable: "kubernetes_replicas_available",
  replicasUpdated: "kubernetes_replicas_updated",
  strategy: "kubernetes_strategy",
  paused: "kubernetes_paused",
  namespacePhase: "kubernetes_namespace_phase",
  kubeletVersion: "kubernetes_kubelet_version",
  nodeReady: "kubernetes_node_ready",
  podCIDR: "kubernetes_pod_cidr",
  unschedulable: "kubernetes_unschedulable",
  /** Annotations are latest-value fields named with this prefix and the annotation key. */
  annotationPrefix: "kubernetes_annotation:"
} as const

/** The cached records, by uid. */
export interface ClusterRecords {
  readonly pods: ReadonlyMap<string, PodInfo>
  readonly services: ReadonlyMap<string, ServiceInfo>
  readonly deployments: ReadonlyMap<string, DeploymentInfo>
  readonly replicaSets: ReadonlyMap<string, ReplicaSetInfo>
  readonly namespaces: ReadonlyMap<string, NamespaceInfo>
  readonly nodes: ReadonlyMap<string, NodeInfo>
}

/** Who is asking. */
export interface Target {
  /** This probe's host id (the `hosts` node id). */
  readonly hostId: string
  /** This machine's Kubernetes node name. */
  readonly nodeName: string
  /** When the fields were observed. */
  readonly timestamp: number
}

type Nodes = Record<string, Report.Node>
type Values = Record<string, string | number | undefined>

/** `fields` and the object's annotations, each a field named with `Keys.annotationPrefix`. */
const annotated = (meta: Meta, fields: Values): Values => {
  for (const key in meta.annotations) fields[`${Keys.annotationPrefix}${key}`] = meta.annotations[key]
  return fields
}

const latest = (timestamp: number, meta: Meta, values: Values): Report.LatestMap =>
  Report.latestFields(
    timestamp,
    annotated(meta, { [Fields.Latest.name]: meta.name, [Keys.created]: meta.created, ...values })
  )

const labels = (timestamp: number, meta: Meta): Report.LatestMap => Report.latestFields(timestamp, meta.labels)

const namespaced = (meta: Meta): Record<string, ReadonlyArray<string>> =>
  meta.namespace === "" ? {} : { [Topology.Topologies.namespaces]: [meta.namespace] }

/**
 * The node of a namespaced object (pod, service, deployment): its name, creation time, annotations, namespace
 * and `values` as latest fields, its labels, and its namespace as parent unless `parents` are given.
 */
const namespacedNode = (
  topology: string,
  timestamp: number,
  meta: Meta,
  values: Values,
  more: {
    readonly sets?: Record<string, ReadonlyArray<string>>
    readonly parents?: Record<string, ReadonlyArray<string>>
  } = {}
): Report.Node =>
  Report.makeNode(topology, meta.uid, {
    latest: latest(timestamp, meta, { [Fields.Latest.namespace]: meta.namespace, ...values }),
    labels: labels(timestamp, meta),
    sets: more.sets ?? {},
    parents: more.parents ?? namespaced(meta)
  })

/** Services of each namespace that have a selector. */
const servicesByNamespace = (services: ReadonlyMap<string, ServiceInfo>): Map<string, Array<ServiceInfo>> => {
  const out = new Map<string, Array<ServiceInfo>>()
  for (const service of services.values()) {
    if (Object.keys(service.selector).length === 0) continue
    const list = out.get(service.meta.namespace)
    if (list === undefined) out.set(service.meta.namespace, [service])
    else list.push(service)
  }
  return out
}

const podNodes = (records: ClusterRecords, target: Target, pods: Nodes, containers: Nodes): void => {
  const { timestamp } = target
  const byNamespace = servicesByNamespace(records.services)
  for (const pod of records.pods.values()) {
    const { meta } = pod
    const onThisNode = pod.nodeName !== undefined && pod.nodeName === target.nodeName
    const parents: Record<string, ReadonlyArray<string>> = namespaced(meta)
    if (onThisNode) parents[Topology.Topologies.hosts] = [target.hostId]
    const services = (byNamespace.get(meta.namespace) ?? [])
      .filter((service) => selects(service.selector, meta.labels))
      .map((service) => service.meta.uid)
      .sort()
    if (services.length > 0) parents[Topology.Topologies.services] = services
    const replicaSet = meta.owner?.kind === "ReplicaSet" ? records.replicaSets.get(meta.owner.uid) : undefined
    if (replicaSet?.deployment !== undefined) parents[Topology.Topologies.deployments] = [replicaSet.deployment]
    const main = pod.containers.filter((c) => !c.init)
    pods[meta.uid] = namespacedNode(
      Topology.Topologies.pods,
      timestamp,
      meta,
      {
        [Fields.Latest.podPhase]: pod.phase,
        [Keys.podStatus]: pod.status,
        [Keys.nodeName]: pod.nodeName,
        [Keys.podIP]: pod.podIP,
        [Keys.hostIP]: pod.hostIP,
        [Keys.restarts]: main.reduce((sum, c) => sum + c.restarts, 0),
        [Keys.containersReady]: `${main.filter((c) => c.ready).length}/${Math.max(pod.declared, main.length)}`,
        [Keys.qosClass]: pod.qosClass,
        [Keys.owner]: meta.owner === undefined ? undefined : `${meta.owner.kind}/${meta.owner.name}`
      },
      { sets: pod.podIPs.length === 0 ? {} : { [Fields.Sets.ips]: pod.podIPs.map(NodeId.normalizeAddress) }, parents }
    )
    for (const container of pod.containers) {
      if (container.ref === undefined) continue
      const containerParents: Record<string, ReadonlyArray<string>> = { [Topology.Topologies.pods]: [meta.uid] }
      if (onThisNode) containerParents[Topology.Topologies.hosts] = [target.hostId]
      containers[container.ref.id] = Report.makeNode(Topology.Topologies.containers, container.ref.id, {
        latest: Report.latestFields(timestamp, {
          [Keys.containerName]: container.name,
          [Keys.containerRuntime]: container.ref.runtime,
          [Keys.containerState]: container.reason ?? container.state,
          [Keys.restarts]: container.restarts
        }),
        parents: containerParents
      })
    }
  }
}

const serviceNodes = (records: ClusterRecords, timestamp: number, out: Nodes): void => {
  for (const service of records.services.values()) {
    const { meta } = service
    const sets: Record<string, ReadonlyArray<string>> = {}
    if (service.ips.length > 0) sets[Fields.Sets.ips] = service.ips.map(NodeId.normalizeAddress)
    if (service.ports.length > 0) sets[Fields.Sets.ports] = service.ports
    out[meta.uid] = namespacedNode(
      Topology.Topologies.services,
      timestamp,
      meta,
      {
        [Keys.serviceType]: service.type,
        [Keys.clusterIP]: service.clusterIP,
        [Keys.externalName]: service.externalName,
        [Keys.selector]: selectorText(service.selector)
      },
      { sets }
    )
  }
}

const deploymentNodes = (records: ClusterRecords, timestamp: number, out: Nodes): void => {
  for (const deployment of records.deployments.values()) {
    const { meta } = deployment
    out[meta.uid] = namespacedNode(Topology.Topologies.deployments, timestamp, meta, {
      [Keys.replicasDesired]: deployment.desired,
      [Keys.replicas]: deployment.replicas,
      [Keys.replicasReady]: deployment.ready,
      [Keys.replicasAvailable]: deployment.available,
      [Keys.replicasUpdated]: deployment.updated,
      [Keys.strategy]: deployment.strategy,
      [Keys.selector]: selectorText(deployment.selector),
      [Keys.paused]: deployment.paused ? "true" : undefined
    })
  }
}

const namespaceNodes = (records: ClusterRecords, timestamp: number, out: Nodes): void => {
  for (const namespace of records.namespaces.values()) {
    const { meta } = namespace
    out[meta.name] = Report.makeNode(Topology.Topologies.namespaces, meta.name, {
      latest: latest(timestamp, meta, { [Keys.namespacePhase]: namespace.phase }),
      labels: labels(timestamp, meta)
    })
  }
}

/** The host node's Kubernetes fields, when this machine's Node is known. */
const hostNode = (records: ClusterRecords, target: Target): Report.Node | undefined => {
  for (const node of records.nodes.values()) {
    if (node.meta.name !== target.nodeName) continue
    const { meta } = node
    const fields = annotated(meta, {
      [Keys.nodeName]: meta.name,
      [Keys.kubeletVersion]: node.kubeletVersion,
      [Keys.containerRuntime]: node.containerRuntime,
      [Keys.nodeReady]: node.ready,
      [Keys.podCIDR]: node.podCIDR,
      [Keys.unschedulable]: node.unschedulable ? "true" : undefined
    })
    return Report.makeNode(Topology.Topologies.hosts, target.hostId, {
      latest: Report.latestFields(target.timestamp, fields),
      labels: labels(target.timestamp, meta)
    })
  }
  return undefined
}

/** Builds the collector's topologies from the cached records. Empty topologies are left out. */
export const buildTopologies = (records: ClusterRecords, target: Target): Record<string, Nodes> => {
  const pods: Nodes = {}
  const containers: Nodes = {}
  const services: Nodes = {}
  const deployments: Nodes = {}
  const namespaces: Nodes = {}
  podNodes(records, target, pods, containers)
  serviceNodes(records, target.timestamp, services)
  deploymentNodes(records, target.timestamp, deployments)
  namespaceNodes(records, target.timestamp, namespaces)
  const out: Record<string, Nodes> = {}
  const put = (topology: string, nodes: Nodes) => {
    if (Object.keys(nodes).length > 0) out[topology] = nodes
  }
  put(Topology.Topologies.pods, pods)
  put(Topology.Topologies.containers, containers)
  put(Topology.Topologies.services, services)
  put(Topology.Topologies.deployments, deployments)
  put(Topology.Topologies.namespaces, namespaces)
  const host = hostNode(records, target)
  if (host !== undefined) out[Topology.Topologies.hosts] = { [target.hostId]: host }
  return out
}
