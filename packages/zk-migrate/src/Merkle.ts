/**
 * Merkle digests per subtree over path, data, ACL and kind. ZooKeeper keeps no digest that compares across
 * ensembles, so both sides are hashed here from what was read; a tree is kept current by `set`/`remove`
 * (from change capture) and only the changed paths' ancestors are hashed again.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Acl } from "@orchestrator/core/zookeeper"
import type { Entry, View } from "./Policy.js"
import * as ZNode from "./ZNode.js"

/**
 * The digest of one node on its own (relative path, data, ACL, kind), hex.
 *
 * @since 0.1.0
 * @category utils
 */
export const nodeDigest = (path: string, entry: Pick<Entry, "data" | "acl" | "kind">): string =>
  createHash("sha256")
    .update(path)
    .update("\0")
    .update(entry.kind)
    .update("\0")
    .update(Acl.canonical(entry.acl))
    .update("\0")
    .update(entry.data)
    .digest("hex")

/**
 * A Merkle tree over a view, recomputed lazily: `set`/`remove` mark the path and its ancestors dirty.
 *
 * @since 0.1.0
 * @category models
 */
export class MerkleTree {
  private readonly entries = new Map<string, Entry>()
  private readonly own = new Map<string, string>()
  private readonly subtree = new Map<string, string>()

  /** Builds a tree over a whole view. */
  static fromView(view: View): MerkleTree {
    const tree = new MerkleTree()
    for (const [path, entry] of view) {
      tree.entries.set(path, entry)
    }
    return tree
  }

  /** How many nodes the tree holds. */
  get size(): number {
    return this.entries.size
  }

  /** The entry at a path. */
  get(path: string): Entry | undefined {
    return this.entries.get(path)
  }

  /** Sets (or replaces) one node; its children list says which child paths belong to it. */
  set(path: string, entry: Entry): void {
    this.entries.set(path, entry)
    this.own.delete(path)
    this.invalidate(path)
  }

  /** Removes one node and everything below it. */
  remove(path: string): void {
    const entry = this.entries.get(path)
    if (entry !== undefined) for (const name of entry.children) this.remove(ZNode.child(path, name))
    this.entries.delete(path)
    this.own.delete(path)
    this.invalidate(path)
  }

  /** The digest of the subtree at `path` (`undefined` when there is no such node). */
  digest(path = ""): string | undefined {
    const cached = this.subtree.get(path)
    if (cached !== undefined) return cached
    const entry = this.entries.get(path)
    if (entry === undefined) return undefined
    let own = this.own.get(path)
    if (own === undefined) {
      own = nodeDigest(path, entry)
      this.own.set(path, own)
    }
    const hash = createHash("sha256").update(own)
    for (const name of entry.children) {
      const childDigest = this.digest(ZNode.child(path, name))
      if (childDigest !== undefined) hash.update(name).update(childDigest)
    }
    const digest = hash.digest("hex")
    this.subtree.set(path, digest)
    return digest
  }

  /**
   * The paths below `path` (included) where the two trees differ, descending only into subtrees whose
   * digests differ: the cost is proportional to the differences, not to the tree.
   */
  differingPaths(other: MerkleTree, path = ""): ReadonlyArray<string> {
    if (this.digest(path) === other.digest(path)) return []
    const mine = this.entries.get(path)
    const theirs = other.entries.get(path)
    if (mine === undefined || theirs === undefined) return [path]
    const out: Array<string> = []
    if (this.own.get(path) !== other.own.get(path)) out.push(path)
    const names = new Set([...mine.children, ...theirs.children])
    for (const name of [...names].sort()) out.push(...this.differingPaths(other, ZNode.child(path, name)))
    return out
  }

  private invalidate(path: string): void {
    let current: string | undefined = path
    while (current !== undefined) {
      this.subtree.delete(current)
      current = ZNode.parent(current)
    }
  }
}
