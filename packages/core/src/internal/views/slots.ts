/**
 * Slots: the nodes of one topology numbered in report order and kept in step with the report incrementally.
 * A node keeps its number while its id stays in the report (even when a delta replaces its object), a removed
 * node leaves a hole, and a new node gets the next number, so walking the slots in order, holes skipped, is
 * walking the report's node map in order (a `Map` iterates in insertion order, and the aggregator only ever
 * updates in place, deletes, or appends). Keeping numbers stable is what lets the endpoint table update only
 * what a delta touched instead of renumbering every endpoint.
 *
 * @since 0.1.0
 */
import type { TopologyChange } from "../../MergedReport.js"
import type { Node } from "../../Report.js"

/**
 * The read-only face of {@link Slots} that renderers use.
 *
 * @since 0.1.0
 * @category internal
 */
export interface SlotsView {
  /** Number of slots, holes included. */
  readonly size: number
  /** The node in each slot; `undefined` for a hole (a node that left the report). */
  readonly nodes: ReadonlyArray<Node | undefined>
  /** The id of each slot (a hole keeps the id of the node it held). */
  readonly ids: ReadonlyArray<string>
  /** The slot of each node in the report. */
  readonly slotOf: ReadonlyMap<string, number>
}

/**
 * Grows a typed array to hold at least `size` elements (doubling), keeping its contents.
 *
 * @since 0.1.0
 * @category internal
 */
export const ensure = (array: Int32Array, size: number): Int32Array => {
  if (size <= array.length) return array
  const next = new Int32Array(Math.max(size, array.length * 2, 64))
  next.set(array)
  return next
}

/**
 * The slots of one topology. {@link Slots.sync} (comparing) or {@link Slots.replay} (from the report's list
 * of changes) brings them in step with the report's node map and records what changed (`touched`,
 * `previous`, `removed`, `added`), stamping each changed slot with the sync number so that dependants can
 * tell "changed in this sync" with one array read.
 *
 * @since 0.1.0
 * @category internal
 */
export class Slots implements SlotsView {
  readonly nodes: Array<Node | undefined> = []
  readonly ids: Array<string> = []
  readonly slotOf = new Map<string, number>()
  /** The sync in which each slot last got a new node object or lost its node. */
  stamps: Int32Array = new Int32Array(0)
  holes = 0
  /** Slots that got a new node object in the last sync (replaced in place or new), each once. */
  readonly touched: Array<number> = []
  /** The node each touched slot held before the sync (`undefined` for a new slot). */
  readonly previous: Array<Node | undefined> = []
  /** Slots that became holes in the last sync. */
  readonly removed: Array<number> = []
  /** How many slots the last sync appended. */
  added = 0
  /**
   * Whether the last sync started from no slots: then every slot is new, and `touched` and `previous` stay
   * empty (listing 300k new slots costs more than it tells).
   */
  fresh = false

  get size(): number {
    return this.nodes.length
  }

  /**
   * Brings the slots in step with `nodes`, stamping what changed with `stamp`. Returns whether anything did.
   *
   * Walks the map and the slots side by side: the common case (same object in the same slot) is one
   * comparison per node; a node whose slot lies further on means the live slots skipped over were removed;
   * a node without a slot ahead is new (or was removed and added again, which moves it to the end).
   */
  sync(nodes: ReadonlyMap<string, Node>, stamp: number): boolean {
    this.clearChanges()
    const size = this.nodes.length
    const slots = this.nodes
    if (size === 0) {
      // Every node is new: no need to look for their slots.
      this.fresh = true
      this.stamps = ensure(this.stamps, nodes.size)
      for (const node of nodes.values()) {
        const slot = this.nodes.length
        const known = this.slotOf.size
        this.nodes.push(node)
        this.ids.push(node.id)
        this.slotOf.set(node.id, slot)
        if (this.slotOf.size === known) this.dropEarlier(node.id, stamp)
        this.stamps[slot] = stamp
      }
      this.added = this.nodes.length
      return this.added > 0
    }
    let at = 0
    for (const node of nodes.values()) {
      if (at < size && slots[at] === node) {
        at++
        continue
      }
      const id = node.id
      let slot: number
      if (at < size && slots[at] !== undefined && this.ids[at] === id) slot = at
      else {
        const known = this.slotOf.get(id)
        if (known === undefined || known < at) {
          // Once a node is new, every later one is too (or moved to the end): the old slots left are gone.
          if (known !== undefined) this.remove(known, stamp)
          for (let k = at; k < size; k++) if (slots[k] !== undefined) this.remove(k, stamp)
          this.append(node, stamp)
          at = size
          continue
        }
        for (let k = at; k < known; k++) if (slots[k] !== undefined) this.remove(k, stamp)
        slot = known
      }
      if (slots[slot] !== node) this.replace(slot, node, stamp)
      at = slot + 1
    }
    for (let k = at; k < size; k++) if (slots[k] !== undefined) this.remove(k, stamp)
    return this.touched.length > 0 || this.removed.length > 0
  }

  /**
   * Brings the slots in step with `nodes` by replaying the changes the report lists since the last sync
   * (see `MergedReport.changes`): what a `Map` does, a replaced node keeps its slot, a removed one leaves a
   * hole, an added one (new, or removed and added again) gets the next slot. Costs what changed, not the size
   * of the map. Returns `false` when the changes do not add up to `nodes`; the slots are then inconsistent
   * and must be rebuilt.
   */
  replay(changes: ReadonlyArray<TopologyChange>, nodes: ReadonlyMap<string, Node>, stamp: number): boolean {
    this.clearChanges()
    for (const change of changes) {
      const slot = this.slotOf.get(change.id)
      if (change.removed) {
        if (slot !== undefined) this.remove(slot, stamp)
        continue
      }
      // The node as it is now: when a later change removes it, skip it (that change finds no slot).
      const node = nodes.get(change.id)
      if (node === undefined) continue
      if (slot === undefined) this.append(node, stamp)
      else if (this.nodes[slot] !== node) this.replace(slot, node, stamp)
    }
    return this.nodes.length - this.holes === nodes.size
  }

  /** Forgets what the last sync changed (for a sync that leaves these slots alone). */
  clearChanges(): void {
    this.touched.length = 0
    this.previous.length = 0
    this.removed.length = 0
    this.added = 0
    this.fresh = false
  }

  private replace(slot: number, node: Node, stamp: number): void {
    if (this.stamps[slot] !== stamp) {
      this.touched.push(slot)
      this.previous.push(this.nodes[slot])
      this.stamps[slot] = stamp
    }
    this.nodes[slot] = node
  }

  private append(node: Node, stamp: number): void {
    const slot = this.nodes.length
    this.nodes.push(node)
    this.ids.push(node.id)
    this.slotOf.set(node.id, slot)
    this.stamps = ensure(this.stamps, slot + 1)
    this.stamps[slot] = stamp
    this.touched.push(slot)
    this.previous.push(undefined)
    this.added++
  }

  /**
   * Two nodes with one id (a report whose keys are not its nodes' ids): the last one keeps the id, as the
   * comparing sync does; the earlier slot becomes a hole.
   */
  private dropEarlier(id: string, stamp: number): void {
    const last = this.nodes.length - 1
    for (let slot = last - 1; slot >= 0; slot--) {
      if (this.nodes[slot] === undefined || this.ids[slot] !== id) continue
      this.nodes[slot] = undefined
      this.stamps[slot] = stamp
      this.holes++
      this.removed.push(slot)
      return
    }
  }

  private remove(slot: number, stamp: number): void {
    this.nodes[slot] = undefined
    this.slotOf.delete(this.ids[slot]!)
    this.stamps[slot] = stamp
    this.holes++
    this.removed.push(slot)
  }

  /** Whether enough holes piled up to be worth renumbering. */
  get sparse(): boolean {
    return this.holes > 1024 && this.holes * 4 > this.nodes.length
  }

  /**
   * Drops the holes and renumbers the slots in order. Returns the new slot of each old one (-1 for holes);
   * whoever keeps slot numbers must map them through it.
   */
  compact(): Int32Array {
    const size = this.nodes.length
    const remap = new Int32Array(size).fill(-1)
    let next = 0
    for (let slot = 0; slot < size; slot++) {
      const node = this.nodes[slot]
      if (node === undefined) continue
      remap[slot] = next
      if (next !== slot) {
        this.nodes[next] = node
        this.ids[next] = this.ids[slot]!
        this.stamps[next] = this.stamps[slot]!
        this.slotOf.set(this.ids[next]!, next)
      }
      next++
    }
    this.nodes.length = next
    this.ids.length = next
    this.holes = 0
    return remap
  }
}
