/**
 * `drain` is a barrier: a change committed on a watched side before `drain` is called has reached the other
 * side when it returns `true`. The written side is one ensemble member for the engine and another for the
 * writer, so a notification can trail the writer's answer (the case the old drain returned too early on).
 */
import { describe, expect, it } from "@effect/vitest"
import { Acl, Op, type ZooKeeperClient } from "@orchestrator/core/zookeeper"
import { Effect } from "effect"
import { beforeAll } from "vitest"
import { serverMode, zookeeperFixture } from "../../../test/fixtures/index.js"
import * as Copier from "../src/Copier.js"
import { Endpoints } from "../src/Endpoints.js"
import * as SyncEngine from "../src/SyncEngine.js"
import { buildTree, client, endpoints, removeTree, uniqueRoot } from "./helpers.js"

const fixture = zookeeperFixture()
const text = (data: Uint8Array) => new TextDecoder().decode(data)
type Client = ZooKeeperClient["Service"]

/** Relative path -> data of every node under `root`, read through `zk` (which sees its own writes). */
const snapshot = (zk: Client, root: string) =>
  Effect.gen(function* () {
    const nodes = new Map<string, { readonly data: string; readonly children: number }>()
    let level: ReadonlyArray<string> = [root]
    while (level.length > 0) {
      const read = yield* zk.readMany(level, { acl: false })
      const next: Array<string> = []
      for (const node of read) {
        if (node === undefined) continue
        const children = node.children ?? []
        nodes.set(node.path.slice(root.length) || "/", { data: text(node.data), children: children.length })
        for (const name of children) next.push(`${node.path}/${name}`)
      }
      level = next
    }
    return nodes
  })

/** What differs between two snapshots, one line per path. */
const differences = (
  written: ReadonlyMap<string, { readonly data: string }>,
  other: ReadonlyMap<string, { readonly data: string }>
): ReadonlyArray<string> => {
  const lines: Array<string> = []
  for (const [path, node] of written) {
    const seen = other.get(path)
    if (seen === undefined) lines.push(`${path} missing`)
    else if (seen.data !== node.data) lines.push(`${path} is "${seen.data}", not "${node.data}"`)
  }
  for (const path of other.keys()) if (!written.has(path)) lines.push(`${path} not deleted`)
  return lines
}

/** A small deterministic generator (the same writes every run). */
const random = (seed: number) => {
  let state = seed
  return (n: number): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state % n
  }
}

/**
 * One varied write (or two) on `zk` under `root`, chosen from what is there now: an update, a create, a
 * leaf delete, a subtree created in one transaction, a subtree deleted, or two quick updates.
 */
const write = (
  zk: Client,
  root: string,
  now: ReadonlyMap<string, { readonly children: number }>,
  i: number,
  pick: (n: number) => number
) => {
  const paths = [...now.keys()].filter((path) => path !== "/")
  const leaves = paths.filter((path) => now.get(path)?.children === 0)
  const any = (list: ReadonlyArray<string>) => `${root}${list[pick(list.length)]}`
  const shallow = paths.filter((path) => path.split("/").length <= 3)
  switch (i % 6) {
    case 0:
      return zk.setData(any(paths), `updated ${i}`)
    case 1:
      return zk.create(`${any(shallow)}/c${i}`, `created ${i}`)
    case 2:
      return leaves.length > 1 ? zk.remove(any(leaves)) : zk.create(`${root}/c${i}`, `created ${i}`)
    case 3:
      return zk.multi([Op.create(`${root}/t${i}`, `tree ${i}`), Op.create(`${root}/t${i}/x`, `tree ${i} child`)])
    case 4: {
      const trees = paths.filter((path) => /^\/t\d+$/.test(path))
      return trees.length > 0
        ? zk.removeRecursive(any(trees))
        : zk.setData(any(paths), `updated ${i}`).pipe(Effect.andThen(zk.setData(any(paths), `again ${i}`)))
    }
    default:
      return zk.setData(any(paths), `first ${i}`).pipe(Effect.andThen(zk.setData(any(paths), `second ${i}`)))
  }
}

const iterations = 50

describe.skipIf(fixture === null)("SyncEngine.drain is a barrier", () => {
  const members = fixture?.ensemble.servers ?? []
  const standalone = fixture?.standalone.connectString ?? ""
  // the writer on the leader and the engine on a follower: the leader applies a commit (and answers the
  // writer) before the follower hears of it, so the engine's notification trails the writer's answer
  let writerSide = members[0]?.connectString ?? ""
  let engineSide = members[1]?.connectString ?? ""
  beforeAll(async () => {
    const modes = await Promise.all(members.map(serverMode))
    const leader = members[modes.indexOf("leader")]
    const follower = members[modes.indexOf("follower")]
    if (leader !== undefined && follower !== undefined) {
      writerSide = leader.connectString
      engineSide = follower.connectString
    }
  })

  /**
   * A tree of 40 nodes on the source, copied to the target, a sync started with `options` and drained, all
   * removed with the scope.
   */
  const started = (
    root: string,
    sides: { readonly source: string; readonly target: string },
    clients: { readonly src: Client; readonly tgt: Client },
    options: SyncEngine.SyncOptions
  ) =>
    Effect.gen(function* () {
      const { src, tgt } = clients
      yield* Effect.addFinalizer(() => Effect.all([removeTree(src, root), removeTree(tgt, root)]).pipe(Effect.ignore))
      yield* buildTree(src, root, 40, 8)
      const connected = yield* endpoints(
        { connectString: sides.source, path: root },
        { connectString: sides.target, path: root }
      )
      yield* Copier.copy().pipe(Effect.provideService(Endpoints, connected))
      const handle = yield* SyncEngine.start({ reconcileIntervalMs: 0, ...options }).pipe(
        Effect.provideService(Endpoints, connected)
      )
      expect(yield* handle.drain(10_000)).toBe(true)
      return handle
    })

  /**
   * `writtenOn` is the side the test writes on: the writer reaches it through the ensemble's leader, the
   * engine through a follower; the other side is the standalone server.
   */
  const loop = (name: string, writtenOn: "source" | "target", options: SyncEngine.SyncOptions) =>
    Effect.gen(function* () {
      const root = uniqueRoot(name)
      const writer = yield* client({ connectString: writerSide })
      const otherSide = yield* client({ connectString: standalone })
      const handle = yield* started(
        root,
        writtenOn === "source"
          ? { source: engineSide, target: standalone }
          : { source: standalone, target: engineSide },
        writtenOn === "source" ? { src: writer, tgt: otherSide } : { src: otherSide, tgt: writer },
        options
      )

      const pick = random(7)
      const failures: Array<string> = []
      let now = yield* snapshot(writer, root)
      for (let i = 0; i < iterations; i++) {
        yield* write(writer, root, now, i, pick)
        const drained = yield* handle.drain(10_000)
        // the written side through the writer's session (it sees its own writes), the other side directly
        now = yield* snapshot(writer, root)
        const lines = differences(now, yield* snapshot(otherSide, root))
        const report = yield* handle.verify
        if (!drained || lines.length > 0 || !report.equal) {
          failures.push(`iteration ${i}: drained=${drained} verify.equal=${report.equal} ${lines.join("; ")}`.trim())
        }
      }
      expect(failures, `${failures.length} of ${iterations} iterations not in sync after drain`).toEqual([])
      expect((yield* handle.stats).errors).toBe(0)
    })

  it.live(
    "one-way forward: every write on the source has reached the target when drain returns",
    () => loop("drain-forward", "source", {}),
    120_000
  )

  it.live(
    "one-way reverse (after cutover): every write on the target has reached the source",
    () => loop("drain-reverse", "target", { direction: "reverse" }),
    120_000
  )

  it.live(
    "bidirectional: every write on the target has reached the source when drain returns",
    () => loop("drain-bidi", "target", { mode: "bidirectional" }),
    120_000
  )

  it.live("a reconciliation scan in progress is waited for (an ACL change fires no watch)", () =>
    Effect.gen(function* () {
      const root = uniqueRoot("drain-scan")
      const src = yield* client({ connectString: standalone })
      const tgt = yield* client({ connectString: engineSide })
      const handle = yield* started(root, { source: standalone, target: engineSide }, { src, tgt }, {})
      const acl: Acl.Acl = [...Acl.openUnsafe, { perms: Acl.Perms.read, scheme: "ip", id: "10.0.0.7" }]
      yield* src.setACL(`${root}/p3`, acl)
      yield* Effect.forkChild(handle.reconcile)
      expect(yield* handle.drain(10_000)).toBe(true)
      expect(Acl.equals((yield* tgt.getACL(`${root}/p3`)).acl, acl)).toBe(true)
    })
  )
})
