/**
 * A ZooKeeper collector: asks each configured server for the `mntr` four-letter word (the server must allow
 * it: `4lw.commands.whitelist=mntr` or `*`) and reports one node per server in the `zookeeper_servers`
 * topology, with its mode (standalone, leader, follower), latency, outstanding requests, znode and watch
 * counts as latest fields and metrics, and a details panel.
 *
 * ```ts
 * // orchestrator.config.ts
 * export default { plugins: [["@orchestrator/example-plugins/zookeeper", { servers: ["127.0.0.1:2181"] }]] }
 * ```
 *
 * @since 0.1.0
 */
import * as net from "node:net"
import { type NodeDetails, type Plugin, Report } from "@orchestrator/core"
import { definePlugin } from "@orchestrator/plugins"
import { Schema } from "effect"

/**
 * The topology the collector adds.
 *
 * @since 0.1.0
 * @category constants
 */
export const topology = "zookeeper_servers"

/**
 * The report fields the plugin adds (latest fields; the numeric ones are metrics too).
 *
 * @since 0.1.0
 * @category constants
 */
export const Fields = {
  mode: "zk_server_state",
  version: "zk_version",
  avgLatency: "zk_avg_latency",
  maxLatency: "zk_max_latency",
  outstandingRequests: "zk_outstanding_requests",
  znodeCount: "zk_znode_count",
  watchCount: "zk_watch_count",
  ephemeralsCount: "zk_ephemerals_count",
  connections: "zk_num_alive_connections"
} as const

const metricFields = [
  Fields.avgLatency,
  Fields.maxLatency,
  Fields.outstandingRequests,
  Fields.znodeCount,
  Fields.watchCount,
  Fields.ephemeralsCount,
  Fields.connections
] as const

/**
 * The plugin's options.
 *
 * @since 0.1.0
 * @category models
 */
export const Options = Schema.Struct({
  /** `host:port` of each server to watch. */
  servers: Schema.Array(Schema.String.check(Schema.isPattern(/^[^:\s]+:\d{1,5}$/))).check(Schema.isMinLength(1)),
  /** The most one `mntr` may take, in ms (default 2,000). */
  timeoutMs: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThan(0)))
})

/**
 * Parses `mntr` output: one `key<TAB>value` per line.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseMntr = (text: string): Readonly<Record<string, string>> => {
  const out: Record<string, string> = {}
  for (const line of text.split("\n")) {
    const tab = line.indexOf("\t")
    if (tab > 0) out[line.slice(0, tab).trim()] = line.slice(tab + 1).trim()
  }
  return out
}

/**
 * Sends a four-letter word and reads the answer until the server closes the connection.
 *
 * @since 0.1.0
 * @category io
 */
export const fourLetterWord = (
  server: string,
  word: string,
  timeoutMs: number,
  signal?: AbortSignal
): Promise<string> =>
  new Promise((resolve, reject) => {
    const colon = server.lastIndexOf(":")
    const socket = net.connect({ host: server.slice(0, colon), port: Number(server.slice(colon + 1)) })
    const chunks: Array<Buffer> = []
    const fail = (error: Error) => {
      socket.destroy()
      reject(error)
    }
    socket.setTimeout(timeoutMs, () => fail(new Error(`${server}: no answer to ${word} within ${timeoutMs} ms`)))
    signal?.addEventListener("abort", () => fail(new Error(`${server}: ${word} aborted`)))
    socket.on("connect", () => socket.end(word))
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("error", (error) => fail(new Error(`${server}: ${error.message}`)))
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      if (text.includes("is not executed because it is not in the whitelist")) {
        reject(new Error(`${server}: ${word} is not allowed (add it to 4lw.commands.whitelist)`))
      } else resolve(text)
    })
  })

const nodeOf = (server: string, values: Readonly<Record<string, string>>, now: number): Report.Node => {
  const metrics: Record<string, ReadonlyArray<Report.Sample>> = {}
  for (const field of metricFields) {
    const value = Number(values[field])
    if (values[field] !== undefined && Number.isFinite(value)) metrics[field] = [[now, value]]
  }
  const latest: Record<string, string> = { name: server }
  for (const field of Object.values(Fields)) if (values[field] !== undefined) latest[field] = values[field]
  return Report.makeNode(topology, server, { latest: Report.latestFields(now, latest), metrics })
}

const panelRows: ReadonlyArray<readonly [key: string, label: string]> = [
  [Fields.mode, "Mode"],
  [Fields.version, "Version"],
  [Fields.avgLatency, "Average latency (ms)"],
  [Fields.maxLatency, "Max latency (ms)"],
  [Fields.outstandingRequests, "Outstanding requests"],
  [Fields.znodeCount, "Znodes"],
  [Fields.watchCount, "Watches"],
  [Fields.connections, "Connections"]
]

/**
 * The plugin: register it with `{ servers: ["host:port", ...] }`.
 *
 * @since 0.1.0
 * @category plugins
 */
export const plugin: Plugin.Plugin<"zookeeper", typeof Options.Type, typeof Options.Encoded> = definePlugin({
  name: "zookeeper",
  version: "0.1.0",
  apiVersion: 1,
  description: "ZooKeeper servers from the mntr four-letter word",
  options: Options,
  collectors: [
    {
      name: "mntr",
      collect: async (ctx) => {
        const timeoutMs = ctx.options.timeoutMs ?? 2_000
        const results = await Promise.allSettled(
          ctx.options.servers.map((server) => fourLetterWord(server, "mntr", timeoutMs, ctx.signal))
        )
        const nodes: Record<string, Report.Node> = {}
        const health: Array<Report.ProbeHealth> = []
        results.forEach((result, i) => {
          const server = ctx.options.servers[i]!
          if (result.status === "rejected") {
            health.push({
              name: server,
              status: "failed",
              message: String(result.reason?.message ?? result.reason),
              timestamp: ctx.now
            })
            return
          }
          nodes[server] = nodeOf(server, parseMntr(result.value), ctx.now)
        })
        if (Object.keys(nodes).length === 0 && health.length > 0) {
          throw new Error(`no ZooKeeper server answered: ${health.map((entry) => entry.message).join("; ")}`)
        }
        return { topologies: { [topology]: nodes }, health }
      }
    }
  ],
  panels: [
    {
      name: "server",
      topologies: [topology],
      panels: (node): ReadonlyArray<NodeDetails.Panel> => [
        {
          type: "table",
          id: "zookeeper.server",
          title: "ZooKeeper",
          rows: panelRows
            .filter(([key]) => node.latest[key] !== undefined)
            .map(([key, label]) => ({ key, label, value: node.latest[key]!.value }))
        }
      ]
    }
  ]
})

export default plugin
