/**
 * Copies a subtree from the source to the target: both sides read in parallel, the differences computed,
 * then missing nodes created level by level in transactions (many in flight, each under `jute.maxbuffer`),
 * ACLs preserved/mapped/reset, sequential counters padded, and a report of everything that could not be
 * copied exactly. A target that already holds different data is refused unless `overwrite` is set.
 *
 * @since 0.1.0
 */
import { Acl, Op, type ZooKeeperError } from "@orchestrator/core/zookeeper"
import { Context, Effect, Layer } from "effect"
import { diff } from "./Diff.js"
import { Endpoints, fromZooKeeper, retryConnection, type Side } from "./Endpoints.js"
import { type Difference, type MigrationError, TargetDiffers } from "./Errors.js"
import { batches } from "./internal/batches.js"
import { paddingBatches, paddingSteps, sequenceCounter } from "./internal/padding.js"
import { removeSubtree } from "./internal/remove.js"
import * as Policy from "./Policy.js"
import { readTree } from "./TreeReader.js"
import * as ZNode from "./ZNode.js"

/**
 * Options of a copy.
 *
 * @since 0.1.0
 * @category models
 */
export interface CopyOptions {
  readonly policy?: Policy.Policy
  /** Replace data and ACLs of target nodes that differ (default: refuse with `TargetDiffers`). */
  readonly overwrite?: boolean
  /** Delete target nodes the source does not have (default: keep them and report them). */
  readonly deleteExtra?: boolean
  /** Compute and report what would be written, write nothing. */
  readonly dryRun?: boolean
  /** Most create+delete steps spent padding one parent's counter (default 10,000); above it, reported. */
  readonly maxPaddingSteps?: number
  /** Operations per transaction (default 500). */
  readonly maxOpsPerBatch?: number
  /** Bytes per transaction (default 512 KiB; the server's `jute.maxbuffer` is 1 MB). */
  readonly maxBatchBytes?: number
  /** Transactions in flight (default 16). */
  readonly concurrency?: number
  /** Reads in flight per side (default 512). */
  readonly readConcurrency?: number
  readonly onProgress?: (progress: CopyProgress) => void
}

/**
 * Progress of a copy step.
 *
 * @since 0.1.0
 * @category models
 */
export interface CopyProgress {
  readonly step: "read" | "create" | "update" | "delete" | "pad"
  readonly done: number
  readonly total: number
}

/**
 * What a copy did and what it could not do exactly.
 *
 * @since 0.1.0
 * @category models
 */
export interface CopyReport {
  readonly sourceNodes: number
  readonly created: number
  readonly updated: number
  readonly deleted: number
  /** Nodes already equal on the target. */
  readonly unchanged: number
  readonly bytes: number
  readonly transactions: number
  /** Ephemeral nodes left out (the policy skips them). */
  readonly skippedEphemeral: ReadonlyArray<string>
  /** Container and TTL nodes: copied as persistent or skipped, per the policy; the client cannot create them. */
  readonly unsupported: ReadonlyArray<{
    readonly path: string
    readonly kind: ZNode.NodeKind
    readonly copied: boolean
  }>
  /** Parents whose sequence counter was padded, with the steps (create+delete pairs) spent. */
  readonly padded: ReadonlyArray<{ readonly path: string; readonly steps: number }>
  /** Parents whose counter gap is above `maxPaddingSteps`: not padded. */
  readonly paddingOverCap: ReadonlyArray<{ readonly path: string; readonly steps: number }>
  /** Differences left on the target (extra nodes kept, kinds that cannot change). */
  readonly remaining: ReadonlyArray<Difference>
  readonly dryRun: boolean
  readonly durationMs: number
  /** Nodes created or updated per second of the whole copy. */
  readonly rate: number
}

const mustWrite = Acl.Perms.create | Acl.Perms.delete

/** Whether `acl` lets this side create and delete children (to fill the subtree and pad counters). */
const grantsChildren = (side: Side, acl: Acl.Acl): boolean =>
  acl.some(
    (entry) =>
      (entry.perms & mustWrite) === mustWrite &&
      ((entry.scheme === "world" && entry.id === "anyone") ||
        (entry.scheme === "digest" && side.identities.includes(entry.id)))
  )

const temporaryAcl = (side: Side): Acl.Acl =>
  side.identities[0] === undefined
    ? Acl.openUnsafe
    : [{ perms: Acl.Perms.all, scheme: "digest", id: side.identities[0] }]

/**
 * Runs one transaction; when it fails for one of its operations, applies them one by one so that the nodes
 * that already exist (a retried batch, a concurrent writer) do not stop the rest.
 */
const applyBatch = (side: Side, ops: ReadonlyArray<Op.Op>): Effect.Effect<number, ZooKeeperError> =>
  retryConnection(side.client.multi(ops)).pipe(
    Effect.as(1),
    Effect.catchIf(
      (error) => !error.isConnectionError && (ops.length > 1 || error.code === "NODE_EXISTS"),
      () =>
        Effect.forEach(
          ops,
          (op) =>
            retryConnection(side.client.multi([op])).pipe(
              Effect.catchIf(
                (error) => error.code === "NODE_EXISTS" && op._tag === "create",
                () => Effect.void
              )
            ),
          { discard: true }
        ).pipe(Effect.as(ops.length))
    )
  )

/**
 * Copies the source subtree to the target.
 *
 * @since 0.1.0
 * @category constructors
 */
export const copy = Effect.fn("Copier.copy")(function* (options: CopyOptions = {}) {
  const { source, target } = yield* Endpoints
  return yield* copyBetween(source, target, options)
})

/**
 * Copies between two given sides (the Migration also uses it the other way, for rollback).
 *
 * @since 0.1.0
 * @category constructors
 */
export const copyBetween = (
  source: Side,
  target: Side,
  options: CopyOptions = {}
): Effect.Effect<CopyReport, MigrationError> =>
  Effect.gen(function* () {
    const started = Date.now()
    const policy = options.policy ?? Policy.defaults
    const progress = options.onProgress ?? (() => {})
    const concurrency = options.concurrency ?? 16
    const limits = { maxOps: options.maxOpsPerBatch ?? 500, maxBytes: options.maxBatchBytes ?? 512 * 1024 }
    const readConcurrency = options.readConcurrency ?? 512
    const toTarget = fromZooKeeper(target.name)

    let read = 0
    const onRead = () => progress({ step: "read", done: ++read, total: 2 })
    const [sourceSnap, targetSnap] = yield* Effect.all(
      [
        readTree(source, { concurrency: readConcurrency }).pipe(Effect.tap(() => Effect.sync(onRead))),
        readTree(target, { concurrency: readConcurrency, requireRoot: false }).pipe(
          Effect.tap(() => Effect.sync(onRead))
        )
      ],
      { concurrency: 2 }
    )
    const expected = Policy.expectedView(policy, sourceSnap)
    const actual = Policy.actualView(targetSnap)
    const differences = diff(expected, actual)
    const missing = differences.filter((d) => d.kind === "missing").map((d) => d.path)
    const changed = differences.filter((d) => d.kind === "data" || d.kind === "acl")
    const extra = differences.filter((d) => d.kind === "extra")
    const conflicting = differences.filter((d) => d.kind !== "missing")
    if (conflicting.length > 0 && options.overwrite !== true) {
      return yield* new TargetDiffers({
        path: target.root,
        differences: conflicting.slice(0, 100),
        total: conflicting.length
      })
    }

    const skippedEphemeral: Array<string> = []
    const unsupported: Array<{ path: string; kind: ZNode.NodeKind; copied: boolean }> = []
    for (const node of sourceSnap.nodes.values()) {
      if (node.kind === "ephemeral" && !Policy.copies(policy, node.kind)) skippedEphemeral.push(node.path)
      if (node.kind === "container" || node.kind === "ttl") {
        unsupported.push({ path: node.path, kind: node.kind, copied: Policy.copies(policy, node.kind) })
      }
    }

    // counters: what the target's sequence counter will be once the missing children exist
    const createdChildren = new Map<string, number>()
    for (const path of missing) {
      const parent = ZNode.parent(path)
      if (parent !== undefined) createdChildren.set(parent, (createdChildren.get(parent) ?? 0) + 1)
    }
    const padPlan: Array<{ path: string; steps: number }> = []
    const paddingOverCap: Array<{ path: string; steps: number }> = []
    const maxSteps = options.maxPaddingSteps ?? 10_000
    for (const path of expected.keys()) {
      const sourceNode = sourceSnap.nodes.get(path)
      if (sourceNode === undefined || sourceNode.stat.cversion === 0) continue
      const targetNode = targetSnap.nodes.get(path)
      const targetCounter =
        (targetNode === undefined ? 0 : sequenceCounter(targetNode.stat)) + (createdChildren.get(path) ?? 0)
      const steps = paddingSteps(sequenceCounter(sourceNode.stat), targetCounter)
      if (steps === 0) continue
      if (steps > maxSteps) paddingOverCap.push({ path, steps })
      else padPlan.push({ path, steps })
    }

    const remaining = options.deleteExtra === true ? [] : extra
    const bytes = missing.reduce((sum, path) => sum + (expected.get(path)?.data.byteLength ?? 0), 0)
    const report = (created: number, updated: number, deleted: number, transactions: number): CopyReport => {
      const durationMs = Date.now() - started
      return {
        sourceNodes: sourceSnap.nodes.size,
        created,
        updated,
        deleted,
        unchanged: expected.size - missing.length - new Set(changed.map((d) => d.path)).size,
        bytes,
        transactions,
        skippedEphemeral,
        unsupported,
        padded: padPlan,
        paddingOverCap,
        remaining,
        dryRun: options.dryRun === true,
        durationMs,
        rate: durationMs > 0 ? ((created + updated) * 1000) / durationMs : 0
      }
    }
    if (options.dryRun === true) {
      return report(
        missing.length,
        new Set(changed.map((d) => d.path)).size,
        options.deleteExtra === true ? extra.length : 0,
        0
      )
    }

    // the target root's ancestors, as plain persistent nodes
    const rootParent = target.root === "/" ? undefined : target.root.slice(0, target.root.lastIndexOf("/"))
    if (rootParent !== undefined && rootParent !== "") {
      yield* retryConnection(target.client.mkdirp(rootParent)).pipe(Effect.mapError(toTarget))
    }

    // nodes whose final ACL would lock us out of their subtree get it at the end
    const padded = new Set(padPlan.map((p) => p.path))
    const deferredAcl: Array<{ path: string; acl: Acl.Acl }> = []
    const byDepth = new Map<number, Array<string>>()
    for (const path of missing) {
      const depth = ZNode.depth(path)
      const level = byDepth.get(depth) ?? []
      level.push(path)
      byDepth.set(depth, level)
    }
    let created = 0
    let transactions = 0
    for (const depth of [...byDepth.keys()].sort((a, b) => a - b)) {
      const ops = (byDepth.get(depth) ?? []).map((path) => {
        const entry = expected.get(path) as Policy.Entry
        const needsChildren = entry.children.length > 0 || padded.has(path)
        let acl = entry.acl
        if (needsChildren && !grantsChildren(target, acl)) {
          deferredAcl.push({ path, acl })
          acl = temporaryAcl(target)
        }
        return Op.create(ZNode.absolute(target.root, path), entry.data, { acl })
      })
      yield* Effect.forEach(
        batches(ops, limits),
        (batch) =>
          applyBatch(target, batch).pipe(
            Effect.tap((count) =>
              Effect.sync(() => {
                transactions += count
                created += batch.length
                progress({ step: "create", done: created, total: missing.length })
              })
            )
          ),
        { concurrency, discard: true }
      ).pipe(Effect.mapError(toTarget))
    }

    let updated = 0
    const changedPaths = [...new Set(changed.map((d) => d.path))]
    yield* Effect.forEach(
      changedPaths,
      (path) =>
        Effect.gen(function* () {
          const want = expected.get(path) as Policy.Entry
          const have = actual.get(path) as Policy.Entry
          const abs = ZNode.absolute(target.root, path)
          if (!Buffer.from(want.data).equals(have.data)) yield* retryConnection(target.client.setData(abs, want.data))
          if (!Acl.equals(want.acl, have.acl)) yield* retryConnection(target.client.setACL(abs, want.acl))
          updated++
          progress({ step: "update", done: updated, total: changedPaths.length })
        }),
      { concurrency, discard: true }
    ).pipe(Effect.mapError(toTarget))

    let deleted = 0
    if (options.deleteExtra === true) {
      const extraPaths = extra.map((d) => d.path).sort((a, b) => ZNode.depth(b) - ZNode.depth(a))
      for (const path of extraPaths) {
        if (ZNode.parent(path) !== undefined && extraPaths.includes(ZNode.parent(path) as string)) continue
        deleted += yield* removeSubtree(target, path)
        progress({ step: "delete", done: deleted, total: extraPaths.length })
      }
    }

    let paddedSteps = 0
    const totalSteps = padPlan.reduce((sum, p) => sum + p.steps, 0)
    yield* Effect.forEach(
      padPlan.flatMap((p) => paddingBatches(ZNode.absolute(target.root, p.path), p.steps, 500)),
      (batch) =>
        retryConnection(target.client.multi(batch)).pipe(
          Effect.tap(() =>
            Effect.sync(() => {
              paddedSteps += batch.length / 2
              transactions++
              progress({ step: "pad", done: paddedSteps, total: totalSteps })
            })
          )
        ),
      { concurrency, discard: true }
    ).pipe(Effect.mapError(toTarget))

    yield* Effect.forEach(
      deferredAcl,
      ({ path, acl }) => retryConnection(target.client.setACL(ZNode.absolute(target.root, path), acl)),
      { concurrency, discard: true }
    ).pipe(Effect.mapError(toTarget))

    return report(created, updated, deleted, transactions)
  })

/**
 * The copier as a service, for code that wants to depend on it by tag.
 *
 * @since 0.1.0
 * @category services
 */
export class Copier extends Context.Service<
  Copier,
  { readonly copy: (options?: CopyOptions) => Effect.Effect<CopyReport, MigrationError> }
>()("@orchestrator/zk-migrate/Copier") {
  /**
   * @since 0.1.0
   * @category layers
   */
  static readonly layer: Layer.Layer<Copier, never, Endpoints> = Layer.effect(
    Copier,
    Effect.gen(function* () {
      const endpoints = yield* Endpoints
      return { copy: (options?: CopyOptions) => copy(options).pipe(Effect.provideService(Endpoints, endpoints)) }
    })
  )
}
