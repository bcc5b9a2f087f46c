/**
 * The client-side copy of one subscribed view: a snapshot patched by deltas, plus the per-node connection
 * counts and sorting the table needs. Pure (no DOM), so it is tested directly.
 */
import type { NodeStatus, RenderedEdge, RenderedNode, RenderedView, ViewDelta } from "./Protocol.js"

/** A table row: the node and its connection counts, summed over the edges that end or start at it. */
export interface NodeRow {
  readonly node: RenderedNode
  readonly inbound: number
  readonly outbound: number
}

/** Columns the table sorts by. */
export const sortKeys = ["label", "labelMinor", "status", "cpu", "memory", "inbound", "outbound"] as const

/** A column the table sorts by. */
export type SortKey = (typeof sortKeys)[number]

/** Sort direction. */
export type SortDirection = "asc" | "desc"

/** What a delta changed, so the UI redraws and refetches only what it must. */
export interface DeltaChange {
  readonly added: ReadonlyArray<string>
  readonly updated: ReadonlyArray<string>
  readonly removed: ReadonlyArray<string>
}

/** A view's nodes and edges kept in sync with the server. */
export class ViewModel {
  /** The view id of the last snapshot, or `undefined` before the first one. */
  view: string | undefined = undefined
  /** Nodes before filters, as of the last snapshot. */
  total = 0
  renderedAt = 0
  readonly nodes = new Map<string, RenderedNode>()
  readonly edges = new Map<string, RenderedEdge>()

  /** Replaces everything with a snapshot. */
  reset(snapshot: RenderedView): void {
    this.view = snapshot.view
    this.total = snapshot.total
    this.renderedAt = snapshot.renderedAt
    this.nodes.clear()
    this.edges.clear()
    for (const node of snapshot.nodes) this.nodes.set(node.id, node)
    for (const edge of snapshot.edges) this.edges.set(edge.id, edge)
  }

  /** Applies a delta; returns the node ids it touched. */
  apply(delta: ViewDelta, renderedAt: number): DeltaChange {
    this.renderedAt = renderedAt
    for (const id of delta.remove) this.nodes.delete(id)
    for (const node of delta.add) this.nodes.set(node.id, node)
    for (const node of delta.update) this.nodes.set(node.id, node)
    for (const id of delta.removeEdges) this.edges.delete(id)
    for (const edge of delta.addEdges) this.edges.set(edge.id, edge)
    for (const edge of delta.updateEdges) this.edges.set(edge.id, edge)
    return {
      added: delta.add.map((n) => n.id),
      updated: delta.update.map((n) => n.id),
      removed: delta.remove
    }
  }

  /** Empties the model (e.g. while switching views). */
  clear(): void {
    this.view = undefined
    this.total = 0
    this.nodes.clear()
    this.edges.clear()
  }

  /** Every node with its inbound and outbound connection counts, in insertion order. */
  rows(): Array<NodeRow> {
    const inbound = new Map<string, number>()
    const outbound = new Map<string, number>()
    for (const edge of this.edges.values()) {
      outbound.set(edge.source, (outbound.get(edge.source) ?? 0) + edge.connections)
      inbound.set(edge.target, (inbound.get(edge.target) ?? 0) + edge.connections)
    }
    const out: Array<NodeRow> = []
    for (const node of this.nodes.values()) {
      out.push({ node, inbound: inbound.get(node.id) ?? 0, outbound: outbound.get(node.id) ?? 0 })
    }
    return out
  }
}

/** Worst first, so sorting by status ascending puts problems on top. */
const statusRank: Readonly<Record<NodeStatus, number>> = { critical: 0, warning: 1, unknown: 2, healthy: 3, stopped: 4 }

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" })

const sortValue = (row: NodeRow, key: SortKey): string | number | undefined => {
  switch (key) {
    case "label":
      return row.node.label
    case "labelMinor":
      return row.node.labelMinor
    case "status":
      return statusRank[row.node.status]
    case "cpu":
    case "memory":
      return row.node.metrics[key]
    case "inbound":
      return row.inbound
    case "outbound":
      return row.outbound
  }
}

/**
 * Sorts rows by a column (a stable sort; ties fall back to the label, then the id). Rows without the metric
 * go last in either direction, so "cpu descending" shows the busiest first and the unknown at the bottom.
 */
export const sortRows = (rows: ReadonlyArray<NodeRow>, key: SortKey, direction: SortDirection): Array<NodeRow> => {
  const sign = direction === "asc" ? 1 : -1
  return [...rows].sort((a, b) => {
    const x = sortValue(a, key)
    const y = sortValue(b, key)
    if (x === undefined || y === undefined) {
      if (x !== y) return x === undefined ? 1 : -1
    } else {
      const c = typeof x === "number" && typeof y === "number" ? x - y : collator.compare(String(x), String(y))
      if (c !== 0) return c * sign
    }
    return collator.compare(a.node.label, b.node.label) || (a.node.id < b.node.id ? -1 : a.node.id > b.node.id ? 1 : 0)
  })
}
