import { describe, expect, it } from "vitest"
import * as MergedReport from "../src/MergedReport.js"
import type { ControlDescription, MetricSeries } from "../src/NodeDetails.js"
import { latestFields, makeNode } from "../src/Report.js"
import * as Panels from "../src/views/Panels.js"
import { allNodes, liveReport, report } from "./views.fixture.js"

const cpu: MetricSeries = {
  metric: "cpu",
  label: "CPU",
  unit: "percent",
  start: 0,
  stepMs: 15_000,
  values: [1, null, 3],
  latest: 3,
  min: 1,
  max: 3,
  avg: 2
}
const controls: Array<ControlDescription> = [
  { id: "docker.stop", label: "Stop", confirm: true, permission: "containers:write" },
  { id: "docker.exec", label: "Exec", stream: "terminal" },
  { id: "docker.restart", label: "Restart" }
]
const none = () => []

describe("Panels.nodeDetails", () => {
  it("describes a container: controls it offers, metrics, info, labels, connections, relatives and set tables", () => {
    const r = report()
    const details = Panels.nodeDetails(r.node("web", "containers")!, r, {
      series: (id) => (id === "web" ? [cpu] : []),
      probeId: "probe-a",
      controls
    })
    expect(details).toEqual({
      id: "web",
      topology: "containers",
      label: "web",
      labelMinor: "host-a",
      panels: [
        {
          type: "controls",
          id: "controls",
          title: "Controls",
          probeId: "probe-a",
          controls: [controls[0], controls[2]]
        },
        { type: "metrics", id: "metrics", title: "Metrics", metrics: [cpu] },
        {
          type: "table",
          id: "info",
          title: "Info",
          rows: [
            { key: "docker_container_name", label: "Container name", value: "/web" },
            { key: "docker_container_state", label: "State", value: "running" },
            { key: "docker_image_name", label: "Image", value: "nginx:1.25" }
          ]
        },
        { type: "labels", id: "labels", title: "Labels", labels: { app: "web", tier: "frontend" } },
        {
          type: "connections",
          id: "connections",
          title: "Connections",
          rows: [
            {
              nodeId: "pseudo:uncontained:host-b",
              topology: "pseudo",
              label: "Uncontained (host-b)",
              detail: "port 80 · 1 connection",
              direction: "inbound"
            },
            {
              nodeId: "pseudo:peer:host-a;127.0.0.1",
              topology: "pseudo",
              label: "127.0.0.1 (Unknown peer on host-a)",
              detail: "port 9000 · 1 connection",
              direction: "outbound"
            },
            {
              nodeId: "api",
              topology: "containers",
              label: "api",
              detail: "port 8080 · 1 connection",
              direction: "outbound"
            }
          ]
        },
        {
          type: "connections",
          id: "relatives",
          title: "Relatives",
          rows: [
            {
              nodeId: "img-nginx",
              topology: "container_images",
              label: "img-nginx",
              detail: "container_images",
              direction: "parent"
            },
            { nodeId: "host-a", topology: "hosts", label: "host-a", detail: "hosts", direction: "parent" },
            { nodeId: "pod-web", topology: "pods", label: "web-7d9f", detail: "pods", direction: "parent" },
            { nodeId: "host-a;100", topology: "processes", label: "nginx", detail: "processes", direction: "child" },
            { nodeId: "host-a;101", topology: "processes", label: "nginx", detail: "processes", direction: "child" }
          ]
        },
        {
          type: "table",
          id: "environment",
          title: "Environment",
          rows: [
            { key: "MODE", label: "MODE", value: "prod" },
            { key: "PATH", label: "PATH", value: "/usr/bin" }
          ]
        },
        { type: "table", id: "ports", title: "Ports", rows: [{ key: "80/tcp", label: "Port", value: "80/tcp" }] },
        {
          type: "table",
          id: "mounts",
          title: "Mounts",
          rows: [{ key: "/srv/www:/usr/share/nginx/html:ro", label: "/usr/share/nginx/html", value: "/srv/www (ro)" }]
        }
      ]
    })
  })

  it("describes a process: outbound peers with ports and counts, The Internet and unknown peers", () => {
    const r = report()
    expect(Panels.defaultPanels(r.node("host-a;200", "processes")!, r, { series: none })).toEqual([
      {
        type: "table",
        id: "info",
        title: "Info",
        rows: [
          { key: "name", label: "Name", value: "api" },
          { key: "pid", label: "PID", value: "200" }
        ]
      },
      {
        type: "connections",
        id: "connections",
        title: "Connections",
        rows: [
          {
            nodeId: "host-a;100",
            topology: "processes",
            label: "nginx",
            detail: "port 8080 · 1 connection",
            direction: "inbound"
          },
          {
            nodeId: "pseudo:peer:10.9.9.9",
            topology: "pseudo",
            label: "10.9.9.9 (Unknown peer)",
            detail: "port 8080 · 1 connection",
            direction: "outbound"
          },
          {
            nodeId: "out-theinternet",
            topology: "pseudo",
            label: "The Internet",
            detail: "port 443 · 2 connections",
            direction: "outbound"
          },
          {
            nodeId: "pseudo:peer:fd00::7",
            topology: "pseudo",
            label: "fd00::7 (Unknown peer)",
            detail: "port 80 · 1 connection",
            direction: "outbound"
          },
          {
            nodeId: "host-b;500",
            topology: "processes",
            label: "postgres",
            detail: "port 5432 · 3 connections",
            direction: "outbound"
          }
        ]
      },
      {
        type: "connections",
        id: "relatives",
        title: "Relatives",
        rows: [
          { nodeId: "api", topology: "containers", label: "api", detail: "containers", direction: "parent" },
          { nodeId: "host-a", topology: "hosts", label: "host-a", detail: "hosts", direction: "parent" }
        ]
      }
    ])
  })

  it("describes a host with formatted memory and uptime, its IPs, and its children", () => {
    const r = report()
    const panels = Panels.defaultPanels(r.node("host-a", "hosts")!, r, { series: none })
    expect(panels[0]).toEqual({
      type: "table",
      id: "info",
      title: "Info",
      rows: [
        { key: "name", label: "Name", value: "host-a" },
        { key: "os", label: "OS", value: "linux" },
        { key: "cpu_cores", label: "CPU cores", value: "4" },
        { key: "memory_total_bytes", label: "Memory", value: "8.0 GiB" },
        { key: "uptime_seconds", label: "Uptime", value: "1d 2h 3m" },
        { key: "ips", label: "IP addresses", value: "10.0.0.1, fd00::1" }
      ]
    })
    expect(panels.map((p) => p.id)).toEqual(["info", "connections", "relatives"])
    const relatives = panels[2]
    expect(relatives?.type === "connections" && relatives.rows.map((row) => `${row.direction} ${row.nodeId}`)).toEqual([
      "child web",
      "child api",
      "child pod-web",
      "child pod-api",
      "child host-a;100",
      "child host-a;101",
      "child host-a;200",
      "child host-a;300",
      "child host-a;400"
    ])
  })

  it("describes an endpoint with the endpoints it talks to", () => {
    const r = report()
    expect(Panels.nodeDetails(r.node(";10.0.0.1;22", "endpoints")!, r, { series: none })).toEqual({
      id: ";10.0.0.1;22",
      topology: "endpoints",
      label: "10.0.0.1:22",
      labelMinor: "host-a",
      panels: [
        {
          type: "connections",
          id: "connections",
          title: "Connections",
          rows: [
            {
              nodeId: ";203.0.113.9;51000",
              topology: "endpoints",
              label: "203.0.113.9:51000",
              detail: "port 22 · 1 connection",
              direction: "inbound"
            }
          ]
        },
        {
          type: "connections",
          id: "relatives",
          title: "Relatives",
          rows: [
            { nodeId: "host-a", topology: "hosts", label: "host-a", detail: "hosts", direction: "parent" },
            { nodeId: "host-a;300", topology: "processes", label: "sshd", detail: "processes", direction: "parent" }
          ]
        }
      ]
    })
    const outbound = Panels.defaultPanels(r.node(";10.0.0.1;40003", "endpoints")!, r, { series: none })[0]
    expect(outbound).toEqual({
      type: "connections",
      id: "connections",
      title: "Connections",
      rows: [
        {
          nodeId: "out-theinternet",
          topology: "pseudo",
          label: "The Internet",
          detail: "port 443 · 1 connection",
          direction: "outbound"
        }
      ]
    })
  })

  it("finds the probe for controls by the node's host, and leaves controls out when none apply", () => {
    const probe = {
      probeId: "probe-b",
      hostname: "host-b",
      seq: 1,
      lastSeen: 0,
      reportTimestamp: 0,
      intervalMs: undefined,
      nodeCount: 0,
      health: []
    }
    const withProbe = MergedReport.fromNodes(
      [
        ...allNodes,
        makeNode("processes", "host-b;700", { controls: ["docker.restart"] }),
        makeNode("containers", "lonely", { controls: ["docker.stop"] })
      ],
      new Map([["probe-b", probe]])
    )
    const panelsOf = (id: string, topology: string) =>
      Panels.defaultPanels(withProbe.node(id, topology)!, withProbe, { series: none, controls })
    expect(panelsOf("host-b;700", "processes")[0]).toEqual({
      type: "controls",
      id: "controls",
      title: "Controls",
      probeId: "probe-b",
      controls: [controls[2]]
    })
    expect(panelsOf("lonely", "containers").map((p) => p.id)).toEqual([])
    expect(panelsOf("db", "containers").map((p) => p.id)).not.toContain("controls")
  })

  it("labels unknown fields by humanizing their key, hides internal ones and keeps unknown parents' ids", () => {
    const node = makeNode("widgets", "w1", {
      latest: latestFields(1, { system: "true", _internal: "x", queue_depth: 7, memory_total_bytes: "n/a" }),
      sets: { tags: ["a", "b"], env: ["NOVALUE"], mounts: ["/data"] },
      parents: { hosts: ["ghost"], racks: ["r1"] }
    })
    const r = MergedReport.fromNodes([node])
    expect(Panels.defaultPanels(node, r, { series: none })).toEqual([
      {
        type: "table",
        id: "info",
        title: "Info",
        rows: [
          { key: "memory_total_bytes", label: "Memory", value: "n/a" },
          { key: "queue_depth", label: "Queue depth", value: "7" },
          { key: "tags", label: "Tags", value: "a, b" }
        ]
      },
      {
        type: "connections",
        id: "relatives",
        title: "Relatives",
        rows: [
          { nodeId: "ghost", topology: "hosts", label: "ghost", detail: "hosts", direction: "parent" },
          { nodeId: "r1", topology: "racks", label: "r1", detail: "racks", direction: "parent" }
        ]
      },
      {
        type: "table",
        id: "environment",
        title: "Environment",
        rows: [{ key: "NOVALUE", label: "NOVALUE", value: "" }]
      },
      { type: "table", id: "mounts", title: "Mounts", rows: [{ key: "/data", label: "Mount", value: "/data" }] }
    ])
  })

  it("rebuilds its indexes when the report changes", () => {
    const live = liveReport()
    const before = Panels.defaultPanels(live.report.node("host-b", "hosts")!, live.report, { series: none })
    live.set(
      makeNode("processes", "host-b;800", { latest: latestFields(1, { name: "cron" }), parents: { hosts: ["host-b"] } })
    )
    const after = Panels.defaultPanels(live.report.node("host-b", "hosts")!, live.report, { series: none })
    const children = (panels: typeof before) =>
      panels.flatMap((p) => (p.type === "connections" && p.id === "relatives" ? p.rows.map((row) => row.nodeId) : []))
    expect(children(after)).toEqual([...children(before), "host-b;800"])
  })
})

describe("Panels connections in Kubernetes views", () => {
  const rowsOf = (id: string, topology: string) => {
    const r = report()
    const panel = Panels.defaultPanels(r.node(id, topology)!, r, { series: none }).find((p) => p.id === "connections")
    return panel?.type === "connections" ? panel.rows.map((row) => `${row.direction} ${row.nodeId} ${row.detail}`) : []
  }

  it("resolves peers through pods to services, deployments and namespaces, like the views", () => {
    expect(rowsOf("svc-api", "services")).toEqual([
      "inbound svc-web port 8080 · 1 connection",
      "outbound pseudo:peer:10.9.9.9 port 8080 · 1 connection",
      "outbound out-theinternet port 443 · 2 connections",
      "outbound svc-db port 5432 · 3 connections",
      "outbound pseudo:peer:fd00::7 port 80 · 1 connection"
    ])
    expect(rowsOf("dep-api", "deployments")).toEqual([
      "inbound dep-web port 8080 · 1 connection",
      "outbound pseudo:peer:10.9.9.9 port 8080 · 1 connection",
      "outbound out-theinternet port 443 · 2 connections",
      "outbound pseudo:unmanaged:host-b port 5432 · 3 connections",
      "outbound pseudo:peer:fd00::7 port 80 · 1 connection"
    ])
    expect(rowsOf("data", "namespaces")).toEqual(["inbound default port 5432 · 3 connections"])
    expect(rowsOf("pod-web", "pods")).toEqual([
      "inbound pseudo:unmanaged:host-b port 80 · 1 connection",
      "outbound pseudo:peer:host-a;127.0.0.1 port 9000 · 1 connection",
      "outbound pod-api port 8080 · 1 connection"
    ])
  })

  it("finds a pod through the process, and a namespace from the pod's field", () => {
    const r = MergedReport.fromNodes([
      makeNode("pods", "p1", { latest: latestFields(1, { kubernetes_namespace: "ns1" }) }),
      makeNode("pods", "p2", { latest: latestFields(1, { kubernetes_namespace: "ns2" }) }),
      makeNode("namespaces", "ns1"),
      makeNode("namespaces", "ns2"),
      makeNode("processes", "h;1", { parents: { hosts: ["h"], pods: ["p1"] } }),
      makeNode("endpoints", ";10.1.0.1;5000", { parents: { processes: ["h;1"] }, adjacency: [";10.1.0.2;80"] }),
      makeNode("endpoints", ";10.1.0.2;80", { parents: { pods: ["p2"], hosts: ["h"] } })
    ])
    const connections = Panels.defaultPanels(r.node("ns2", "namespaces")!, r, { series: none })[0]
    expect(connections).toEqual({
      type: "connections",
      id: "connections",
      title: "Connections",
      rows: [
        { nodeId: "ns1", topology: "namespaces", label: "ns1", detail: "port 80 · 1 connection", direction: "inbound" }
      ]
    })
  })

  it("has no connections panel for topologies that own no endpoints", () => {
    const r = report()
    expect(
      Panels.defaultPanels(r.node("img-nginx", "container_images") ?? makeNode("container_images", "x"), r, {
        series: none
      })
    ).toEqual([])
  })
})

describe("Panels formatting", () => {
  it("formats bytes with binary units and durations as days, hours and minutes", () => {
    expect([0, 512, 2048, 5 * 1024 ** 2, 1.5 * 1024 ** 3, 3 * 1024 ** 6].map(Panels.formatBytes)).toEqual([
      "0 B",
      "512 B",
      "2.0 KiB",
      "5.0 MiB",
      "1.5 GiB",
      "3072.0 PiB"
    ])
    expect([5, 125, 7_380, 93_780].map(Panels.formatDuration)).toEqual(["5s", "2m 5s", "2h 3m", "1d 2h 3m"])
  })

  it("names a node like the views do", () => {
    const r = report()
    expect(Panels.label(r.node("web", "containers")!)).toBe("web")
    expect(Panels.fieldLabels.find(([key]) => key === "cmdline")).toEqual(["cmdline", "Command"])
  })
})
