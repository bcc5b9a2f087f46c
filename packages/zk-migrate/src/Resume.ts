/**
 * What `resume` does with a persisted migration state: finish the operation that was running when the
 * process stopped (copy, the initial sync, cutover, rollback) or continue the sync of the current phase.
 * Pure, so `status` can show it without touching either ensemble.
 *
 * @since 0.1.0
 */
import type { MigrationState, Pending } from "./MigrationState.js"
import type { Direction } from "./SyncEngine.js"

/**
 * The step `resume` takes.
 *
 * @since 0.1.0
 * @category models
 */
export type ResumeAction =
  | { readonly _tag: "Copy"; readonly settings: NonNullable<Pending["copy"]> }
  | { readonly _tag: "Sync"; readonly direction: Direction }
  | { readonly _tag: "Cutover" }
  | { readonly _tag: "Rollback"; readonly direction: Direction }
  | { readonly _tag: "Nothing"; readonly reason: string }

const defaultCopy = { overwrite: false, deleteExtra: false, maxPaddingSteps: 10_000 }

/**
 * The step `resume` takes for `state`.
 *
 * @since 0.1.0
 * @category utils
 */
export const next = (state: MigrationState): ResumeAction => {
  switch (state.pending?.operation) {
    case "copy":
      return { _tag: "Copy", settings: state.pending.copy ?? defaultCopy }
    case "sync":
      return { _tag: "Sync", direction: state.direction }
    case "cutover":
      return { _tag: "Cutover" }
    case "rollback":
      return { _tag: "Rollback", direction: state.direction }
    case undefined:
      break
  }
  switch (state.phase) {
    case "syncing":
    case "verified":
    case "cutover":
      return { _tag: "Sync", direction: state.direction }
    case "planned":
      return { _tag: "Nothing", reason: "nothing was interrupted; the next phase is copy" }
    case "copied":
      return { _tag: "Nothing", reason: "nothing was interrupted; the next phase is sync" }
    case "finalized":
      return { _tag: "Nothing", reason: "the migration is finalized" }
    case "rolledBack":
      return { _tag: "Nothing", reason: "the rollback is complete; the source is authoritative" }
  }
}

/**
 * One line saying what {@link next} would do.
 *
 * @since 0.1.0
 * @category utils
 */
export const describe = (action: ResumeAction): string => {
  switch (action._tag) {
    case "Copy":
      return `finish the interrupted copy (rescan both sides, copy what is missing${action.settings.overwrite ? ", overwrite differing nodes" : ""}${action.settings.deleteExtra ? ", delete extra target nodes" : ""})`
    case "Sync":
      return `continue the sync ${action.direction === "forward" ? "source -> target" : "target -> source"} (full reconciliation first)`
    case "Cutover":
      return "finish the interrupted cutover (catch up, verify, turn the sync target -> source)"
    case "Rollback":
      return action.direction === "reverse"
        ? "finish the interrupted rollback (drain target -> source, then sync source -> target)"
        : "finish the interrupted rollback (record it; the source is authoritative)"
    case "Nothing":
      return `nothing to resume: ${action.reason}`
  }
}
