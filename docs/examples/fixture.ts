/**
 * A small two-host topology used by every example in docs/examples: what two probes (`probe-a` on host-a,
 * `probe-b` on host-b) would report.
 *
 *   host-a: containers web (nginx:1.25) and api (example/api:2), a host process sshd, a kernel thread
 *   host-b: container db (postgres:16)
 *
 * Connections (client -> server):
 *   web  ;10.0.0.1;40001 -> ;10.0.0.1;8080 api
 *   api  ;10.0.0.1;40002 -> ;10.0.0.2;5432 db      (reported by both probes: the merge example)
 *   api  ;10.0.0.1;40003 -> ;1.2.3.4;443           (a public address nobody owns: The Internet)
 *   ;198.51.100.7;51000  -> ;10.0.0.1;80 web       (a public client: The Internet, inbound)
 *   ;203.0.113.9;52000   -> ;10.0.0.1;22 sshd      (a host process outside any container: Uncontained)
 */
import { Fields, NodeId, Report } from "@orchestrator/core"

const MiB = 1024 * 1024

/** Two samples per metric: one a minute ago and one now. */
const metrics = (now: number, values: Record<string, number>): Report.Node["metrics"] =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, [[now - 60_000, v / 2] as const, [now, v] as const]]))

const ep = (
  now: number,
  hostId: string,
  address: string,
  port: number,
  fields: { process?: string; container?: string; adjacency?: ReadonlyArray<string>; listening?: boolean } = {}
): Report.Node =>
  Report.makeNode("endpoints", NodeId.endpointId(hostId, address, port), {
    latest: Report.latestFields(now, {
      [Fields.Latest.address]: address,
      [Fields.Latest.port]: port,
      [Fields.Latest.socketState]: fields.listening === true ? "listening" : "connected"
    }),
    parents: {
      hosts: [hostId],
      ...(fields.process !== undefined ? { processes: [fields.process] } : {}),
      ...(fields.container !== undefined ? { containers: [fields.container] } : {})
    },
    adjacency: fields.adjacency ?? []
  })

const byId = (nodes: ReadonlyArray<Report.Node>): Record<string, Report.Node> =>
  Object.fromEntries(nodes.map((n) => [n.id, n]))

/** Container ids are 64 hex digits in real reports; short ones keep the examples readable. */
export const containerIds = { web: "c0ffee01web", api: "c0ffee02api", db: "c0ffee03db" } as const

/** The nodes probe-a reports. */
export const probeANodes = (now: number) => {
  const l = (v: Record<string, string | number>) => Report.latestFields(now, v)
  const nginx = NodeId.processId("host-a", 101)
  const node = NodeId.processId("host-a", 202)
  const sshd = NodeId.processId("host-a", 55)
  const kthreadd = NodeId.processId("host-a", 2)
  return {
    hosts: byId([
      Report.makeNode("hosts", "host-a", {
        latest: l({
          name: "host-a",
          os: "linux",
          cpu_cores: 4,
          memory_total_bytes: 8192 * MiB,
          uptime_seconds: 93_780
        }),
        sets: { ips: ["10.0.0.1"] },
        metrics: metrics(now, { cpu: 30, memory: 3000 * MiB }) // host cpu: percent of total capacity
      })
    ]),
    containers: byId([
      Report.makeNode("containers", containerIds.web, {
        latest: l({
          docker_container_name: "/web",
          docker_container_state: "running",
          docker_image_name: "nginx:1.25"
        }),
        labels: l({ app: "web", tier: "frontend" }),
        parents: { hosts: ["host-a"] },
        sets: { ports: ["80/tcp"], env: ["MODE=prod"] },
        metrics: metrics(now, { cpu: 12.5, memory: 96 * MiB }),
        controls: ["docker.restart", "docker.stop"]
      }),
      Report.makeNode("containers", containerIds.api, {
        latest: l({
          docker_container_name: "/api",
          docker_container_state: "running",
          docker_image_name: "example/api:2"
        }),
        labels: l({ app: "api", tier: "backend" }),
        parents: { hosts: ["host-a"] },
        metrics: metrics(now, { cpu: 64, memory: 410 * MiB })
      })
    ]),
    processes: byId([
      Report.makeNode("processes", nginx, {
        latest: l({ name: "nginx", pid: 101, cmdline: "nginx -g daemon off;" }),
        parents: { hosts: ["host-a"], containers: [containerIds.web] },
        metrics: metrics(now, { cpu: 12, memory: 90 * MiB })
      }),
      Report.makeNode("processes", node, {
        latest: l({ name: "node", pid: 202, cmdline: "node server.js" }),
        parents: { hosts: ["host-a"], containers: [containerIds.api] },
        metrics: metrics(now, { cpu: 63, memory: 400 * MiB })
      }),
      Report.makeNode("processes", sshd, {
        latest: l({ name: "sshd", pid: 55, cmdline: "/usr/sbin/sshd -D" }),
        parents: { hosts: ["host-a"] }
      }),
      Report.makeNode("processes", kthreadd, {
        latest: l({ name: "kthreadd", pid: 2, system: "true" }),
        parents: { hosts: ["host-a"] }
      })
    ]),
    endpoints: byId([
      ep(now, "host-a", "10.0.0.1", 80, { process: nginx, listening: true }),
      ep(now, "host-a", "10.0.0.1", 8080, { process: node, listening: true }),
      ep(now, "host-a", "10.0.0.1", 22, { process: sshd, listening: true }),
      ep(now, "host-a", "10.0.0.1", 40001, { process: nginx, adjacency: [";10.0.0.1;8080"] }),
      ep(now, "host-a", "10.0.0.1", 40002, { process: node, adjacency: [";10.0.0.2;5432"] }),
      ep(now, "host-a", "10.0.0.1", 40003, { process: node, adjacency: [";1.2.3.4;443"] }),
      // The remote side of inbound connections (from conntrack): no process, no host.
      Report.makeNode("endpoints", ";198.51.100.7;51000", { adjacency: [";10.0.0.1;80"] }),
      Report.makeNode("endpoints", ";203.0.113.9;52000", { adjacency: [";10.0.0.1;22"] })
    ])
  }
}

/** The nodes probe-b reports: its own container, and the client side of the api -> db connection it sees. */
export const probeBNodes = (now: number) => {
  const l = (v: Record<string, string | number>) => Report.latestFields(now, v)
  const postgres = NodeId.processId("host-b", 300)
  return {
    hosts: byId([
      Report.makeNode("hosts", "host-b", {
        latest: l({ name: "host-b", os: "linux", cpu_cores: 2, memory_total_bytes: 2048 * MiB }),
        sets: { ips: ["10.0.0.2"] },
        metrics: metrics(now, { cpu: 30, memory: 1900 * MiB })
      })
    ]),
    containers: byId([
      Report.makeNode("containers", containerIds.db, {
        latest: l({
          docker_container_name: "/db",
          docker_container_state: "running",
          docker_image_name: "postgres:16"
        }),
        labels: l({ app: "db", tier: "backend" }),
        parents: { hosts: ["host-b"] },
        metrics: metrics(now, { cpu: 8, memory: 600 * MiB })
      })
    ]),
    processes: byId([
      Report.makeNode("processes", postgres, {
        latest: l({ name: "postgres", pid: 300 }),
        parents: { hosts: ["host-b"], containers: [containerIds.db] }
      })
    ]),
    endpoints: byId([
      ep(now, "host-b", "10.0.0.2", 5432, { process: postgres, listening: true }),
      // probe-b sees the client side through conntrack but not its process: the merge adds its adjacency.
      Report.makeNode("endpoints", ";10.0.0.1;40002", { adjacency: [";10.0.0.2;5432"] })
    ])
  }
}

const asTopologies = (nodes: Record<string, Record<string, Report.Node>>): Report.Report["topologies"] =>
  Object.fromEntries(Object.entries(nodes).map(([t, byId]) => [t, { nodes: byId }]))

/** A full report from probe-a (seq 0). */
export const fullReportA = (now: number, seq = 0): Report.Report => ({
  version: 1,
  probeId: "probe-a",
  hostname: "host-a",
  kind: "full",
  seq,
  timestamp: now,
  intervalMs: 15_000,
  topologies: asTopologies(probeANodes(now))
})

/** A full report from probe-b (seq 0). */
export const fullReportB = (now: number, seq = 0): Report.Report => ({
  version: 1,
  probeId: "probe-b",
  hostname: "host-b",
  kind: "full",
  seq,
  timestamp: now,
  intervalMs: 15_000,
  topologies: asTopologies(probeBNodes(now))
})

/**
 * A delta from probe-a: api's CPU rises to 97% (the container turns `critical`), and the connection to
 * 1.2.3.4 is gone (a tombstone).
 */
export const deltaReportA = (now: number, seq: number): Report.Report => {
  const api = probeANodes(now).containers[containerIds.api]!
  return {
    version: 1,
    probeId: "probe-a",
    hostname: "host-a",
    kind: "delta",
    seq,
    timestamp: now,
    intervalMs: 15_000,
    topologies: {
      containers: { nodes: { [api.id]: { ...api, metrics: metrics(now, { cpu: 97, memory: 420 * MiB }) } } },
      endpoints: { nodes: {}, removed: [";10.0.0.1;40003"] }
    }
  }
}
