/**
 * `verify`: are both sides equal? A cold verify reads both sides in full, in parallel, and compares Merkle
 * digests over path, data, ACL and kind (the source seen through the copy policy); when the root digests
 * differ it lists every difference. While sync runs, `SyncEngine.verify` re-reads only changed subtrees.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { counterDifferences, diff } from "./Diff.js"
import { Endpoints, type Side } from "./Endpoints.js"
import type { AccessDenied, Difference, PathNotFound, ZooKeeperFailed } from "./Errors.js"
import { MerkleTree } from "./Merkle.js"
import * as Policy from "./Policy.js"
import { readTree } from "./TreeReader.js"

/**
 * Options of a verify.
 *
 * @since 0.1.0
 * @category models
 */
export interface VerifyOptions {
  readonly policy?: Policy.Policy
  /** Also report parents whose sequential counter is lower on the target (default true). */
  readonly counters?: boolean
  /** Reads in flight per side (default 512). */
  readonly concurrency?: number
}

/**
 * The result of a verify.
 *
 * @since 0.1.0
 * @category models
 */
export interface VerifyReport {
  readonly equal: boolean
  readonly sourceDigest: string
  readonly targetDigest: string
  readonly sourceNodes: number
  readonly targetNodes: number
  /** Every difference, sorted by path. */
  readonly differences: ReadonlyArray<Difference>
  /** Nodes read (both sides) ... */
  readonly nodesRead: number
  readonly durationMs: number
  /** ... per second. */
  readonly rate: number
}

/**
 * A cold verify of the Endpoints' sides.
 *
 * @since 0.1.0
 * @category constructors
 */
export const verify = Effect.fn("Verifier.verify")(function* (options: VerifyOptions = {}) {
  const { source, target } = yield* Endpoints
  return yield* verifyBetween(source, target, options)
})

/**
 * A cold verify of two given sides (`source` seen through the policy).
 *
 * @since 0.1.0
 * @category constructors
 */
export const verifyBetween = (
  source: Side,
  target: Side,
  options: VerifyOptions = {}
): Effect.Effect<VerifyReport, AccessDenied | PathNotFound | ZooKeeperFailed> =>
  Effect.gen(function* () {
    const started = Date.now()
    const policy = options.policy ?? Policy.defaults
    const concurrency = options.concurrency ?? 512
    const [sourceSnap, targetSnap] = yield* Effect.all(
      [readTree(source, { concurrency }), readTree(target, { concurrency, requireRoot: false })],
      { concurrency: 2 }
    )
    const expected = Policy.expectedView(policy, sourceSnap)
    const actual = Policy.actualView(targetSnap)
    const sourceTree = MerkleTree.fromView(expected)
    const targetTree = MerkleTree.fromView(actual)
    const sourceDigest = sourceTree.digest() ?? ""
    const targetDigest = targetTree.digest() ?? ""
    const differences = sourceDigest === targetDigest ? [] : diff(expected, actual)
    const counters = options.counters === false ? [] : counterDifferences(sourceSnap, targetSnap, expected)
    const all = [...differences, ...counters]
    const durationMs = Date.now() - started
    const nodesRead = sourceSnap.nodes.size + targetSnap.nodes.size
    return {
      equal: all.length === 0,
      sourceDigest,
      targetDigest,
      sourceNodes: expected.size,
      targetNodes: actual.size,
      differences: all,
      nodesRead,
      durationMs,
      rate: durationMs > 0 ? (nodesRead * 1000) / durationMs : 0
    } satisfies VerifyReport
  })
