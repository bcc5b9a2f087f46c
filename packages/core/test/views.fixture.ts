/**
 * A hand-built merged report for the views, filters, search and panels tests: two hosts, four containers
 * (one exited), host processes, Kubernetes pods/services/deployments/namespaces, and connections across
 * containers, to The Internet (IPv4 and IPv6), to unknown private peers (IPv4, ULA, loopback) and from a
 * public client.
 *
 * Connections (client -> server):
 *  1. nginx (web)      ;10.0.0.1;40001 -> ;10.0.0.1;8080  api (api)
 *  2. api              ;10.0.0.1;40002 -> ;10.0.0.2;5432  postgres (db)
 *  3. api              ;10.0.0.1;40005 -> ;10.0.0.2;5432  postgres (db)
 *  4. api              ;10.0.0.1;40003 -> ;1.2.3.4;443    (public, not in the report)
 *  5. api              ;10.0.0.1;40004 -> ;10.9.9.9;8080  (private, not in the report)
 *  6. api              ;fd00::1;40010  -> ;fd00::2;5432   postgres (db)
 *  7. api              ;fd00::1;40011  -> ;2606:4700::1111;443 (public IPv6)
 *  8. api              ;fd00::1;40012  -> ;fd00::7;80     (ULA, not in the report)
 *  9. curl (host-b)    ;10.0.0.2;33000 -> ;10.0.0.1;80    nginx (web)
 * 10. 203.0.113.9      ;203.0.113.9;51000 -> ;10.0.0.1;22 sshd (host-a, no container)
 * 11. nginx (web)      host-a;127.0.0.1;40100 -> host-a;127.0.0.1;9000 (nobody)
 */
import * as MergedReport from "../src/MergedReport.js"
import { latestFields, makeNode, type Node } from "../src/Report.js"

export const t = 1_000

const latest = (values: Record<string, string | number>) => latestFields(t, values)
const metrics = (values: Record<string, number>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, [[t - 1000, 0] as const, [t, v] as const]]))

export const MB = 1_000_000
export const GiB = 1024 ** 3

export const hosts: Array<Node> = [
  makeNode("hosts", "host-a", {
    latest: latest({ name: "host-a", os: "linux", cpu_cores: 4, memory_total_bytes: 8 * GiB, uptime_seconds: 93_780 }),
    metrics: metrics({ cpu: 40, memory: 2 * GiB }),
    sets: { ips: ["10.0.0.1", "fd00::1"] }
  }),
  makeNode("hosts", "host-b", {
    latest: latest({ name: "host-b", os: "linux", cpu_cores: 2, memory_total_bytes: GiB }),
    metrics: metrics({ cpu: 50, memory: 0.97 * GiB })
  })
]

export const containers: Array<Node> = [
  makeNode("containers", "web", {
    latest: latest({
      docker_container_name: "/web",
      docker_container_state: "running",
      docker_image_name: "nginx:1.25"
    }),
    labels: latest({ app: "web", tier: "frontend" }),
    metrics: metrics({ cpu: 10, memory: 100 * MB }),
    parents: { hosts: ["host-a"], container_images: ["img-nginx"], pods: ["pod-web"] },
    sets: { env: ["PATH=/usr/bin", "MODE=prod"], ports: ["80/tcp"], mounts: ["/srv/www:/usr/share/nginx/html:ro"] },
    controls: ["docker.stop", "docker.restart"]
  }),
  makeNode("containers", "api", {
    latest: latest({
      docker_container_name: "/api",
      docker_container_state: "running",
      docker_image_name: "example/api:2"
    }),
    labels: latest({ app: "api", tier: "backend" }),
    metrics: metrics({ cpu: 85, memory: 300 * MB }),
    parents: { hosts: ["host-a"], container_images: ["img-api"], pods: ["pod-api"] }
  }),
  makeNode("containers", "db", {
    latest: latest({
      docker_container_name: "/db",
      docker_container_state: "running",
      docker_image_name: "postgres:16"
    }),
    labels: latest({ app: "db" }),
    metrics: metrics({ cpu: 97, memory: 500 * MB }),
    parents: { hosts: ["host-b"], container_images: ["img-postgres"], pods: ["pod-db"] }
  }),
  makeNode("containers", "old", {
    latest: latest({
      docker_container_name: "/old",
      docker_container_state: "exited",
      docker_image_name: "nginx:1.24"
    }),
    labels: latest({ app: "web" }),
    parents: { hosts: ["host-b"], container_images: ["img-nginx-old"] }
  })
]

const proc = (id: string, name: string, parents: Node["parents"], extra: Partial<Node> = {}) =>
  makeNode("processes", id, {
    latest: latest({
      name,
      pid: id.split(";")[1]!,
      ...Object.fromEntries(Object.entries(extra.latest ?? {}).map(([k, v]) => [k, v.value]))
    }),
    parents,
    metrics: extra.metrics ?? {}
  })

export const processes: Array<Node> = [
  proc(
    "host-a;100",
    "nginx",
    { hosts: ["host-a"], containers: ["web"] },
    { metrics: metrics({ cpu: 1, memory: 10 * MB }) }
  ),
  proc(
    "host-a;101",
    "nginx",
    { hosts: ["host-a"], containers: ["web"] },
    { metrics: metrics({ cpu: 0.5, memory: 5 * MB }) }
  ),
  proc("host-a;200", "api", { hosts: ["host-a"], containers: ["api"] }),
  proc("host-a;300", "sshd", { hosts: ["host-a"] }),
  proc("host-a;400", "kworker", { hosts: ["host-a"] }, { latest: latest({ system: "true" }) }),
  proc("host-b;500", "postgres", { hosts: ["host-b"], containers: ["db"] }),
  proc("host-b;600", "curl", { hosts: ["host-b"] })
]

const endpoint = (id: string, parents: Node["parents"], adjacency: Array<string> = []) =>
  makeNode("endpoints", id, { parents, adjacency })

const web = { processes: ["host-a;100"], hosts: ["host-a"], containers: ["web"] }
const api = { processes: ["host-a;200"], hosts: ["host-a"], containers: ["api"] }
const db = { processes: ["host-b;500"], hosts: ["host-b"], containers: ["db"] }

export const endpoints: Array<Node> = [
  endpoint(";10.0.0.1;80", web),
  endpoint(";10.0.0.1;40001", web, [";10.0.0.1;8080"]),
  endpoint("host-a;127.0.0.1;40100", web, ["host-a;127.0.0.1;9000"]),
  endpoint(";10.0.0.1;8080", api),
  endpoint(";10.0.0.1;40002", api, [";10.0.0.2;5432"]),
  endpoint(";10.0.0.1;40005", api, [";10.0.0.2;5432"]),
  endpoint(";10.0.0.1;40003", api, [";1.2.3.4;443"]),
  endpoint(";10.0.0.1;40004", api, [";10.9.9.9;8080"]),
  endpoint(";fd00::1;40010", api, [";fd00::2;5432"]),
  endpoint(";fd00::1;40011", api, [";2606:4700::1111;443"]),
  endpoint(";fd00::1;40012", api, [";fd00::7;80"]),
  endpoint(";10.0.0.2;5432", db),
  endpoint(";fd00::2;5432", db),
  endpoint(";10.0.0.2;33000", { processes: ["host-b;600"], hosts: ["host-b"] }, [";10.0.0.1;80"]),
  endpoint(";10.0.0.1;22", { processes: ["host-a;300"], hosts: ["host-a"] }),
  endpoint(";203.0.113.9;51000", {}, [";10.0.0.1;22"])
]

export const kubernetes: Array<Node> = [
  makeNode("pods", "pod-web", {
    latest: latest({ name: "web-7d9f", kubernetes_namespace: "default", kubernetes_pod_phase: "Running" }),
    parents: { hosts: ["host-a"], namespaces: ["default"], services: ["svc-web"], deployments: ["dep-web"] }
  }),
  makeNode("pods", "pod-api", {
    latest: latest({ name: "api-5c4b", kubernetes_namespace: "default", kubernetes_pod_phase: "Pending" }),
    parents: { hosts: ["host-a"], namespaces: ["default"], services: ["svc-api"], deployments: ["dep-api"] }
  }),
  makeNode("pods", "pod-db", {
    latest: latest({ name: "db-0", kubernetes_namespace: "data", kubernetes_pod_phase: "Running" }),
    parents: { hosts: ["host-b"], namespaces: ["data"], services: ["svc-db"] }
  }),
  makeNode("services", "svc-web", {
    latest: latest({ name: "web", kubernetes_namespace: "default" }),
    parents: { namespaces: ["default"] }
  }),
  makeNode("services", "svc-api", {
    latest: latest({ name: "api", kubernetes_namespace: "default" }),
    parents: { namespaces: ["default"] }
  }),
  makeNode("services", "svc-db", {
    latest: latest({ name: "db", kubernetes_namespace: "data" }),
    parents: { namespaces: ["data"] }
  }),
  makeNode("deployments", "dep-web", {
    latest: latest({ name: "web", kubernetes_namespace: "default" }),
    parents: { namespaces: ["default"] }
  }),
  makeNode("deployments", "dep-api", {
    latest: latest({ name: "api", kubernetes_namespace: "default" }),
    parents: { namespaces: ["default"] }
  }),
  makeNode("namespaces", "default", { latest: latest({ name: "default" }) }),
  makeNode("namespaces", "data", { latest: latest({ name: "data" }) })
]

export const allNodes: Array<Node> = [...hosts, ...containers, ...processes, ...endpoints, ...kubernetes]

export const report = (): MergedReport.MergedReport => MergedReport.fromNodes(allNodes)

/** A mutable report whose generations the test bumps, like the aggregator's live report. */
export const liveReport = (nodes: Iterable<Node> = allNodes) => {
  const base = MergedReport.fromNodes(nodes)
  const generations = new Map<string, number>()
  const report: MergedReport.MergedReport = {
    topologies: base.topologies,
    probes: base.probes,
    generation: (topology) => generations.get(topology) ?? 0,
    nodes: base.nodes,
    node: base.node
  }
  return {
    report,
    bump: (topology: string) => generations.set(topology, (generations.get(topology) ?? 0) + 1),
    set: (node: Node) => {
      ;(base.topologies as Map<string, Map<string, Node>>).get(node.topology)?.set(node.id, node)
      generations.set(node.topology, (generations.get(node.topology) ?? 0) + 1)
    }
  }
}
