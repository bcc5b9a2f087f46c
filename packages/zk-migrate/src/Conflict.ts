/**
 * Conflicts of bidirectional sync: both sides changed the same node since the last sync.
 *
 * @since 0.1.0
 */

/**
 * One side's version of a conflicting node (`undefined` in a {@link Conflict} when it was deleted there).
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeVersion {
  readonly data: Uint8Array
  readonly version: number
  readonly mzxid: bigint
  /** Last modification time, ms since the epoch (server clock). */
  readonly mtime: number
}

/**
 * A recorded conflict and how it was decided.
 *
 * @since 0.1.0
 * @category models
 */
export interface Conflict {
  /** Relative to the migrated root. */
  readonly path: string
  readonly source: NodeVersion | undefined
  readonly target: NodeVersion | undefined
  readonly decision: "source" | "target"
  readonly policy: string
  readonly at: number
}

/**
 * How a conflict is decided: the source or the target wins, the later `mtime` wins (a deletion loses to
 * a write: nothing is lost), or a function decides.
 *
 * @since 0.1.0
 * @category models
 */
export type ConflictPolicy =
  | "source-wins"
  | "target-wins"
  | "last-writer-wins"
  | ((conflict: Omit<Conflict, "decision" | "policy" | "at">) => "source" | "target")

/**
 * Applies a policy.
 *
 * @since 0.1.0
 * @category utils
 */
export const decide = (
  policy: ConflictPolicy,
  conflict: Omit<Conflict, "decision" | "policy" | "at">
): "source" | "target" => {
  if (typeof policy === "function") return policy(conflict)
  switch (policy) {
    case "source-wins":
      return "source"
    case "target-wins":
      return "target"
    case "last-writer-wins": {
      if (conflict.source === undefined) return "target"
      if (conflict.target === undefined) return "source"
      return conflict.target.mtime > conflict.source.mtime ? "target" : "source"
    }
  }
}

/**
 * The name a policy is recorded under.
 *
 * @since 0.1.0
 * @category utils
 */
export const policyName = (policy: ConflictPolicy): string => (typeof policy === "function" ? "custom" : policy)
