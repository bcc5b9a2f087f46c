/**
 * The network collector: TCP and UDP endpoints (IPv4 and IPv6) in the `endpoints` topology, joined to the
 * processes that hold them through socket inodes, for every network namespace on the host (so traffic
 * between containers on a bridge shows from both ends), optionally with conntrack flows for short-lived and
 * NATed connections.
 *
 * | field / parent / edge     | source                                                           | notes                          |
 * |---------------------------|------------------------------------------------------------------|--------------------------------|
 * | id                        | `NodeId.endpointId` form: `<scope>;<address>;<port>[;udp]`       | scope below                    |
 * | `addr`, `port`, `protocol`| /proc/<pid>/net/{tcp,tcp6,udp,udp6}, one process per namespace   | IPv6 compressed, IPv4-mapped as IPv4 |
 * | `socket_state`            | `listening` (TCP LISTEN, unconnected UDP) or `connected`         | local endpoints only           |
 * | `tcp_state`               | the table's `st` column (`LISTEN`, `ESTABLISHED`, `TIME_WAIT`…)   | local TCP endpoints            |
 * | parent `processes`        | the process whose /proc/<pid>/fd links to `socket:[<inode>]`     | see "cost" below               |
 * | parent `hosts`            | the probe's host id                                              | local endpoints                |
 * | parent `containers`/`pods`| the holder's /proc/<pid>/cgroup; for sockets no process holds (TIME_WAIT), the namespace's | |
 * | adjacency                 | client endpoint -> server endpoint (inbound when the local port listens) | remote side is a bare node |
 * | `bytes_sent`, `bytes_received`, `packets_sent`, `packets_received` | conntrack counters (`nf_conntrack_acct=1`) | on client endpoints, with `conntrack: true` |
 *
 * Scopes: an address every host has (loopback, link-local, unspecified) is scoped by the host id in the
 * host's namespace, and by `<host id>/netns/<inode>` in any other namespace, so two containers that both
 * talk to their own `127.0.0.1:6379` do not look connected. Other addresses have an empty scope and match the
 * same endpoint seen by another probe.
 *
 * **Cost.** Two things are expensive and avoided:
 *
 * - Reading every process's /proc/<pid>/fd every interval (what made Weave Scope's probe expensive): the
 *   collector keeps an `inode -> pid` table and reads fds only when a table shows a socket it cannot place,
 *   and then only of processes in that socket's namespace, new ones first, then recent socket holders, with
 *   a budget per run; plus a rolling re-check of `1 / recheckEvery` of the processes per run.
 * - Reading /proc/<pid>/net/tcp, which walks the kernel's whole TCP hash table (~3 ms per read on a 24 GB
 *   host, per namespace, per family): TCP tables are read again only when the namespace's TCP counters moved,
 *   a socket holder exited, or every `tableMaxAge` runs (staggered). Setting `net.ipv4.tcp_child_ehash_entries` (Linux 6.1+) before containers
 *   start gives each namespace its own small table and makes these reads ~50 times cheaper.
 *
 * **Closed connections.** The kernel keeps a TIME_WAIT socket for every connection closed in the last minute:
 * tens of thousands on a host whose servers or clients do not reuse connections (63,700 were seen here while
 * other test suites ran, which took a probe to 136 MB and 7% of a core). One TIME_WAIT socket per client
 * address and server endpoint is reported (the others differ only in the client's ephemeral port, and every
 * view but the endpoint list shows the same edge), so a report grows with the host's peers, not its
 * connection rate. With `conntrack: true` the flows still show each connection.
 *
 * **Conntrack** (`conntrack: true`): reads /proc/net/nf_conntrack, or runs `conntrack -L -o extended` once per
 * run when that file is missing. Connections rewritten by destination NAT point at the real server. When
 * neither works, the fragment carries a `degraded` health entry `network/conntrack` and the sockets are still
 * reported. The kernel tracks connections only once a netfilter rule uses conntrack (Docker's NAT rules do).
 *
 * **Gotchas**
 *
 * - Needs root (or `CAP_SYS_PTRACE` and `CAP_DAC_READ_SEARCH`) to read other users' fds and namespaces; in a
 *   container, run with the host's pid namespace and pass the host's /proc as `procRoot`.
 * - Each {@link plugin} call keeps its own tables: register one instance per probe.
 *
 * @since 0.1.0
 */
import { Plugin, type Report, Topology } from "@orchestrator/core"
import { Schema } from "effect"
import { type ConntrackResult, type Flow, parseConntrack, readConntrack } from "./internal/proc/conntrack.js"
import * as Endpoints from "./internal/proc/endpoints.js"
import { NetworkScanner } from "./internal/proc/namespaces.js"

/**
 * The plugin's name, also its collector's name: health entries read `network/collector/network`.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "network"

/**
 * Latest-value keys this collector writes besides the core's `Fields.Latest` ones: `tcp_state` and the
 * conntrack counters `bytes_sent`, `bytes_received`, `packets_sent`, `packets_received`.
 *
 * @since 0.1.0
 * @category constants
 */
export const EndpointFields = Endpoints.EndpointFields

/**
 * The network collector's options; every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export const Options = Schema.Struct({
  /** Where the host's /proc is mounted (default `/proc`). */
  procRoot: Schema.optionalKey(Schema.String),
  /**
   * Re-read every process's fds over this many runs (a rolling re-check) and retry sockets without a known
   * holder as often (default 20: every 5 minutes at a 15 s interval).
   */
  recheckEvery: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  /** Read a namespace's TCP tables at least every this many runs even when nothing moved (default 40, staggered). */
  tableMaxAge: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  /** Add conntrack flows (default `false`). */
  conntrack: Schema.optionalKey(Schema.Boolean),
  /** The conntrack table file (default `<procRoot>/net/nf_conntrack`). */
  conntrackFile: Schema.optionalKey(Schema.String),
  /** The conntrack tool, run when the file is missing (default `conntrack`). */
  conntrackCommand: Schema.optionalKey(Schema.String),
  /** Most conntrack flows reported per run (default 10,000); more is reported as `degraded` health. */
  maxConntrackFlows: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type Options = typeof Options.Type

/**
 * The scope of host-local addresses (loopback, link-local, unspecified) in a network namespace: the host id
 * for the host's own namespace, `<host id>/netns/<inode>` for any other.
 *
 * @since 0.1.0
 * @category constructors
 */
export const namespaceScope = (hostId: string, netns: string, host: boolean): string =>
  host ? hostId : `${hostId}/netns/${netns}`

const conntrackTimeoutMs = 5_000

/**
 * Makes the network collector plugin.
 *
 * ```ts
 * import { NetworkCollector } from "@orchestrator/probe"
 * registry.register(NetworkCollector.plugin(), { conntrack: true })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const plugin = () => {
  let current: { readonly key: string; readonly scanner: NetworkScanner } | undefined

  const scannerFor = (options: Options): NetworkScanner => {
    const key = JSON.stringify([options.procRoot, options.recheckEvery, options.tableMaxAge])
    if (current === undefined || current.key !== key) {
      current = {
        key,
        scanner: new NetworkScanner({
          procRoot: options.procRoot ?? "/proc",
          recheckEvery: options.recheckEvery ?? 20,
          tableMaxAge: options.tableMaxAge ?? 40
        })
      }
    }
    return current.scanner
  }

  const fragment = (
    hostId: string,
    now: number,
    scanner: NetworkScanner,
    conntrack: ConntrackResult | undefined,
    maxFlows: number
  ): Plugin.ReportFragment => {
    const namespaces = scanner.scan()
    const health: Array<Report.ProbeHealth> = []
    let flows: Array<Flow> | undefined
    if (conntrack?._tag === "Read") {
      flows = parseConntrack(conntrack.text, maxFlows + 1)
      if (flows.length > maxFlows) {
        flows = flows.slice(0, maxFlows)
        health.push({
          name: "conntrack",
          status: "degraded",
          message: `more than ${maxFlows} conntrack flows: the rest are left out (maxConntrackFlows)`,
          timestamp: now
        })
      }
    } else if (conntrack?._tag === "Unavailable") {
      health.push({ name: "conntrack", status: "degraded", message: conntrack.reason, timestamp: now })
    }
    const nat = flows === undefined ? undefined : Endpoints.natTable(flows)
    const set = new Endpoints.EndpointSet(hostId, now)
    for (const ns of namespaces) {
      Endpoints.addNamespace(
        set,
        {
          scope: namespaceScope(hostId, ns.netns, ns.host),
          host: ns.host,
          sockets: ns.sockets,
          owner: ns.owner,
          holder: (inode) => {
            const pid = scanner.holderOf(inode)
            return pid === undefined ? undefined : { pid, cgroup: scanner.ownerOfPid(pid) }
          }
        },
        nat
      )
    }
    if (flows !== undefined) Endpoints.addFlows(set, hostId, flows)
    const topologies = { [Topology.Topologies.endpoints]: set.nodes() }
    return health.length === 0 ? { topologies } : { topologies, health }
  }

  return Plugin.definePlugin({
    name,
    version: "0.1.0",
    apiVersion: 1,
    description: "TCP and UDP endpoints of every network namespace, joined to processes; conntrack flows",
    options: Options,
    collectors: [
      {
        name,
        collect: (ctx) => {
          const options = ctx.options
          const scanner = scannerFor(options)
          const maxFlows = options.maxConntrackFlows ?? 10_000
          if (options.conntrack !== true) return fragment(ctx.hostId, ctx.now, scanner, undefined, maxFlows)
          const procRoot = options.procRoot ?? "/proc"
          return readConntrack({
            file: options.conntrackFile ?? `${procRoot}/net/nf_conntrack`,
            command: options.conntrackCommand ?? "conntrack",
            timeoutMs: conntrackTimeoutMs,
            signal: ctx.signal,
            // ~200 bytes per flow, with room for the lines past the limit that are dropped.
            maxBytes: Math.max(1024 * 1024, maxFlows * 400)
          }).then((result) => fragment(ctx.hostId, ctx.now, scanner, result, maxFlows))
        }
      }
    ]
  })
}
