/**
 * Reads Kubernetes objects (list items and watch event objects, as parsed JSON) into the small records the
 * collector keeps. Pure and defensive: a field of the wrong type reads as absent, and an object without a uid
 * is skipped. Only what the report shows is kept, so volatile fields (resourceVersion, managedFields, node
 * heartbeats) never make a record change, and the cache stays small.
 */

type Json = Readonly<Record<string, unknown>>

const record = (value: unknown): Json | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined

const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined)

const count = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined

const list = (value: unknown): ReadonlyArray<unknown> => (Array.isArray(value) ? value : [])

const stringMap = (value: unknown): Readonly<Record<string, string>> => {
  const out: Record<string, string> = {}
  const source = record(value)
  if (source !== undefined) for (const key in source) if (typeof source[key] === "string") out[key] = source[key]
  return out
}

/** Annotations written by tools that hold whole objects: dropped, they would bloat every report. */
const droppedAnnotations: ReadonlySet<string> = new Set(["kubectl.kubernetes.io/last-applied-configuration"])

/** Annotation values longer than this are dropped for the same reason. */
export const maxAnnotationLength = 1024

/** The controller (or first) owner of an object. */
export interface OwnerRef {
  readonly kind: string
  readonly name: string
  readonly uid: string
}

/** What every record keeps of `metadata`. */
export interface Meta {
  readonly uid: string
  readonly name: string
  /** Empty for cluster-scoped objects. */
  readonly namespace: string
  readonly created: string | undefined
  readonly labels: Readonly<Record<string, string>>
  readonly annotations: Readonly<Record<string, string>>
  readonly owner: OwnerRef | undefined
}

const readOwner = (value: unknown): OwnerRef | undefined => {
  const refs = list(value).map(record)
  const ref = refs.find((r) => r?.controller === true) ?? refs[0]
  const kind = text(ref?.kind)
  const name = text(ref?.name)
  const uid = text(ref?.uid)
  return kind !== undefined && name !== undefined && uid !== undefined ? { kind, name, uid } : undefined
}

/** Reads `metadata`, or `undefined` when the object has no uid or name. */
export const readMeta = (object: unknown): Meta | undefined => {
  const meta = record(record(object)?.metadata)
  const uid = text(meta?.uid)
  const name = text(meta?.name)
  if (meta === undefined || uid === undefined || name === undefined) return undefined
  const annotations: Record<string, string> = {}
  const source = stringMap(meta.annotations)
  for (const key in source) {
    const value = source[key]!
    if (!droppedAnnotations.has(key) && value.length <= maxAnnotationLength) annotations[key] = value
  }
  return {
    uid,
    name,
    namespace: text(meta.namespace) ?? "",
    created: text(meta.creationTimestamp),
    labels: stringMap(meta.labels),
    annotations,
    owner: readOwner(meta.ownerReferences)
  }
}

/** The `metadata.resourceVersion` of an object (also of bookmarks and lists). */
export const resourceVersionOf = (object: unknown): string | undefined =>
  text(record(record(object)?.metadata)?.resourceVersion)

/** The `metadata.uid` of an object (enough for DELETED events). */
export const uidOf = (object: unknown): string | undefined => text(record(record(object)?.metadata)?.uid)

/** A container id as the runtime reports it: `containerd://<id>` -> runtime `containerd`, id `<id>`. */
export interface ContainerRef {
  readonly runtime: string | undefined
  readonly id: string
}

/** Splits a `status.containerStatuses[].containerID` (`docker://…`, `containerd://…`, `cri-o://…`). */
export const parseContainerId = (value: string | undefined): ContainerRef | undefined => {
  if (value === undefined) return undefined
  const at = value.indexOf("://")
  const id = at < 0 ? value : value.slice(at + 3)
  if (id === "" || /[\s/]/.test(id)) return undefined
  return { runtime: at < 0 ? undefined : value.slice(0, at), id }
}

/** One container of a pod, from its status. */
export interface ContainerInfo {
  readonly name: string
  /** Absent while the container is being created. */
  readonly ref: ContainerRef | undefined
  readonly restarts: number
  readonly ready: boolean
  readonly init: boolean
  /** `running`, `waiting` or `terminated`, with the reason when not running (`CrashLoopBackOff`). */
  readonly state: string | undefined
  readonly reason: string | undefined
}

/** A pod. */
export interface PodInfo {
  readonly kind: "pod"
  readonly meta: Meta
  readonly nodeName: string | undefined
  readonly phase: string | undefined
  /** What `kubectl get pods` shows in STATUS: `Terminating`, `CrashLoopBackOff`, `Evicted`, or the phase. */
  readonly status: string | undefined
  readonly podIP: string | undefined
  readonly podIPs: ReadonlyArray<string>
  readonly hostIP: string | undefined
  readonly qosClass: string | undefined
  /** The containers the spec declares (statuses may be missing while the pod is pending). */
  readonly declared: number
  readonly containers: ReadonlyArray<ContainerInfo>
}

const readContainer = (value: unknown, init: boolean): ContainerInfo | undefined => {
  const status = record(value)
  const name = text(status?.name)
  if (status === undefined || name === undefined) return undefined
  const state = record(status.state)
  const current =
    state === undefined ? undefined : (["running", "waiting", "terminated"] as const).find((s) => s in state)
  return {
    name,
    ref: parseContainerId(text(status.containerID)),
    restarts: count(status.restartCount) ?? 0,
    ready: status.ready === true,
    init,
    state: current,
    reason: current === undefined || current === "running" ? undefined : text(record(state?.[current])?.reason)
  }
}

const podStatus = (
  deleting: boolean,
  reason: string | undefined,
  phase: string | undefined,
  containers: ReadonlyArray<ContainerInfo>
): string | undefined => {
  if (deleting) return "Terminating"
  if (reason !== undefined) return reason
  for (const c of containers) if (c.init && c.state === "waiting" && c.reason !== undefined) return `Init:${c.reason}`
  for (const c of containers) {
    if (!c.init && c.state !== "running" && c.reason !== undefined && c.reason !== "Completed") return c.reason
  }
  return phase
}

/** Reads a Pod; `undefined` when it has no uid. */
export const readPod = (object: unknown): PodInfo | undefined => {
  const meta = readMeta(object)
  if (meta === undefined) return undefined
  const spec = record(record(object)?.spec)
  const status = record(record(object)?.status)
  const containers = [
    ...list(status?.initContainerStatuses).map((c) => readContainer(c, true)),
    ...list(status?.containerStatuses).map((c) => readContainer(c, false))
  ].filter((c): c is ContainerInfo => c !== undefined)
  const podIP = text(status?.podIP)
  const podIPs = list(status?.podIPs)
    .map((entry) => text(record(entry)?.ip))
    .filter((ip): ip is string => ip !== undefined)
  const phase = text(status?.phase)
  const deleting = text(record(record(object)?.metadata)?.deletionTimestamp) !== undefined
  return {
    kind: "pod",
    meta,
    nodeName: text(spec?.nodeName),
    phase,
    status: podStatus(deleting, text(status?.reason), phase, containers),
    podIP,
    podIPs: podIPs.length > 0 ? podIPs : podIP === undefined ? [] : [podIP],
    hostIP: text(status?.hostIP),
    qosClass: text(status?.qosClass),
    declared: list(spec?.containers).length,
    containers
  }
}

/** A Service. */
export interface ServiceInfo {
  readonly kind: "service"
  readonly meta: Meta
  readonly type: string
  readonly clusterIP: string | undefined
  /** Cluster IPs, external IPs and load-balancer ingress IPs. */
  readonly ips: ReadonlyArray<string>
  readonly externalName: string | undefined
  /** As `kubectl get services` shows them: `80/TCP`, `80:30080/TCP`. */
  readonly ports: ReadonlyArray<string>
  /** Empty for services without a selector (their endpoints are managed by hand). */
  readonly selector: Readonly<Record<string, string>>
}

/** Reads a Service; `undefined` when it has no uid. */
export const readService = (object: unknown): ServiceInfo | undefined => {
  const meta = readMeta(object)
  if (meta === undefined) return undefined
  const spec = record(record(object)?.spec)
  const status = record(record(object)?.status)
  const clusterIP = text(spec?.clusterIP)
  const ips = new Set<string>()
  for (const ip of [clusterIP, ...list(spec?.clusterIPs), ...list(spec?.externalIPs)]) {
    const value = text(ip)
    if (value !== undefined && value !== "None") ips.add(value)
  }
  for (const ingress of list(record(status?.loadBalancer)?.ingress)) {
    const ip = text(record(ingress)?.ip)
    if (ip !== undefined) ips.add(ip)
  }
  const ports = list(spec?.ports).flatMap((value) => {
    const port = record(value)
    const number = count(port?.port)
    if (number === undefined) return []
    const nodePort = count(port?.nodePort)
    return [`${number}${nodePort === undefined ? "" : `:${nodePort}`}/${text(port?.protocol) ?? "TCP"}`]
  })
  return {
    kind: "service",
    meta,
    type: text(spec?.type) ?? "ClusterIP",
    clusterIP,
    ips: [...ips],
    externalName: text(spec?.externalName),
    ports,
    selector: stringMap(spec?.selector)
  }
}

/** A Deployment. */
export interface DeploymentInfo {
  readonly kind: "deployment"
  readonly meta: Meta
  readonly desired: number
  readonly replicas: number
  readonly ready: number
  readonly available: number
  readonly updated: number
  readonly strategy: string | undefined
  readonly selector: Readonly<Record<string, string>>
  readonly paused: boolean
}

/** Reads a Deployment; `undefined` when it has no uid. */
export const readDeployment = (object: unknown): DeploymentInfo | undefined => {
  const meta = readMeta(object)
  if (meta === undefined) return undefined
  const spec = record(record(object)?.spec)
  const status = record(record(object)?.status)
  return {
    kind: "deployment",
    meta,
    // The API server defaults spec.replicas to 1.
    desired: count(spec?.replicas) ?? 1,
    replicas: count(status?.replicas) ?? 0,
    ready: count(status?.readyReplicas) ?? 0,
    available: count(status?.availableReplicas) ?? 0,
    updated: count(status?.updatedReplicas) ?? 0,
    strategy: text(record(spec?.strategy)?.type),
    selector: stringMap(record(spec?.selector)?.matchLabels),
    paused: spec?.paused === true
  }
}

/** A ReplicaSet: only what joins pods to their deployment. */
export interface ReplicaSetInfo {
  readonly kind: "replicaset"
  readonly uid: string
  readonly namespace: string
  /** The uid of the Deployment that owns it. */
  readonly deployment: string | undefined
}

/** Reads a ReplicaSet; `undefined` when it has no uid. */
export const readReplicaSet = (object: unknown): ReplicaSetInfo | undefined => {
  const meta = readMeta(object)
  if (meta === undefined) return undefined
  return {
    kind: "replicaset",
    uid: meta.uid,
    namespace: meta.namespace,
    deployment: meta.owner?.kind === "Deployment" ? meta.owner.uid : undefined
  }
}

/** A Namespace. */
export interface NamespaceInfo {
  readonly kind: "namespace"
  readonly meta: Meta
  readonly phase: string | undefined
}

/** Reads a Namespace; `undefined` when it has no uid. */
export const readNamespace = (object: unknown): NamespaceInfo | undefined => {
  const meta = readMeta(object)
  if (meta === undefined) return undefined
  return { kind: "namespace", meta, phase: text(record(record(object)?.status)?.phase) }
}

/** A Node (the Kubernetes one): what enriches the host node of the machine it is. */
export interface NodeInfo {
  readonly kind: "node"
  readonly meta: Meta
  readonly kubeletVersion: string | undefined
  readonly containerRuntime: string | undefined
  /** The status of the `Ready` condition: `True`, `False` or `Unknown`. */
  readonly ready: string | undefined
  readonly podCIDR: string | undefined
  readonly unschedulable: boolean
}

/** Reads a Node; `undefined` when it has no uid. */
export const readNode = (object: unknown): NodeInfo | undefined => {
  const meta = readMeta(object)
  if (meta === undefined) return undefined
  const spec = record(record(object)?.spec)
  const status = record(record(object)?.status)
  const info = record(status?.nodeInfo)
  const ready = list(status?.conditions)
    .map(record)
    .find((c) => c?.type === "Ready")
  return {
    kind: "node",
    meta,
    kubeletVersion: text(info?.kubeletVersion),
    containerRuntime: text(info?.containerRuntimeVersion),
    ready: text(ready?.status),
    podCIDR: text(spec?.podCIDR),
    unschedulable: spec?.unschedulable === true
  }
}

/** Any record the cache keeps. */
export type KubeRecord = PodInfo | ServiceInfo | DeploymentInfo | ReplicaSetInfo | NamespaceInfo | NodeInfo

/** The uid a record is kept under. */
export const recordUid = (value: KubeRecord): string => (value.kind === "replicaset" ? value.uid : value.meta.uid)

/** Whether every `key=value` of a (non-empty) selector is among the labels. */
export const selects = (selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>) => {
  let any = false
  for (const key in selector) {
    if (labels[key] !== selector[key]) return false
    any = true
  }
  return any
}

/** A selector as `kubectl` writes it: `app=web,tier=front` (keys sorted). */
export const selectorText = (selector: Readonly<Record<string, string>>): string | undefined => {
  const keys = Object.keys(selector).sort()
  return keys.length === 0 ? undefined : keys.map((key) => `${key}=${selector[key]}`).join(",")
}
