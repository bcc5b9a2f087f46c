/**
 * The hierarchical DRF sorter: a tree of roles whose children are kept sorted by weighted dominant share, so
 * the allocator walks clients in fairness order without re-sorting. A role with frameworks of its own gets a
 * virtual `self` child holding them, which competes with the role's child roles (weight 1).
 *
 * Order among siblings: weighted dominant share, then how many allocations the node received (fewer first,
 * so equal shares take turns), then name.
 */
import { fixed, type Vec } from "./Dims.js"
import { OrderedList } from "./OrderedList.js"

/** A node of the tree. */
export class SortNode {
  readonly children = new OrderedList<SortNode>()
  /** The key this node is filed under in its parent's list (it lags `share`/`count` until `flush`). */
  placedShare = 0
  placedCount = 0
  weight = 1
  /** Non-revocable scalar allocation of the subtree (every reservation). */
  readonly alloc: Vec = []
  share = 0
  count = 0
  constructor(
    readonly kind: "role" | "self" | "client",
    readonly name: string,
    readonly parent: SortNode | undefined
  ) {}
}

/** Sort keys compared: share, then allocation count, then name. */
const keyBefore = (aShare: number, aCount: number, a: SortNode, bShare: number, bCount: number, b: SortNode) =>
  aShare !== bShare ? aShare < bShare : aCount !== bCount ? aCount < bCount : a.name < b.name

/** Current key of `a` before current key of `b`. */
const before = (a: SortNode, b: SortNode): boolean => keyBefore(a.share, a.count, a, b.share, b.count, b)

/** Filed key of `a` before current key of `b`. */
const placedBefore = (a: SortNode, b: SortNode): boolean =>
  keyBefore(a.placedShare, a.placedCount, a, b.share, b.count, b)

/** Current key of `a` before filed key of `b`. */
const beforePlaced = (a: SortNode, b: SortNode): boolean =>
  keyBefore(a.share, a.count, a, b.placedShare, b.placedCount, b)

/** Filed key of `a` before filed key of `b`. */
const placedBeforePlaced = (a: SortNode, b: SortNode): boolean =>
  keyBefore(a.placedShare, a.placedCount, a, b.placedShare, b.placedCount, b)

const compare = (a: SortNode, b: SortNode): number => (before(a, b) ? -1 : before(b, a) ? 1 : 0)

const file = (parent: SortNode, node: SortNode): void => {
  parent.children.insert(node, placedBefore)
  node.placedShare = node.share
  node.placedCount = node.count
}

/** Dominant share of `alloc` against `total` over the dimensions that count for fairness. */
export const dominantShare = (alloc: Vec, total: Vec, fair: ReadonlyArray<boolean>): number => {
  let max = 0
  for (let i = 0; i < alloc.length; i++) {
    const a = alloc[i]
    const t = total[i]
    if (a === undefined || a <= 0 || t === undefined || t <= 0 || !fair[i]) continue
    const s = a / t
    if (s > max) max = s
  }
  return max
}

/** Keeps every group's children sorted; changes made during a walk are re-filed by `flush`. */
export class Sorter {
  readonly root = new SortNode("role", "", undefined)
  /** Cluster totals per dimension, and which dimensions count for fairness. */
  total: Vec = []
  fair: ReadonlyArray<boolean> = []
  private stale = false
  private readonly pending = new Map<SortNode, SortNode | "all">()

  /** Marks every share stale (totals changed): the next `flush` re-scores and re-sorts everything. */
  invalidate(): void {
    this.stale = true
    this.pending.clear()
  }

  private score(node: SortNode): void {
    node.share = dominantShare(node.alloc, this.total, this.fair) / node.weight
  }

  /** Inserts `node` into its parent at its sorted position. */
  insert(node: SortNode): void {
    this.flush()
    this.score(node)
    file(node.parent!, node)
  }

  /** Removes `node` from its parent. */
  remove(node: SortNode): void {
    this.flush()
    node.parent!.children.remove(node, placedBeforePlaced)
  }

  /** Adds `delta` (times `sign`) to the allocation of `node` and its ancestors; positions are fixed by `flush`. */
  allocate(node: SortNode, delta: Vec, sign: 1 | -1, counts: boolean): void {
    for (let n: SortNode | undefined = node; n !== undefined && n.parent !== undefined; n = n.parent) {
      for (let i = 0; i < delta.length; i++) {
        const d = delta[i]
        if (d !== undefined && d !== 0) n.alloc[i] = fixed((n.alloc[i] ?? 0) + sign * d)
      }
      if (counts) n.count++
      this.touch(n)
    }
  }

  /** Re-scores `node` (after a weight change, say); its position is fixed by `flush`. */
  touch(node: SortNode): void {
    if (this.stale) return
    this.score(node)
    const parent = node.parent!
    const seen = this.pending.get(parent)
    this.pending.set(parent, seen === undefined || seen === node ? node : "all")
  }

  /** Restores the sorted order after changes. */
  flush(): void {
    if (this.stale) {
      this.stale = false
      this.resort(this.root)
      return
    }
    if (this.pending.size === 0) return
    for (const [group, changed] of this.pending) {
      if (changed === "all") sortChildren(group)
      else if (!group.children.inPlace(changed, placedBeforePlaced, placedBefore, beforePlaced)) {
        group.children.remove(changed, placedBeforePlaced)
        file(group, changed)
      } else {
        changed.placedShare = changed.share
        changed.placedCount = changed.count
      }
    }
    this.pending.clear()
  }

  private resort(group: SortNode): void {
    group.children.some((child) => {
      this.score(child)
      if (child.children.size > 0) this.resort(child)
      return false
    })
    sortChildren(group)
  }
}

const sortChildren = (group: SortNode): void => {
  group.children.resort(compare)
  group.children.some((child) => {
    child.placedShare = child.share
    child.placedCount = child.count
    return false
  })
}
