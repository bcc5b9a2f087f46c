/**
 * Kubernetes objects shaped like `kubectl get <kind> -o json` output of a kind/kubeadm cluster (v1.29):
 * metadata with uid, resourceVersion (set by the ApiServer), creationTimestamp, labels, annotations,
 * ownerReferences and managedFields; pod statuses with conditions and containerStatuses carrying runtime
 * container ids. Builders take what a test varies and fill in the rest.
 */
import { randomUUID } from "node:crypto"

/** A Kubernetes object as JSON. */
export type KubeObject = Record<string, unknown> & {
  readonly metadata: Record<string, unknown> & { readonly name: string; readonly uid: string }
}

const created = "2026-11-20T09:14:07Z"

const managedFields = (manager: string, apiVersion: string) => [
  {
    apiVersion,
    fieldsType: "FieldsV1",
    fieldsV1: { "f:metadata": { "f:labels": { ".": {} } }, "f:spec": {} },
    manager,
    operation: "Update",
    time: created
  }
]

/** A random 64-hex-digit container id, as Docker and containerd make them. */
export const containerId = (): string => randomUUID().replaceAll("-", "") + randomUUID().replaceAll("-", "")

/** `kubectl get namespace <name> -o json`. */
export const namespace = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: {
    creationTimestamp: created,
    labels: { "kubernetes.io/metadata.name": name, ...labels },
    managedFields: managedFields("kubectl-create", "v1"),
    name,
    uid: randomUUID()
  },
  spec: { finalizers: ["kubernetes"] },
  status: { phase: "Active" }
})

/** `kubectl get node <name> -o json` (a Ready worker). */
export const node = (name: string, ip: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: {
    annotations: {
      "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
      "node.alpha.kubernetes.io/ttl": "0",
      "volumes.kubernetes.io/controller-managed-attach-detach": "true"
    },
    creationTimestamp: created,
    labels: {
      "beta.kubernetes.io/arch": "amd64",
      "beta.kubernetes.io/os": "linux",
      "kubernetes.io/arch": "amd64",
      "kubernetes.io/hostname": name,
      "kubernetes.io/os": "linux",
      "topology.kubernetes.io/zone": "zone-a"
    },
    managedFields: managedFields("kubelet", "v1"),
    name,
    uid: randomUUID()
  },
  spec: { podCIDR: "10.244.1.0/24", podCIDRs: ["10.244.1.0/24"], providerID: `kind://docker/kind/${name}` },
  status: {
    addresses: [
      { address: ip, type: "InternalIP" },
      { address: name, type: "Hostname" }
    ],
    allocatable: { cpu: "2", "ephemeral-storage": "41186748Ki", memory: "8039324Ki", pods: "110" },
    capacity: { cpu: "2", "ephemeral-storage": "41186748Ki", memory: "8039324Ki", pods: "110" },
    conditions: [
      {
        lastHeartbeatTime: "2026-11-27T01:00:00Z",
        lastTransitionTime: created,
        message: "kubelet has sufficient memory available",
        reason: "KubeletHasSufficientMemory",
        status: "False",
        type: "MemoryPressure"
      },
      {
        lastHeartbeatTime: "2026-11-27T01:00:00Z",
        lastTransitionTime: created,
        message: "kubelet is posting ready status",
        reason: "KubeletReady",
        status: "True",
        type: "Ready"
      }
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      architecture: "amd64",
      bootID: randomUUID(),
      containerRuntimeVersion: "containerd://1.7.13",
      kernelVersion: "6.1.0-18-amd64",
      kubeProxyVersion: "v1.29.2",
      kubeletVersion: "v1.29.2",
      machineID: randomUUID().replaceAll("-", ""),
      operatingSystem: "linux",
      osImage: "Debian GNU/Linux 12 (bookworm)",
      systemUUID: randomUUID()
    }
  }
})

/** `kubectl get deployment <name> -o json` (rolled out). */
export const deployment = (
  ns: string,
  name: string,
  options: { readonly replicas: number; readonly ready: number; readonly labels: Record<string, string> }
): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    annotations: {
      "deployment.kubernetes.io/revision": "1",
      "kubectl.kubernetes.io/last-applied-configuration": `${JSON.stringify({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { annotations: {}, name, namespace: ns },
        spec: {}
      })}\n`
    },
    creationTimestamp: created,
    generation: 1,
    labels: options.labels,
    managedFields: managedFields("kubectl-client-side-apply", "apps/v1"),
    name,
    namespace: ns,
    uid: randomUUID()
  },
  spec: {
    progressDeadlineSeconds: 600,
    replicas: options.replicas,
    revisionHistoryLimit: 10,
    selector: { matchLabels: options.labels },
    strategy: { rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" }, type: "RollingUpdate" },
    template: {
      metadata: { creationTimestamp: null, labels: options.labels },
      spec: {
        containers: [{ image: "nginx:1.25", imagePullPolicy: "IfNotPresent", name: "web", resources: {} }],
        restartPolicy: "Always"
      }
    }
  },
  status: {
    availableReplicas: options.ready,
    conditions: [
      {
        lastTransitionTime: created,
        lastUpdateTime: created,
        message: "Deployment has minimum availability.",
        reason: "MinimumReplicasAvailable",
        status: "True",
        type: "Available"
      }
    ],
    observedGeneration: 1,
    readyReplicas: options.ready,
    replicas: options.replicas,
    updatedReplicas: options.replicas
  }
})

/** `kubectl get replicaset <name> -o json`, owned by a deployment. */
export const replicaSet = (owner: KubeObject, hash: string): KubeObject => {
  const meta = owner.metadata as { name: string; namespace: string; uid: string; labels: Record<string, string> }
  const labels = { ...meta.labels, "pod-template-hash": hash }
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      annotations: {
        "deployment.kubernetes.io/desired-replicas": "2",
        "deployment.kubernetes.io/max-replicas": "3",
        "deployment.kubernetes.io/revision": "1"
      },
      creationTimestamp: created,
      generation: 1,
      labels,
      managedFields: managedFields("kube-controller-manager", "apps/v1"),
      name: `${meta.name}-${hash}`,
      namespace: meta.namespace,
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          blockOwnerDeletion: true,
          controller: true,
          kind: "Deployment",
          name: meta.name,
          uid: meta.uid
        }
      ],
      uid: randomUUID()
    },
    spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: {} } },
    status: { availableReplicas: 2, fullyLabeledReplicas: 2, observedGeneration: 1, readyReplicas: 2, replicas: 2 }
  }
}

/** A container of {@link pod}: its name and the id its runtime reports (`containerd://<64 hex>`). */
export interface PodContainer {
  readonly name: string
  readonly containerID?: string
  readonly restartCount?: number
  readonly ready?: boolean
  readonly waiting?: string
}

/** `kubectl get pod <name> -o json`, Running unless told otherwise. */
export const pod = (
  ns: string,
  name: string,
  options: {
    readonly nodeName: string
    readonly podIP: string
    readonly hostIP: string
    readonly labels: Record<string, string>
    readonly owner?: KubeObject
    readonly containers: ReadonlyArray<PodContainer>
    readonly phase?: string
  }
): KubeObject => {
  const owner = options.owner?.metadata as { name: string; uid: string } | undefined
  const ready = options.containers.every((c) => c.ready !== false)
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      annotations: { "kubectl.kubernetes.io/restartedAt": "2026-11-20T09:14:00Z" },
      creationTimestamp: created,
      ...(owner === undefined ? {} : { generateName: `${owner.name}-` }),
      labels: options.labels,
      managedFields: managedFields("kubelet", "v1"),
      name,
      namespace: ns,
      ...(owner === undefined
        ? {}
        : {
            ownerReferences: [
              {
                apiVersion: "apps/v1",
                blockOwnerDeletion: true,
                controller: true,
                kind: "ReplicaSet",
                name: owner.name,
                uid: owner.uid
              }
            ]
          }),
      uid: randomUUID()
    },
    spec: {
      containers: options.containers.map((c) => ({
        image: "nginx:1.25",
        imagePullPolicy: "IfNotPresent",
        name: c.name,
        ports: [{ containerPort: 80, protocol: "TCP" }],
        resources: {},
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
        volumeMounts: [
          { mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", name: "kube-api-access-x7k2p", readOnly: true }
        ]
      })),
      dnsPolicy: "ClusterFirst",
      enableServiceLinks: true,
      nodeName: options.nodeName,
      preemptionPolicy: "PreemptLowerPriority",
      priority: 0,
      restartPolicy: "Always",
      schedulerName: "default-scheduler",
      securityContext: {},
      serviceAccount: "default",
      serviceAccountName: "default",
      terminationGracePeriodSeconds: 30,
      tolerations: [
        { effect: "NoExecute", key: "node.kubernetes.io/not-ready", operator: "Exists", tolerationSeconds: 300 }
      ]
    },
    status: {
      conditions: [
        { lastProbeTime: null, lastTransitionTime: created, status: "True", type: "Initialized" },
        { lastProbeTime: null, lastTransitionTime: created, status: ready ? "True" : "False", type: "Ready" },
        { lastProbeTime: null, lastTransitionTime: created, status: "True", type: "PodScheduled" }
      ],
      containerStatuses: options.containers.map((c) => ({
        ...(c.containerID === undefined ? {} : { containerID: c.containerID }),
        image: "docker.io/library/nginx:1.25",
        imageID: "docker.io/library/nginx@sha256:a484819eb60211f5299034ac80f6a681b06f89e65866ce91f356ed7c72af059c",
        lastState: {},
        name: c.name,
        ready: c.ready !== false,
        restartCount: c.restartCount ?? 0,
        started: c.waiting === undefined,
        state:
          c.waiting === undefined
            ? { running: { startedAt: "2026-11-20T09:14:12Z" } }
            : { waiting: { message: "back-off 5m0s restarting failed container", reason: c.waiting } }
      })),
      hostIP: options.hostIP,
      hostIPs: [{ ip: options.hostIP }],
      phase: options.phase ?? "Running",
      podIP: options.podIP,
      podIPs: [{ ip: options.podIP }],
      qosClass: "BestEffort",
      startTime: created
    }
  }
}

/** `kubectl get service <name> -o json`. */
export const service = (
  ns: string,
  name: string,
  options: {
    readonly selector?: Record<string, string>
    readonly clusterIP: string
    readonly type?: "ClusterIP" | "NodePort"
    readonly ports: ReadonlyArray<{ readonly port: number; readonly targetPort: number; readonly nodePort?: number }>
  }
): KubeObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: {
    annotations: { "prometheus.io/scrape": "true" },
    creationTimestamp: created,
    labels: { app: name },
    managedFields: managedFields("kubectl-expose", "v1"),
    name,
    namespace: ns,
    uid: randomUUID()
  },
  spec: {
    clusterIP: options.clusterIP,
    clusterIPs: [options.clusterIP],
    internalTrafficPolicy: "Cluster",
    ipFamilies: ["IPv4"],
    ipFamilyPolicy: "SingleStack",
    ports: options.ports.map((p) => ({
      ...(p.nodePort === undefined ? {} : { nodePort: p.nodePort }),
      port: p.port,
      protocol: "TCP",
      targetPort: p.targetPort
    })),
    ...(options.selector === undefined ? {} : { selector: options.selector }),
    sessionAffinity: "None",
    type: options.type ?? "ClusterIP"
  },
  status: { loadBalancer: {} }
})
