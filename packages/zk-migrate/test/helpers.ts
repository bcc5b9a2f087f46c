/**
 * Test helpers: clients on real servers, tree builders, unique roots.
 */
import {
  Op,
  ZooKeeperClient,
  type ZooKeeperClientOptions,
  type ZooKeeperUnavailable
} from "@orchestrator/core/zookeeper"
import { Context, Effect, Layer, type Scope } from "effect"
import { Endpoints, type SideConfig } from "../src/Endpoints.js"
import { removeSubtree } from "../src/internal/remove.js"

let counter = 0

/** A root path nobody else uses. */
export const uniqueRoot = (name: string): string =>
  `/zkm-${name}-${process.pid}-${Date.now().toString(36)}-${counter++}`

/** A client built into the current scope. */
export const client = (
  options: ZooKeeperClientOptions
): Effect.Effect<ZooKeeperClient["Service"], ZooKeeperUnavailable, Scope.Scope> =>
  Layer.build(ZooKeeperClient.layer({ sessionTimeoutMs: 4_000, ...options })).pipe(
    Effect.map((context) => Context.get(context, ZooKeeperClient))
  )

/** Both sides built into the current scope. */
export const endpoints = (source: SideConfig, target: SideConfig) =>
  Layer.build(
    Endpoints.layer({ source: { sessionTimeoutMs: 4_000, ...source }, target: { sessionTimeoutMs: 4_000, ...target } })
  ).pipe(Effect.map((context) => Context.get(context, Endpoints)))

/** Creates `count` leaves under `root` spread over `fanout` parents, in transactions. */
export const buildTree = (zk: ZooKeeperClient["Service"], root: string, count: number, fanout = 100) =>
  Effect.gen(function* () {
    yield* zk.mkdirp(root)
    const parents = Array.from({ length: fanout }, (_, i) => Op.create(`${root}/p${i}`, `parent ${i}`))
    yield* zk.multi(parents)
    const leaves = Array.from({ length: count - fanout }, (_, i) =>
      Op.create(`${root}/p${i % fanout}/n${i}`, `value ${i}`)
    )
    const size = 500
    const chunks = Array.from({ length: Math.ceil(leaves.length / size) }, (_, i) =>
      leaves.slice(i * size, (i + 1) * size)
    )
    yield* Effect.forEach(chunks, (chunk) => zk.multi(chunk), { concurrency: 8, discard: true })
  })

/** Deletes a whole subtree fast (transactions of deletes), for cleanup. */
export const removeTree = (zk: ZooKeeperClient["Service"], root: string) =>
  removeSubtree({ name: "target", client: zk, root, connectString: zk.connectString, identities: [] }, "").pipe(
    Effect.flatMap(() => zk.remove(root)),
    Effect.catchTag("ZooKeeperError", (error) => (error.code === "NO_NODE" ? Effect.void : Effect.fail(error)))
  )
