/**
 * Deleting a subtree fast: list it with pipelined reads, then delete deepest first in transactions.
 *
 * @internal
 */
import { Op } from "@orchestrator/core/zookeeper"
import { Effect } from "effect"
import { fromZooKeeper, retryConnection, type Side } from "../Endpoints.js"
import type { AccessDenied, ZooKeeperFailed } from "../Errors.js"
import { readTree } from "../TreeReader.js"
import * as ZNode from "../ZNode.js"
import { batches } from "./batches.js"

/** Deletes the node at `path` (relative to the side's root) and everything below it; returns how many. */
export const removeSubtree = (side: Side, path: string): Effect.Effect<number, AccessDenied | ZooKeeperFailed> =>
  Effect.gen(function* () {
    const sub: Side = { ...side, root: ZNode.absolute(side.root, path) }
    const snapshot = yield* readTree(sub, { requireRoot: false }).pipe(
      Effect.catchTag("PathNotFound", () => Effect.succeed({ root: sub.root, nodes: new Map<string, ZNode.ZNode>() }))
    )
    const paths = [...snapshot.nodes.keys()]
      .filter((p) => !(sub.root === "/" && p === ""))
      .sort((a, b) => ZNode.depth(b) - ZNode.depth(a))
    const ops = paths.map((p) => Op.remove(ZNode.absolute(sub.root, p)))
    for (const batch of batches(ops, { maxOps: 500, maxBytes: 512 * 1024 })) {
      yield* retryConnection(side.client.multi(batch)).pipe(
        Effect.catchIf(
          (error) => !error.isConnectionError,
          () =>
            Effect.forEach(
              batch,
              (op) =>
                retryConnection(side.client.multi([op])).pipe(
                  Effect.catchIf(
                    (error) => error.code === "NO_NODE",
                    () => Effect.void
                  )
                ),
              { discard: true }
            )
        ),
        Effect.mapError(fromZooKeeper(side.name))
      )
    }
    return paths.length
  })
