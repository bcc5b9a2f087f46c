/**
 * The generic topology renderer: one rendered node per node of a topology, and edges between the owners of
 * connected endpoints, with pseudo nodes for traffic whose other side is outside the view.
 *
 * Hot path (runs over every connection on every change): it walks the shared endpoint table (flat arrays
 * kept in step with the report incrementally), finds owners by their slot in the owner topology instead of
 * hashing ids, counts edges in typed arrays, and classifies unknown addresses once per id. Rendered nodes and
 * edges that did not change keep their objects from the previous render.
 *
 * @since 0.1.0
 */
import type { MergedReport } from "../../MergedReport.js"
import type { Node } from "../../Report.js"
import { Topologies } from "../../Topology.js"
import { nodeEquals } from "../../views/Diff.js"
import * as Pseudo from "../../views/Pseudo.js"
import type { NodeStatus, RenderedNode, Rendering } from "../../views/View.js"
import { endpointParts, isPublicAddress, subnetOf } from "./address.js"
import { hostLabel, latestMetrics, worstStatus } from "./describe.js"
import { EdgeCounter, EdgeMemo, ListMap } from "./edges.js"
import { type EndpointTable, endpointTable } from "./endpointTable.js"
import { hostOf, type Lookup, lookup, type OwnerFn, type Owners, tableOwner } from "./owners.js"
import type { SlotsView } from "./slots.js"

/**
 * Where endpoints whose owner is not in the view go: a per-host "Uncontained" or "Unmanaged" node, or (when
 * `undefined`) the same place as remote addresses.
 *
 * @since 0.1.0
 * @category internal
 */
export type Unowned = "uncontained" | "unmanaged" | undefined

/**
 * How to render one topology.
 *
 * @since 0.1.0
 * @category internal
 */
export interface TopologySpec {
  /** The topology whose nodes become rendered nodes. */
  readonly topology: string
  /**
   * Renders one node; `undefined` leaves it out. Must depend only on the node and the hosts it reads: a
   * render reuses the result while the node object and those hosts are the same objects.
   */
  readonly node: (node: Node, hosts: ReadonlyMap<string, Node>) => RenderedNode | undefined
  readonly unowned?: Unowned
  /** Collapses nodes into groups (processes by name, containers by image). */
  readonly group?: GroupSpec
}

/**
 * How to collapse the nodes of a topology into groups: one rendered node per group id, with the members'
 * ids, summed metrics, the labels all members share, the union of their parents and the worst status of the
 * members that are not stopped (or stopped when all are). Traffic inside a group disappears.
 *
 * @since 0.1.0
 * @category internal
 */
export interface GroupSpec {
  /** The group id of a node (also its label and rank), or `undefined` to render the node on its own. */
  readonly key: (node: Node) => string | undefined
  readonly status: (node: Node, metrics: Readonly<Record<string, number>>) => NodeStatus
  readonly shape: RenderedNode["shape"]
  /** `1 process`, `3 processes`... */
  readonly labelMinor: (count: number) => string
}

type PseudoInfo =
  | { readonly kind: "internet"; readonly direction: "inbound" | "outbound" }
  | { readonly kind: "peer"; readonly address: string; readonly scope: string }
  | { readonly kind: "uncontained" | "unmanaged"; readonly host: string }

/**
 * The unknown-peer node an address outside the report stands for.
 *
 * @since 0.1.0
 * @category internal
 */
export interface Peer {
  readonly id: string
  readonly address: string
  readonly scope: string
}

/**
 * The unknown peer of an endpoint id outside the report, or `null` for a public address (The Internet).
 *
 * @since 0.1.0
 * @category internal
 */
export const peerOf = (id: string): Peer | null => {
  const parts = endpointParts(id)
  const address = parts?.address ?? id
  const scope = parts?.scope ?? ""
  if (scope === "" && isPublicAddress(address)) return null
  return { id: Pseudo.peerId(address, scope), address, scope }
}

/**
 * Resolves endpoints to the ids of the nodes that stand for them in one view: their owners when the view
 * has them, else a pseudo node. Remembers which pseudo nodes it handed out so they can be rendered.
 *
 * @since 0.1.0
 * @category internal
 */
export class Resolver {
  readonly pseudo = new Map<string, PseudoInfo>()
  private readonly outside = new Set<string>()
  private readonly classified = new Map<string, string | null>()
  private readonly unownedByHost = new Map<string, string>()

  /** `owners` (which nodes the view has, and who owns an endpoint) is needed by {@link Resolver.resolve} only. */
  constructor(
    private readonly l: Lookup,
    private readonly unowned: Unowned,
    private readonly owners?: { readonly has: (id: string) => boolean; readonly of: OwnerFn }
  ) {}

  /** Whether endpoints without an owner on a known host go to a per-host node. */
  get perHost(): boolean {
    return this.unowned !== undefined
  }

  /** Whether an id stands for something outside the report (The Internet, an unknown peer). */
  isOutside(id: string): boolean {
    return this.outside.has(id)
  }

  /** The ids that stand for an endpoint; `direction` says whether it is the client (`in`) or the server side. */
  resolve(endpoint: Node | undefined, id: string, direction: "in" | "out"): string | ReadonlyArray<string> {
    if (endpoint === undefined || this.owners === undefined) return this.fallback(undefined, id, direction)
    const owners = this.owned(this.owners.of(endpoint), this.owners.has)
    return owners ?? this.fallback(hostOf(endpoint, id, this.l), id, direction)
  }

  /**
   * The pseudo node for an endpoint without an owner in the view: the per-host node when the view has one
   * and the endpoint is in the report on a known `host`, else one for its address.
   */
  fallback(host: string | undefined, id: string, direction: "in" | "out"): string {
    if (this.unowned !== undefined) {
      if (host !== undefined) {
        let pseudo = this.unownedByHost.get(host)
        if (pseudo === undefined) {
          pseudo = this.unowned === "uncontained" ? Pseudo.uncontainedId(host) : Pseudo.unmanagedId(host)
          this.unownedByHost.set(host, pseudo)
          this.pseudo.set(pseudo, { kind: this.unowned, host })
        }
        return pseudo
      }
    }
    let peer = this.classified.get(id)
    if (peer === undefined) {
      peer = this.classify(id)
      this.classified.set(id, peer)
    }
    return peer ?? this.internet(direction)
  }

  private owned(owners: Owners, has: (id: string) => boolean): string | ReadonlyArray<string> | undefined {
    if (owners === undefined) return undefined
    if (typeof owners === "string") return has(owners) ? owners : undefined
    const kept = owners.filter(has)
    return kept.length > 0 ? kept : undefined
  }

  /** `null` for a public address, else the id of its unknown-peer node (registered on the way). */
  private classify(id: string): string | null {
    const peer = peerOf(id)
    return peer === null ? null : this.peer(peer)
  }

  /** The id of an unknown-peer node, registered so that {@link Resolver.node} renders it. */
  peer(peer: Peer): string {
    if (!this.pseudo.has(peer.id)) {
      this.pseudo.set(peer.id, { kind: "peer", address: peer.address, scope: peer.scope })
      this.outside.add(peer.id)
    }
    return peer.id
  }

  /** The id of The Internet node for one direction, registered so that {@link Resolver.node} renders it. */
  internet(direction: "in" | "out"): string {
    const internet = direction === "in" ? Pseudo.incomingInternetId : Pseudo.outgoingInternetId
    if (!this.pseudo.has(internet)) {
      this.pseudo.set(internet, { kind: "internet", direction: direction === "in" ? "inbound" : "outbound" })
      this.outside.add(internet)
    }
    return internet
  }

  /**
   * Renders a pseudo node this resolver handed out; `previous`, the node of the same id in the last render, is
   * returned when it would render the same (most do, and a containers render has a thousand of them).
   */
  node(id: string, previous?: RenderedNode): RenderedNode | undefined {
    const info = this.pseudo.get(id)
    if (info === undefined) return undefined
    switch (info.kind) {
      case "internet":
        return previous ?? Pseudo.internetNode(info.direction)
      case "peer": {
        if (previous !== undefined && previous.label === info.address) {
          if (info.scope === "") return previous
          if (previous.labelMinor === `Unknown peer on ${hostLabel(this.l.hosts, info.scope)}`) return previous
        }
        return Pseudo.peerNode(info.address, info.scope, hostLabel(this.l.hosts, info.scope))
      }
      case "uncontained":
      case "unmanaged": {
        const label = hostLabel(this.l.hosts, info.host)
        if (previous !== undefined && previous.labelMinor === label) return previous
        return info.kind === "uncontained"
          ? Pseudo.uncontainedNode(info.host, label)
          : Pseudo.unmanagedNode(info.host, label)
      }
    }
  }
}

/** Groups unknown peers of crowded subnets: returns peer id -> subnet node. */
const groupPeers = (resolver: Resolver, used: Iterable<string>): Map<string, RenderedNode> => {
  const bySubnet = new Map<string, Array<string>>()
  for (const id of used) {
    const info = resolver.pseudo.get(id)
    if (info?.kind !== "peer" || info.scope !== "") continue
    const subnet = subnetOf(info.address)
    if (subnet === undefined) continue
    const ids = bySubnet.get(subnet)
    if (ids === undefined) bySubnet.set(subnet, [id])
    else ids.push(id)
  }
  const remap = new Map<string, RenderedNode>()
  for (const [subnet, ids] of bySubnet) {
    if (ids.length <= Pseudo.peerGroupThreshold) continue
    const group = Pseudo.peerSubnetNode(subnet, ids.length)
    for (const id of ids) remap.set(id, group)
  }
  return remap
}

interface Group {
  readonly id: string
  readonly head: Node
  readonly members: Array<string>
  readonly metrics: Record<string, number>
  labels: Record<string, string> | undefined
  readonly parents: Map<string, Set<string>>
  status: NodeStatus
}

const addToGroup = (group: Group, node: Node, metrics: Readonly<Record<string, number>>, status: NodeStatus) => {
  group.members.push(node.id)
  for (const key in metrics) group.metrics[key] = (group.metrics[key] ?? 0) + metrics[key]!
  group.status = worstStatus(group.status, status)
  if (group.labels === undefined) {
    group.labels = {}
    for (const key in node.labels) group.labels[key] = node.labels[key]!.value
  } else {
    for (const key in group.labels) if (node.labels[key]?.value !== group.labels[key]) delete group.labels[key]
  }
  for (const key in node.parents) {
    let set = group.parents.get(key)
    if (set === undefined) {
      set = new Set()
      group.parents.set(key, set)
    }
    for (const id of node.parents[key]!) set.add(id)
  }
}

const groupNode = (group: Group, spec: GroupSpec): RenderedNode => {
  const parents: Record<string, ReadonlyArray<string>> = {}
  for (const [key, set] of group.parents) parents[key] = Array.from(set)
  return {
    id: group.id,
    topology: group.head.topology,
    label: group.id,
    labelMinor: spec.labelMinor(group.members.length),
    rank: group.id,
    shape: spec.shape,
    status: group.status,
    pseudo: false,
    stack: group.members.length,
    parents,
    labels: group.labels ?? {},
    metrics: group.metrics,
    members: group.members
  }
}

/**
 * Remembers what a {@link TopologySpec.node} call read from the hosts map, so its result can be reused while
 * the node object and those hosts stay the same. Reading the whole map (size, iteration) makes it uncacheable.
 */
class HostReads implements ReadonlyMap<string, Node> {
  hosts: ReadonlyMap<string, Node> = new Map()
  ids: Array<string> = []
  nodes: Array<Node | undefined> = []
  whole = false

  reset(hosts: ReadonlyMap<string, Node>): this {
    this.hosts = hosts
    this.ids = []
    this.nodes = []
    this.whole = false
    return this
  }

  get(id: string): Node | undefined {
    const node = this.hosts.get(id)
    this.ids.push(id)
    this.nodes.push(node)
    return node
  }

  has(id: string): boolean {
    return this.get(id) !== undefined
  }

  get size(): number {
    this.whole = true
    return this.hosts.size
  }

  forEach(f: (value: Node, key: string, map: ReadonlyMap<string, Node>) => void, thisArg?: unknown): void {
    this.whole = true
    this.hosts.forEach((value, key) => {
      f.call(thisArg, value, key, this)
    })
  }

  entries(): MapIterator<[string, Node]> {
    this.whole = true
    return this.hosts.entries()
  }

  keys(): MapIterator<string> {
    this.whole = true
    return this.hosts.keys()
  }

  values(): MapIterator<Node> {
    this.whole = true
    return this.hosts.values()
  }

  [Symbol.iterator](): MapIterator<[string, Node]> {
    return this.entries()
  }
}

interface CachedNode {
  readonly rendered: RenderedNode | undefined
  readonly ids: ReadonlyArray<string>
  readonly nodes: ReadonlyArray<Node | undefined>
}

/** Rendered nodes by node object, per node function: a delta replaces the objects of the nodes it changes. */
const renderedNodes = new WeakMap<TopologySpec["node"], WeakMap<Node, CachedNode>>()

/** Renders nodes with `render`, reusing the last result for a node object while the hosts it read are the same. */
const nodeRenderer = (render: TopologySpec["node"], hosts: ReadonlyMap<string, Node>) => {
  let cache = renderedNodes.get(render)
  if (cache === undefined) {
    cache = new WeakMap()
    renderedNodes.set(render, cache)
  }
  const memo = cache
  const reads = new HostReads()
  return (node: Node): RenderedNode | undefined => {
    const cached = memo.get(node)
    if (cached !== undefined) {
      let valid = true
      for (let i = 0; i < cached.ids.length && valid; i++) valid = hosts.get(cached.ids[i]!) === cached.nodes[i]
      if (valid) return cached.rendered
    }
    reads.reset(hosts)
    let rendered = render(node, reads)
    // A host the node read changed (a delta moves a host's metrics and re-renders the containers on it): when
    // the node renders the same, keep the previous object, so nothing new lives on until the next render.
    const before = cached?.rendered
    if (before !== undefined && rendered !== undefined && nodeEquals(before, rendered)) rendered = before
    if (!reads.whole) memo.set(node, { rendered, ids: reads.ids, nodes: reads.nodes })
    return rendered
  }
}

/** The nodes of a topology in order, and the number each gets: its slot when the endpoint table has the
 * topology (holes are skipped), else its position in the report's node map. */
const numbered = (report: MergedReport, topology: string, table: EndpointTable) => {
  const slots = slotsOf(table, topology)
  if (slots !== undefined) return { size: slots.size, nodes: slots.nodes }
  const nodes = report.nodes(topology)
  return { size: nodes.size, nodes: Array.from(nodes.values()) }
}

const slotsOf = (table: EndpointTable, topology: string): SlotsView | undefined => {
  switch (topology) {
    case Topologies.processes:
      return table.processes
    case Topologies.containers:
      return table.containers
    case Topologies.pods:
      return table.pods
    case Topologies.hosts:
      return table.hosts
    default:
      return undefined
  }
}

/**
 * Renders the nodes of a topology into `list`. Returns, for each report node, the index of the rendered node
 * standing for it (itself, or its group), by its number (see `numbered`; -1 when left out).
 */
const renderNodes = (
  nodes: { readonly size: number; readonly nodes: ReadonlyArray<Node | undefined> },
  spec: TopologySpec,
  hosts: ReadonlyMap<string, Node>,
  list: Array<RenderedNode>
): Int32Array => {
  const at = new Int32Array(nodes.size).fill(-1)
  const group = spec.group
  const render = nodeRenderer(spec.node, hosts)
  if (group === undefined) {
    for (let position = 0; position < nodes.size; position++) {
      const node = nodes.nodes[position]
      if (node === undefined) continue
      const rendered = render(node)
      if (rendered !== undefined) {
        at[position] = list.length
        list.push(rendered)
      }
    }
    return at
  }
  const groups = new Map<string, Group>()
  const slots: Array<Group | RenderedNode> = []
  const slotOf = new Map<string, number>()
  for (let position = 0; position < nodes.size; position++) {
    const node = nodes.nodes[position]
    if (node === undefined) continue
    const key = group.key(node)
    if (key === undefined) {
      const rendered = render(node)
      if (rendered !== undefined) {
        at[position] = slots.length
        slots.push(rendered)
      }
      continue
    }
    let g = groups.get(key)
    if (g === undefined) {
      g = { id: key, head: node, members: [], metrics: {}, labels: undefined, parents: new Map(), status: "stopped" }
      groups.set(key, g)
      slotOf.set(key, slots.length)
      slots.push(g)
    }
    const metrics = latestMetrics(node)
    addToGroup(g, node, metrics, group.status(node, metrics))
    at[position] = slotOf.get(key)!
  }
  for (const slot of slots) list.push("head" in slot ? groupNode(slot, group) : slot)
  return at
}

/**
 * What renders of one spec over one report keep between them: the last render's edges (so unchanged edges
 * keep their objects) and the counting structures, reused rather than allocated every render (which also
 * keeps their hidden classes alive, so the optimized code of the hot loops survives full GCs).
 */
interface RenderState {
  readonly edges: EdgeMemo
  readonly counter: EdgeCounter
  readonly pseudos: Pseudos
  /**
   * The pseudo nodes of the last render, by id: one map kept up to date (most ids stay from render to render,
   * so it neither grows nor is rebuilt; a map built per render would live until the next one and be promoted).
   */
  readonly pseudoNodes: Map<string, RenderedNode>
  /** The node ids of a render before pseudo nodes are placed (rewritten by every render). */
  readonly scratchIds: Array<string>
  /** The final node ids of the last two renders, in turn: the edge memo reads the last one's while the next renders. */
  readonly finalIds: readonly [Array<string>, Array<string>]
  renders: number
}

const renderStates = new WeakMap<MergedReport, WeakMap<TopologySpec, RenderState>>()

const renderState = (report: MergedReport, spec: TopologySpec): RenderState => {
  let bySpec = renderStates.get(report)
  if (bySpec === undefined) {
    bySpec = new WeakMap()
    renderStates.set(report, bySpec)
  }
  let state = bySpec.get(spec)
  if (state === undefined) {
    state = {
      edges: new EdgeMemo(),
      counter: new EdgeCounter([]),
      pseudos: new Pseudos(),
      pseudoNodes: new Map(),
      scratchIds: [],
      finalIds: [[], []],
      renders: 0
    }
    bySpec.set(spec, state)
  }
  return state
}

const emptyResolver = new Resolver(
  { processes: new Map(), containers: new Map(), pods: new Map(), hosts: new Map() },
  undefined
)

/** An array of at least `size` elements whose first `size` are -1, reusing `array` when it is big enough. */
const unset = (array: Int32Array, size: number): Int32Array => {
  if (array.length < size) return new Int32Array(Math.max(size, array.length * 2)).fill(-1)
  return array.fill(-1, 0, size)
}

/**
 * The pseudo nodes of one render: numbered after the real nodes as endpoints without an owner in the view
 * need them, each endpoint (as a target) and absent id resolved once.
 */
class Pseudos {
  /**
   * Pseudo node ids to numbers, for one render. A fresh map per render rather than one cleared map: V8
   * allocates the grown tables of a map that lives in the old generation straight into the old generation,
   * so a cleared map that refills to thousands of entries every render left ~0.5 MB of garbage there per
   * render (a young map's tables die young with it).
   */
  private index = new Map<string, number>()
  /** 1 when pseudo node `real + k` stands for something outside the report. */
  private outside = new Uint8Array(64)
  private targets: Int32Array = new Int32Array(0)
  private absent: Int32Array = new Int32Array(0)
  /** The per-host pseudo node by host slot, for views that have them. */
  private hosts: Int32Array = new Int32Array(0)
  private peers: Array<Peer | null | undefined> = []
  private slotPeers: SlotPeers = { ids: [], peers: [] }
  private table!: EndpointTable
  resolver!: Resolver
  ids: Array<string> = []
  real = 0

  /** Starts a render: pseudo nodes get numbers from `real` on, appended to `ids`. */
  reset(table: EndpointTable, resolver: Resolver, ids: Array<string>, real: number): this {
    this.table = table
    this.resolver = resolver
    this.ids = ids
    this.real = real
    this.index = new Map()
    this.targets = unset(this.targets, table.size)
    this.absent = unset(this.absent, table.absent.length)
    this.hosts = unset(this.hosts, table.hosts.size)
    this.peers = peersOf(table)
    this.slotPeers = slotPeersOf(table)
    return this
  }

  /**
   * Ends a render: drops what only that render needed (its resolver's maps, its ids), so that it dies young
   * instead of being promoted for living until the next render.
   */
  release(): void {
    this.resolver = emptyResolver
    this.ids = []
    this.index = new Map()
  }

  /** The node index of a pseudo node id, numbering it on first sight. */
  of(id: string): number {
    let i = this.index.get(id)
    if (i === undefined) {
      i = this.ids.length
      this.ids.push(id)
      this.index.set(id, i)
      const k = i - this.real
      if (k >= this.outside.length) {
        const outside = new Uint8Array(this.outside.length * 2)
        outside.set(this.outside)
        this.outside = outside
      }
      this.outside[k] = this.resolver.isOutside(id) ? 1 : 0
    }
    return i
  }

  isOutside(i: number): boolean {
    return i >= this.real && this.outside[i - this.real] === 1
  }

  /** The pseudo node for endpoint `e` as the side that opened connections. */
  source(e: number): number {
    const host = this.table.at.hosts[e]!
    if (host >= 0 && this.resolver.perHost) return this.onHost(e, host)
    return this.offHost(e, "in")
  }

  /** The pseudo node for endpoint `e` as the side that accepted connections. */
  target(e: number): number {
    let i = this.targets[e]!
    if (i < 0) {
      const host = this.table.at.hosts[e]!
      i = host >= 0 && this.resolver.perHost ? this.onHost(e, host) : this.offHost(e, "out")
      this.targets[e] = i
    }
    return i
  }

  /**
   * The pseudo node for endpoint `e` when its host is not in the report or the view has no per-host nodes:
   * what {@link Resolver.fallback} gives, with the classification of the endpoint's address remembered
   * across renders (parsing ~20k remote addresses per render was a tenth of a containers render).
   */
  private offHost(e: number, direction: "in" | "out"): number {
    const id = this.table.endpoints.ids[e]!
    const host = this.table.host[e]
    if (host !== undefined && this.resolver.perHost) return this.of(this.resolver.fallback(host, id, direction))
    const known = this.slotPeers
    let peer: Peer | null
    // Checked by id: compacting the endpoint table renumbers slots.
    if (known.ids[e] === id) peer = known.peers[e]!
    else {
      peer = peerOf(id)
      known.ids[e] = id
      known.peers[e] = peer
    }
    return this.of(peer === null ? this.resolver.internet(direction) : this.resolver.peer(peer))
  }

  /** The per-host node of endpoint `e` on the host in slot `host` (one per host, whatever the direction). */
  private onHost(e: number, host: number): number {
    let i = this.hosts[host]!
    if (i < 0) {
      i = this.of(this.resolver.fallback(this.table.host[e], this.table.endpoints.ids[e]!, "in"))
      this.hosts[host] = i
    }
    return i
  }

  /** The pseudo node for `absent[k]`, a target not in the report. */
  absentTarget(k: number): number {
    let i = this.absent[k]!
    if (i < 0) {
      let peer = this.peers[k]
      if (peer === undefined) {
        peer = peerOf(this.table.absent[k]!)
        this.peers[k] = peer
      }
      i = this.of(peer === null ? this.resolver.internet("out") : this.resolver.peer(peer))
      this.absent[k] = i
    }
    return i
  }
}

/**
 * How the absent targets of an endpoint table classify, by number, kept across renders (classifying parses
 * addresses, and most absent ids stay): keyed by the table's `absent` array, which only grows until the
 * table renumbers it.
 */
const absentPeers = new WeakMap<ReadonlyArray<string>, Array<Peer | null | undefined>>()

/** How endpoint slots classify (see `Pseudos.offHost`), with the id each answer is for. */
interface SlotPeers {
  readonly ids: Array<string | undefined>
  readonly peers: Array<Peer | null>
}

/** Per endpoint table, shared by every view rendered from it (the answer depends on the endpoint id only). */
const slotPeerCache = new WeakMap<SlotsView, SlotPeers>()

const slotPeersOf = (table: EndpointTable): SlotPeers => {
  let known = slotPeerCache.get(table.endpoints)
  if (known === undefined) {
    known = { ids: [], peers: [] }
    slotPeerCache.set(table.endpoints, known)
  }
  // Filled up front so the arrays stay packed (assigning far past the end makes them sparse).
  while (known.ids.length < table.size) {
    known.ids.push(undefined)
    known.peers.push(null)
  }
  return known
}

const peersOf = (table: EndpointTable): Array<Peer | null | undefined> => {
  let peers = absentPeers.get(table.absent)
  if (peers === undefined) {
    peers = []
    absentPeers.set(table.absent, peers)
  }
  return peers
}

/**
 * Counts the connections of every endpoint between the nodes standing for its ends, when owners are found by
 * slot (`ownerAt`, then `at`: the rendered node of each owner slot). The hot loop of most renders: flat
 * arrays only, and a module-level function so that its optimized code outlives each render's objects.
 */
const countBySlot = (
  table: EndpointTable,
  ownerAt: Int32Array,
  at: Int32Array,
  pseudos: Pseudos,
  counter: EdgeCounter
): void => {
  const { start, count, pool } = table
  const size = table.size
  for (let e = 0; e < size; e++) {
    const n = count[e]!
    if (n === 0) continue
    const owner = ownerAt[e]!
    let source = owner < 0 ? -1 : at[owner]!
    if (source < 0) source = pseudos.source(e)
    const sourceOutside = pseudos.isOutside(source)
    const end = start[e]! + n
    for (let a = start[e]!; a < end; a++) {
      const t = pool[a]!
      let target: number
      if (t < 0) target = pseudos.absentTarget(-t - 1)
      else {
        const o = ownerAt[t]!
        target = o < 0 ? -1 : at[o]!
        if (target < 0) target = pseudos.target(t)
      }
      if (!(sourceOutside && pseudos.isOutside(target))) counter.add(source, target)
    }
  }
}

/**
 * Counts connections when owners are found by id (`of`: services, deployments, namespaces), where an
 * endpoint may stand for several nodes (a pod behind two services).
 */
const countById = (
  table: EndpointTable,
  of: ((table: EndpointTable, e: number) => Owners) | undefined,
  indexOf: (id: string) => number | undefined,
  pseudos: Pseudos,
  counter: EdgeCounter
): void => {
  /** Node index per endpoint: >= 0 one node, -2 several (in `several`), -3 not computed, -1 none. */
  const owned = new Int32Array(table.size).fill(-3)
  const several = new Map<number, Array<number>>()
  const ownedBy = (e: number): number => {
    let i = owned[e]!
    if (i !== -3) return i
    i = -1
    const found = of?.(table, e)
    if (typeof found === "string") i = indexOf(found) ?? -1
    else if (found !== undefined) {
      const all: Array<number> = []
      for (const o of found) {
        const j = indexOf(o)
        if (j !== undefined && !all.includes(j)) all.push(j)
      }
      if (all.length === 1) i = all[0]!
      else if (all.length > 1) {
        i = -2
        several.set(e, all)
      }
    }
    owned[e] = i
    return i
  }
  const { start, count, pool } = table
  for (let e = 0; e < table.size; e++) {
    const n = count[e]!
    if (n === 0) continue
    let source = ownedBy(e)
    if (source === -1) source = pseudos.source(e)
    const sourceOutside = pseudos.isOutside(source)
    const end = start[e]! + n
    for (let a = start[e]!; a < end; a++) {
      const te = pool[a]!
      let target: number
      if (te < 0) target = pseudos.absentTarget(-te - 1)
      else {
        target = ownedBy(te)
        if (target === -1) target = pseudos.target(te)
      }
      if (source === -2 || target === -2) {
        for (const x of source === -2 ? several.get(e)! : [source]) {
          for (const y of target === -2 ? several.get(te)! : [target]) counter.add(x, y)
        }
      } else if (!(sourceOutside && pseudos.isOutside(target))) {
        counter.add(source, target)
      }
    }
  }
}

/**
 * Renders one topology with its connections.
 *
 * Rendered nodes and edges that did not change since the last render of the same spec over the same report
 * are the same objects as in that render (a delta touches few of them), which spares allocations and lets
 * diffs short-cut on identity.
 *
 * @since 0.1.0
 * @category internal
 */
export const renderTopology = (report: MergedReport, spec: TopologySpec): Rendering => {
  const l = lookup(report)
  const table = endpointTable(report)
  const list: Array<RenderedNode> = []
  const topology = numbered(report, spec.topology, table)
  const at = renderNodes(topology, spec, l.hosts, list)
  const real = list.length
  const state = renderState(report, spec)
  // Id arrays as long as the view, rewritten in place rather than allocated per render (see `RenderState`).
  const ids = state.scratchIds
  for (let i = 0; i < real; i++) ids[i] = list[i]!.id
  ids.length = real
  const finalIds = state.finalIds[state.renders++ & 1]!
  for (let i = 0; i < real; i++) finalIds[i] = ids[i]!
  finalIds.length = real
  const counter = state.counter.reset(ids, table.used)
  const resolver = new Resolver(l, spec.unowned)
  const pseudos = state.pseudos.reset(table, resolver, ids, real)
  const ownerOf = tableOwner(spec.topology, table, l)
  if (ownerOf?._tag === "At") countBySlot(table, ownerOf.at, at, pseudos, counter)
  else {
    /** Rendered node index by report node id, for owners found by id. */
    let byId: Map<string, number> | undefined
    const indexOf = (id: string): number | undefined => {
      if (byId === undefined) {
        byId = new Map()
        for (let position = 0; position < topology.size; position++) {
          const i = at[position]!
          if (i >= 0) byId.set(topology.nodes[position]!.id, i)
        }
      }
      return byId.get(id)
    }
    countById(table, ownerOf?.of, indexOf, pseudos, counter)
  }
  if (ids.length > real) {
    const used = new Uint8Array(ids.length)
    counter.markEnds(used)
    const usedIds: Array<string> = []
    for (let i = real; i < ids.length; i++) if (used[i] === 1) usedIds.push(ids[i]!)
    const groups = groupPeers(resolver, usedIds)
    const mapping = new Int32Array(ids.length)
    for (let i = 0; i < real; i++) mapping[i] = i
    const placed = new Map<string, number>()
    const kept = state.pseudoNodes
    for (let i = real; i < ids.length; i++) {
      if (used[i] === 0) continue
      const id = ids[i]!
      let node = groups.get(id) ?? resolver.node(id, kept.get(id))!
      let j = placed.get(node.id)
      if (j === undefined) {
        // Subnet groups are built afresh every render: keep the last render's object when nothing changed.
        const before = kept.get(node.id)
        if (before !== undefined && (before === node || nodeEquals(before, node))) node = before
        else kept.set(node.id, node)
        j = finalIds.length
        finalIds.push(node.id)
        placed.set(node.id, j)
        list.push(node)
      }
      mapping[i] = j
    }
    for (const id of kept.keys()) if (!placed.has(id)) kept.delete(id)
    counter.renumber(mapping, finalIds)
  } else {
    if (state.pseudoNodes.size > 0) state.pseudoNodes.clear()
    // The scratch ids are rewritten by the next render: the counter (and the edge memo) keep the final ones.
    counter.ids = finalIds
  }
  pseudos.release()
  return { nodes: new ListMap(list), edges: counter.edges(state.edges) }
}
