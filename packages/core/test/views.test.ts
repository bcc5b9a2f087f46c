import { describe, expect, it } from "vitest"
import { expandIPv6, isPublicAddress, subnetOf } from "../src/internal/views/address.js"
import { EdgeCounter } from "../src/internal/views/edges.js"
import * as MergedReport from "../src/MergedReport.js"
import { latestFields, makeNode, type Node } from "../src/Report.js"
import * as BuiltinViews from "../src/views/BuiltinViews.js"
import * as Containers from "../src/views/Containers.js"
import * as ContainersByImage from "../src/views/ContainersByImage.js"
import * as Deployments from "../src/views/Deployments.js"
import * as Hosts from "../src/views/Hosts.js"
import * as Namespaces from "../src/views/Namespaces.js"
import * as Pods from "../src/views/Pods.js"
import * as Processes from "../src/views/Processes.js"
import * as ProcessesByName from "../src/views/ProcessesByName.js"
import * as Pseudo from "../src/views/Pseudo.js"
import * as Services from "../src/views/Services.js"
import type { RenderedNode, Rendering } from "../src/views/View.js"
import { GiB, MB, report } from "./views.fixture.js"

const nodesOf = (rendering: Rendering) => Object.fromEntries(rendering.nodes)
const edgesOf = (rendering: Rendering) =>
  Object.fromEntries(
    Array.from(rendering.edges.values(), (e) => [e.id, `${e.source} -> ${e.target} x${e.connections}`])
  )

const node = (
  fields: Pick<RenderedNode, "id" | "topology" | "label" | "labelMinor" | "rank" | "shape" | "status"> &
    Partial<RenderedNode>
): RenderedNode => ({
  pseudo: false,
  stack: 1,
  parents: {},
  labels: {},
  metrics: {},
  members: [fields.id],
  ...fields
})

const internetOut: RenderedNode = {
  id: "out-theinternet",
  topology: "pseudo",
  label: "The Internet",
  labelMinor: "Outbound connections",
  rank: "internet",
  shape: "cloud",
  status: "unknown",
  pseudo: true,
  stack: 1,
  parents: {},
  labels: {},
  metrics: {},
  members: []
}
const internetIn: RenderedNode = {
  ...internetOut,
  id: "in-theinternet",
  labelMinor: "Inbound connections"
}
const peer = (address: string, labelMinor = "Unknown peer", scope = ""): RenderedNode => ({
  ...internetOut,
  id: scope === "" ? `pseudo:peer:${address}` : `pseudo:peer:${scope};${address}`,
  label: address,
  labelMinor,
  rank: "peer",
  shape: "square"
})
const outside = {
  "out-theinternet": internetOut,
  "in-theinternet": internetIn,
  "pseudo:peer:10.9.9.9": peer("10.9.9.9"),
  "pseudo:peer:fd00::7": peer("fd00::7"),
  "pseudo:peer:host-a;127.0.0.1": peer("127.0.0.1", "Unknown peer on host-a", "host-a")
}
const perHost = (kind: "uncontained" | "unmanaged", host: string): RenderedNode => ({
  ...internetOut,
  id: `pseudo:${kind}:${host}`,
  label: kind === "uncontained" ? "Uncontained" : "Unmanaged",
  labelMinor: host,
  rank: kind,
  shape: "square",
  parents: { hosts: [host] }
})

describe("processes view", () => {
  it("renders one node per process with edges between connected processes and pseudo nodes for outside traffic", () => {
    const rendering = Processes.view.render(report())
    const proc = (id: string, name: string, parents: Record<string, Array<string>>, metrics = {}) =>
      node({
        id,
        topology: "processes",
        label: name,
        labelMinor: `${id.split(";")[0]} (${id.split(";")[1]})`,
        rank: name,
        shape: "square",
        status: "healthy",
        parents,
        metrics
      })
    expect(nodesOf(rendering)).toEqual({
      "host-a;100": proc(
        "host-a;100",
        "nginx",
        { hosts: ["host-a"], containers: ["web"] },
        { cpu: 1, memory: 10 * MB }
      ),
      "host-a;101": proc(
        "host-a;101",
        "nginx",
        { hosts: ["host-a"], containers: ["web"] },
        { cpu: 0.5, memory: 5 * MB }
      ),
      "host-a;200": proc("host-a;200", "api", { hosts: ["host-a"], containers: ["api"] }),
      "host-a;300": proc("host-a;300", "sshd", { hosts: ["host-a"] }),
      "host-a;400": proc("host-a;400", "kworker", { hosts: ["host-a"] }),
      "host-b;500": proc("host-b;500", "postgres", { hosts: ["host-b"], containers: ["db"] }),
      "host-b;600": proc("host-b;600", "curl", { hosts: ["host-b"] }),
      ...outside
    })
    expect(edgesOf(rendering)).toEqual({
      "host-a;100->host-a;200": "host-a;100 -> host-a;200 x1",
      "host-a;100->pseudo:peer:host-a;127.0.0.1": "host-a;100 -> pseudo:peer:host-a;127.0.0.1 x1",
      "host-a;200->host-b;500": "host-a;200 -> host-b;500 x3",
      "host-a;200->out-theinternet": "host-a;200 -> out-theinternet x2",
      "host-a;200->pseudo:peer:10.9.9.9": "host-a;200 -> pseudo:peer:10.9.9.9 x1",
      "host-a;200->pseudo:peer:fd00::7": "host-a;200 -> pseudo:peer:fd00::7 x1",
      "host-b;600->host-a;100": "host-b;600 -> host-a;100 x1",
      "in-theinternet->host-a;300": "in-theinternet -> host-a;300 x1"
    })
  })

  it("exposes nodes and edges as maps that answer lookups by id", () => {
    const rendering = Processes.view.render(report())
    expect(rendering.nodes.get("host-a;300")?.label).toBe("sshd")
    expect(rendering.nodes.has("nope")).toBe(false)
    expect(rendering.edges.get("host-a;200->host-b;500")).toEqual({
      id: "host-a;200->host-b;500",
      source: "host-a;200",
      target: "host-b;500",
      connections: 3
    })
    expect(rendering.edges.has("host-b;500->host-a;200")).toBe(false)
    expect(Array.from(rendering.edges.keys())).toHaveLength(rendering.edges.size)
    const seen: Array<string> = []
    rendering.edges.forEach((edge, id) => {
      seen.push(`${id}=${edge.connections}`)
    })
    expect(seen).toHaveLength(8)
    expect(Array.from(rendering.nodes).length).toBe(rendering.nodes.size)
  })
})

describe("processes-by-name view", () => {
  it("collapses processes into one node per name with a stack count, members and summed metrics", () => {
    const rendering = ProcessesByName.view.render(report())
    const group = (id: string, members: Array<string>, parents: Record<string, Array<string>>, metrics = {}) =>
      node({
        id,
        topology: "processes",
        label: id,
        labelMinor: members.length === 1 ? "1 process" : `${members.length} processes`,
        rank: id,
        shape: "square",
        status: "healthy",
        stack: members.length,
        parents,
        metrics,
        members
      })
    expect(nodesOf(rendering)).toEqual({
      nginx: group(
        "nginx",
        ["host-a;100", "host-a;101"],
        { hosts: ["host-a"], containers: ["web"] },
        { cpu: 1.5, memory: 15 * MB }
      ),
      api: group("api", ["host-a;200"], { hosts: ["host-a"], containers: ["api"] }),
      sshd: group("sshd", ["host-a;300"], { hosts: ["host-a"] }),
      kworker: group("kworker", ["host-a;400"], { hosts: ["host-a"] }),
      postgres: group("postgres", ["host-b;500"], { hosts: ["host-b"], containers: ["db"] }),
      curl: group("curl", ["host-b;600"], { hosts: ["host-b"] }),
      ...outside
    })
    expect(edgesOf(rendering)).toEqual({
      "nginx->api": "nginx -> api x1",
      "nginx->pseudo:peer:host-a;127.0.0.1": "nginx -> pseudo:peer:host-a;127.0.0.1 x1",
      "api->postgres": "api -> postgres x3",
      "api->out-theinternet": "api -> out-theinternet x2",
      "api->pseudo:peer:10.9.9.9": "api -> pseudo:peer:10.9.9.9 x1",
      "api->pseudo:peer:fd00::7": "api -> pseudo:peer:fd00::7 x1",
      "curl->nginx": "curl -> nginx x1",
      "in-theinternet->sshd": "in-theinternet -> sshd x1"
    })
  })
})

describe("containers view", () => {
  it("renders containers coloured by state and CPU, with host processes as per-host Uncontained nodes", () => {
    const rendering = Containers.view.render(report())
    expect(nodesOf(rendering)).toEqual({
      web: node({
        id: "web",
        topology: "containers",
        label: "web",
        labelMinor: "host-a",
        rank: "nginx",
        shape: "hexagon",
        status: "healthy",
        parents: { hosts: ["host-a"], container_images: ["img-nginx"], pods: ["pod-web"] },
        labels: { app: "web", tier: "frontend" },
        metrics: { cpu: 10, memory: 100 * MB }
      }),
      api: node({
        id: "api",
        topology: "containers",
        label: "api",
        labelMinor: "host-a",
        rank: "example/api",
        shape: "hexagon",
        status: "warning",
        parents: { hosts: ["host-a"], container_images: ["img-api"], pods: ["pod-api"] },
        labels: { app: "api", tier: "backend" },
        metrics: { cpu: 85, memory: 300 * MB }
      }),
      db: node({
        id: "db",
        topology: "containers",
        label: "db",
        labelMinor: "host-b",
        rank: "postgres",
        shape: "hexagon",
        status: "critical",
        parents: { hosts: ["host-b"], container_images: ["img-postgres"], pods: ["pod-db"] },
        labels: { app: "db" },
        metrics: { cpu: 97, memory: 500 * MB }
      }),
      old: node({
        id: "old",
        topology: "containers",
        label: "old",
        labelMinor: "host-b",
        rank: "nginx",
        shape: "hexagon",
        status: "stopped",
        parents: { hosts: ["host-b"], container_images: ["img-nginx-old"] },
        labels: { app: "web" }
      }),
      "pseudo:uncontained:host-a": perHost("uncontained", "host-a"),
      "pseudo:uncontained:host-b": perHost("uncontained", "host-b"),
      ...outside
    })
    expect(edgesOf(rendering)).toEqual({
      "web->api": "web -> api x1",
      "web->pseudo:peer:host-a;127.0.0.1": "web -> pseudo:peer:host-a;127.0.0.1 x1",
      "api->db": "api -> db x3",
      "api->out-theinternet": "api -> out-theinternet x2",
      "api->pseudo:peer:10.9.9.9": "api -> pseudo:peer:10.9.9.9 x1",
      "api->pseudo:peer:fd00::7": "api -> pseudo:peer:fd00::7 x1",
      "pseudo:uncontained:host-b->web": "pseudo:uncontained:host-b -> web x1",
      "in-theinternet->pseudo:uncontained:host-a": "in-theinternet -> pseudo:uncontained:host-a x1"
    })
  })
})

describe("containers-by-image view", () => {
  it("collapses containers into one node per image without its tag; a group is stopped only when all are", () => {
    const rendering = ContainersByImage.view.render(report())
    expect(nodesOf(rendering)).toEqual({
      nginx: node({
        id: "nginx",
        topology: "containers",
        label: "nginx",
        labelMinor: "2 containers",
        rank: "nginx",
        shape: "hexagon",
        status: "healthy",
        stack: 2,
        parents: { hosts: ["host-a", "host-b"], container_images: ["img-nginx", "img-nginx-old"], pods: ["pod-web"] },
        labels: { app: "web" },
        metrics: { cpu: 10, memory: 100 * MB },
        members: ["web", "old"]
      }),
      "example/api": node({
        id: "example/api",
        topology: "containers",
        label: "example/api",
        labelMinor: "1 container",
        rank: "example/api",
        shape: "hexagon",
        status: "warning",
        parents: { hosts: ["host-a"], container_images: ["img-api"], pods: ["pod-api"] },
        labels: { app: "api", tier: "backend" },
        metrics: { cpu: 85, memory: 300 * MB },
        members: ["api"]
      }),
      postgres: node({
        id: "postgres",
        topology: "containers",
        label: "postgres",
        labelMinor: "1 container",
        rank: "postgres",
        shape: "hexagon",
        status: "critical",
        parents: { hosts: ["host-b"], container_images: ["img-postgres"], pods: ["pod-db"] },
        labels: { app: "db" },
        metrics: { cpu: 97, memory: 500 * MB },
        members: ["db"]
      }),
      "pseudo:uncontained:host-a": perHost("uncontained", "host-a"),
      "pseudo:uncontained:host-b": perHost("uncontained", "host-b"),
      ...outside
    })
    expect(edgesOf(rendering)).toEqual({
      "nginx->example/api": "nginx -> example/api x1",
      "nginx->pseudo:peer:host-a;127.0.0.1": "nginx -> pseudo:peer:host-a;127.0.0.1 x1",
      "example/api->postgres": "example/api -> postgres x3",
      "example/api->out-theinternet": "example/api -> out-theinternet x2",
      "example/api->pseudo:peer:10.9.9.9": "example/api -> pseudo:peer:10.9.9.9 x1",
      "example/api->pseudo:peer:fd00::7": "example/api -> pseudo:peer:fd00::7 x1",
      "pseudo:uncontained:host-b->nginx": "pseudo:uncontained:host-b -> nginx x1",
      "in-theinternet->pseudo:uncontained:host-a": "in-theinternet -> pseudo:uncontained:host-a x1"
    })
  })

  it("keeps containers without an image as single nodes", () => {
    const bare = makeNode("containers", "0123456789abcdef0123", {
      latest: latestFields(1, { docker_container_state: "running" })
    })
    const rendering = ContainersByImage.view.render(MergedReport.fromNodes([bare]))
    expect(nodesOf(rendering)).toEqual({
      "0123456789abcdef0123": node({
        id: "0123456789abcdef0123",
        topology: "containers",
        label: "0123456789ab",
        labelMinor: "",
        rank: "",
        shape: "hexagon",
        status: "healthy"
      })
    })
  })
})

describe("hosts view", () => {
  it("renders hosts coloured by CPU per core and memory pressure, with edges between hosts", () => {
    const rendering = Hosts.view.render(report())
    expect(nodesOf(rendering)).toEqual({
      "host-a": node({
        id: "host-a",
        topology: "hosts",
        label: "host-a",
        labelMinor: "linux",
        rank: "host-a",
        shape: "circle",
        status: "healthy",
        metrics: { cpu: 40, memory: 2 * GiB }
      }),
      "host-b": node({
        id: "host-b",
        topology: "hosts",
        label: "host-b",
        labelMinor: "linux",
        rank: "host-b",
        shape: "circle",
        status: "critical",
        metrics: { cpu: 50, memory: 0.97 * GiB }
      }),
      ...outside
    })
    expect(edgesOf(rendering)).toEqual({
      "host-a->pseudo:peer:host-a;127.0.0.1": "host-a -> pseudo:peer:host-a;127.0.0.1 x1",
      "host-a->host-b": "host-a -> host-b x3",
      "host-a->out-theinternet": "host-a -> out-theinternet x2",
      "host-a->pseudo:peer:10.9.9.9": "host-a -> pseudo:peer:10.9.9.9 x1",
      "host-a->pseudo:peer:fd00::7": "host-a -> pseudo:peer:fd00::7 x1",
      "host-b->host-a": "host-b -> host-a x1",
      "in-theinternet->host-a": "in-theinternet -> host-a x1"
    })
  })

  it("derives host status from CPU (percent of the whole host) and memory over the total", () => {
    const host = (id: string, latest: Record<string, number>, metrics: Record<string, number>) =>
      makeNode("hosts", id, {
        latest: latestFields(1, latest),
        metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, [[1, v] as const]]))
      })
    const rendering = Hosts.view.render(
      MergedReport.fromNodes([
        host("quiet", { cpu_cores: 8 }, { cpu: 50 }),
        host("busy", { cpu_cores: 2 }, { cpu: 85 }),
        host("pegged", {}, { cpu: 99 }),
        host("swapping", { memory_total_bytes: 1000 }, { memory: 850 }),
        host("silent", {}, {})
      ])
    )
    expect(Object.fromEntries(Array.from(rendering.nodes.values(), (n) => [n.id, n.status]))).toEqual({
      quiet: "healthy",
      busy: "warning",
      pegged: "critical",
      swapping: "warning",
      silent: "healthy"
    })
  })
})

describe("Kubernetes views", () => {
  const kube = (
    id: string,
    topology: string,
    label: string,
    namespace: string,
    shape: RenderedNode["shape"],
    status: RenderedNode["status"],
    parents: Record<string, Array<string>>
  ) => node({ id, topology, label, labelMinor: namespace, rank: namespace, shape, status, parents })

  it("renders pods coloured by phase; processes outside pods go to per-host Unmanaged nodes", () => {
    const rendering = Pods.view.render(report())
    expect(nodesOf(rendering)).toEqual({
      "pod-web": kube("pod-web", "pods", "web-7d9f", "default", "heptagon", "healthy", {
        hosts: ["host-a"],
        namespaces: ["default"],
        services: ["svc-web"],
        deployments: ["dep-web"]
      }),
      "pod-api": kube("pod-api", "pods", "api-5c4b", "default", "heptagon", "warning", {
        hosts: ["host-a"],
        namespaces: ["default"],
        services: ["svc-api"],
        deployments: ["dep-api"]
      }),
      "pod-db": kube("pod-db", "pods", "db-0", "data", "heptagon", "healthy", {
        hosts: ["host-b"],
        namespaces: ["data"],
        services: ["svc-db"]
      }),
      "pseudo:unmanaged:host-a": perHost("unmanaged", "host-a"),
      "pseudo:unmanaged:host-b": perHost("unmanaged", "host-b"),
      ...outside
    })
    expect(edgesOf(rendering)).toEqual({
      "pod-web->pod-api": "pod-web -> pod-api x1",
      "pod-web->pseudo:peer:host-a;127.0.0.1": "pod-web -> pseudo:peer:host-a;127.0.0.1 x1",
      "pod-api->pod-db": "pod-api -> pod-db x3",
      "pod-api->out-theinternet": "pod-api -> out-theinternet x2",
      "pod-api->pseudo:peer:10.9.9.9": "pod-api -> pseudo:peer:10.9.9.9 x1",
      "pod-api->pseudo:peer:fd00::7": "pod-api -> pseudo:peer:fd00::7 x1",
      "pseudo:unmanaged:host-b->pod-web": "pseudo:unmanaged:host-b -> pod-web x1",
      "in-theinternet->pseudo:unmanaged:host-a": "in-theinternet -> pseudo:unmanaged:host-a x1"
    })
  })

  it("renders services with edges between the services of connected pods", () => {
    const rendering = Services.view.render(report())
    expect(nodesOf(rendering)).toEqual({
      "svc-web": kube("svc-web", "services", "web", "default", "triangle", "healthy", { namespaces: ["default"] }),
      "svc-api": kube("svc-api", "services", "api", "default", "triangle", "healthy", { namespaces: ["default"] }),
      "svc-db": kube("svc-db", "services", "db", "data", "triangle", "healthy", { namespaces: ["data"] }),
      "pseudo:unmanaged:host-a": perHost("unmanaged", "host-a"),
      "pseudo:unmanaged:host-b": perHost("unmanaged", "host-b"),
      ...outside
    })
    expect(edgesOf(rendering)).toEqual({
      "svc-web->svc-api": "svc-web -> svc-api x1",
      "svc-web->pseudo:peer:host-a;127.0.0.1": "svc-web -> pseudo:peer:host-a;127.0.0.1 x1",
      "svc-api->svc-db": "svc-api -> svc-db x3",
      "svc-api->out-theinternet": "svc-api -> out-theinternet x2",
      "svc-api->pseudo:peer:10.9.9.9": "svc-api -> pseudo:peer:10.9.9.9 x1",
      "svc-api->pseudo:peer:fd00::7": "svc-api -> pseudo:peer:fd00::7 x1",
      "pseudo:unmanaged:host-b->svc-web": "pseudo:unmanaged:host-b -> svc-web x1",
      "in-theinternet->pseudo:unmanaged:host-a": "in-theinternet -> pseudo:unmanaged:host-a x1"
    })
  })

  it("renders deployments; pods without a deployment count as unmanaged", () => {
    const rendering = Deployments.view.render(report())
    expect(nodesOf(rendering)).toEqual({
      "dep-web": kube("dep-web", "deployments", "web", "default", "heptagon", "healthy", { namespaces: ["default"] }),
      "dep-api": kube("dep-api", "deployments", "api", "default", "heptagon", "healthy", { namespaces: ["default"] }),
      "pseudo:unmanaged:host-a": perHost("unmanaged", "host-a"),
      "pseudo:unmanaged:host-b": perHost("unmanaged", "host-b"),
      ...outside
    })
    expect(edgesOf(rendering)).toEqual({
      "dep-web->dep-api": "dep-web -> dep-api x1",
      "dep-web->pseudo:peer:host-a;127.0.0.1": "dep-web -> pseudo:peer:host-a;127.0.0.1 x1",
      "dep-api->pseudo:unmanaged:host-b": "dep-api -> pseudo:unmanaged:host-b x3",
      "dep-api->out-theinternet": "dep-api -> out-theinternet x2",
      "dep-api->pseudo:peer:10.9.9.9": "dep-api -> pseudo:peer:10.9.9.9 x1",
      "dep-api->pseudo:peer:fd00::7": "dep-api -> pseudo:peer:fd00::7 x1",
      "pseudo:unmanaged:host-b->dep-web": "pseudo:unmanaged:host-b -> dep-web x1",
      "in-theinternet->pseudo:unmanaged:host-a": "in-theinternet -> pseudo:unmanaged:host-a x1"
    })
  })

  it("renders namespaces; traffic inside one namespace disappears", () => {
    const rendering = Namespaces.view.render(report())
    const ns = (id: string) =>
      node({ id, topology: "namespaces", label: id, labelMinor: "", rank: "", shape: "triangle", status: "healthy" })
    expect(nodesOf(rendering)).toEqual({
      default: ns("default"),
      data: ns("data"),
      "pseudo:unmanaged:host-a": perHost("unmanaged", "host-a"),
      "pseudo:unmanaged:host-b": perHost("unmanaged", "host-b"),
      ...outside
    })
    expect(edgesOf(rendering)).toEqual({
      "default->pseudo:peer:host-a;127.0.0.1": "default -> pseudo:peer:host-a;127.0.0.1 x1",
      "default->data": "default -> data x3",
      "default->out-theinternet": "default -> out-theinternet x2",
      "default->pseudo:peer:10.9.9.9": "default -> pseudo:peer:10.9.9.9 x1",
      "default->pseudo:peer:fd00::7": "default -> pseudo:peer:fd00::7 x1",
      "pseudo:unmanaged:host-b->default": "pseudo:unmanaged:host-b -> default x1",
      "in-theinternet->pseudo:unmanaged:host-a": "in-theinternet -> pseudo:unmanaged:host-a x1"
    })
  })

  it("counts a pod behind two services for both, once per connection each", () => {
    const pod = (id: string, services: Array<string>) =>
      makeNode("pods", id, { parents: { hosts: ["h"], namespaces: ["ns"], services } })
    const svc = (id: string) => makeNode("services", id, { latest: latestFields(1, { name: id }) })
    const proc = (id: string, pod: string) => makeNode("processes", id, { parents: { hosts: ["h"], pods: [pod] } })
    const ep = (id: string, process: string, adjacency: Array<string> = []) =>
      makeNode("endpoints", id, { parents: { processes: [process], hosts: ["h"] }, adjacency })
    const r = MergedReport.fromNodes([
      pod("p1", ["a", "b"]),
      pod("p2", ["c"]),
      svc("a"),
      svc("b"),
      svc("c"),
      proc("h;1", "p1"),
      proc("h;2", "p2"),
      ep(";10.1.0.1;5000", "h;1", [";10.1.0.2;80"]),
      ep(";10.1.0.2;80", "h;2"),
      ep(";10.1.0.2;5001", "h;2", [";10.1.0.1;443"]),
      ep(";10.1.0.1;443", "h;1")
    ])
    expect(edgesOf(Services.view.render(r))).toEqual({
      "a->c": "a -> c x1",
      "b->c": "b -> c x1",
      "c->a": "c -> a x1",
      "c->b": "c -> b x1"
    })
  })

  it("finds a pod through the process when the container is unknown, and its namespace from the pod's field", () => {
    const r = MergedReport.fromNodes([
      makeNode("pods", "p1", { latest: latestFields(1, { kubernetes_namespace: "ns1" }), parents: { hosts: ["h"] } }),
      makeNode("pods", "p2", { latest: latestFields(1, { kubernetes_namespace: "ns2" }), parents: { hosts: ["h"] } }),
      makeNode("namespaces", "ns1"),
      makeNode("namespaces", "ns2"),
      makeNode("containers", "c2", { parents: { hosts: ["h"], pods: ["p2"] } }),
      makeNode("processes", "h;1", { parents: { hosts: ["h"], pods: ["p1"] } }),
      makeNode("endpoints", ";10.1.0.1;5000", { parents: { processes: ["h;1"] }, adjacency: [";10.1.0.2;80"] }),
      makeNode("endpoints", ";10.1.0.2;80", { parents: { containers: ["c2"], hosts: ["h"] } })
    ])
    expect(edgesOf(Namespaces.view.render(r))).toEqual({ "ns1->ns2": "ns1 -> ns2 x1" })
    expect(edgesOf(Pods.view.render(r))).toEqual({ "p1->p2": "p1 -> p2 x1" })
  })
})

describe("pseudo nodes", () => {
  const client = (host: string, port: number, adjacency: Array<string>) =>
    makeNode("endpoints", `;10.0.0.1;${port}`, { parents: { processes: [`${host};1`], hosts: [host] }, adjacency })
  const base = [makeNode("processes", "h;1", { latest: latestFields(1, { name: "app" }), parents: { hosts: ["h"] } })]

  it("groups unknown peers of one /24 into a subnet node when there are more than the threshold", () => {
    const many = Array.from({ length: Pseudo.peerGroupThreshold + 1 }, (_, i) =>
      client("h", 40_000 + i, [`;10.20.30.${i + 1};80`])
    )
    const few = Array.from({ length: 2 }, (_, i) => client("h", 41_000 + i, [`;10.20.31.${i + 1};80`]))
    const rendering = Processes.view.render(MergedReport.fromNodes([...base, ...many, ...few]))
    expect(nodesOf(rendering)).toEqual({
      "h;1": node({
        id: "h;1",
        topology: "processes",
        label: "app",
        labelMinor: "h (1)",
        rank: "app",
        shape: "square",
        status: "healthy",
        parents: { hosts: ["h"] }
      }),
      "pseudo:peer:10.20.30.0/24": {
        ...peer("10.20.30.0/24", "17 unknown peers"),
        stack: 17
      },
      "pseudo:peer:10.20.31.1": peer("10.20.31.1"),
      "pseudo:peer:10.20.31.2": peer("10.20.31.2")
    })
    expect(edgesOf(rendering)).toEqual({
      "h;1->pseudo:peer:10.20.30.0/24": "h;1 -> pseudo:peer:10.20.30.0/24 x17",
      "h;1->pseudo:peer:10.20.31.1": "h;1 -> pseudo:peer:10.20.31.1 x1",
      "h;1->pseudo:peer:10.20.31.2": "h;1 -> pseudo:peer:10.20.31.2 x1"
    })
  })

  it("groups IPv6 unknown peers per /64", () => {
    const many = Array.from({ length: 20 }, (_, i) => client("h", 40_000 + i, [`;fd00:0:0:5::${i + 1};80`]))
    const rendering = Processes.view.render(MergedReport.fromNodes([...base, ...many]))
    expect(edgesOf(rendering)).toEqual({
      "h;1->pseudo:peer:fd00:0:0:5::/64": "h;1 -> pseudo:peer:fd00:0:0:5::/64 x20"
    })
    expect(rendering.nodes.get("pseudo:peer:fd00:0:0:5::/64")?.labelMinor).toBe("20 unknown peers")
  })

  it("resolves a target endpoint that itself opened connections", () => {
    const rendering = Processes.view.render(
      MergedReport.fromNodes([
        ...base,
        makeNode("processes", "h;2", { latest: latestFields(1, { name: "peer" }), parents: { hosts: ["h"] } }),
        makeNode("endpoints", ";10.0.0.1;6000", {
          parents: { processes: ["h;1"], hosts: ["h"] },
          adjacency: [";10.0.0.2;6000"]
        }),
        makeNode("endpoints", ";10.0.0.2;6000", {
          parents: { processes: ["h;2"], hosts: ["h"] },
          adjacency: [";10.0.0.1;6000"]
        })
      ])
    )
    expect(edgesOf(rendering)).toEqual({ "h;1->h;2": "h;1 -> h;2 x1", "h;2->h;1": "h;2 -> h;1 x1" })
  })

  it("draws no edge between two outside parties and no self edge", () => {
    const rendering = Processes.view.render(
      MergedReport.fromNodes([
        ...base,
        makeNode("endpoints", ";8.8.8.8;5000", { adjacency: [";1.1.1.1;53", ";10.9.9.9;53"] }),
        makeNode("endpoints", ";10.0.0.1;7000", {
          parents: { processes: ["h;1"], hosts: ["h"] },
          adjacency: [";10.0.0.1;7001"]
        }),
        makeNode("endpoints", ";10.0.0.1;7001", { parents: { processes: ["h;1"], hosts: ["h"] } })
      ])
    )
    expect(edgesOf(rendering)).toEqual({})
    expect(Array.from(rendering.nodes.keys())).toEqual(["h;1"])
  })

  it("falls back to the address when an endpoint's owner is not in the report, and to Uncontained by host", () => {
    const rendering = Containers.view.render(
      MergedReport.fromNodes([
        makeNode("containers", "c1", { parents: { hosts: ["h"] } }),
        makeNode("endpoints", ";10.0.0.1;5000", {
          parents: { containers: ["c1"], hosts: ["h"] },
          adjacency: [";10.0.0.2;80", ";203.0.113.5;443", "h;127.0.0.1;9000"]
        }),
        makeNode("endpoints", ";10.0.0.2;80", { parents: { containers: ["gone"], hosts: ["h2"] } }),
        makeNode("endpoints", "h;127.0.0.1;9000", { parents: { containers: ["gone"] } })
      ])
    )
    expect(edgesOf(rendering)).toEqual({
      "c1->pseudo:uncontained:h2": "c1 -> pseudo:uncontained:h2 x1",
      "c1->out-theinternet": "c1 -> out-theinternet x1",
      "c1->pseudo:uncontained:h": "c1 -> pseudo:uncontained:h x1"
    })
    expect(rendering.nodes.get("pseudo:uncontained:h2")).toEqual(perHost("uncontained", "h2"))
  })

  it("names pseudo nodes with stable ids", () => {
    expect([
      Pseudo.incomingInternetId,
      Pseudo.outgoingInternetId,
      Pseudo.peerId("10.0.0.9"),
      Pseudo.peerId("127.0.0.1", "h"),
      Pseudo.peerSubnetId("10.0.0.0/24"),
      Pseudo.uncontainedId("h"),
      Pseudo.unmanagedId("h")
    ]).toEqual([
      "in-theinternet",
      "out-theinternet",
      "pseudo:peer:10.0.0.9",
      "pseudo:peer:h;127.0.0.1",
      "pseudo:peer:10.0.0.0/24",
      "pseudo:uncontained:h",
      "pseudo:unmanaged:h"
    ])
    expect(["in-theinternet", "out-theinternet", "pseudo:peer:x", "web", "host-a;1"].map(Pseudo.isPseudoId)).toEqual([
      true,
      true,
      true,
      false,
      false
    ])
    expect(Pseudo.peerNode("10.1.1.1")).toEqual(peer("10.1.1.1"))
    expect(Pseudo.uncontainedNode("h")).toEqual(perHost("uncontained", "h"))
  })
})

describe("edge counting", () => {
  it("counts repeated pairs, drops self edges, grows past its capacity and renumbers", () => {
    const counter = new EdgeCounter(["a", "b", "c"], 1)
    for (let i = 0; i < 20; i++) counter.add(i % 2, 2)
    counter.add(1, 1)
    counter.add(2, 0, 3)
    expect(Array.from(counter.edges().values(), (e) => `${e.id} x${e.connections}`)).toEqual([
      "a->c x10",
      "b->c x10",
      "c->a x3"
    ])
    counter.renumber(Int32Array.from([0, 0, 1]), ["ab", "c"])
    expect(Array.from(counter.edges().values(), (e) => `${e.id} x${e.connections}`)).toEqual(["ab->c x20", "c->ab x3"])
  })
})

describe("addresses", () => {
  it("tells public from private, loopback, link-local, CGNAT and unique-local addresses", () => {
    const cases: Record<string, boolean> = {
      "10.1.2.3": false,
      "172.16.0.1": false,
      "172.31.255.255": false,
      "172.32.0.1": true,
      "192.168.1.1": false,
      "100.64.0.1": false,
      "127.0.0.1": false,
      "169.254.1.1": false,
      "0.0.0.0": false,
      "8.8.8.8": true,
      "203.0.113.9": true,
      "::1": false,
      "::": false,
      "fe80::1": false,
      "fd00::7": false,
      "fc00::1": false,
      "::ffff:10.0.0.1": false,
      "::ffff:8.8.8.8": true,
      "2606:4700::1111": true,
      "2001:db8:0:0:0:0:0:1": true,
      "not-an-ip": false,
      "1.2.3": false,
      "1.2.3.999": false
    }
    expect(Object.fromEntries(Object.keys(cases).map((a) => [a, isPublicAddress(a)]))).toEqual(cases)
    expect(Pseudo.isPublicAddress("1.1.1.1")).toBe(true)
  })

  it("expands IPv6 addresses, with zones and embedded IPv4", () => {
    expect(expandIPv6("fd00::7")).toEqual([0xfd00, 0, 0, 0, 0, 0, 0, 7])
    expect(expandIPv6("fe80::1%eth0")).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1])
    expect(expandIPv6("::ffff:1.2.3.4")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304])
    expect(expandIPv6("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(["1::2::3", "1:2:3", "g::1", "::ffff:1.2.3", "1:2:3:4:5:6:7::8"].map(expandIPv6)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined
    ])
  })

  it("names the subnet of a peer: /24 for IPv4, /64 for IPv6", () => {
    expect(["10.1.2.3", "fd00:0:0:5::9", "2001:db8::1", "::1", "nope"].map(subnetOf)).toEqual([
      "10.1.2.0/24",
      "fd00:0:0:5::/64",
      "2001:db8::/64",
      "::/64",
      undefined
    ])
  })
})

describe("built-in views", () => {
  it("lists every view once, in rank order, with the topologies each reads", () => {
    expect(BuiltinViews.all.map((v) => [v.id, v.rank, v.countTopology, v.reads])).toEqual([
      ["processes", 10, "processes", ["processes", "endpoints", "hosts"]],
      ["processes-by-name", 11, "processes", ["processes", "endpoints", "hosts"]],
      ["containers", 20, "containers", ["containers", "endpoints", "processes", "hosts"]],
      ["containers-by-image", 21, "containers", ["containers", "endpoints", "processes", "hosts"]],
      ["pods", 30, "pods", ["pods", "endpoints", "processes", "containers", "hosts"]],
      ["services", 31, "services", ["services", "endpoints", "processes", "containers", "hosts", "pods"]],
      ["deployments", 32, "deployments", ["deployments", "endpoints", "processes", "containers", "hosts", "pods"]],
      ["namespaces", 33, "namespaces", ["namespaces", "endpoints", "processes", "containers", "hosts", "pods"]],
      ["hosts", 40, "hosts", ["hosts", "endpoints", "processes"]]
    ])
  })

  it("renders an empty report to empty views", () => {
    const empty = MergedReport.fromNodes([])
    for (const view of BuiltinViews.all) {
      const rendering = view.render(empty)
      expect([view.id, rendering.nodes.size, rendering.edges.size]).toEqual([view.id, 0, 0])
    }
  })

  it("labels processes and containers from their command line and id when names are missing", () => {
    const nodes: Array<Node> = [
      makeNode("processes", "h;42", { latest: latestFields(1, { cmdline: "/usr/sbin/cron -f" }) }),
      makeNode("processes", "h;43"),
      makeNode("containers", "abcdef0123456789", {
        latest: latestFields(1, { docker_container_state: "paused", docker_image_name: "reg:5000/app:1@sha256:ff" })
      })
    ]
    const r = MergedReport.fromNodes(nodes)
    expect(Array.from(Processes.view.render(r).nodes.values(), (n) => [n.label, n.labelMinor])).toEqual([
      ["cron", "h (42)"],
      ["43", "h (43)"]
    ])
    expect(Array.from(Containers.view.render(r).nodes.values(), (n) => [n.label, n.rank, n.status])).toEqual([
      ["abcdef012345", "reg:5000/app", "warning"]
    ])
  })
})
