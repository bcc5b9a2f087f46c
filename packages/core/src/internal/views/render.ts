/**
 * The generic topology renderer: one rendered node per node of a topology, and edges between the owners of
 * connected endpoints, with pseudo nodes for traffic whose other side is outside the view.
 *
 * Hot path (runs over every connection on every change): it walks the shared endpoint table (flat arrays
 * built once per report state), finds owners by their position in the owner topology instead of hashing ids,
 * counts edges in typed arrays, and classifies unknown addresses once per id.
 *
 * @since 0.1.0
 */
import type { MergedReport } from "../../MergedReport.js"
import type { Node } from "../../Report.js"
import * as Pseudo from "../../views/Pseudo.js"
import type { NodeStatus, RenderedNode, Rendering } from "../../views/View.js"
import { endpointParts, isPublicAddress, subnetOf } from "./address.js"
import { hostLabel, latestMetrics, worstStatus } from "./describe.js"
import { EdgeCounter, ListMap } from "./edges.js"
import { endpointTable } from "./endpointTable.js"
import { hostOf, type Lookup, lookup, type OwnerFn, type Owners, tableOwner } from "./owners.js"

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
  /** Renders one node; `undefined` leaves it out. */
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
    if (peer !== null) return peer
    const internet = direction === "in" ? Pseudo.incomingInternetId : Pseudo.outgoingInternetId
    if (!this.pseudo.has(internet)) {
      this.pseudo.set(internet, { kind: "internet", direction: direction === "in" ? "inbound" : "outbound" })
      this.outside.add(internet)
    }
    return internet
  }

  private owned(owners: Owners, has: (id: string) => boolean): string | ReadonlyArray<string> | undefined {
    if (owners === undefined) return undefined
    if (typeof owners === "string") return has(owners) ? owners : undefined
    const kept = owners.filter(has)
    return kept.length > 0 ? kept : undefined
  }

  /** `null` for a public address, else the id of its unknown-peer node (registered on the way). */
  private classify(id: string): string | null {
    const parts = endpointParts(id)
    const address = parts?.address ?? id
    const scope = parts?.scope ?? ""
    if (scope === "" && isPublicAddress(address)) return null
    const peer = Pseudo.peerId(address, scope)
    this.pseudo.set(peer, { kind: "peer", address, scope })
    this.outside.add(peer)
    return peer
  }

  /** Renders a pseudo node this resolver handed out. */
  node(id: string): RenderedNode | undefined {
    const info = this.pseudo.get(id)
    if (info === undefined) return undefined
    switch (info.kind) {
      case "internet":
        return Pseudo.internetNode(info.direction)
      case "peer":
        return Pseudo.peerNode(info.address, info.scope, hostLabel(this.l.hosts, info.scope))
      case "uncontained":
        return Pseudo.uncontainedNode(info.host, hostLabel(this.l.hosts, info.host))
      case "unmanaged":
        return Pseudo.unmanagedNode(info.host, hostLabel(this.l.hosts, info.host))
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
 * Renders the nodes of a topology into `list`. Returns, for each report node, the index of the rendered node
 * standing for it (itself, or its group), by position in the topology's node map (-1 when left out).
 */
const renderNodes = (
  report: MergedReport,
  spec: TopologySpec,
  hosts: ReadonlyMap<string, Node>,
  list: Array<RenderedNode>
): Int32Array => {
  const nodes = report.nodes(spec.topology)
  const at = new Int32Array(nodes.size).fill(-1)
  const group = spec.group
  let position = 0
  if (group === undefined) {
    for (const node of nodes.values()) {
      const rendered = spec.node(node, hosts)
      if (rendered !== undefined) {
        at[position] = list.length
        list.push(rendered)
      }
      position++
    }
    return at
  }
  const groups = new Map<string, Group>()
  const slots: Array<Group | RenderedNode> = []
  const slotOf = new Map<string, number>()
  for (const node of nodes.values()) {
    const key = group.key(node)
    if (key === undefined) {
      const rendered = spec.node(node, hosts)
      if (rendered !== undefined) {
        at[position] = slots.length
        slots.push(rendered)
      }
      position++
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
    at[position++] = slotOf.get(key)!
  }
  for (const slot of slots) list.push("head" in slot ? groupNode(slot, group) : slot)
  return at
}

/**
 * Renders one topology with its connections.
 *
 * @since 0.1.0
 * @category internal
 */
export const renderTopology = (report: MergedReport, spec: TopologySpec): Rendering => {
  const l = lookup(report)
  const table = endpointTable(report)
  const list: Array<RenderedNode> = []
  const at = renderNodes(report, spec, l.hosts, list)
  const real = list.length
  const ids = list.map((n) => n.id)
  const ownerOf = tableOwner(spec.topology, table, l)
  /** Rendered node index by report node id, for owners found by id. */
  let byId: Map<string, number> | undefined
  const indexOf = (id: string): number | undefined => {
    if (byId === undefined) {
      byId = new Map()
      let position = 0
      for (const node of report.nodes(spec.topology).values()) {
        const i = at[position++]!
        if (i >= 0) byId.set(node.id, i)
      }
    }
    return byId.get(id)
  }
  const counter = new EdgeCounter(ids, table.targets.length)
  const resolver = new Resolver(l, spec.unowned)
  const pseudoIndex = new Map<string, number>()
  const outside: Array<boolean> = []
  const pseudo = (id: string): number => {
    let i = pseudoIndex.get(id)
    if (i === undefined) {
      i = ids.length
      ids.push(id)
      pseudoIndex.set(id, i)
      outside[i] = resolver.isOutside(id)
    }
    return i
  }
  /** Node index per endpoint: >= 0 one node, -2 several (in `several`), -3 not computed, -1 none. */
  const owned = new Int32Array(table.size).fill(-3)
  const several = new Map<number, Array<number>>()
  const ownedBy = (e: number): number => {
    let i = owned[e]!
    if (i !== -3) return i
    i = -1
    if (ownerOf?._tag === "At") {
      const position = ownerOf.at[e]!
      i = position < 0 ? -1 : at[position]!
      owned[e] = i
      return i
    }
    const found = ownerOf?.of(table, e)
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
  const absentIndex = new Int32Array(table.absent.length).fill(-1)
  /** The node index for an endpoint number or absent target (see `EndpointTable.targets`). */
  const resolve = (e: number, direction: "in" | "out"): number => {
    if (e < 0) {
      const k = -e - 1
      let i = absentIndex[k]!
      if (i < 0) {
        i = pseudo(resolver.fallback(undefined, table.absent[k]!, direction))
        absentIndex[k] = i
      }
      return i
    }
    const i = ownedBy(e)
    if (i !== -1) return i
    return pseudo(resolver.fallback(table.host[e], table.ids[e]!, direction))
  }
  const { sources, offsets, targets } = table
  for (let s = 0; s < sources.length; s++) {
    const e = sources[s]!
    const source = resolve(e, "in")
    const sourceOutside = outside[source] === true
    for (let a = offsets[s]!; a < offsets[s + 1]!; a++) {
      const te = targets[a]!
      const target = resolve(te, "out")
      if (source === -2 || target === -2) {
        for (const x of source === -2 ? several.get(e)! : [source]) {
          for (const y of target === -2 ? several.get(te)! : [target]) counter.add(x, y)
        }
      } else if (!(sourceOutside && outside[target] === true)) {
        counter.add(source, target)
      }
    }
  }
  if (ids.length > real) {
    const used = new Uint8Array(ids.length)
    counter.forEachEnd((i) => {
      used[i] = 1
    })
    const usedIds: Array<string> = []
    for (let i = real; i < ids.length; i++) if (used[i] === 1) usedIds.push(ids[i]!)
    const groups = groupPeers(resolver, usedIds)
    const mapping = new Int32Array(ids.length)
    for (let i = 0; i < real; i++) mapping[i] = i
    const finalIds = ids.slice(0, real)
    const placed = new Map<string, number>()
    for (let i = real; i < ids.length; i++) {
      if (used[i] === 0) continue
      const id = ids[i]!
      const node = groups.get(id) ?? resolver.node(id)!
      let j = placed.get(node.id)
      if (j === undefined) {
        j = finalIds.length
        finalIds.push(node.id)
        placed.set(node.id, j)
        list.push(node)
      }
      mapping[i] = j
    }
    counter.renumber(mapping, finalIds)
  }
  return { nodes: new ListMap(list), edges: counter.edges() }
}
