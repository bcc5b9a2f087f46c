/**
 * The tree model: one znode as the engine reads it (data, ACL, stat, kind), and paths relative to the
 * migrated root so that a subtree can move to another place on the target.
 *
 * @since 0.1.0
 */
import type { Acl, Stat } from "@orchestrator/core/zookeeper"

/**
 * What kind of znode it is, recognised from `ephemeralOwner`: `0` persistent, a session id ephemeral,
 * `0x8000000000000000` container, other negative values (top byte `0xFF`) TTL. Sequential nodes are
 * persistent or ephemeral nodes whose name ends in the 10-digit counter: ZooKeeper keeps no flag for them.
 *
 * @since 0.1.0
 * @category models
 */
export type NodeKind = "persistent" | "ephemeral" | "container" | "ttl"

const containerOwner = -(2n ** 63n)

/**
 * The kind a stat's `ephemeralOwner` marks.
 *
 * @since 0.1.0
 * @category utils
 */
export const kindOf = (ephemeralOwner: bigint): NodeKind =>
  ephemeralOwner === 0n
    ? "persistent"
    : ephemeralOwner === containerOwner
      ? "container"
      : ephemeralOwner < 0n
        ? "ttl"
        : "ephemeral"

/**
 * One znode read from a server. `path` is relative to the migrated root (`""` is the root itself).
 *
 * @since 0.1.0
 * @category models
 */
export interface ZNode {
  readonly path: string
  readonly data: Uint8Array
  readonly acl: Acl.Acl
  readonly stat: Stat
  readonly kind: NodeKind
  /** Child names, sorted. */
  readonly children: ReadonlyArray<string>
}

/**
 * A subtree read from one side: nodes by relative path, parents before children in `order`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Snapshot {
  readonly root: string
  readonly nodes: ReadonlyMap<string, ZNode>
}

/**
 * The absolute path of a relative path under `root`.
 *
 * @since 0.1.0
 * @category utils
 */
export const absolute = (root: string, relative: string): string =>
  root === "/" ? (relative === "" ? "/" : relative) : `${root}${relative}`

/**
 * The relative path of an absolute path under `root`.
 *
 * @since 0.1.0
 * @category utils
 */
export const relative = (root: string, path: string): string =>
  root === "/" ? (path === "/" ? "" : path) : path.slice(root.length)

/**
 * The relative path of a child.
 *
 * @since 0.1.0
 * @category utils
 */
export const child = (parent: string, name: string): string => `${parent}/${name}`

/**
 * The parent of a relative path (`undefined` for the root).
 *
 * @since 0.1.0
 * @category utils
 */
export const parent = (path: string): string | undefined =>
  path === "" ? undefined : path.slice(0, path.lastIndexOf("/"))

/**
 * How deep a relative path is (`0` for the root).
 *
 * @since 0.1.0
 * @category utils
 */
export const depth = (path: string): number => {
  let count = 0
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) count++
  return count
}

/**
 * Whether a child name carries a sequential suffix (10 digits).
 *
 * @since 0.1.0
 * @category utils
 */
export const isSequentialName = (name: string): boolean => /\d{10}$/.test(name)

/**
 * Normalizes a root path given by a user (`"apps/"` -> `"/apps"`).
 *
 * @since 0.1.0
 * @category utils
 */
export const normalizeRoot = (path: string): string => {
  const trimmed = `/${path.trim().replace(/^\/+|\/+$/g, "")}`
  return trimmed === "/" ? "/" : trimmed.replace(/\/{2,}/g, "/")
}
