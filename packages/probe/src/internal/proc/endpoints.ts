/**
 * Endpoint nodes from sockets and conntrack flows, the way the core's views read them (`endpointTable.ts`):
 *
 * - a local endpoint (an address and port of this host) has parents `processes`, `hosts` and, when its
 *   process runs in one, `containers` (or `pods`);
 * - a connection is adjacency from the endpoint that opened it (the client) to the one that accepted it (the
 *   server). For an outbound connection that is the local endpoint -> the remote one; for an inbound one
 *   (its local port is a listening port of the namespace) the remote endpoint -> the local one;
 * - the remote endpoint is a bare node (address and port); the probe that sees its owner fills it in.
 *
 * One endpoint id may come from several sockets (a server's accepted connections share its address and port,
 * both ends of a loopback connection are in one table), so nodes are merged: parents from any socket that has
 * them, `listening` over `connected`, adjacency as a union.
 */
import { Fields, NodeId, type Report, Topology } from "@orchestrator/core"
import { endpointIdOf } from "./address.js"
import type { CgroupOwner } from "./cgroup.js"
import { type Flow, isDnat } from "./conntrack.js"
import { TCP_LISTEN, TCP_TIME_WAIT, type Socket, tcpStates } from "./sockets.js"

/** Latest-value keys the network collector adds to the core's well-known ones. */
export const EndpointFields = {
  /** The TCP state of the socket(s) behind a local endpoint (`LISTEN`, `ESTABLISHED`, `TIME_WAIT`...). */
  tcpState: "tcp_state",
  /** Conntrack counters of the flows a client endpoint opened (original direction = sent). */
  bytesSent: "bytes_sent",
  bytesReceived: "bytes_received",
  packetsSent: "packets_sent",
  packetsReceived: "packets_received"
} as const

/** Who holds a local endpoint. */
export interface EndpointOwner {
  readonly pid?: number
  readonly cgroup: CgroupOwner
}

interface Draft {
  readonly id: string
  readonly address: string
  readonly port: number
  readonly protocol: "tcp" | "udp"
  socketState: "listening" | "connected" | undefined
  tcpState: string | undefined
  pid: number | undefined
  cgroup: CgroupOwner | undefined
  local: boolean
  adjacency: Set<string> | undefined
  counters: { bytesSent: number; bytesReceived: number; packetsSent: number; packetsReceived: number } | undefined
}

const emptyRecord: Readonly<Record<string, never>> = Object.freeze({})
const emptyList: ReadonlyArray<string> = Object.freeze([])

/** Ranks TCP states for an endpoint shared by several sockets: the most telling one is shown. */
const stateRank = (state: string | undefined): number =>
  state === "LISTEN" ? 3 : state === "ESTABLISHED" ? 2 : state === undefined ? 0 : 1

/** Endpoint nodes being built for one report. */
export class EndpointSet {
  private readonly drafts = new Map<string, Draft>()

  constructor(
    private readonly hostId: string,
    private readonly now: number
  ) {}

  private draft(id: string, address: string, port: number, protocol: "tcp" | "udp"): Draft {
    let draft = this.drafts.get(id)
    if (draft === undefined) {
      draft = {
        id,
        address,
        port,
        protocol,
        socketState: undefined,
        tcpState: undefined,
        pid: undefined,
        cgroup: undefined,
        local: false,
        adjacency: undefined,
        counters: undefined
      }
      this.drafts.set(id, draft)
    }
    return draft
  }

  /** A local endpoint of a socket; `owner` when its holder (or namespace) is known. */
  local(
    id: string,
    socket: { readonly address: string; readonly port: number; readonly protocol: "tcp" | "udp" },
    state: "listening" | "connected",
    tcpState: string | undefined,
    owner: EndpointOwner | undefined
  ): void {
    const draft = this.draft(id, socket.address, socket.port, socket.protocol)
    draft.local = true
    if (draft.socketState !== "listening") draft.socketState = state
    if (stateRank(tcpState) > stateRank(draft.tcpState)) draft.tcpState = tcpState
    // A holder process beats a namespace-level owner; the first holder wins.
    if (owner !== undefined && draft.pid === undefined && (owner.pid !== undefined || draft.cgroup === undefined)) {
      draft.pid = owner.pid
      draft.cgroup = owner.cgroup
    }
  }

  /** A remote endpoint: a bare node unless a local socket fills it in. */
  remote(id: string, address: string, port: number, protocol: "tcp" | "udp"): void {
    this.draft(id, address, port, protocol)
  }

  /** A connection from the endpoint that opened it to the one that accepted it (both already added). */
  link(from: string, to: string): void {
    const draft = this.drafts.get(from)
    if (draft === undefined || from === to) return
    draft.adjacency ??= new Set()
    draft.adjacency.add(to)
  }

  /** Adds conntrack counters to a client endpoint (already added). */
  count(id: string, flow: Flow): void {
    const draft = this.drafts.get(id)
    if (draft === undefined || flow.original.bytes === undefined) return
    draft.counters ??= { bytesSent: 0, bytesReceived: 0, packetsSent: 0, packetsReceived: 0 }
    draft.counters.bytesSent += flow.original.bytes
    draft.counters.bytesReceived += flow.reply.bytes ?? 0
    draft.counters.packetsSent += flow.original.packets ?? 0
    draft.counters.packetsReceived += flow.reply.packets ?? 0
  }

  /**
   * The report nodes, keyed by id. Nodes are read-only data, so equal values (a timestamped `tcp`, the host
   * parent, a process parent) are shared between nodes instead of allocated per node: thousands of endpoints
   * per run make that the difference in garbage.
   */
  nodes(): Record<string, Report.Node> {
    const out: Record<string, Report.Node> = {}
    const { hostId, now } = this
    const values = new Map<string, Report.LatestValue>()
    const value = (text: string): Report.LatestValue => {
      let shared = values.get(text)
      if (shared === undefined) {
        shared = { value: text, timestamp: now }
        values.set(text, shared)
      }
      return shared
    }
    const lists = new Map<string, ReadonlyArray<string>>()
    const list = (id: string): ReadonlyArray<string> => {
      let shared = lists.get(id)
      if (shared === undefined) {
        shared = [id]
        lists.set(id, shared)
      }
      return shared
    }
    const hosts = [hostId]
    for (const draft of this.drafts.values()) {
      const parents: Record<string, ReadonlyArray<string>> = {}
      if (draft.local) {
        if (draft.pid !== undefined) parents[Topology.Topologies.processes] = list(NodeId.processId(hostId, draft.pid))
        parents[Topology.Topologies.hosts] = hosts
        const cgroup = draft.cgroup
        if (cgroup?.containerId !== undefined && (draft.pid !== undefined || cgroup.podUid === undefined)) {
          parents[Topology.Topologies.containers] = list(cgroup.containerId)
        }
        if (cgroup?.podUid !== undefined) parents[Topology.Topologies.pods] = list(cgroup.podUid)
      }
      const latest: Record<string, Report.LatestValue> = {
        [Fields.Latest.address]: value(draft.address),
        [Fields.Latest.port]: value(String(draft.port)),
        [Fields.Latest.protocol]: value(draft.protocol)
      }
      if (draft.socketState !== undefined) latest[Fields.Latest.socketState] = value(draft.socketState)
      if (draft.tcpState !== undefined) latest[EndpointFields.tcpState] = value(draft.tcpState)
      const c = draft.counters
      if (c !== undefined) {
        latest[EndpointFields.bytesSent] = value(String(c.bytesSent))
        latest[EndpointFields.bytesReceived] = value(String(c.bytesReceived))
        latest[EndpointFields.packetsSent] = value(String(c.packetsSent))
        latest[EndpointFields.packetsReceived] = value(String(c.packetsReceived))
      }
      out[draft.id] = {
        id: draft.id,
        topology: Topology.Topologies.endpoints,
        latest,
        labels: emptyRecord,
        sets: emptyRecord,
        metrics: emptyRecord,
        parents,
        adjacency: draft.adjacency === undefined ? emptyList : [...draft.adjacency].sort(),
        controls: emptyList
      }
    }
    return out
  }
}

/** The real destination of connections that went through destination NAT, from conntrack flows. */
export type NatTable = ReadonlyMap<string, { readonly address: string; readonly port: number }>

const natKey = (protocol: string, src: string, sport: number, dst: string, dport: number): string =>
  `${protocol};${src};${sport};${dst};${dport}`

/** Indexes the flows that went through destination NAT by their original tuple. */
export const natTable = (flows: ReadonlyArray<Flow>): NatTable => {
  const out = new Map<string, { readonly address: string; readonly port: number }>()
  for (const flow of flows) {
    if (!isDnat(flow)) continue
    const o = flow.original
    out.set(natKey(flow.protocol, o.src, o.sport, o.dst, o.dport), { address: flow.reply.src, port: flow.reply.sport })
  }
  return out
}

/** What {@link addNamespace} needs to know about one namespace. */
export interface NamespaceView {
  /** The scope of host-local addresses (loopback, link-local, unspecified) in this namespace. */
  readonly scope: string
  /** Conntrack sees the host's namespace only: apply its NAT table there. */
  readonly host: boolean
  readonly sockets: ReadonlyArray<Socket>
  /** The holder of a socket by inode, with its container. */
  readonly holder: (inode: number) => EndpointOwner | undefined
  /** The namespace's container or pod, for sockets no process holds (TIME_WAIT). */
  readonly owner: CgroupOwner
}

/** Adds the endpoints and connections of one namespace's sockets. */
export const addNamespace = (set: EndpointSet, view: NamespaceView, nat?: NatTable): void => {
  const { scope, sockets } = view
  // Listening TCP ports -> the listener's address and inode: tells inbound connections from outbound ones.
  const listeners = new Map<number, Array<Socket>>()
  for (const socket of sockets) {
    if (socket.protocol !== "tcp" || socket.state !== TCP_LISTEN) continue
    const list = listeners.get(socket.localPort)
    if (list === undefined) listeners.set(socket.localPort, [socket])
    else list.push(socket)
  }
  const listenerOf = (socket: Socket): Socket | undefined =>
    listeners
      .get(socket.localPort)
      ?.find((l) => l.localAddress === socket.localAddress || l.localAddress === "0.0.0.0" || l.localAddress === "::")
  const nsOwner: EndpointOwner | undefined =
    view.owner.containerId === undefined && view.owner.podUid === undefined ? undefined : { cgroup: view.owner }
  // A busy host keeps a TIME_WAIT socket for every connection closed in the last minute: tens of thousands
  // behind a server or client that does not reuse connections. One per server endpoint and client address shows
  // the same connection in every view (the others differ only in the client's ephemeral port), so the rest are
  // skipped: without this a probe's report, CPU and memory grow with the host's connection rate. The server's
  // side is the listener's when it still listens, else the side that repeats (its port is not ephemeral).
  const serverSide = (socket: Socket, localId: string) => `${localId}<${socket.remoteAddress}`
  const clientSide = (socket: Socket) => `${socket.localAddress}>${socket.remoteAddress};${socket.remotePort}`
  const repeats = new Map<string, number>()
  for (const socket of sockets) {
    if (socket.protocol !== "tcp" || socket.state !== TCP_TIME_WAIT) continue
    const local = serverSide(socket, endpointIdOf(scope, socket.localAddress, socket.localPort, "tcp"))
    repeats.set(local, (repeats.get(local) ?? 0) + 1)
    repeats.set(clientSide(socket), (repeats.get(clientSide(socket)) ?? 0) + 1)
  }
  const closed = new Set<string>()
  for (const socket of sockets) {
    const { protocol } = socket
    const localId = endpointIdOf(scope, socket.localAddress, socket.localPort, protocol)
    const local = { address: socket.localAddress, port: socket.localPort, protocol }
    const tcpState = protocol === "tcp" ? tcpStates[socket.state] : undefined
    if (protocol === "tcp" && socket.state === TCP_LISTEN) {
      set.local(localId, local, "listening", tcpState, view.holder(socket.inode) ?? nsOwner)
      continue
    }
    if (socket.remotePort === 0) {
      // An unconnected UDP socket receives from anyone: it listens. A TCP socket without a peer is closing.
      if (protocol === "udp") set.local(localId, local, "listening", undefined, view.holder(socket.inode) ?? nsOwner)
      continue
    }
    const listener = protocol === "tcp" ? listenerOf(socket) : undefined
    // A socket no file holds (TIME_WAIT) belongs to its listener's process when inbound, else to the namespace.
    const owner =
      (socket.inode !== 0 ? view.holder(socket.inode) : undefined) ??
      (listener === undefined ? undefined : view.holder(listener.inode)) ??
      nsOwner
    let remoteAddress = socket.remoteAddress
    let remotePort = socket.remotePort
    if (listener === undefined && nat !== undefined && (view.host || !NodeId.isHostLocalAddress(socket.localAddress))) {
      const real = nat.get(natKey(protocol, socket.localAddress, socket.localPort, remoteAddress, remotePort))
      if (real !== undefined) {
        remoteAddress = real.address
        remotePort = real.port
      }
    }
    const remoteId = endpointIdOf(scope, remoteAddress, remotePort, protocol)
    if (protocol === "tcp" && socket.state === TCP_TIME_WAIT) {
      const inbound = serverSide(socket, localId)
      const outbound = clientSide(socket)
      const connection =
        listener !== undefined || (repeats.get(inbound) ?? 0) >= (repeats.get(outbound) ?? 0) ? inbound : outbound
      if (closed.has(connection)) continue
      closed.add(connection)
    }
    set.local(localId, local, "connected", tcpState, owner)
    set.remote(remoteId, remoteAddress, remotePort, protocol)
    if (listener === undefined) set.link(localId, remoteId)
    else set.link(remoteId, localId)
  }
}

/**
 * Adds conntrack flows seen in the host's namespace: the client endpoint (original source) -> the real
 * server (the reply's source, which differs from the dialled address after destination NAT), with byte and
 * packet counts on the client when accounting is on.
 */
export const addFlows = (set: EndpointSet, hostScope: string, flows: ReadonlyArray<Flow>): void => {
  for (const flow of flows) {
    const { original, reply, protocol } = flow
    const client = endpointIdOf(hostScope, original.src, original.sport, protocol)
    const server = endpointIdOf(hostScope, reply.src, reply.sport, protocol)
    set.remote(client, original.src, original.sport, protocol)
    set.remote(server, reply.src, reply.sport, protocol)
    set.link(client, server)
    set.count(client, flow)
  }
}
