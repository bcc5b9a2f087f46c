/**
 * What the target should hold for each source node: the copy policy (ephemerals, container/TTL nodes, ACL
 * mapping) applied to a snapshot gives the *expected view* that copy writes, sync keeps and verify checks.
 *
 * @since 0.1.0
 */
import { Acl } from "@orchestrator/core/zookeeper"
import { Schema } from "effect"
import * as ZNode from "./ZNode.js"

/**
 * How ACLs travel: `preserve` copies them as they are, `reset` gives every target node `world:anyone` with
 * all permissions, `map` replaces entries by `scheme:id` (entries not in the map are kept).
 *
 * @since 0.1.0
 * @category models
 */
export type AclPolicy =
  | { readonly _tag: "preserve" }
  | { readonly _tag: "reset" }
  | { readonly _tag: "map"; readonly entries: ReadonlyMap<string, Acl.AclEntry> }

/**
 * The copy policy.
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy {
  /** Ephemeral nodes belong to sessions: `skip` (default) or copy them as persistent nodes. */
  readonly ephemerals: "skip" | "persistent"
  /**
   * Container and TTL nodes: node-zookeeper-client cannot create them, so they are copied as persistent
   * nodes (default) or skipped; either way the copy report lists them.
   */
  readonly unsupportedKinds: "persistent" | "skip"
  readonly acl: AclPolicy
}

/**
 * The default policy: skip ephemerals, copy container/TTL nodes as persistent, preserve ACLs.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaults: Policy = { ephemerals: "skip", unsupportedKinds: "persistent", acl: { _tag: "preserve" } }

/**
 * Builds an ACL map from `[{ from: "digest:user:hash", to: { scheme, id, perms } }]`, the JSON form the CLI
 * reads.
 *
 * @since 0.1.0
 * @category constructors
 */
export const aclMap = (entries: ReadonlyArray<{ readonly from: string; readonly to: Acl.AclEntry }>): AclPolicy => ({
  _tag: "map",
  entries: new Map(entries.map((entry) => [entry.from, entry.to]))
})

/**
 * The JSON form of an ACL map file.
 *
 * @since 0.1.0
 * @category models
 */
export const AclMapFile = Schema.Array(Schema.Struct({ from: Schema.String, to: Acl.AclEntry }))

/**
 * One node as the target should hold it (or as it holds it).
 *
 * @since 0.1.0
 * @category models
 */
export interface Entry {
  readonly data: Uint8Array
  readonly acl: Acl.Acl
  readonly kind: ZNode.NodeKind
  readonly children: ReadonlyArray<string>
}

/**
 * A tree of entries by relative path.
 *
 * @since 0.1.0
 * @category models
 */
export type View = ReadonlyMap<string, Entry>

/**
 * The ACL the target gets for a source ACL.
 *
 * @since 0.1.0
 * @category utils
 */
export const mapAcl = (policy: AclPolicy, acl: Acl.Acl): Acl.Acl => {
  switch (policy._tag) {
    case "preserve":
      return acl
    case "reset":
      return Acl.openUnsafe
    case "map":
      return acl.map((entry) => policy.entries.get(`${entry.scheme}:${entry.id}`) ?? entry)
  }
}

/**
 * Whether a source node of this kind is copied at all.
 *
 * @since 0.1.0
 * @category utils
 */
export const copies = (policy: Policy, kind: ZNode.NodeKind): boolean =>
  kind === "persistent" ||
  (kind === "ephemeral" ? policy.ephemerals === "persistent" : policy.unsupportedKinds === "persistent")

/**
 * The entry a source node should have on the target, `undefined` when the policy skips it.
 *
 * @since 0.1.0
 * @category utils
 */
export const expectedEntry = (
  policy: Policy,
  node: Pick<ZNode.ZNode, "data" | "acl" | "kind" | "children">,
  children: ReadonlyArray<string>
): Entry | undefined =>
  copies(policy, node.kind)
    ? { data: node.data, acl: mapAcl(policy.acl, node.acl), kind: "persistent", children }
    : undefined

/**
 * The view the target should hold for a source snapshot (skipped nodes and their subtrees left out).
 *
 * @since 0.1.0
 * @category utils
 */
export const expectedView = (policy: Policy, snapshot: ZNode.Snapshot): View => {
  const view = new Map<string, Entry>()
  const visit = (path: string): void => {
    const node = snapshot.nodes.get(path)
    if (node === undefined) return
    const kept = node.children.filter((name) => {
      const childNode = snapshot.nodes.get(ZNode.child(path, name))
      return childNode !== undefined && copies(policy, childNode.kind)
    })
    const entry = expectedEntry(policy, node, kept)
    if (entry === undefined) return
    view.set(path, entry)
    for (const name of kept) visit(ZNode.child(path, name))
  }
  visit("")
  return view
}

/**
 * The view a snapshot holds as it is.
 *
 * @since 0.1.0
 * @category utils
 */
export const actualView = (snapshot: ZNode.Snapshot): View => {
  const view = new Map<string, Entry>()
  for (const [path, node] of snapshot.nodes) {
    view.set(path, {
      data: node.data,
      acl: node.acl,
      kind: node.kind,
      children: node.children.filter((name) => snapshot.nodes.has(ZNode.child(path, name)))
    })
  }
  return view
}
