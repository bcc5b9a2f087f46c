import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { PluginRegistry, Report } from "@orchestrator/core"
import { Effect, Layer } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { ScopeBridge, ScopeReport, ScopeSocket } from "../src/index.js"
import {
  httpRequestsReport,
  iowaitReport,
  json,
  type ScopeServer,
  serveScopePlugin,
  trafficControlReport
} from "./fixtures/scopePlugins.js"

const probe = { hostId: "node-1", probeId: "p1" }
const cid = "2299a2ca59dfd821f367e689d5869c4e568272c2305701761888e1d79d7a6f51"

let dir: string
const servers: Array<ScopeServer> = []
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "scope-plugins-"))
})
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
  fs.rmSync(dir, { recursive: true, force: true })
})

const until = async (check: () => boolean, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The iowait plugin, switching its metric when a control runs (as the real plugin does). */
const serveIowait = async () => {
  let mode: "idle" | "iowait" = "idle"
  const server = await serveScopePlugin(dir, "iowait", (req, res, body) => {
    if (req.url === "/report") return json(res, iowaitReport("node-1", mode))
    const { Control } = JSON.parse(body) as { readonly Control: string }
    const target = Control === "switchToIOWait" ? "iowait" : Control === "switchToIdle" ? "idle" : undefined
    if (target === undefined) return json(res, { error: `unknown control ${Control}` })
    if (target === mode) return json(res, { error: `already showing ${mode}` })
    mode = target
    json(res, {})
  })
  servers.push(server)
  return server
}

describe("ScopeReport.translate", () => {
  it("maps topologies, ids, timestamps, metrics, latest fields and live controls", () => {
    const translated = ScopeReport.translate(iowaitReport("node-1"), "iowait", 5)
    expect(translated.spec).toEqual({
      id: "iowait",
      label: "iowait",
      description: "Adds a graph of CPU IO Wait to hosts",
      interfaces: ["reporter", "controller"],
      apiVersion: "1"
    })
    const host = translated.fragment.topologies.hosts?.["node-1"]
    expect(host?.metrics.idle).toEqual([[Date.parse("2026-11-27T06:00:01Z"), 3.5]])
    // switchToIdle is dead while idle: only the other control is offered on the node.
    expect(host?.controls).toEqual(["scope.iowait.switchToIOWait"])
    expect(
      translated.controls.map((control) => [control.id, control.scopeId, control.topology, control.label])
    ).toEqual([
      ["scope.iowait.switchToIdle", "switchToIdle", "hosts", "Switch to idle"],
      ["scope.iowait.switchToIOWait", "switchToIOWait", "hosts", "Switch to IO wait"]
    ])
    expect(translated.metricLabels).toEqual({ idle: "Idle" })
    expect(translated.scopeIds.get("hosts/node-1")).toBe("node-1;<host>")
    expect(translated.problems).toEqual([])
  })

  it("keeps process ids and turns table templates into rows", () => {
    const processes = ScopeReport.translate(httpRequestsReport("node-1", 42), "http-requests", 5)
    expect(processes.fragment.topologies.processes?.["node-1;42"]?.metrics.http_requests_per_second).toEqual([
      [Date.parse("2026-11-27T06:00:03Z"), 12]
    ])
    const traffic = ScopeReport.translate(trafficControlReport(cid), "traffic-control", 5)
    const container = traffic.fragment.topologies.containers?.[cid]
    expect(Report.latest(container!, "traffic-control-table-latency")).toBe("2000ms")
    expect(ScopeReport.tableRows(traffic.tables[0]!, container!)).toEqual([
      { key: "latency", label: "latency", value: "2000ms" },
      { key: "pktloss", label: "pktloss", value: "-" }
    ])
  })

  it("skips malformed parts and says what it skipped", () => {
    const translated = ScopeReport.translate(
      { Host: { nodes: { "a;<host>": "nope", "b;<host>": { latest: { x: 3 }, metrics: { m: 1 } } } }, Plugins: [] },
      "odd",
      7
    )
    expect(Object.keys(translated.fragment.topologies.hosts ?? {})).toEqual(["b"])
    expect(translated.spec).toBeUndefined()
    expect(translated.problems).toEqual([
      'hosts["a;<host>"]: expected a node object',
      'hosts["b;<host>"].latest.x: expected { timestamp, value }',
      'hosts["b;<host>"].metrics.m: expected { samples: [...] }'
    ])
  })
})

describe("ScopeBridge on real Unix sockets", () => {
  it("discovers plugins, merges their reports, forwards controls and forgets plugins that go away", async () => {
    const iowait = await serveIowait()
    const traffic = await serveScopePlugin(dir, "traffic-control", (req, res) =>
      req.url === "/report" ? json(res, trafficControlReport(cid)) : json(res, {})
    )
    servers.push(traffic)
    const host = new PluginRegistry.PluginHost()
    const bridge = await ScopeBridge.start(host, { dir, rescanMs: 100 })
    try {
      expect([...bridge.sockets().keys()].sort()).toEqual(["iowait", "traffic-control"])
      expect(
        host
          .plugins()
          .map((plugin) => plugin.name)
          .sort()
      ).toEqual(["scope/iowait", "scope/traffic-control"])

      const fragment = await host.runCollectors(probe, 2_000)
      expect(fragment.topologies.hosts?.["node-1"]?.metrics.idle?.[0]?.[1]).toBe(3.5)
      expect(fragment.topologies.containers?.[cid]?.controls).toEqual([
        "scope.traffic-control.traffic-control-latency-2000ms"
      ])
      expect(
        fragment.health.filter((entry) => entry.name.startsWith("scope/")).map((entry) => [entry.name, entry.status])
      ).toEqual([
        ["scope/iowait/collector/report", "ok"],
        ["scope/traffic-control/collector/report", "ok"]
      ])

      // Controls: described for the node, forwarded with the Scope node id, and the report follows.
      const node = fragment.topologies.hosts!["node-1"]!
      expect(host.controlsFor(node).map((control) => control.id)).toEqual([
        "scope.iowait.switchToIdle",
        "scope.iowait.switchToIOWait"
      ])
      await host.runControl(
        { id: "r1", nodeId: "node-1", topology: "hosts", action: "scope.iowait.switchToIOWait", args: {} },
        { ...probe, node }
      )
      expect(iowait.controls).toEqual([{ AppID: "orchestrator", NodeID: "node-1;<host>", Control: "switchToIOWait" }])
      const after = await host.runCollectors(probe, 2_000)
      expect(after.topologies.hosts?.["node-1"]?.metrics.iowait?.[0]?.[1]).toBe(3.5)
      expect(after.topologies.hosts?.["node-1"]?.controls).toEqual(["scope.iowait.switchToIdle"])

      // Tables become panels.
      const panels = await host.panelsFor(fragment.topologies.containers![cid]!)
      expect(panels).toEqual([
        {
          type: "table",
          id: "scope.traffic-control-table",
          title: "Traffic Control",
          rows: [
            { key: "latency", label: "latency", value: "2000ms" },
            { key: "pktloss", label: "pktloss", value: "-" }
          ]
        }
      ])

      // A plugin whose socket goes away is unregistered.
      await traffic.close()
      await until(() => !host.plugins().some((plugin) => plugin.name === "scope/traffic-control"))
      expect([...bridge.sockets().keys()]).toEqual(["iowait"])

      // A plugin that appears later is registered without a restart.
      servers.push(
        await serveScopePlugin(dir, "http-requests", (_req, res) => json(res, httpRequestsReport("node-1", 42)))
      )
      await until(() => host.plugins().some((plugin) => plugin.name === "scope/http-requests"))
      const third = await host.runCollectors(probe, 2_000)
      expect(third.topologies.processes?.["node-1;42"]?.metrics.http_requests_per_second).toHaveLength(1)
    } finally {
      await bridge.stop()
    }
    expect(host.plugins()).toEqual([])
  })

  it("reports a plugin error answer to the control's caller", async () => {
    await serveIowait()
    const host = new PluginRegistry.PluginHost()
    const bridge = await ScopeBridge.start(host, { dir })
    try {
      const error = await host
        .runControl(
          { id: "r", nodeId: "node-1", topology: "hosts", action: "scope.iowait.switchToIdle", args: {} },
          probe
        )
        .then(
          () => undefined,
          (failure: unknown) => failure
        )
      expect(error).toMatchObject({
        _tag: "PluginHookError",
        plugin: "scope/iowait",
        message: expect.stringMatching(/already showing idle/)
      })
    } finally {
      await bridge.stop()
    }
  })

  it("times out a hanging plugin at 500 ms, caps a huge answer, and reports both in health", async () => {
    servers.push(await serveScopePlugin(dir, "hangs", () => {}))
    servers.push(
      await serveScopePlugin(dir, "huge", (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(`{"Host":{"nodes":{},"pad":"${"x".repeat(2_000_000)}"}}`)
      })
    )
    servers.push(await serveScopePlugin(dir, "garbage", (_req, res) => res.end("this is not json")))
    const host = new PluginRegistry.PluginHost()
    const bridge = await ScopeBridge.start(host, { dir, maxBytes: 1_000_000 })
    try {
      const start = Date.now()
      const fragment = await host.runCollectors(probe, 2_000)
      const elapsed = Date.now() - start
      expect(elapsed).toBeLessThan(1_500)
      const health = Object.fromEntries(fragment.health.map((entry) => [entry.name, entry]))
      expect(health["scope/hangs/collector/report"]?.status).toBe("failed")
      expect(health["scope/hangs/collector/report"]?.message).toMatch(/no complete answer within 500 ms/)
      expect(health["scope/huge/collector/report"]?.message).toMatch(/exceeds the 1000000-byte cap/)
      expect(health["scope/garbage/collector/report"]?.message).toMatch(/not JSON/)
    } finally {
      await bridge.stop()
    }
  })

  it("runs as a layer over the PluginRegistry service", async () => {
    servers.push(
      await serveScopePlugin(dir, "http-requests", (_req, res) => json(res, httpRequestsReport("node-1", 7)))
    )
    const program = Effect.gen(function* () {
      const registry = yield* PluginRegistry.PluginRegistry
      const bridge = yield* ScopeBridge.ScopeBridge
      expect([...bridge.sockets().keys()]).toEqual(["http-requests"])
      const fragment = yield* registry.runCollectors(probe)
      return fragment.topologies.processes?.["node-1;7"]?.metrics.http_requests_per_second
    })
    const layer = ScopeBridge.ScopeBridge.layer({ dir }).pipe(Layer.provideMerge(PluginRegistry.PluginRegistry.layer))
    const samples = await Effect.runPromise(Effect.provide(program, layer))
    expect(samples).toEqual([[Date.parse("2026-11-27T06:00:03Z"), 12]])
  })

  it("answers socket errors as typed errors", async () => {
    const result = await Effect.runPromise(Effect.flip(ScopeSocket.getReport(path.join(dir, "absent.sock"))))
    expect(result).toMatchObject({ _tag: "ScopeRequestError", reason: "unreachable" })
  })
})
