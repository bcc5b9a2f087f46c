/**
 * Test helpers: clients on real servers, tree builders, unique roots.
 */
import {
  Op,
  ZooKeeperClient,
  type ZooKeeperClientOptions,
  type ZooKeeperError,
  type ZooKeeperUnavailable
} from "@orchestrator/core/zookeeper"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Context, Effect, Layer, type Scope } from "effect"
import { zookeeperFixture } from "../../../test/fixtures/index.js"
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

/** What {@link scenario} sets up. */
export interface Scenario {
  readonly dir: string
  readonly root: string
  readonly src: ZooKeeperClient["Service"]
  readonly tgt: ZooKeeperClient["Service"]
  readonly sourceConnect: string
  readonly targetConnect: string
  readonly stateFile: string
  /** `--source --target --path --state` for the CLI. */
  readonly common: ReadonlyArray<string>
  /** The state file as it is now. */
  readonly state: () => {
    readonly phase: string
    readonly direction: string
    readonly pending?: { readonly operation: string }
  }
}

/**
 * A migration scenario on the shared servers (standalone -> ensemble): a temporary folder with the state
 * file, a tree of `nodes` under a unique root on the source, clients on both sides, and the CLI's common
 * flags; all removed with the scope.
 */
export const scenario = (
  name: string,
  nodes: number,
  fanout = 100
): Effect.Effect<Scenario, ZooKeeperError | ZooKeeperUnavailable, Scope.Scope> =>
  Effect.gen(function* () {
    const fixture = zookeeperFixture()
    const dir = mkdtempSync(join(tmpdir(), `zkm-${name}-`))
    yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
    const root = uniqueRoot(name)
    const sourceConnect = fixture?.standalone.connectString ?? ""
    const targetConnect = fixture?.ensemble.connectString ?? ""
    const src = yield* client({ connectString: sourceConnect })
    const tgt = yield* client({ connectString: targetConnect })
    yield* buildTree(src, root, nodes, fanout)
    yield* Effect.addFinalizer(() => Effect.all([removeTree(src, root), removeTree(tgt, root)]).pipe(Effect.ignore))
    const stateFile = join(dir, "state.json")
    const common = ["--source", sourceConnect, "--target", targetConnect, "--path", root, "--state", stateFile]
    const state = () => JSON.parse(readFileSync(stateFile, "utf8")) as ReturnType<Scenario["state"]>
    return { dir, root, src, tgt, sourceConnect, targetConnect, stateFile, common, state }
  })
