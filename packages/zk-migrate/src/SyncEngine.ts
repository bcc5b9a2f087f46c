/**
 * Continuous sync between the sides: change capture with one-shot watches re-armed on every event (each
 * re-arm is a fresh read, so a change made between a watch firing and its re-arm is still seen), a per-path
 * work queue that compares both sides and writes the difference, deletes propagated, and a periodic
 * reconciliation scan for what watches cannot see (ACL changes fire no watch; watches of an expired session
 * are gone). One-way mode copies the primary side onto the other; bidirectional mode moves changes either
 * way without echo loops (a written change reads back equal and stops there) and decides conflicts by
 * policy, recording each.
 *
 * @since 0.1.0
 */
import { Acl, Op, type ReadNode, type Watched, type ZooKeeperError } from "@orchestrator/core/zookeeper"
import { Deferred, Effect, Metric, Option, PubSub, Queue, type Scope, Stream } from "effect"
import { type Conflict, type ConflictPolicy, decide, type NodeVersion, policyName } from "./Conflict.js"
import { bytesEqual, compareEntry } from "./Diff.js"
import { Endpoints, fromZooKeeper, retryConnection, type Side } from "./Endpoints.js"
import type { AccessDenied, Difference, MigrationError, ZooKeeperFailed } from "./Errors.js"
import * as BaselineStore from "./internal/baselineStore.js"
import { removeSubtree } from "./internal/remove.js"
import { MerkleTree, nodeDigest } from "./Merkle.js"
import { LagRecorder, metrics } from "./Metrics.js"
import * as Policy from "./Policy.js"
import { isSystemPath, readNodes, readTree } from "./TreeReader.js"
import type { VerifyReport } from "./Verifier.js"
import * as ZNode from "./ZNode.js"

/**
 * Which way changes flow: `forward` source -> target (before cutover), `reverse` target -> source (after
 * cutover, so the old ensemble stays current for a rollback).
 *
 * @since 0.1.0
 * @category models
 */
export type Direction = "forward" | "reverse"

/**
 * Options of the sync engine.
 *
 * @since 0.1.0
 * @category models
 */
export interface SyncOptions {
  readonly mode?: "one-way" | "bidirectional"
  readonly direction?: Direction
  /** Bidirectional only (default `source-wins`). */
  readonly conflict?: ConflictPolicy
  readonly policy?: Policy.Policy
  /** Full reconciliation scan period (default 30 s; `0` disables the timer, `reconcile` still works). */
  readonly reconcileIntervalMs?: number
  /** Paths synced at once (default 64). */
  readonly concurrency?: number
  /**
   * Bidirectional only: a file that keeps the last agreed state per path across restarts (batched appends,
   * compacted), so a restarted sync moves a change made on one side while it was down instead of calling it
   * a conflict. Without it the agreed state lives in memory and a restart starts without one.
   */
  readonly baselineFile?: string
}

/**
 * What the engine tells listeners.
 *
 * @since 0.1.0
 * @category models
 */
export type SyncEvent =
  | {
      readonly _tag: "Applied"
      readonly path: string
      readonly to: "source" | "target"
      readonly change: "create" | "update" | "delete"
      readonly lagMs: number
    }
  | { readonly _tag: "Conflict"; readonly conflict: Conflict }
  | { readonly _tag: "Error"; readonly path: string; readonly message: string }
  | { readonly _tag: "Reconciled"; readonly differences: number }

/**
 * Counters and lag of a running sync.
 *
 * @since 0.1.0
 * @category models
 */
export interface SyncStats {
  readonly queueDepth: number
  readonly inFlight: number
  readonly applied: number
  readonly conflicts: number
  readonly errors: number
  readonly lagP50Ms: number
  readonly lagP99Ms: number
  readonly lagSamples: number
  readonly watches: number
  readonly direction: Direction
}

/**
 * A running sync (stops when its scope closes).
 *
 * @since 0.1.0
 * @category models
 */
export interface SyncHandle {
  readonly stats: Effect.Effect<SyncStats>
  readonly conflicts: Effect.Effect<ReadonlyArray<Conflict>>
  readonly events: Stream.Stream<SyncEvent>
  /**
   * A barrier: `true` once every change committed on a watched side before the call has been applied to the
   * other side (nothing queued, in flight or being scanned); `false` after `timeoutMs` (or if a watched side
   * stays unreachable). Changes made after the call may or may not be included.
   */
  readonly drain: (timeoutMs?: number) => Effect.Effect<boolean>
  /** Runs a full reconciliation scan now; returns how many paths differed. */
  readonly reconcile: Effect.Effect<number, MigrationError>
  /** Verify from the kept Merkle trees, re-reading only paths that changed since the last verify. */
  readonly verify: Effect.Effect<VerifyReport, AccessDenied | ZooKeeperFailed>
  /** Changes which way a one-way sync flows (cutover and rollback). */
  readonly setDirection: (direction: Direction) => Effect.Effect<void>
  /** Clears the lag samples (e.g. after the initial catch-up). */
  readonly resetLag: Effect.Effect<void>
  /** Stops applying changes (they keep being captured and queued) until `resume`. */
  readonly pause: Effect.Effect<void>
  readonly resume: Effect.Effect<void>
}

type Key = "source" | "target"

const versionOf = (node: ZNode.ZNode | undefined): NodeVersion | undefined =>
  node === undefined
    ? undefined
    : { data: node.data, version: node.stat.version, mzxid: node.stat.mzxid, mtime: node.stat.mtime }

/**
 * Starts a sync between the Endpoints' sides in the current scope. The first reconciliation (which also
 * arms every watch) runs before this returns.
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = Effect.fn("SyncEngine.start")(function* (options: SyncOptions = {}) {
  const sides = yield* Endpoints
  return yield* startBetween(sides.source, sides.target, options)
})

/**
 * Starts a sync between two given sides.
 *
 * @since 0.1.0
 * @category constructors
 */
export const startBetween = (
  source: Side,
  target: Side,
  options: SyncOptions = {}
): Effect.Effect<SyncHandle, MigrationError, Scope.Scope> =>
  Effect.gen(function* () {
    const mode = options.mode ?? "one-way"
    const policy = options.policy ?? Policy.defaults
    const conflictPolicy = options.conflict ?? "source-wins"
    let direction: Direction = options.direction ?? "forward"
    const scope = yield* Effect.scope
    const sideOf = { source, target } as const
    const concurrency = options.concurrency ?? 64
    // one-way mode watches the primary side only: the other side then costs no echo (our own writes would
    // fire its watches), and edits made there are undone by reconciliation

    const baseline =
      mode === "bidirectional" && options.baselineFile !== undefined
        ? yield* BaselineStore.open(options.baselineFile)
        : BaselineStore.inMemory()
    const armed = { source: new Set<string>(), target: new Set<string>() }
    const armedChildren = { source: new Set<string>(), target: new Set<string>() }
    /** What each side held when last read or written (`null`: known not to exist). */
    const known = { source: new Map<string, ZNode.ZNode | null>(), target: new Map<string, ZNode.ZNode | null>() }
    const trees = { source: new MerkleTree(), target: new MerkleTree() }
    const dirty = new Set<string>()
    const conflicts: Array<Conflict> = []
    const lag = new LagRecorder()
    let applied = 0
    let errors = 0

    type Flag = "full" | "sourceData" | "sourceChildren" | "targetData" | "targetChildren"
    const queue = yield* Queue.unbounded<string>()
    const flags = new Map<string, Set<Flag>>()
    const pending = new Set<string>()
    const inFlight = new Set<string>()
    let idle = Deferred.makeUnsafe<void>()
    let idleReached = false
    const events = yield* PubSub.unbounded<SyncEvent>()

    const primary = (): Key => (direction === "forward" ? "source" : "target")
    const other = (key: Key): Key => (key === "source" ? "target" : "source")
    const watchesOn = (key: Key): boolean => mode === "bidirectional" || key === primary()

    let scanning = 0
    const checkIdle = (): void => {
      if (pending.size === 0 && inFlight.size === 0 && scanning === 0 && !idleReached) {
        idleReached = true
        Deferred.doneUnsafe(idle, Effect.void)
      }
    }
    const notIdle = (): void => {
      if (idleReached) {
        idle = Deferred.makeUnsafe<void>()
        idleReached = false
      }
    }
    /**
     * A reconciliation scan starts: drain waits for it (the listeners of the watches it arms attach only when
     * its reads return).
     */
    const scanStarted = (): void => {
      scanning++
      notIdle()
    }
    const scanEnded = Effect.sync(() => {
      scanning--
      checkIdle()
    })
    /** A path whose content changed (change capture, a write, reconciliation): re-read by the next verify. */
    const touch = (path: string): void => {
      dirty.add(path)
      const parent = ZNode.parent(path)
      if (parent !== undefined) dirty.add(parent)
    }
    const enqueue = (path: string, flag: Flag): void => {
      const set = flags.get(path)
      if (set === undefined) flags.set(path, new Set([flag]))
      else set.add(flag)
      if (inFlight.has(path) || pending.has(path)) return
      notIdle()
      pending.add(path)
      Queue.offerUnsafe(queue, path)
    }

    const publish = (event: SyncEvent) => PubSub.publish(events, event)

    /** The entry a side's node is compared as (the policy skips ephemerals on either side). */
    const entryOf = (node: ZNode.ZNode | null | undefined): Policy.Entry | undefined =>
      node === null || node === undefined ? undefined : Policy.expectedEntry(policy, node, node.children)

    /** The listener of a one-shot watch: forget it, mark the path changed, queue the re-read. */
    const onFire = (kind: "Data" | "Children") => (key: Key, path: string) => (): void => {
      ;(kind === "Data" ? armed : armedChildren)[key].delete(path)
      touch(path)
      enqueue(path, `${key}${kind}`)
    }
    const onData = onFire("Data")
    const onChildren = onFire("Children")
    const armFrom =
      (key: Key) =>
      (path: string, node: ReadNode): void => {
        if (node.onDataChange !== undefined && !armed[key].has(path)) {
          armed[key].add(path)
          node.onDataChange(onData(key, path))
        }
        if (node.onChildrenChange !== undefined && !armedChildren[key].has(path)) {
          armedChildren[key].add(path)
          node.onChildrenChange(onChildren(key, path))
        }
      }

    /** Records a watch left by a read and what to do when it fires; returns what was read. */
    const keepWatch =
      <A>(set: Set<string>, path: string, listener: () => void) =>
      (watched: Watched<A>): A => {
        set.add(path)
        watched.onChange(listener)
        return watched.value
      }

    const missingToNone = <A>(effect: Effect.Effect<A, ZooKeeperError>) =>
      effect.pipe(
        Effect.map(Option.some),
        Effect.catchIf(
          (e) => e.code === "NO_NODE",
          () => Effect.succeed(Option.none<A>())
        )
      )

    /** A full read of one side (data, children, ACL), arming whatever watch is not armed. */
    const readFull = (key: Key, path: string): Effect.Effect<ZNode.ZNode | null, AccessDenied | ZooKeeperFailed> =>
      Effect.gen(function* () {
        const side = sideOf[key]
        const client = side.client
        const abs = ZNode.absolute(side.root, path)
        const watch = watchesOn(key)
        const [data, children, acl] = yield* retryConnection(
          Effect.all(
            [
              armed[key].has(path) || !watch
                ? missingToNone(client.getData(abs))
                : client.getDataWatched(abs).pipe(Effect.map(keepWatch(armed[key], path, onData(key, path)))),
              armedChildren[key].has(path) || !watch
                ? missingToNone(client.getChildren(abs))
                : client
                    .getChildrenWatched(abs)
                    .pipe(Effect.map(keepWatch(armedChildren[key], path, onChildren(key, path)))),
              missingToNone(client.getACL(abs)).pipe(Effect.map(Option.map((r) => r.acl)))
            ],
            { concurrency: 3 }
          )
        ).pipe(Effect.mapError(fromZooKeeper(side.name)))
        if (Option.isNone(data) || Option.isNone(children) || Option.isNone(acl)) return null
        return {
          path,
          data: data.value.data,
          acl: acl.value,
          stat: data.value.stat,
          kind: ZNode.kindOf(data.value.stat.ephemeralOwner),
          children: abs === "/" ? children.value.filter((n) => !isSystemPath(`/${n}`)) : children.value
        }
      })

    /** Whether {@link refresh} reads anything for these flags. */
    const needsRead = (key: Key, path: string, raised: ReadonlySet<Flag>): boolean =>
      raised.has("full") ||
      !known[key].has(path) ||
      raised.has(key === "source" ? "sourceData" : "targetData") ||
      raised.has(key === "source" ? "sourceChildren" : "targetChildren")

    /** Brings `known[key][path]` up to date for the flags raised on it. */
    const refresh = (key: Key, path: string, raised: ReadonlySet<Flag>) =>
      Effect.gen(function* () {
        const cached = known[key].get(path)
        const dataFlag: Flag = key === "source" ? "sourceData" : "targetData"
        const childFlag: Flag = key === "source" ? "sourceChildren" : "targetChildren"
        if (
          raised.has("full") ||
          cached === undefined ||
          (cached === null && (raised.has(dataFlag) || raised.has(childFlag)))
        ) {
          known[key].set(path, yield* readFull(key, path))
          return
        }
        if (cached === null || !watchesOn(key)) {
          // an event from before a change of direction: read it plainly
          if (cached !== null && (raised.has(dataFlag) || raised.has(childFlag)))
            known[key].set(path, yield* readFull(key, path))
          return
        }
        const side = sideOf[key]
        const abs = ZNode.absolute(side.root, path)
        let node: ZNode.ZNode | null = cached
        const read = <A>(effect: Effect.Effect<Watched<A>, ZooKeeperError>, set: Set<string>, listener: () => void) =>
          retryConnection(effect).pipe(
            Effect.map(keepWatch(set, path, listener)),
            Effect.mapError(fromZooKeeper(side.name))
          )
        if (raised.has(dataFlag)) {
          const data = yield* read(side.client.getDataWatched(abs), armed[key], onData(key, path))
          node = Option.isNone(data) ? null : { ...cached, data: data.value.data, stat: data.value.stat }
        }
        if (node !== null && raised.has(childFlag)) {
          const children = yield* read(side.client.getChildrenWatched(abs), armedChildren[key], onChildren(key, path))
          node = Option.isNone(children) ? null : { ...node, children: children.value }
        }
        known[key].set(path, node)
      })

    const digestOf = (path: string, entry: Policy.Entry | undefined): string | undefined =>
      entry === undefined
        ? undefined
        : nodeDigest(path, { data: entry.data, acl: entry.acl, kind: "persistent" }).slice(0, 32)

    /** The last agreed content (bidirectional mode decides by it; one-way mode needs none). */
    const remember = (path: string, entry: Policy.Entry | undefined): void => {
      if (mode === "bidirectional") baseline.set(path, digestOf(path, entry))
    }

    const sameContent = (a: Policy.Entry | undefined, b: Policy.Entry | undefined): boolean =>
      a === undefined || b === undefined ? a === b : bytesEqual(a.data, b.data) && Acl.equals(a.acl, b.acl)

    /** Writes `fromKey`'s version of the node onto the other side; `false` when it must be retried. */
    const write = (path: string, fromKey: Key): Effect.Effect<boolean, AccessDenied | ZooKeeperFailed> =>
      Effect.gen(function* () {
        const toKey = other(fromKey)
        const side = sideOf[toKey]
        const from = known[fromKey].get(path) ?? null
        const to = known[toKey].get(path) ?? null
        const entry = entryOf(from)
        const abs = ZNode.absolute(side.root, path)
        let change: "create" | "update" | "delete"
        const retry = (e: ZooKeeperError) =>
          Effect.sync(() => {
            if (e.code === "NO_NODE") {
              const parent = ZNode.parent(path)
              if (parent !== undefined) enqueue(parent, "full")
            }
            enqueue(path, "full")
            return false
          })
        if (entry === undefined) {
          if (to === null) return true
          change = "delete"
          yield* removeSubtree(side, path)
          known[toKey].set(path, null)
        } else if (to === null) {
          change = "create"
          const ok = yield* retryConnection(side.client.create(abs, entry.data, { acl: entry.acl })).pipe(
            Effect.as(true),
            Effect.catchIf((e) => e.code === "NO_NODE" || e.code === "NODE_EXISTS", retry),
            Effect.mapError(fromZooKeeper(side.name))
          )
          if (!ok) return false
          const stat = (from as ZNode.ZNode).stat
          known[toKey].set(path, {
            path,
            data: entry.data,
            acl: entry.acl,
            kind: "persistent",
            children: [],
            stat: { ...stat, version: 0, cversion: 0, aversion: 0, numChildren: 0, ephemeralOwner: 0n }
          })
          // arm the new node's watches, then its children
          enqueue(path, toKey === "source" ? "sourceData" : "targetData")
          enqueue(path, toKey === "source" ? "sourceChildren" : "targetChildren")
          for (const name of entry.children) enqueue(ZNode.child(path, name), "full")
        } else {
          change = "update"
          let next: ZNode.ZNode = to
          const ok = yield* Effect.gen(function* () {
            if (!bytesEqual(entry.data, to.data)) {
              const stat = yield* side.client.setData(abs, entry.data, to.stat.version)
              next = { ...next, data: entry.data, stat }
            }
            if (!Acl.equals(entry.acl, to.acl)) {
              yield* side.client.setACL(abs, entry.acl)
              next = { ...next, acl: entry.acl }
            }
            return true
          }).pipe(
            retryConnection,
            Effect.catchIf((e) => e.code === "BAD_VERSION" || e.code === "NO_NODE", retry),
            Effect.mapError(fromZooKeeper(side.name))
          )
          if (!ok) return false
          known[toKey].set(path, next)
        }
        const lagMs = from === null ? 0 : Math.max(0, Date.now() - from.stat.mtime)
        if (from !== null) {
          lag.record(lagMs)
          yield* Metric.update(metrics.lag, lagMs)
        }
        applied++
        touch(path)
        yield* Metric.update(metrics.applied, 1)
        remember(path, entry)
        yield* publish({ _tag: "Applied", path, to: toKey, change, lagMs })
        return true
      })

    const process = (path: string) =>
      Effect.gen(function* () {
        const raised = flags.get(path) ?? new Set<Flag>(["full"])
        flags.delete(path)
        // most changes raise a flag on one side only: read that side without forking a fiber per side
        const readSource = needsRead("source", path, raised)
        const readTarget = needsRead("target", path, raised)
        if (readSource && readTarget)
          yield* Effect.all([refresh("source", path, raised), refresh("target", path, raised)], { concurrency: 2 })
        else if (readSource) yield* refresh("source", path, raised)
        else if (readTarget) yield* refresh("target", path, raised)
        const s = known.source.get(path) ?? null
        const t = known.target.get(path) ?? null
        // children present on one side only are synced too
        if ((s !== null && s.children.length > 0) || (t !== null && t.children.length > 0)) {
          const onS = new Set(s?.children ?? [])
          const onT = new Set(t?.children ?? [])
          for (const name of onS) if (!onT.has(name)) enqueue(ZNode.child(path, name), "full")
          for (const name of onT) if (!onS.has(name)) enqueue(ZNode.child(path, name), "full")
        }
        const se = entryOf(s)
        const te = entryOf(t)
        if (sameContent(se, te)) {
          remember(path, se)
          return
        }
        if (mode === "one-way") {
          yield* write(path, primary())
          return
        }
        const base = baseline.get(path)
        const ds = digestOf(path, se)
        const dt = digestOf(path, te)
        let winner: Key
        if (base !== undefined && ds !== base && dt === base) winner = "source"
        else if (base !== undefined && ds === base && dt !== base) winner = "target"
        else if (base === undefined && (se === undefined) !== (te === undefined)) {
          // never seen in sync: keep what exists (nothing is deleted on a guess)
          winner = se === undefined ? "target" : "source"
        } else {
          const facts = { path, source: versionOf(s ?? undefined), target: versionOf(t ?? undefined) }
          winner = decide(conflictPolicy, facts)
          const conflict: Conflict = { ...facts, decision: winner, policy: policyName(conflictPolicy), at: Date.now() }
          conflicts.push(conflict)
          yield* Metric.update(metrics.conflicts, 1)
          yield* publish({ _tag: "Conflict", conflict })
        }
        yield* write(path, winner)
      })

    const treeEntry = (node: ZNode.ZNode | null | undefined, key: Key): Policy.Entry | undefined => {
      if (node === null || node === undefined) return undefined
      if (key === "source") {
        const entry = entryOf(node)
        return entry === undefined ? undefined : { ...entry, kind: "persistent" }
      }
      return { data: node.data, acl: node.acl, kind: node.kind, children: node.children }
    }
    const updateTree = (key: Key, path: string, node: ZNode.ZNode | null | undefined): void => {
      const entry = treeEntry(node, key)
      if (entry === undefined) trees[key].remove(path)
      else trees[key].set(path, entry)
    }

    let gate = Deferred.makeUnsafe<void>()
    Deferred.doneUnsafe(gate, Effect.void)
    const worker = Effect.gen(function* () {
      for (;;) {
        const path = yield* Queue.take(queue)
        // the gate is checked after the take: idle workers wait inside `take`, so a check before it would let
        // each of them apply one more change after `pause`; a held path stays pending (drain waits for it)
        // re-checked after waking: a pause that came again meanwhile holds the path too
        while (!Deferred.isDoneUnsafe(gate)) yield* Deferred.await(gate)
        pending.delete(path)
        inFlight.add(path)
        yield* process(path).pipe(
          Effect.catch((error) =>
            Effect.gen(function* () {
              errors++
              yield* Metric.update(metrics.errors, 1)
              yield* publish({ _tag: "Error", path, message: error.message })
              yield* Effect.sleep("200 millis")
              flags.set(path, new Set(["full"]))
            })
          )
        )
        inFlight.delete(path)
        if (flags.has(path)) {
          const raised = flags.get(path) as Set<Flag>
          flags.delete(path)
          for (const flag of raised) enqueue(path, flag)
        }
        yield* Metric.update(metrics.queueDepth, pending.size)
        checkIdle()
      }
    })
    for (let i = 0; i < concurrency; i++) yield* Effect.forkScoped(worker)

    const reconcile: Effect.Effect<number, MigrationError> = Effect.gen(function* () {
      const [s, t] = yield* Effect.all(
        [
          readTree(source, { requireRoot: false, ...(watchesOn("source") ? { watch: armFrom("source") } : {}) }),
          readTree(target, { requireRoot: false, ...(watchesOn("target") ? { watch: armFrom("target") } : {}) })
        ],
        { concurrency: 2 }
      )
      const sView = Policy.expectedView(policy, s)
      const tView = Policy.expectedView(policy, t)
      let differing = 0
      const paths = new Set([...s.nodes.keys(), ...t.nodes.keys(), ...known.source.keys(), ...known.target.keys()])
      for (const path of paths) {
        if (inFlight.has(path) || pending.has(path)) continue
        const sn = s.nodes.get(path) ?? null
        const tn = t.nodes.get(path) ?? null
        // the scan may be older than what change capture already saw: it only seeds what is not known,
        // and a difference is re-read in full before anything is written
        const first = !known.source.has(path) && !known.target.has(path)
        if (first) {
          known.source.set(path, sn)
          known.target.set(path, tn)
          updateTree("source", path, sn)
          updateTree("target", path, tn)
        }
        const a = sView.get(path)
        const b = tView.get(path)
        const differs = a === undefined || b === undefined ? a !== b : !sameContent(a, b)
        if (differs) {
          differing++
          touch(path)
          enqueue(path, "full")
        } else if (!baseline.has(path)) remember(path, a)
      }
      yield* publish({ _tag: "Reconciled", differences: differing })
      return differing
    })

    /** {@link reconcile} counted as work in progress. */
    const scan = Effect.acquireUseRelease(
      Effect.sync(scanStarted),
      () => reconcile,
      () => scanEnded
    )

    yield* scan
    const interval = options.reconcileIntervalMs ?? 30_000
    if (interval > 0) {
      yield* Effect.forkScoped(
        Effect.forever(
          Effect.sleep(interval).pipe(
            Effect.andThen(scan),
            Effect.catch((error) => publish({ _tag: "Error", path: "", message: error.message }))
          )
        )
      )
    }

    /**
     * One round trip on a watched side's session, ordered after every change committed there before it.
     * ZooKeeper sends a session the notifications of the changes committed before one of its requests ahead
     * of that request's answer, and the driver runs the watch listeners as it reads them, synchronously, in
     * socket order: `onFire` marks the path and `enqueue` queues it (or raises a flag on a path in flight, or
     * the watch is buffered by a read in flight that attaches the listener when it returns), with no fiber,
     * queue or stream in between. So when the answer is in, every such change is in `pending`, `inFlight` or
     * `scanning`. The client has no `sync`: a transaction of one version check (`-1` matches any) goes through
     * the leader like `sync` does, which also covers a session on a follower that has not applied the change
     * yet. Any answer will do (a missing or unreadable root fails the check, and that answer is ordered the
     * same way); a lost connection is retried, and one that stays lost fails.
     */
    const barrier = (key: Key): Effect.Effect<void, ZooKeeperError> => {
      const side = sideOf[key]
      return retryConnection(side.client.multi([Op.check(side.root, -1)])).pipe(
        Effect.asVoid,
        Effect.catchIf(
          (error) => !error.isConnectionError,
          () => Effect.void
        )
      )
    }

    const drain = (timeoutMs = 60_000): Effect.Effect<boolean> =>
      Effect.suspend(() =>
        Effect.forEach((["source", "target"] as const).filter(watchesOn), barrier, { concurrency: 2, discard: true })
      ).pipe(
        Effect.andThen(
          Effect.suspend(() => {
            checkIdle()
            return Deferred.await(idle)
          })
        ),
        Effect.as(true),
        Effect.catch(() => Effect.succeed(false)),
        Effect.timeoutOrElse({ duration: timeoutMs, orElse: () => Effect.succeed(false) })
      )

    const verify: Effect.Effect<VerifyReport, AccessDenied | ZooKeeperFailed> = Effect.gen(function* () {
      const started = Date.now()
      const paths = [...dirty]
      dirty.clear()
      const [s, t] = yield* Effect.all([readNodes(source, paths), readNodes(target, paths)], { concurrency: 2 })
      paths.forEach((path, i) => {
        updateTree("source", path, s[i])
        updateTree("target", path, t[i])
      })
      const sourceDigest = trees.source.digest() ?? ""
      const targetDigest = trees.target.digest() ?? ""
      const differences: Array<Difference> = []
      if (sourceDigest !== targetDigest) {
        for (const path of trees.source.differingPaths(trees.target)) {
          const a = trees.source.get(path)
          const b = trees.target.get(path)
          if (a === undefined && b !== undefined)
            differences.push({ path, kind: "extra", detail: "only on the target" })
          else if (a !== undefined && b === undefined)
            differences.push({ path, kind: "missing", detail: "missing on the target" })
          else if (a !== undefined && b !== undefined) differences.push(...compareEntry(path, a, b))
        }
      }
      const durationMs = Date.now() - started
      return {
        equal: differences.length === 0,
        sourceDigest,
        targetDigest,
        sourceNodes: trees.source.size,
        targetNodes: trees.target.size,
        differences,
        nodesRead: paths.length * 2,
        durationMs,
        rate: durationMs > 0 ? (paths.length * 2000) / durationMs : 0
      } satisfies VerifyReport
    })

    return {
      stats: Effect.sync(() => ({
        queueDepth: pending.size,
        inFlight: inFlight.size,
        applied,
        conflicts: conflicts.length,
        errors,
        lagP50Ms: lag.quantile(0.5),
        lagP99Ms: lag.quantile(0.99),
        lagSamples: lag.count,
        watches: armed.source.size + armed.target.size + armedChildren.source.size + armedChildren.target.size,
        direction
      })),
      conflicts: Effect.sync(() => [...conflicts]),
      events: Stream.fromPubSub(events),
      drain,
      reconcile: scan,
      verify,
      setDirection: (next: Direction) =>
        Effect.gen(function* () {
          if (next === direction) return
          direction = next
          // arm the new primary side in the background: its scan reads every node with watches, and what
          // changed there before a watch was armed shows up as a difference of that scan
          if (mode === "one-way") {
            // counted before the fork, so a drain that follows at once waits for the scan
            scanStarted()
            yield* Effect.forkIn(reconcile.pipe(Effect.ignore, Effect.ensuring(scanEnded)), scope)
          }
        }),
      resetLag: Effect.sync(() => lag.reset()),
      pause: Effect.sync(() => {
        if (Deferred.isDoneUnsafe(gate)) gate = Deferred.makeUnsafe<void>()
      }),
      resume: Effect.sync(() => {
        Deferred.doneUnsafe(gate, Effect.void)
      })
    } satisfies SyncHandle
  })
