/**
 * The multi-selection behind bulk actions: a set of nodes (by topology and id) that the table's checkboxes, its
 * shift/ctrl-clicks and the graph change, and that the bulk bar reads. Pure (no DOM), so it is tested directly.
 *
 * ```ts
 * const selection = new Selection()
 * const stop = selection.subscribe(() => redraw(selection.refs()))
 * selection.toggle({ topology: "containers", id: "9f1c…" }) // ctrl-click
 * selection.extendTo(visibleRefs, { topology: "containers", id: "a2b3…" }) // shift-click
 * ```
 *
 * **Gotchas**: listeners run once per operation (a range of 500 rows notifies once), synchronously.
 */
import type { NodeRef } from "../HashState.js"

/** A node's key in the selection: topology and id (ids are unique per topology). */
export const refKey = (ref: NodeRef): string => `${ref.topology}\u0000${ref.id}`

/** The selected nodes, in the order they were selected. */
export class Selection {
  private readonly items = new Map<string, NodeRef>()
  private readonly listeners = new Set<() => void>()
  /** Where a shift-click range starts: the node last toggled or clicked. */
  private anchor: NodeRef | undefined

  /** How many nodes are selected. */
  get size(): number {
    return this.items.size
  }

  /** Whether a node is selected. */
  has(ref: NodeRef): boolean {
    return this.items.has(refKey(ref))
  }

  /** The selected nodes, oldest first. */
  refs(): ReadonlyArray<NodeRef> {
    return [...this.items.values()]
  }

  /** Selects a node that is not selected and unselects one that is; it becomes the anchor of ranges. */
  toggle(ref: NodeRef): boolean {
    const selected = !this.has(ref)
    this.set([ref], selected)
    this.anchor = ref
    return selected
  }

  /** Selects (or unselects) every node given; notifies once when anything changed. */
  set(refs: ReadonlyArray<NodeRef>, selected: boolean): void {
    let changed = false
    for (const ref of refs) {
      const key = refKey(ref)
      if (selected === this.items.has(key)) continue
      if (selected) this.items.set(key, { topology: ref.topology, id: ref.id })
      else this.items.delete(key)
      changed = true
    }
    if (changed) this.notify()
  }

  /**
   * Selects the nodes from the anchor to `to` in `ordered` (the rows as shown), both ends included, keeping
   * what is already selected. Without an anchor in `ordered`, selects `to` alone. `to` becomes the anchor.
   */
  extendTo(ordered: ReadonlyArray<NodeRef>, to: NodeRef): void {
    const end = ordered.findIndex((ref) => refKey(ref) === refKey(to))
    const anchor = this.anchor
    const start = anchor === undefined ? -1 : ordered.findIndex((ref) => refKey(ref) === refKey(anchor))
    this.anchor = to
    if (end < 0) return
    this.set(start < 0 ? [to] : ordered.slice(Math.min(start, end), Math.max(start, end) + 1), true)
  }

  /** Unselects everything. */
  clear(): void {
    this.anchor = undefined
    if (this.items.size === 0) return
    this.items.clear()
    this.notify()
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener()
  }
}
