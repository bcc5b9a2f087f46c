/**
 * The collector's in-memory copy of the cluster: one reflector (list + watch) per kind of object.
 *
 * | kind        | path                         | which                                        |
 * |-------------|------------------------------|----------------------------------------------|
 * | pods        | /api/v1/pods                 | `spec.nodeName=<this node>` (or all pods)    |
 * | services    | /api/v1/services             | all                                          |
 * | deployments | /apis/apps/v1/deployments    | all                                          |
 * | replicasets | /apis/apps/v1/replicasets    | all (they join pods to deployments)          |
 * | namespaces  | /api/v1/namespaces           | all                                          |
 * | nodes       | /api/v1/nodes                | `metadata.name=<this node>`                  |
 */
import type { ApiClient } from "./client.js"
import type { ClusterRecords } from "./fragment.js"
import {
  type DeploymentInfo,
  type KubeRecord,
  type NamespaceInfo,
  type NodeInfo,
  type PodInfo,
  type ReplicaSetInfo,
  readDeployment,
  readNamespace,
  readNode,
  readPod,
  readReplicaSet,
  readService,
  type ServiceInfo
} from "./objects.js"
import { Reflector, type ReflectorStatus, type ResourceSpec, type RetryTiming } from "./reflector.js"

/** What to watch. */
export interface CacheSettings {
  /** This machine's Kubernetes node name. */
  readonly nodeName: string
  /** Watch every pod of the cluster instead of this node's. */
  readonly allPods: boolean
  readonly retry: RetryTiming
}

const empty: ReadonlyMap<string, never> = new Map<string, never>()

/** The reflectors of one cluster connection. */
export class ClusterCache {
  private readonly pods: Reflector<PodInfo>
  private readonly services: Reflector<ServiceInfo>
  private readonly deployments: Reflector<DeploymentInfo>
  private readonly replicaSets: Reflector<ReplicaSetInfo>
  private readonly namespaces: Reflector<NamespaceInfo>
  private readonly nodes: Reflector<NodeInfo>
  private readonly all: ReadonlyArray<Pick<Reflector<KubeRecord>, "start" | "stop" | "status" | "waitSettled">>

  constructor(
    readonly client: ApiClient,
    readonly settings: CacheSettings,
    onChange: () => void
  ) {
    const selector = (field: string) => `${field}=${settings.nodeName}`
    const reflector = <T extends KubeRecord>(spec: ResourceSpec<T>): Reflector<T> =>
      new Reflector(spec, client, onChange, settings.retry)
    this.pods = reflector({
      name: "pods",
      path: "/api/v1/pods",
      ...(settings.allPods ? {} : { fieldSelector: selector("spec.nodeName") }),
      read: readPod
    })
    this.services = reflector({ name: "services", path: "/api/v1/services", read: readService })
    this.deployments = reflector({ name: "deployments", path: "/apis/apps/v1/deployments", read: readDeployment })
    this.replicaSets = reflector({ name: "replicasets", path: "/apis/apps/v1/replicasets", read: readReplicaSet })
    this.namespaces = reflector({ name: "namespaces", path: "/api/v1/namespaces", read: readNamespace })
    this.nodes = reflector({
      name: "nodes",
      path: "/api/v1/nodes",
      fieldSelector: selector("metadata.name"),
      read: readNode
    })
    this.all = [this.pods, this.services, this.deployments, this.replicaSets, this.namespaces, this.nodes]
  }

  start(): void {
    for (const reflector of this.all) reflector.start()
  }

  stop(): void {
    for (const reflector of this.all) reflector.stop()
  }

  /** Resolves when every reflector has its first list or a failure, or after `ms`. */
  async waitSettled(ms: number): Promise<void> {
    await Promise.all(this.all.map((reflector) => reflector.waitSettled(ms)))
  }

  statuses(): ReadonlyArray<ReflectorStatus> {
    return this.all.map((reflector) => reflector.status())
  }

  /**
   * The records to report: each kind's last known objects, except for kinds whose requests have failed for
   * longer than `staleTimeoutMs` (their objects are left out, though kept, until the server answers again).
   */
  records(now: number, staleTimeoutMs: number): ClusterRecords {
    const fresh = <T extends KubeRecord>(reflector: Reflector<T>): ReadonlyMap<string, T> => {
      const since = reflector.status().failingSince
      return since !== undefined && now - since > staleTimeoutMs ? empty : reflector.items
    }
    return {
      pods: fresh(this.pods),
      services: fresh(this.services),
      deployments: fresh(this.deployments),
      replicaSets: fresh(this.replicaSets),
      namespaces: fresh(this.namespaces),
      nodes: fresh(this.nodes)
    }
  }
}
