/**
 * The Kubernetes collector against a Kubernetes API server.
 *
 * There is no real Kubernetes API server on this machine (nor a reachable registry to run one), so these
 * tests start a local HTTP(S) server (test/kube/ApiServer.ts) that speaks the real list and watch protocol
 * and serves objects shaped like `kubectl get -o json` output (test/kube/objects.ts): the collector talks to
 * it through a real kubeconfig (or in-cluster service-account files) and the real `@kubernetes/client-node`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Fields, PluginRegistry, Report } from "@orchestrator/core"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import * as KubernetesCollector from "../src/KubernetesCollector.js"
import { clientLoaded } from "../src/internal/kubernetes/client.js"
import { findConfig, serviceAccountDir } from "../src/internal/kubernetes/config.js"
import { parseContainerId, readPod, readService } from "../src/internal/kubernetes/objects.js"
import { ApiServer } from "./kube/ApiServer.js"
import * as K from "./kube/objects.js"
import * as Tls from "./kube/tls.js"

const Keys = KubernetesCollector.Keys
const token = "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.test-token"

/** Counts `requestReport` calls and lets a test wait for the next one. */
class Requests {
  count = 0
  private waiters: Array<() => void> = []
  readonly request = () => {
    this.count++
    for (const waiter of this.waiters.splice(0)) waiter()
  }
  next(ms = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no requestReport within ${ms} ms`)), ms)
      this.waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
}

/** The values of latest fields (or labels), without timestamps. */
const values = (map: Report.LatestMap): Record<string, string> =>
  Object.fromEntries(Object.entries(map).map(([key, v]) => [key, v.value]))

const uid = (object: K.KubeObject): string => object.metadata.uid

const eventually = async <A>(probe: () => Promise<A | undefined>, ms = 8_000): Promise<A> => {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A small cluster: node-a (this probe's node) and node-b, a deployment, pods, services, namespaces. */
const seed = (api: ApiServer) => {
  for (const name of ["default", "kube-system", "shop"]) api.add("namespaces", K.namespace(name))
  const nodeA = api.add("nodes", K.node("node-a", "172.18.0.3"))
  api.add("nodes", K.node("node-b", "172.18.0.4"))
  const web = api.add("deployments", K.deployment("shop", "web", { replicas: 2, ready: 2, labels: { app: "web" } }))
  const rs = api.add("replicasets", K.replicaSet(web, "5d9c7b8f4"))
  const ids = { web: K.containerId(), sidecar: K.containerId(), db: K.containerId(), remote: K.containerId() }
  const webA = api.add(
    "pods",
    K.pod("shop", "web-5d9c7b8f4-abcde", {
      nodeName: "node-a",
      podIP: "10.244.1.5",
      hostIP: "172.18.0.3",
      labels: { app: "web", "pod-template-hash": "5d9c7b8f4" },
      owner: rs,
      containers: [
        { name: "web", containerID: `containerd://${ids.web}` },
        { name: "log-shipper", containerID: `docker://${ids.sidecar}`, restartCount: 3 }
      ]
    })
  )
  const webB = api.add(
    "pods",
    K.pod("shop", "web-5d9c7b8f4-fghij", {
      nodeName: "node-b",
      podIP: "10.244.2.7",
      hostIP: "172.18.0.4",
      labels: { app: "web", "pod-template-hash": "5d9c7b8f4" },
      owner: rs,
      containers: [{ name: "web", containerID: `containerd://${ids.remote}` }]
    })
  )
  const db = api.add(
    "pods",
    K.pod("shop", "db-0", {
      nodeName: "node-a",
      podIP: "10.244.1.9",
      hostIP: "172.18.0.3",
      labels: { app: "db" },
      containers: [
        {
          name: "postgres",
          containerID: `cri-o://${ids.db}`,
          restartCount: 5,
          ready: false,
          waiting: "CrashLoopBackOff"
        }
      ]
    })
  )
  const webService = api.add(
    "services",
    K.service("shop", "web", {
      selector: { app: "web" },
      clusterIP: "10.96.12.7",
      type: "NodePort",
      ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }]
    })
  )
  const dbService = api.add(
    "services",
    K.service("shop", "db", {
      selector: { app: "db" },
      clusterIP: "10.96.40.2",
      ports: [{ port: 5432, targetPort: 5432 }]
    })
  )
  const external = api.add(
    "services",
    K.service("shop", "legacy", { clusterIP: "10.96.80.1", ports: [{ port: 443, targetPort: 8443 }] })
  )
  return { nodeA, web, rs, webA, webB, db, webService, dbService, external, ids }
}

const kinds = ["pods", "services", "deployments", "replicasets", "namespaces", "nodes"] as const

/** Waits until every kind has one open watch (they open right after the first lists). */
const watchesOpen = (api: ApiServer) =>
  eventually(async () => (kinds.every((kind) => api.watching(kind) === 1) ? true : undefined))

const probe = (requests?: Requests) => ({
  hostId: "host-a",
  probeId: "probe-a",
  ...(requests === undefined ? {} : { requestReport: requests.request })
})

describe("KubernetesCollector without a configuration", () => {
  it("returns an empty fragment with an ok health entry, and never imports the Kubernetes client", async () => {
    const home = mkdtempSync(join(tmpdir(), "kube-none-"))
    try {
      const collector = KubernetesCollector.make({ env: {}, homeDir: home })
      const host = new PluginRegistry.PluginHost()
      host.register(collector.plugin)
      const started = performance.now()
      const result = await host.runCollectors(probe(), 5_000)
      const elapsed = performance.now() - started
      expect(result.topologies).toEqual({})
      expect(result.health).toEqual([
        {
          name: "kubernetes/collector/kubernetes",
          status: "ok",
          durationMs: expect.any(Number),
          timestamp: expect.any(Number)
        },
        { name: "kubernetes/api", status: "ok", message: "no Kubernetes config", timestamp: expect.any(Number) }
      ])
      expect(clientLoaded()).toBe(false)
      expect(elapsed).toBeLessThan(100)

      const missing = KubernetesCollector.make({ env: {}, homeDir: home })
      const other = new PluginRegistry.PluginHost()
      other.register(missing.plugin, { kubeconfig: join(home, "nope") })
      const degraded = await other.runCollectors(probe(), 5_000)
      expect(degraded.topologies).toEqual({})
      expect(degraded.health[1]).toEqual({
        name: "kubernetes/api",
        status: "degraded",
        message: `kubeconfig ${join(home, "nope")} (not found)`,
        timestamp: expect.any(Number)
      })
      expect(clientLoaded()).toBe(false)
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })

  it("looks for the kubeconfig option, then KUBECONFIG, then ~/.kube/config, then the service account", () => {
    const files = new Set([
      "/a",
      "/c",
      "/home/u/.kube/config",
      "/root/var/run/secrets/kubernetes.io/serviceaccount/token"
    ])
    const exists = (path: string) => files.has(path)
    const inCluster = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }
    expect(findConfig("/a", "", { env: { KUBECONFIG: "/c" }, homeDir: "/home/u" }, exists)).toEqual({
      _tag: "Kubeconfig",
      paths: ["/a"]
    })
    expect(findConfig("/b", "", { env: {}, homeDir: "/home/u" }, exists)).toEqual({ _tag: "Missing", path: "/b" })
    expect(findConfig(undefined, "", { env: { KUBECONFIG: "/b:/c::/a" }, homeDir: "/home/u" }, exists)).toEqual({
      _tag: "Kubeconfig",
      paths: ["/c", "/a"]
    })
    expect(findConfig(undefined, "", { env: { KUBECONFIG: "/b" }, homeDir: "/home/u" }, exists)).toEqual({
      _tag: "Kubeconfig",
      paths: ["/home/u/.kube/config"]
    })
    expect(findConfig(undefined, "/root/", { env: inCluster, homeDir: "/home/x" }, exists)).toEqual({
      _tag: "InCluster",
      host: "10.96.0.1",
      port: "443",
      dir: `/root${serviceAccountDir}`
    })
    expect(findConfig(undefined, "", { env: inCluster, homeDir: undefined }, exists)).toBeUndefined()
    expect(findConfig(undefined, "/root", { env: {}, homeDir: "/home/x" }, exists)).toBeUndefined()
  })
})

describe("Kubernetes object readers", () => {
  it("splits runtime container ids and skips malformed ones", () => {
    expect(parseContainerId("docker://4f1c")).toEqual({ runtime: "docker", id: "4f1c" })
    expect(parseContainerId("containerd://ab12")).toEqual({ runtime: "containerd", id: "ab12" })
    expect(parseContainerId("cri-o://9e")).toEqual({ runtime: "cri-o", id: "9e" })
    expect(parseContainerId("ab12")).toEqual({ runtime: undefined, id: "ab12" })
    expect(parseContainerId("docker://")).toBeUndefined()
    expect(parseContainerId(undefined)).toBeUndefined()
  })

  it("derives kubectl's STATUS and survives objects of the wrong shape", () => {
    const base = K.pod("default", "p", {
      nodeName: "n",
      podIP: "10.0.0.1",
      hostIP: "10.1.0.1",
      labels: {},
      containers: [{ name: "c", containerID: "containerd://1" }]
    })
    const metadata = base.metadata
    expect(readPod(base)?.status).toBe("Running")
    expect(readPod({ ...base, metadata: { ...metadata, deletionTimestamp: "2026-11-27T00:00:00Z" } })?.status).toBe(
      "Terminating"
    )
    expect(readPod({ ...base, status: { phase: "Failed", reason: "Evicted" } })?.status).toBe("Evicted")
    expect(
      readPod({
        ...base,
        status: {
          phase: "Pending",
          initContainerStatuses: [{ name: "init", state: { waiting: { reason: "PodInitializing" } } }]
        }
      })?.status
    ).toBe("Init:PodInitializing")
    const pending = readPod({ ...base, status: { phase: "Pending" } })
    expect(pending).toMatchObject({ status: "Pending", declared: 1, containers: [], podIPs: [] })
    expect(readPod({ metadata: { name: "x" } })).toBeUndefined()
    expect(readPod(null)).toBeUndefined()
    expect(readPod("pod")).toBeUndefined()
    const odd = readPod({
      metadata: { uid: "u", name: "n", labels: { a: 1, b: "2" } },
      spec: 7,
      status: { podIPs: "x" }
    })
    expect(odd).toMatchObject({ meta: { uid: "u", name: "n", labels: { b: "2" } }, podIPs: [], containers: [] })
    expect(
      readService({
        metadata: { uid: "s", name: "s" },
        spec: { ports: [{ port: "80" }, { port: 53, protocol: "UDP" }] }
      })
    ).toMatchObject({ type: "ClusterIP", ports: ["53/UDP"], selector: {} })
  })
})

describe("KubernetesCollector against a local API server", () => {
  let api: ApiServer
  let dir: string
  let collectors: Array<KubernetesCollector.KubernetesCollector>

  beforeEach(async () => {
    api = await ApiServer.start({ token })
    dir = mkdtempSync(join(tmpdir(), "kube-test-"))
    collectors = []
  })

  afterEach(async () => {
    for (const collector of collectors) await collector.close()
    await api.stop().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  })

  const start = (options: KubernetesCollector.Options = {}) => {
    const collector = KubernetesCollector.make({ env: {}, homeDir: dir })
    collectors.push(collector)
    const host = new PluginRegistry.PluginHost()
    host.register(collector.plugin, {
      kubeconfig: api.writeKubeconfig(dir, { token }),
      nodeName: "node-a",
      retryInitialMs: 50,
      retryMaxMs: 200,
      ...options
    })
    return host
  }

  const apiHealth = (result: PluginRegistry.CollectedFragment) => result.health.find((h) => h.name === "kubernetes/api")

  it("reports pods, containers, services, deployments, namespaces and this node, joined", async () => {
    const s = seed(api)
    const host = start()
    const result = await host.runCollectors(probe(), 10_000)
    expect(clientLoaded()).toBe(true)
    expect(apiHealth(result)).toEqual({
      name: "kubernetes/api",
      status: "ok",
      message: `watching ${api.url} (pods on node node-a)`,
      timestamp: expect.any(Number)
    })
    const t = result.topologies
    expect(Object.keys(t).sort()).toEqual(["containers", "deployments", "hosts", "namespaces", "pods", "services"])

    // Only this node's pods.
    expect(Object.keys(t.pods!).sort()).toEqual([uid(s.webA), uid(s.db)].sort())
    const pod = t.pods![uid(s.webA)]!
    expect(pod.topology).toBe("pods")
    expect(values(pod.latest)).toEqual({
      [Fields.Latest.name]: "web-5d9c7b8f4-abcde",
      [Fields.Latest.namespace]: "shop",
      [Fields.Latest.podPhase]: "Running",
      [Keys.podStatus]: "Running",
      [Keys.nodeName]: "node-a",
      [Keys.podIP]: "10.244.1.5",
      [Keys.hostIP]: "172.18.0.3",
      [Keys.restarts]: "3",
      [Keys.containersReady]: "2/2",
      [Keys.qosClass]: "BestEffort",
      [Keys.owner]: "ReplicaSet/web-5d9c7b8f4",
      [Keys.created]: "2026-11-20T09:14:07Z",
      [`${Keys.annotationPrefix}kubectl.kubernetes.io/restartedAt`]: "2026-11-20T09:14:00Z"
    })
    expect(values(pod.labels)).toEqual({ app: "web", "pod-template-hash": "5d9c7b8f4" })
    expect(pod.sets).toEqual({ [Fields.Sets.ips]: ["10.244.1.5"] })
    // Joined: host, namespace, the service selecting it, the deployment through its ReplicaSet.
    expect(pod.parents).toEqual({
      hosts: ["host-a"],
      namespaces: ["shop"],
      services: [uid(s.webService)],
      deployments: [uid(s.web)]
    })
    const db = t.pods![uid(s.db)]!
    expect(values(db.latest)).toMatchObject({
      [Keys.podStatus]: "CrashLoopBackOff",
      [Keys.restarts]: "5",
      [Keys.containersReady]: "0/1"
    })
    expect(db.parents).toEqual({ hosts: ["host-a"], namespaces: ["shop"], services: [uid(s.dbService)] })

    // Containers by runtime id, whatever the runtime, with their pod as parent.
    expect(Object.keys(t.containers!).sort()).toEqual([s.ids.web, s.ids.sidecar, s.ids.db].sort())
    const sidecar = t.containers![s.ids.sidecar]!
    expect(values(sidecar.latest)).toEqual({
      [Keys.containerName]: "log-shipper",
      [Keys.containerRuntime]: "docker",
      [Keys.containerState]: "running",
      [Keys.restarts]: "3"
    })
    expect(sidecar.parents).toEqual({ pods: [uid(s.webA)], hosts: ["host-a"] })
    expect(values(t.containers![s.ids.db]!.latest)).toMatchObject({
      [Keys.containerRuntime]: "cri-o",
      [Keys.containerState]: "CrashLoopBackOff"
    })
    expect(t.containers![s.ids.web]!.parents).toEqual({ pods: [uid(s.webA)], hosts: ["host-a"] })

    // Every service of the cluster; the one without a selector joins no pod.
    expect(Object.keys(t.services!).sort()).toEqual([uid(s.webService), uid(s.dbService), uid(s.external)].sort())
    const service = t.services![uid(s.webService)]!
    expect(values(service.latest)).toEqual({
      [Fields.Latest.name]: "web",
      [Fields.Latest.namespace]: "shop",
      [Keys.serviceType]: "NodePort",
      [Keys.clusterIP]: "10.96.12.7",
      [Keys.selector]: "app=web",
      [Keys.created]: "2026-11-20T09:14:07Z",
      [`${Keys.annotationPrefix}prometheus.io/scrape`]: "true"
    })
    expect(service.sets).toEqual({ [Fields.Sets.ips]: ["10.96.12.7"], [Fields.Sets.ports]: ["80:30080/TCP"] })
    expect(service.parents).toEqual({ namespaces: ["shop"] })
    expect(values(t.services![uid(s.external)]!.latest)[Keys.selector]).toBeUndefined()
    expect(Object.values(t.pods!).some((p) => p.parents.services?.includes(uid(s.external)))).toBe(false)

    // Deployments, without the last-applied-configuration annotation.
    const deployment = t.deployments![uid(s.web)]!
    expect(values(deployment.latest)).toEqual({
      [Fields.Latest.name]: "web",
      [Fields.Latest.namespace]: "shop",
      [Keys.replicasDesired]: "2",
      [Keys.replicas]: "2",
      [Keys.replicasReady]: "2",
      [Keys.replicasAvailable]: "2",
      [Keys.replicasUpdated]: "2",
      [Keys.strategy]: "RollingUpdate",
      [Keys.selector]: "app=web",
      [Keys.created]: "2026-11-20T09:14:07Z",
      [`${Keys.annotationPrefix}deployment.kubernetes.io/revision`]: "1"
    })
    expect(deployment.parents).toEqual({ namespaces: ["shop"] })

    // Namespaces by name; this node's fields on the probe's host node.
    expect(Object.keys(t.namespaces!).sort()).toEqual(["default", "kube-system", "shop"])
    expect(values(t.namespaces!.shop!.latest)).toEqual({
      [Fields.Latest.name]: "shop",
      [Keys.namespacePhase]: "Active",
      [Keys.created]: "2026-11-20T09:14:07Z"
    })
    expect(values(t.namespaces!.shop!.labels)).toEqual({ "kubernetes.io/metadata.name": "shop" })
    const hostNode = t.hosts!["host-a"]!
    expect(values(hostNode.latest)).toMatchObject({
      [Keys.nodeName]: "node-a",
      [Keys.kubeletVersion]: "v1.29.2",
      [Keys.containerRuntime]: "containerd://1.7.13",
      [Keys.nodeReady]: "True",
      [Keys.podCIDR]: "10.244.1.0/24"
    })
    expect(values(hostNode.labels)).toMatchObject({
      "kubernetes.io/hostname": "node-a",
      "topology.kubernetes.io/zone": "zone-a"
    })

    // The report it makes is valid on the wire.
    const wire = Report.decodeSync({
      version: 1,
      probeId: "probe-a",
      hostname: "host-a",
      kind: "full",
      seq: 0,
      timestamp: Date.now(),
      topologies: Object.fromEntries(Object.entries(t).map(([name, nodes]) => [name, { nodes }]))
    })
    expect(Report.inconsistency(wire)).toBeUndefined()

    // One list per kind, then watches from the list's resourceVersion; pods and nodes for this node only.
    await watchesOpen(api)
    for (const kind of kinds) expect(api.lists(kind), kind).toBe(1)
    const podRequests = api.requests.filter((r) => r.resource === "pods")
    expect(podRequests.map((r) => r.query.fieldSelector)).toEqual(["spec.nodeName=node-a", "spec.nodeName=node-a"])
    expect(podRequests[1]!.query).toMatchObject({ watch: "true", allowWatchBookmarks: "true" })
    expect(Number(podRequests[1]!.query.resourceVersion)).toBeGreaterThan(1000)
    expect(api.requests.find((r) => r.resource === "nodes")!.query.fieldSelector).toBe("metadata.name=node-a")

    // Nothing changed: the next run reuses the nodes and asks the server nothing.
    const requestsBefore = api.requests.length
    const again = await host.runCollectors(probe(), 10_000)
    expect(again.topologies.pods![uid(s.webA)]).toBe(pod)
    expect(api.requests.length).toBe(requestsBefore)
  })

  it("lists in pages, starts over when a continue token expires, reuses nodes while nothing changes", async () => {
    seed(api)
    for (let i = 0; i < 1_200; i++) {
      api.add(
        "pods",
        K.pod("load", `load-${i}`, {
          nodeName: "node-a",
          podIP: `10.245.${i >> 8}.${i & 255}`,
          hostIP: "172.18.0.3",
          labels: { app: "load" },
          containers: [{ name: "c", containerID: `containerd://${K.containerId()}` }]
        })
      )
    }
    // Between the first and second page, the history is compacted: the continue token expires (410).
    const extra = K.pod("load", "load-extra", {
      nodeName: "node-a",
      podIP: "10.245.9.9",
      hostIP: "172.18.0.3",
      labels: { app: "load" },
      containers: []
    })
    let compacted = false
    api.onListPage = (resource, page) => {
      if (resource !== "pods" || page !== 0 || compacted) return
      compacted = true
      api.quietly((store) => store.add("pods", extra))
    }
    const host = start()
    const result = await host.runCollectors(probe(), 10_000)
    expect(Object.keys(result.topologies.pods!)).toHaveLength(1_203)
    expect(result.topologies.pods![uid(extra)]).toBeDefined()
    const pages = api.requests
      .filter((r) => r.resource === "pods" && !r.watch)
      .map((r) => [r.status, r.query.limit, r.query.continue === undefined ? "first" : "next"])
    expect(pages).toEqual([
      [200, "500", "first"],
      [410, "500", "next"],
      [200, "500", "first"],
      [200, "500", "next"],
      [200, "500", "next"]
    ])
    const again = await host.runCollectors(probe(), 10_000)
    // Nothing changed: the same node objects, no rebuild (the collector's own run is a cache lookup).
    expect(again.topologies.pods![uid(extra)]).toBe(result.topologies.pods![uid(extra)])
    const run = again.health.find((h) => h.name === "kubernetes/collector/kubernetes")!
    expect(run.durationMs).toBeLessThan(20)
  })

  it("shows pods added, changed and deleted by the watch on the next run, asking for an early report", async () => {
    const s = seed(api)
    const requests = new Requests()
    const host = start()
    await host.runCollectors(probe(requests), 10_000)
    const lists = api.lists("pods")

    const id = K.containerId()
    const added = K.pod("shop", "web-5d9c7b8f4-klmno", {
      nodeName: "node-a",
      podIP: "10.244.1.12",
      hostIP: "172.18.0.3",
      labels: { app: "web", "pod-template-hash": "5d9c7b8f4" },
      owner: s.rs,
      containers: [{ name: "web", containerID: `containerd://${id}` }],
      phase: "Pending"
    })
    let next = requests.next()
    api.add("pods", added)
    // A pod on another node is not this probe's: the server does not even send it.
    api.add(
      "pods",
      K.pod("shop", "elsewhere", {
        nodeName: "node-b",
        podIP: "10.244.2.9",
        hostIP: "172.18.0.4",
        labels: {},
        containers: []
      })
    )
    await next
    let result = await host.runCollectors(probe(requests), 10_000)
    expect(Object.keys(result.topologies.pods!).sort()).toEqual([uid(s.webA), uid(s.db), uid(added)].sort())
    const fresh = result.topologies.pods![uid(added)]!
    expect(values(fresh.latest)[Fields.Latest.podPhase]).toBe("Pending")
    expect(fresh.parents).toEqual({
      hosts: ["host-a"],
      namespaces: ["shop"],
      services: [uid(s.webService)],
      deployments: [uid(s.web)]
    })
    expect(result.topologies.containers![id]!.parents.pods).toEqual([uid(added)])

    next = requests.next()
    api.update("pods", {
      ...added,
      status: { ...(added.status as object), phase: "Running" }
    })
    await next
    result = await host.runCollectors(probe(requests), 10_000)
    expect(values(result.topologies.pods![uid(added)]!.latest)[Fields.Latest.podPhase]).toBe("Running")

    next = requests.next()
    api.remove("pods", uid(s.webA))
    await next
    result = await host.runCollectors(probe(requests), 10_000)
    expect(Object.keys(result.topologies.pods!).sort()).toEqual([uid(s.db), uid(added)].sort())
    expect(result.topologies.containers![s.ids.web]).toBeUndefined()
    expect(result.topologies.containers![s.ids.sidecar]).toBeUndefined()

    // Watches, not polling: no list since the first one, one watch still open.
    expect(api.lists("pods")).toBe(lists)
    expect(api.watching("pods")).toBe(1)
    expect(requests.count).toBeGreaterThanOrEqual(3)
  })

  it("relists after a 410 Gone and reports the state as it is afterwards", async () => {
    const s = seed(api)
    const requests = new Requests()
    const host = start()
    await host.runCollectors(probe(requests), 10_000)
    await watchesOpen(api)
    expect(api.lists("pods")).toBe(1)

    // Changes the watch never sees, then the watch expires: only a relist can show them.
    const replacement = K.pod("shop", "db-0", {
      nodeName: "node-a",
      podIP: "10.244.1.20",
      hostIP: "172.18.0.3",
      labels: { app: "db" },
      containers: [{ name: "postgres", containerID: `cri-o://${K.containerId()}` }]
    })
    api.quietly((store) => {
      store.remove("pods", uid(s.db))
      store.add("pods", replacement)
    })
    const next = requests.next()
    api.expire("pods")
    await next
    const result = await host.runCollectors(probe(requests), 10_000)
    expect(api.lists("pods")).toBe(2)
    expect(Object.keys(result.topologies.pods!).sort()).toEqual([uid(s.webA), uid(replacement)].sort())
    expect(values(result.topologies.pods![uid(replacement)]!.latest)[Keys.podIP]).toBe("10.244.1.20")
    expect(apiHealth(result)?.status).toBe("ok")
    await eventually(async () => (api.watching("pods") === 1 ? true : undefined))
    // The other kinds were not disturbed.
    expect(api.lists("services")).toBe(1)
  })

  it("resumes ended watches from the last resourceVersion, skips garbage, retries after ERROR events", async () => {
    seed(api)
    const requests = new Requests()
    const host = start()
    await host.runCollectors(probe(requests), 10_000)
    await watchesOpen(api)
    const podWatches = () => api.requests.filter((r) => r.resource === "pods" && r.watch)
    // The resourceVersion moves on elsewhere; a bookmark tells the pods watch, garbage on the way is skipped.
    api.add(
      "services",
      K.service("default", "other", { clusterIP: "10.96.1.1", ports: [{ port: 80, targetPort: 80 }] })
    )
    const bookmark = api.resourceVersion
    api.inject("pods", "{not json")
    api.inject(
      "pods",
      JSON.stringify({
        type: "BOOKMARK",
        object: { kind: "Pod", apiVersion: "v1", metadata: { resourceVersion: bookmark } }
      })
    )
    // The server ends the watch (its timeout): the reflector watches again from the bookmark, without a list.
    api.endWatches("pods")
    await eventually(async () => (podWatches().length === 2 && api.watching("pods") === 1 ? true : undefined))
    expect(podWatches()[1]!.query.resourceVersion).toBe(bookmark)
    // An ERROR event other than 410 is a failure: retried (after a backoff) from the same resourceVersion.
    api.inject(
      "pods",
      JSON.stringify({
        type: "ERROR",
        object: {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: "etcdserver: request timed out",
          reason: "InternalError",
          code: 500
        }
      })
    )
    await eventually(async () => (podWatches().length === 3 && api.watching("pods") === 1 ? true : undefined))
    expect(podWatches()[2]!.query.resourceVersion).toBe(bookmark)
    expect(api.lists("pods")).toBe(1)
    const next = requests.next()
    const later = api.add(
      "pods",
      K.pod("default", "later", {
        nodeName: "node-a",
        podIP: "10.244.1.40",
        hostIP: "172.18.0.3",
        labels: {},
        containers: []
      })
    )
    await next
    const result = await host.runCollectors(probe(requests), 10_000)
    expect(result.topologies.pods![uid(later)]).toBeDefined()
    expect(apiHealth(result)?.status).toBe("ok")
  })

  it("is degraded while the API server is away, keeping the last state, and recovers when it is back", async () => {
    const s = seed(api)
    const host = start()
    const first = await host.runCollectors(probe(), 10_000)
    expect(apiHealth(first)?.status).toBe("ok")

    await watchesOpen(api)
    await api.stop()
    const degraded = await eventually(async () => {
      const result = await host.runCollectors(probe(), 10_000)
      const message = apiHealth(result)?.message ?? ""
      return kinds.every((kind) => message.includes(`${kind}: `)) ? result : undefined
    })
    // Every kind fails: the cut watches, then refused connections.
    expect(apiHealth(degraded)).toMatchObject({ status: "degraded" })
    for (const kind of kinds) {
      expect(apiHealth(degraded)!.message).toMatch(
        new RegExp(
          `${kind}: [^;]*(ECONNREFUSED|ECONNRESET|closed)[^;]* \\(for \\d+ s; reporting the last known state\\)`
        )
      )
    }
    // The last known state is still reported.
    expect(Object.keys(degraded.topologies.pods!).sort()).toEqual([uid(s.webA), uid(s.db)].sort())
    expect(Object.keys(degraded.topologies.services!)).toHaveLength(3)

    // While it is away a pod starts; when it is back, watches resume (410: history lost) and relist.
    const started = K.pod("default", "late", {
      nodeName: "node-a",
      podIP: "10.244.1.30",
      hostIP: "172.18.0.3",
      labels: {},
      containers: []
    })
    api.quietly((store) => store.add("pods", started))
    await api.restart()
    const recovered = await eventually(async () => {
      const result = await host.runCollectors(probe(), 10_000)
      return apiHealth(result)?.status === "ok" && result.topologies.pods?.[uid(started)] !== undefined
        ? result
        : undefined
    })
    expect(Object.keys(recovered.topologies.pods!).sort()).toEqual([uid(s.webA), uid(s.db), uid(started)].sort())
    expect(api.lists("pods")).toBe(2)
  })

  it("stops reporting a kind whose requests have failed for longer than staleTimeoutMs", async () => {
    seed(api)
    const host = start({ staleTimeoutMs: 300 })
    await host.runCollectors(probe(), 10_000)
    await api.stop()
    const dropped = await eventually(async () => {
      const result = await host.runCollectors(probe(), 10_000)
      return result.topologies.pods === undefined ? result : undefined
    })
    expect(dropped.topologies).toEqual({})
    expect(apiHealth(dropped)).toMatchObject({ status: "degraded" })
    expect(apiHealth(dropped)!.message).toContain("last known state dropped after 0 s")
    await api.restart()
    const back = await eventually(async () => {
      const result = await host.runCollectors(probe(), 10_000)
      return result.topologies.pods !== undefined && apiHealth(result)?.status === "ok" ? result : undefined
    })
    expect(Object.keys(back.topologies.pods!)).toHaveLength(2)
  })

  it("stops watching when it has not run for idleStopMs, and starts again on the next run", async () => {
    const s = seed(api)
    const host = start({ idleStopMs: 300 })
    await host.runCollectors(probe(), 10_000)
    await watchesOpen(api)
    await eventually(async () => (kinds.every((kind) => api.watching(kind) === 0) ? true : undefined))
    const result = await host.runCollectors(probe(), 10_000)
    expect(Object.keys(result.topologies.pods!).sort()).toEqual([uid(s.webA), uid(s.db)].sort())
    expect(api.lists("pods")).toBe(2)
    await watchesOpen(api)
  })

  it("keeps the other kinds going when one is forbidden, and says which", async () => {
    await api.stop()
    api = await ApiServer.start({ token, forbidden: ["replicasets"] })
    const s = seed(api)
    const host = start()
    const result = await host.runCollectors(probe(), 10_000)
    expect(apiHealth(result)?.status).toBe("degraded")
    expect(apiHealth(result)!.message).toContain(
      "replicasets: HTTP 403: replicasets.apps is forbidden: " +
        'User "system:serviceaccount:probe:probe" cannot list resource "replicasets"'
    )
    expect(Object.keys(result.topologies.pods!).sort()).toEqual([uid(s.webA), uid(s.db)].sort())
    // Without ReplicaSets there is no pod -> deployment join; the rest holds.
    expect(result.topologies.pods![uid(s.webA)]!.parents).toEqual({
      hosts: ["host-a"],
      namespaces: ["shop"],
      services: [uid(s.webService)]
    })
    expect(Object.keys(result.topologies.deployments!)).toEqual([uid(s.web)])
  })

  it("uses the in-cluster service account: HTTPS with its CA, the server from the environment, its token", async () => {
    await api.stop()
    api = await ApiServer.start({ token, tls: { key: Tls.key, cert: Tls.cert } })
    const s = seed(api)
    const root = join(dir, "root")
    const accountDir = join(root, serviceAccountDir)
    mkdirSync(accountDir, { recursive: true })
    writeFileSync(join(accountDir, "token"), token)
    writeFileSync(join(accountDir, "ca.crt"), Tls.cert)
    writeFileSync(join(accountDir, "namespace"), "probe")
    const collector = KubernetesCollector.make({
      env: { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String(api.listeningPort) },
      homeDir: dir
    })
    collectors.push(collector)
    const host = new PluginRegistry.PluginHost()
    host.register(collector.plugin, { nodeName: "node-a", serviceAccountRoot: root, allPods: true })
    const result = await host.runCollectors(probe(), 10_000)
    expect(apiHealth(result)).toMatchObject({ status: "ok", message: `watching ${api.url} (all pods)` })
    // allPods: the pod on node-b too, without a host parent (it is not on this node).
    expect(Object.keys(result.topologies.pods!).sort()).toEqual([uid(s.webA), uid(s.webB), uid(s.db)].sort())
    expect(result.topologies.pods![uid(s.webB)]!.parents.hosts).toBeUndefined()
    expect(result.topologies.containers![s.ids.remote]!.parents).toEqual({ pods: [uid(s.webB)] })
    expect(api.requests.every((r) => r.status !== 401)).toBe(true)
    expect(api.requests.find((r) => r.resource === "pods")!.query.fieldSelector).toBeUndefined()
  })

  it("merges KUBECONFIG files like kubectl: the first current context, definitions from any file", async () => {
    const s = seed(api)
    const contexts = join(dir, "contexts.yaml")
    const clusters = join(dir, "clusters.yaml")
    writeFileSync(
      contexts,
      `apiVersion: v1
kind: Config
current-context: local
contexts:
- name: local
  context: { cluster: local, user: local }
`
    )
    writeFileSync(
      clusters,
      `apiVersion: v1
kind: Config
current-context: elsewhere
clusters:
- name: local
  cluster: { server: "${api.url}", insecure-skip-tls-verify: true }
- name: elsewhere
  cluster: { server: "http://127.0.0.1:1", insecure-skip-tls-verify: true }
users:
- name: local
  user: { token: "${token}" }
contexts:
- name: elsewhere
  context: { cluster: elsewhere, user: local }
`
    )
    const collector = KubernetesCollector.make({
      env: { KUBECONFIG: `${contexts}:${join(dir, "absent")}:${clusters}` },
      homeDir: dir
    })
    collectors.push(collector)
    const host = new PluginRegistry.PluginHost()
    host.register(collector.plugin, { nodeName: "node-a" })
    const result = await host.runCollectors(probe(), 10_000)
    expect(apiHealth(result)).toMatchObject({ status: "ok", message: `watching ${api.url} (pods on node node-a)` })
    expect(Object.keys(result.topologies.pods!).sort()).toEqual([uid(s.webA), uid(s.db)].sort())
  })

  it("reports a kubeconfig it cannot use as degraded, naming the file", async () => {
    const path = join(dir, "broken.yaml")
    writeFileSync(path, "apiVersion: v1\nkind: Config\nclusters: [\n")
    const collector = KubernetesCollector.make({ env: {}, homeDir: dir })
    collectors.push(collector)
    const host = new PluginRegistry.PluginHost()
    host.register(collector.plugin, { kubeconfig: path })
    const result = await host.runCollectors(probe(), 10_000)
    expect(result.topologies).toEqual({})
    expect(apiHealth(result)).toMatchObject({ status: "degraded" })
    expect(apiHealth(result)!.message).toMatch(new RegExp(`^kubeconfig ${path}: .+`))
    expect(result.health[0]).toMatchObject({ name: "kubernetes/collector/kubernetes", status: "ok" })
  })

  it("reports a token the API server refuses as degraded, without crashing", async () => {
    seed(api)
    const collector = KubernetesCollector.make({ env: {}, homeDir: dir })
    collectors.push(collector)
    const host = new PluginRegistry.PluginHost()
    host.register(collector.plugin, {
      kubeconfig: api.writeKubeconfig(dir, { token: "wrong", context: "bad" }),
      nodeName: "node-a",
      retryInitialMs: 50,
      retryMaxMs: 200
    })
    const result = await host.runCollectors(probe(), 10_000)
    expect(result.topologies).toEqual({})
    expect(apiHealth(result)).toMatchObject({ status: "degraded" })
    expect(apiHealth(result)!.message).toContain("pods: HTTP 401: Unauthorized (for")
    expect(result.health[0]).toMatchObject({ name: "kubernetes/collector/kubernetes", status: "ok" })
  })
})
