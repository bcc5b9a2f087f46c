/**
 * The graphology graph sigma draws, kept equal to a {@link Projection} by applying only the difference: nodes
 * that left are dropped (their positions remembered), nodes that stayed keep their positions and get only the
 * attributes that changed, nodes that arrived come back where they were or are placed next to their cluster
 * or neighbours ({@link placeNew}) and wait for the worker's refinement ({@link layoutJob}). Sigma listens to
 * the graph's events and draws once per animation frame, however many nodes changed. No DOM: tested in Node.
 */
import { DirectedGraph } from "graphology"
import type { SizeMetric } from "../HashState.js"
import type { NodeStatus } from "../Protocol.js"
import { edgeColor, edgeSize, groupSize, nodeSize, pseudoColor, type ShapeName, statusColors } from "./Appearance.js"
import type { LayoutProblem } from "./Forces.js"
import { type PlacedNode, type PlaceItem, type Point, PositionMemory, placeNew, spacing } from "./Placement.js"
import type { DisplayEdge, DisplayNode, Projection } from "./Projection.js"

/** A node's graphology attributes (what sigma's styles read). */
export interface NodeAttributes {
  x: number
  y: number
  size: number
  color: string
  label: string
  minor: string
  shape: ShapeName
  /** 0 filled; 1 hollow (pseudo nodes); 2 ringed (collapsed groups). */
  ring: number
  kind: "node" | "group"
  status: NodeStatus
  members: number
  /** The view node's topology, `""` for groups. */
  topology: string
  cluster: string
  /** Layout area relative to an ordinary node. */
  weight: number
  /** The node of the details panel. */
  selected: boolean
  /** In the multi-selection (bulk actions). */
  marked: boolean
}

/** An edge's graphology attributes. */
export interface EdgeAttributes {
  size: number
  color: string
  connections: number
}

/** The graph sigma draws. */
export type TopologyGraph = DirectedGraph<NodeAttributes, EdgeAttributes>

/** The attributes of a node that follow from its data (not its position or selection). */
export type NodeLook = Omit<NodeAttributes, "x" | "y" | "selected" | "marked">

const lookKeys = [
  "size",
  "color",
  "label",
  "minor",
  "shape",
  "ring",
  "kind",
  "status",
  "members",
  "topology",
  "cluster",
  "weight"
] as const satisfies ReadonlyArray<keyof NodeLook>

/** Layout area of a collapsed group: grows with its members, at most 9 ordinary nodes. */
export const groupWeight = (members: number): number => Math.min(9, 1 + Math.sqrt(members) / 2)

/** The look of a display node when nodes are sized by `sizeBy`. */
export const nodeLook = (node: DisplayNode, sizeBy: SizeMetric): NodeLook => ({
  size:
    node.kind === "group"
      ? groupSize(node.members)
      : nodeSize(sizeBy, sizeBy === "connections" ? node.connections : node[sizeBy]),
  color: node.pseudo ? pseudoColor : statusColors[node.status],
  label: node.label,
  minor: node.minor,
  shape: node.shape,
  ring: node.pseudo ? 1 : node.kind === "group" ? 2 : 0,
  kind: node.kind,
  status: node.status,
  members: node.members,
  topology: node.ref?.topology ?? "",
  cluster: node.cluster,
  weight: node.kind === "group" ? groupWeight(node.members) : 1
})

/** What one {@link GraphStore.sync} or {@link GraphStore.patch} changed. */
export interface SyncResult {
  readonly added: ReadonlyArray<string>
  readonly updated: ReadonlyArray<string>
  readonly removed: ReadonlyArray<string>
  /** Edges added or whose connection count changed. */
  readonly touchedEdges: ReadonlyArray<string>
  readonly removedEdges: number
}

/** An incremental change (from a view delta, without grouping): what to add or update, and what to drop. */
export interface GraphPatch {
  readonly nodes: ReadonlyArray<DisplayNode>
  readonly removed: ReadonlyArray<string>
  readonly edges: ReadonlyArray<DisplayEdge>
  readonly removedEdges: ReadonlyArray<string>
}

/** A refinement to run: the problem, and which of its nodes (by index) it may move. */
export interface LayoutJob {
  readonly ids: ReadonlyArray<string>
  readonly problem: LayoutProblem
  /** Where the nodes were when the job was made (a node placed again since is left for the next job). */
  readonly startXs: Float64Array
  readonly startYs: Float64Array
  /** Whether every node of the graph is free (the first layout of a view). */
  readonly initial: boolean
}

/** Collision radius of a node of layout area `weight`. */
const collisionRadius = (weight: number) => 0.5 * spacing * Math.sqrt(weight)

/** The graph, its remembered positions and the nodes still waiting for refinement. */
export class GraphStore {
  readonly graph: TopologyGraph = new DirectedGraph<NodeAttributes, EdgeAttributes>({ allowSelfLoops: false })
  readonly memory: PositionMemory
  /** Placed but not refined yet. */
  private readonly unsettled = new Set<string>()
  private selectedId: string | undefined
  private marked: ReadonlySet<string> = new Set()

  constructor(memory: PositionMemory = new PositionMemory()) {
    this.memory = memory
  }

  /** Nodes waiting for the worker's refinement. */
  get pendingLayout(): number {
    return this.unsettled.size
  }

  /** Makes the graph show `projection`, changing only what differs. */
  sync(projection: Projection, sizeBy: SizeMetric): SyncResult {
    const graph = this.graph
    const staleEdges = graph.filterEdges((id) => !projection.edges.has(id))
    for (const id of staleEdges) graph.dropEdge(id)
    const removed: Array<string> = []
    graph.forEachNode((id) => {
      if (!projection.nodes.has(id)) removed.push(id)
    })
    this.dropNodes(removed)
    const { added, updated } = this.upsertNodes(
      projection.nodes.values(),
      projection.edges.values(),
      sizeBy,
      (id) => projection.members.get(id),
      true
    )
    const touchedEdges = this.upsertEdges(projection.edges.values())
    return { added, updated, removed, touchedEdges, removedEdges: staleEdges.length }
  }

  /**
   * Applies an incremental change (a view delta without grouping): O(size of the change), not of the graph.
   * Nodes are sized by connections from the graph's edges, so a patch's `connections` values are ignored.
   */
  patch(change: GraphPatch, sizeBy: SizeMetric): SyncResult {
    const graph = this.graph
    let removedEdges = 0
    for (const id of change.removedEdges) {
      if (!graph.hasEdge(id)) continue
      graph.dropEdge(id)
      removedEdges++
    }
    const removed = change.removed.filter((id) => graph.hasNode(id))
    this.dropNodes(removed)
    const { added, updated } = this.upsertNodes(change.nodes, change.edges, sizeBy, () => undefined, false)
    const touchedEdges = this.upsertEdges(change.edges)
    if (sizeBy === "connections") {
      const resize = new Set(change.nodes.map((node) => node.id))
      for (const edge of change.edges) {
        resize.add(edge.source)
        resize.add(edge.target)
      }
      for (const id of resize) {
        if (!graph.hasNode(id) || graph.getNodeAttribute(id, "kind") === "group") continue
        let connections = 0
        graph.forEachEdge(id, (_edge, a) => {
          connections += a.connections
        })
        const size = nodeSize("connections", connections)
        if (graph.getNodeAttribute(id, "size") !== size) graph.setNodeAttribute(id, "size", size)
      }
    }
    return { added, updated, removed, touchedEdges, removedEdges }
  }

  private dropNodes(ids: ReadonlyArray<string>): void {
    for (const id of ids) {
      const a = this.graph.getNodeAttributes(id)
      this.memory.set(id, { x: a.x, y: a.y })
      this.unsettled.delete(id)
      this.graph.dropNode(id)
    }
  }

  /** Updates the look of nodes the graph has; adds the others (see {@link addNodes}). */
  private upsertNodes(
    nodes: Iterable<DisplayNode>,
    edges: Iterable<DisplayEdge>,
    sizeBy: SizeMetric,
    membersOf: (id: string) => ReadonlyArray<string> | undefined,
    countsKnown: boolean
  ): { added: Array<string>; updated: Array<string> } {
    const graph = this.graph
    const fresh: Array<DisplayNode> = []
    const updated: Array<string> = []
    for (const node of nodes) {
      if (!graph.hasNode(node.id)) {
        fresh.push(node)
        continue
      }
      const current = graph.getNodeAttributes(node.id)
      const look = nodeLook(node, sizeBy)
      let patch: Partial<NodeLook> | undefined
      for (const key of lookKeys) {
        // A patch does not know connection counts: sizes by connections are fixed after its edges are in.
        if (key === "size" && !countsKnown && sizeBy === "connections" && node.kind === "node") continue
        if (current[key] === look[key]) continue
        patch ??= {}
        patch[key] = look[key] as never
      }
      if (patch !== undefined) {
        graph.mergeNodeAttributes(node.id, patch)
        updated.push(node.id)
      }
    }
    return { added: this.addNodes(fresh, edges, sizeBy, membersOf), updated }
  }

  /** Adds edges the graph lacks and updates those whose connection count changed; returns their ids. */
  private upsertEdges(edges: Iterable<DisplayEdge>): Array<string> {
    const graph = this.graph
    const touched: Array<string> = []
    for (const edge of edges) {
      if (!graph.hasEdge(edge.id)) {
        if (!graph.hasNode(edge.source) || !graph.hasNode(edge.target)) continue
        graph.addDirectedEdgeWithKey(edge.id, edge.source, edge.target, {
          size: edgeSize(edge.connections),
          color: edgeColor,
          connections: edge.connections
        })
        touched.push(edge.id)
      } else if (graph.getEdgeAttribute(edge.id, "connections") !== edge.connections) {
        graph.mergeEdgeAttributes(edge.id, { size: edgeSize(edge.connections), connections: edge.connections })
        touched.push(edge.id)
      }
    }
    return touched
  }

  /** Adds nodes: where they were before, else placed next to what is drawn (waiting for refinement). */
  private addNodes(
    fresh: ReadonlyArray<DisplayNode>,
    edges: Iterable<DisplayEdge>,
    sizeBy: SizeMetric,
    membersOf: (id: string) => ReadonlyArray<string> | undefined
  ): Array<string> {
    if (fresh.length === 0) return []
    const graph = this.graph
    const positions = new Map<string, Point>()
    const toPlace: Array<PlaceItem> = []
    const freshIds = new Set(fresh.map((node) => node.id))
    const neighbours = new Map<string, Array<string>>()
    for (const edge of edges) {
      if (freshIds.has(edge.source)) pushTo(neighbours, edge.source, edge.target)
      if (freshIds.has(edge.target)) pushTo(neighbours, edge.target, edge.source)
    }
    for (const node of fresh) {
      const remembered = this.memory.get(node.id)
      if (remembered !== undefined) {
        positions.set(node.id, remembered)
        continue
      }
      toPlace.push({
        id: node.id,
        cluster: node.cluster,
        weight: node.kind === "group" ? groupWeight(node.members) : 1,
        order: node.label,
        neighbours: neighbours.get(node.id) ?? [],
        anchor: node.kind === "group" ? this.centroidOf(membersOf(node.id)) : undefined
      })
    }
    if (toPlace.length > 0) {
      const placed = new Map<string, PlacedNode>()
      graph.forEachNode((id, a) => placed.set(id, { x: a.x, y: a.y, cluster: a.cluster }))
      for (const node of fresh) {
        const p = positions.get(node.id)
        if (p !== undefined) placed.set(node.id, { ...p, cluster: node.cluster })
      }
      const seeds = new Map<string, Point>()
      for (const item of toPlace) {
        const seed = this.memory.get(item.cluster)
        if (seed !== undefined) seeds.set(item.cluster, seed)
      }
      for (const [id, p] of placeNew(toPlace, placed, seeds)) {
        positions.set(id, p)
        this.unsettled.add(id)
      }
    }
    const added: Array<string> = []
    for (const node of fresh) {
      const p = positions.get(node.id)!
      graph.addNode(node.id, {
        ...nodeLook(node, sizeBy),
        x: p.x,
        y: p.y,
        selected: node.id === this.selectedId,
        marked: this.marked.has(node.id)
      })
      added.push(node.id)
    }
    return added
  }

  /** Where a group's members were (their remembered positions' centroid), if any were drawn before. */
  private centroidOf(members: ReadonlyArray<string> | undefined): Point | undefined {
    if (members === undefined) return undefined
    let x = 0
    let y = 0
    let n = 0
    for (const id of members) {
      const p = this.memory.get(id)
      if (p === undefined) continue
      x += p.x
      y += p.y
      n++
    }
    return n === 0 ? undefined : { x: x / n, y: y / n }
  }

  /** Marks the node of the details panel (at most one). */
  select(id: string | undefined): void {
    if (id === this.selectedId) return
    const previous = this.selectedId
    this.selectedId = id
    if (previous !== undefined && this.graph.hasNode(previous)) this.graph.setNodeAttribute(previous, "selected", false)
    if (id !== undefined && this.graph.hasNode(id)) this.graph.setNodeAttribute(id, "selected", true)
  }

  /** Marks the nodes of the multi-selection. */
  mark(ids: ReadonlySet<string>): void {
    const previous = this.marked
    this.marked = ids
    for (const id of previous)
      if (!ids.has(id) && this.graph.hasNode(id)) this.graph.setNodeAttribute(id, "marked", false)
    for (const id of ids)
      if (!previous.has(id) && this.graph.hasNode(id)) this.graph.setNodeAttribute(id, "marked", true)
  }

  /**
   * The refinement the unsettled nodes need, or `undefined` when there are none. The first layout of a view
   * frees every node; later ones free only the new nodes, with the settled nodes around them (and their
   * neighbours) pinned, and cluster centres fixed from the whole graph.
   */
  layoutJob(): LayoutJob | undefined {
    if (this.unsettled.size === 0) return undefined
    const graph = this.graph
    for (const id of this.unsettled) if (!graph.hasNode(id)) this.unsettled.delete(id)
    if (this.unsettled.size === 0) return undefined
    const initial = this.unsettled.size === graph.order
    const ids: Array<string> = []
    const index = new Map<string, number>()
    const include = (id: string) => {
      if (index.has(id)) return
      index.set(id, ids.length)
      ids.push(id)
    }
    if (initial) graph.forEachNode((id) => include(id))
    else {
      let minX = Number.POSITIVE_INFINITY
      let minY = Number.POSITIVE_INFINITY
      let maxX = Number.NEGATIVE_INFINITY
      let maxY = Number.NEGATIVE_INFINITY
      for (const id of this.unsettled) {
        const a = graph.getNodeAttributes(id)
        include(id)
        minX = Math.min(minX, a.x)
        minY = Math.min(minY, a.y)
        maxX = Math.max(maxX, a.x)
        maxY = Math.max(maxY, a.y)
        graph.forEachNeighbor(id, (neighbour) => include(neighbour))
      }
      const margin = 6 * spacing
      graph.forEachNode((id, a) => {
        if (a.x >= minX - margin && a.x <= maxX + margin && a.y >= minY - margin && a.y <= maxY + margin) include(id)
      })
    }
    const n = ids.length
    const xs = new Float64Array(n)
    const ys = new Float64Array(n)
    const radius = new Float64Array(n)
    const pinned = new Uint8Array(n)
    const cluster = new Int32Array(n)
    const clusterIndex = new Map<string, number>()
    ids.forEach((id, i) => {
      const a = graph.getNodeAttributes(id)
      xs[i] = a.x
      ys[i] = a.y
      radius[i] = collisionRadius(a.weight)
      pinned[i] = this.unsettled.has(id) ? 0 : 1
      if (a.cluster === "") cluster[i] = -1
      else {
        let c = clusterIndex.get(a.cluster)
        if (c === undefined) {
          c = clusterIndex.size
          clusterIndex.set(a.cluster, c)
        }
        cluster[i] = c
      }
    })
    const edgeList: Array<number> = []
    graph.forEachEdge((_edge, _attributes, source, target) => {
      const a = index.get(source)
      const b = index.get(target)
      if (a !== undefined && b !== undefined && (pinned[a] === 0 || pinned[b] === 0)) edgeList.push(a, b)
    })
    let centres: LayoutProblem["centres"]
    if (!initial) {
      const k = clusterIndex.size
      const sx = new Float64Array(k)
      const sy = new Float64Array(k)
      const count = new Float64Array(k)
      graph.forEachNode((_id, a) => {
        const c = clusterIndex.get(a.cluster)
        if (c === undefined) return
        sx[c]! += a.x
        sy[c]! += a.y
        count[c]!++
      })
      const r = new Float64Array(k)
      for (let c = 0; c < k; c++) {
        sx[c] = sx[c]! / count[c]!
        sy[c] = sy[c]! / count[c]!
        r[c] = spacing * Math.sqrt(count[c]! + 0.5) + spacing
      }
      centres = { xs: sx, ys: sy, radius: r }
    }
    return {
      ids,
      initial,
      startXs: xs.slice(),
      startYs: ys.slice(),
      problem: { xs, ys, radius, pinned, cluster, edges: Uint32Array.from(edgeList), ...(centres ? { centres } : {}) }
    }
  }

  /**
   * Applies a refinement's positions to the nodes it was free to move that are still waiting for it (a node
   * placed again meanwhile waits for the next run). Returns how many moved; one graph event when many did.
   */
  applyLayout(job: LayoutJob, xs: Float64Array, ys: Float64Array): number {
    const graph = this.graph
    const moves = new Map<string, Point>()
    job.ids.forEach((id, i) => {
      if (job.problem.pinned[i] === 1 || !this.unsettled.has(id) || !graph.hasNode(id)) return
      const a = graph.getNodeAttributes(id)
      // Placed again since the job started (another view, a regroup): its new place waits for the next run.
      if (a.x !== job.startXs[i] || a.y !== job.startYs[i]) return
      moves.set(id, { x: xs[i]!, y: ys[i]! })
    })
    for (const [id, p] of moves) {
      this.unsettled.delete(id)
      this.memory.set(id, p)
    }
    if (moves.size > 32) {
      graph.updateEachNodeAttributes(
        (id, a) => {
          const p = moves.get(id)
          if (p !== undefined) {
            a.x = p.x
            a.y = p.y
          }
          return a
        },
        { attributes: ["x", "y"] }
      )
    } else for (const [id, p] of moves) graph.mergeNodeAttributes(id, { x: p.x, y: p.y })
    return moves.size
  }

  /** Settles every waiting node where it is (no refinement will come, e.g. the worker is gone). */
  settle(): void {
    for (const id of this.unsettled) {
      if (this.graph.hasNode(id))
        this.memory.set(id, { x: this.graph.getNodeAttribute(id, "x"), y: this.graph.getNodeAttribute(id, "y") })
    }
    this.unsettled.clear()
  }

  /** Remembers every position, then empties the graph (another view). */
  clear(): void {
    this.graph.forEachNode((id, a) => this.memory.set(id, { x: a.x, y: a.y }))
    this.unsettled.clear()
    this.graph.clear()
  }
}

const pushTo = (map: Map<string, Array<string>>, key: string, value: string) => {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else list.push(value)
}
