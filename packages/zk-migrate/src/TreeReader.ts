/**
 * Reads a subtree from one side: breadth first, many requests in flight (node-zookeeper-client pipelines
 * them on one connection), data, ACL and stat per node, children only where `numChildren > 0`.
 *
 * @since 0.1.0
 */
import type { ReadNode } from "@orchestrator/core/zookeeper"
import { Effect, Option } from "effect"
import { fromZooKeeper, retryConnection, type Side } from "./Endpoints.js"
import { AccessDenied, PathNotFound, type ZooKeeperFailed } from "./Errors.js"
import * as ZNode from "./ZNode.js"

/**
 * Options of {@link readTree}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReadOptions {
  /** Requests in flight (default 1,000). */
  readonly concurrency?: number
  /** Called after each level with the number of nodes read so far. */
  readonly onProgress?: (nodesRead: number) => void
  /** Fail with {@link PathNotFound} when the root is missing (default); otherwise read it as empty. */
  readonly requireRoot?: boolean
  /** Leave a data and a child watch on every node read; called with each node's registrations. */
  readonly watch?: (path: string, node: ReadNode) => void
}

/**
 * ZooKeeper's own subtree (`/zookeeper`: quotas, the dynamic config), never migrated.
 *
 * @since 0.1.0
 * @category constants
 */
export const systemPath = "/zookeeper"

/**
 * Whether an absolute path is ZooKeeper's own (skipped by every reader and by sync).
 *
 * @since 0.1.0
 * @category utils
 */
export const isSystemPath = (path: string): boolean => path === systemPath || path.startsWith(`${systemPath}/`)

/**
 * Whether an ACL entry is a digest whose hash the server replaced with `x`: since ZooKeeper 3.6 `getACL`
 * hides digest hashes from callers without ADMIN permission on the node. Copying it would lock everyone out
 * of the copy, so the reader refuses it.
 *
 * @since 0.1.0
 * @category utils
 */
export const isMaskedDigest = (entry: { readonly scheme: string; readonly id: string }): boolean =>
  entry.scheme === "digest" && entry.id.endsWith(":x")

const toZNode = (side: Side, path: string, raw: ReadNode): ZNode.ZNode => {
  const children = raw.children ?? []
  return {
    path,
    data: raw.data,
    acl: raw.acl ?? [],
    stat: raw.stat,
    kind: ZNode.kindOf(raw.stat.ephemeralOwner),
    children: ZNode.absolute(side.root, path) === "/" ? children.filter((name) => !isSystemPath(`/${name}`)) : children
  }
}

/**
 * Reads many nodes (relative paths) in one pipelined call, retried as a whole on connection errors.
 *
 * @since 0.1.0
 * @category constructors
 */
export const readNodes = (
  side: Side,
  paths: ReadonlyArray<string>,
  inFlight = 1_000,
  watch?: (path: string, node: ReadNode) => void
): Effect.Effect<ReadonlyArray<ZNode.ZNode | undefined>, AccessDenied | ZooKeeperFailed> =>
  retryConnection(
    side.client.readMany(
      paths.map((path) => ZNode.absolute(side.root, path)),
      { inFlight, watch: watch !== undefined }
    )
  ).pipe(
    Effect.mapError(fromZooKeeper(side.name)),
    Effect.flatMap((raw) => {
      const masked = raw.findIndex((node) => node?.acl?.some(isMaskedDigest) === true)
      if (masked >= 0) {
        return Effect.fail(
          new AccessDenied({
            side: side.name,
            path: ZNode.absolute(side.root, paths[masked] as string),
            operation: "getACL (the server hides digest hashes without ADMIN permission)"
          })
        )
      }
      return Effect.succeed(
        raw.map((node, i) => {
          if (node === undefined) return undefined
          const path = paths[i] as string
          watch?.(path, node)
          return toZNode(side, path, node)
        })
      )
    })
  )

/**
 * Reads one node (relative path) with its data, ACL, stat and child names; `None` when it does not exist.
 *
 * @since 0.1.0
 * @category constructors
 */
export const readNode = (
  side: Side,
  path: string
): Effect.Effect<Option.Option<ZNode.ZNode>, AccessDenied | ZooKeeperFailed> =>
  readNodes(side, [path]).pipe(Effect.map((nodes) => Option.fromUndefinedOr(nodes[0])))

/** How many paths one pipelined read takes (bounds what a retry after a connection loss repeats). */
const chunkSize = 5_000

/**
 * Reads the subtree under the side's root into a snapshot.
 *
 * @since 0.1.0
 * @category constructors
 */
export const readTree = Effect.fn("TreeReader.readTree")(function* (side: Side, options: ReadOptions = {}) {
  const inFlight = options.concurrency ?? 1_000
  const nodes = new Map<string, ZNode.ZNode>()
  const root = Option.fromUndefinedOr((yield* readNodes(side, [""], inFlight, options.watch))[0])
  if (Option.isNone(root)) {
    if (options.requireRoot ?? true) return yield* new PathNotFound({ side: side.name, path: side.root })
    return { root: side.root, nodes } satisfies ZNode.Snapshot
  }
  nodes.set("", root.value)
  let frontier: ReadonlyArray<string> = root.value.children.map((name) => ZNode.child("", name))
  while (frontier.length > 0) {
    const next: Array<string> = []
    for (let i = 0; i < frontier.length; i += chunkSize) {
      const chunk = frontier.slice(i, i + chunkSize)
      const read = yield* readNodes(side, chunk, inFlight, options.watch)
      read.forEach((node, j) => {
        if (node === undefined) return
        const path = chunk[j] as string
        nodes.set(path, node)
        for (const name of node.children) next.push(ZNode.child(path, name))
      })
      options.onProgress?.(nodes.size)
    }
    frontier = next
  }
  // a node deleted between its parent's getChildren and its own read is simply absent
  const snapshot: ZNode.Snapshot = { root: side.root, nodes }
  return snapshot
})
