/**
 * The phases of a migration: `plan` -> `copy` -> `sync` -> `verify` -> `cutover` -> `finalize`, and
 * `rollback` from any phase. Each step records itself in the state file, so a crashed migration resumes:
 * `sync` after a crash starts with a full reconciliation (nothing the crashed run missed stays missed) and
 * in the direction the state file says.
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import type { ConflictPolicy } from "./Conflict.js"
import * as Copier from "./Copier.js"
import { diff } from "./Diff.js"
import { Endpoints } from "./Endpoints.js"
import { type MigrationError, MigrationStateError } from "./Errors.js"
import * as State from "./MigrationState.js"
import * as Policy from "./Policy.js"
import * as SyncEngine from "./SyncEngine.js"
import { failpoint } from "./internal/failpoint.js"
import * as Resume from "./Resume.js"
import { readTree } from "./TreeReader.js"
import * as Verifier from "./Verifier.js"
import * as ZNode from "./ZNode.js"

/**
 * Settings shared by every phase.
 *
 * @since 0.1.0
 * @category models
 */
export interface MigrationOptions {
  /** Where the state lives (a JSON file). */
  readonly stateFile: string
  readonly mode?: "one-way" | "bidirectional"
  readonly conflict?: ConflictPolicy
  readonly policy?: Policy.Policy
}

/**
 * What `plan` found.
 *
 * @since 0.1.0
 * @category models
 */
export interface PlanReport {
  readonly nodes: number
  readonly bytes: number
  readonly kinds: Readonly<Record<ZNode.NodeKind, number>>
  readonly largest: { readonly path: string; readonly bytes: number } | undefined
  /** Parents with sequential children (their counters are padded on copy). */
  readonly sequentialParents: number
  readonly targetNodes: number
  /** Target nodes that differ from what the copy would write (copy refuses them without `overwrite`). */
  readonly targetDifferences: number
  readonly problems: ReadonlyArray<string>
}

const initial = (sides: Endpoints["Service"], options: MigrationOptions): State.MigrationState => ({
  version: 1,
  source: { connectString: sides.source.connectString, path: sides.source.root },
  target: { connectString: sides.target.connectString, path: sides.target.root },
  mode: options.mode ?? "one-way",
  phase: "planned",
  direction: "forward",
  history: []
})

const current = (options: MigrationOptions) =>
  Effect.gen(function* () {
    const sides = yield* Endpoints
    const state = yield* State.load(options.stateFile)
    if (state === undefined) return initial(sides, options)
    if (state.source.connectString !== sides.source.connectString || state.source.path !== sides.source.root) {
      return yield* new MigrationStateError({
        reason: `${options.stateFile} belongs to the migration of ${state.source.connectString}${state.source.path}, not ${sides.source.connectString}${sides.source.root}`
      })
    }
    return state
  })

const record = (options: MigrationOptions, state: State.MigrationState, phase: State.Phase) =>
  State.save(options.stateFile, State.enter(state, phase)).pipe(Effect.as(State.enter(state, phase)))

/**
 * Where a bidirectional sync keeps the last agreed state per path: next to the state file.
 *
 * @since 0.1.0
 * @category utils
 */
export const baselineFile = (options: MigrationOptions): string => `${options.stateFile}.baseline`

/** Marks an operation as started, so a crash before it is recorded leaves `resume` something to finish. */
const begin = (
  options: MigrationOptions,
  state: State.MigrationState,
  operation: State.Pending["operation"],
  copy?: State.Pending["copy"]
) => State.save(options.stateFile, State.begin(state, operation, copy))

/** Fails with `reason`, first clearing the pending mark (a refused operation has nothing to resume). */
const abort = (options: MigrationOptions, state: State.MigrationState, reason: string) => {
  const { pending: _refused, ...rest } = state
  return State.save(options.stateFile, rest).pipe(Effect.andThen(Effect.fail(new MigrationStateError({ reason }))))
}

/**
 * `plan`: reads both sides and reports sizes, node kinds and problems; writes nothing but the state file.
 *
 * @since 0.1.0
 * @category phases
 */
export const plan = Effect.fn("Migration.plan")(function* (options: MigrationOptions) {
  const sides = yield* Endpoints
  const state = yield* current(options)
  const policy = options.policy ?? Policy.defaults
  const [source, target] = yield* Effect.all([readTree(sides.source), readTree(sides.target, { requireRoot: false })], {
    concurrency: 2
  })
  const kinds: Record<ZNode.NodeKind, number> = { persistent: 0, ephemeral: 0, container: 0, ttl: 0 }
  let bytes = 0
  let largest: { path: string; bytes: number } | undefined
  const sequentialParents = new Set<string>()
  for (const node of source.nodes.values()) {
    kinds[node.kind]++
    bytes += node.data.byteLength
    if (largest === undefined || node.data.byteLength > largest.bytes)
      largest = { path: node.path, bytes: node.data.byteLength }
    if (node.children.some(ZNode.isSequentialName)) sequentialParents.add(node.path)
  }
  const differences = diff(Policy.expectedView(policy, source), Policy.actualView(target)).filter(
    (d) => d.kind !== "missing"
  )
  const problems: Array<string> = []
  if (differences.length > 0) {
    problems.push(`the target holds ${differences.length} nodes that differ from the source (copy needs --overwrite)`)
  }
  if (kinds.ephemeral > 0 && policy.ephemerals === "skip") {
    problems.push(`${kinds.ephemeral} ephemeral nodes will not be copied (they belong to client sessions)`)
  }
  if (kinds.container + kinds.ttl > 0) {
    problems.push(
      `${kinds.container} container and ${kinds.ttl} TTL nodes will be ${policy.unsupportedKinds === "skip" ? "skipped" : "copied as persistent nodes"}`
    )
  }
  if (largest !== undefined && largest.bytes > 900 * 1024) {
    problems.push(
      `${largest.path || "/"} holds ${largest.bytes} bytes, close to jute.maxbuffer (1 MB): the target must allow it too`
    )
  }
  yield* record(options, state, "planned")
  return {
    nodes: source.nodes.size,
    bytes,
    kinds,
    largest,
    sequentialParents: sequentialParents.size,
    targetNodes: target.nodes.size,
    targetDifferences: differences.length,
    problems
  } satisfies PlanReport
})

/**
 * `copy`: the Copier, then records the phase.
 *
 * @since 0.1.0
 * @category phases
 */
export const copy = Effect.fn("Migration.copy")(function* (
  options: MigrationOptions,
  copyOptions: Copier.CopyOptions = {}
) {
  const state = yield* current(options)
  if (copyOptions.dryRun !== true) {
    yield* begin(options, state, "copy", {
      overwrite: copyOptions.overwrite ?? false,
      deleteExtra: copyOptions.deleteExtra ?? false,
      maxPaddingSteps: copyOptions.maxPaddingSteps ?? 10_000
    })
  }
  const report = yield* Copier.copy({ policy: options.policy ?? Policy.defaults, ...copyOptions })
  if (copyOptions.dryRun !== true) yield* record(options, state, "copied")
  return report
})

/**
 * `sync`: starts the engine in the scope, in the direction the state says (so it resumes after a crash
 * or after cutover), waits for the catch-up (queue empty) up to `catchUpTimeoutMs`, and records `syncing`.
 *
 * @since 0.1.0
 * @category phases
 */
export const sync = (
  options: MigrationOptions,
  syncOptions: Omit<SyncEngine.SyncOptions, "mode" | "direction" | "conflict" | "policy"> & {
    readonly catchUpTimeoutMs?: number
  } = {}
): Effect.Effect<SyncEngine.SyncHandle, MigrationError, Endpoints | Scope.Scope> =>
  Effect.gen(function* () {
    const state = yield* current(options)
    if (state.phase === "finalized") {
      return yield* new MigrationStateError({
        reason: "the migration is finalized; start a new one with a new state file"
      })
    }
    const first = state.phase === "planned" || state.phase === "copied" || state.phase === "rolledBack"
    if (first) yield* begin(options, state, "sync")
    const handle = yield* SyncEngine.start({
      ...syncOptions,
      mode: state.mode,
      direction: state.direction,
      baselineFile: baselineFile(options),
      policy: options.policy ?? Policy.defaults,
      ...(options.conflict === undefined ? {} : { conflict: options.conflict })
    })
    yield* handle.drain(syncOptions.catchUpTimeoutMs ?? 120_000)
    yield* handle.resetLag
    if (first) yield* record(options, { ...state, direction: "forward" }, "syncing")
    return handle
  })

/**
 * `verify`: a cold verify (or, given the running sync, an incremental one); records `verified` when clean.
 *
 * @since 0.1.0
 * @category phases
 */
export const verify = Effect.fn("Migration.verify")(function* (
  options: MigrationOptions,
  handle?: SyncEngine.SyncHandle
) {
  const state = yield* current(options)
  const report =
    handle === undefined
      ? yield* Verifier.verify({ policy: options.policy ?? Policy.defaults, counters: state.mode === "one-way" })
      : yield* handle.verify
  const withResult: State.MigrationState = {
    ...state,
    lastVerify: { equal: report.equal, differences: report.differences.length, at: new Date().toISOString() }
  }
  if (report.equal && (state.phase === "syncing" || state.phase === "copied"))
    yield* record(options, withResult, "verified")
  else yield* State.save(options.stateFile, withResult)
  return report
})

/**
 * `cutover`: with the sync running, drains it, verifies (incrementally) that both sides are equal, and
 * turns the sync around (target -> source) so the old ensemble stays current while the applications move
 * to the target. Returns how long it took.
 *
 * @since 0.1.0
 * @category phases
 */
export const cutover = Effect.fn("Migration.cutover")(function* (
  options: MigrationOptions,
  handle: SyncEngine.SyncHandle,
  cutoverOptions: { readonly drainTimeoutMs?: number } = {}
) {
  const started = Date.now()
  const state = yield* current(options)
  if (state.phase !== "syncing" && state.phase !== "verified") {
    return yield* new MigrationStateError({ reason: `cutover needs a running sync (phase is ${state.phase})` })
  }
  yield* begin(options, state, "cutover")
  const drained = yield* handle.drain(cutoverOptions.drainTimeoutMs ?? 60_000)
  if (!drained) return yield* abort(options, state, "the sync did not catch up in time; cutover aborted")
  const report = yield* handle.verify
  if (!report.equal) {
    return yield* abort(
      options,
      state,
      `the sides differ (${report.differences.length} differences, first ${report.differences[0]?.path ?? ""}); cutover aborted`
    )
  }
  yield* failpoint("cutover:verified")
  if (state.mode === "one-way") yield* handle.setDirection("reverse")
  yield* failpoint("cutover:switched")
  yield* record(options, { ...state, direction: "reverse" }, "cutover")
  return { durationMs: Date.now() - started, verify: report }
})

/**
 * `finalize`: the migration is done; the caller stops the sync (closes its scope).
 *
 * @since 0.1.0
 * @category phases
 */
export const finalize = Effect.fn("Migration.finalize")(function* (options: MigrationOptions) {
  const state = yield* current(options)
  if (state.phase !== "cutover") {
    return yield* new MigrationStateError({ reason: `finalize follows cutover (phase is ${state.phase})` })
  }
  yield* record(options, state, "finalized")
})

/**
 * `rollback`: back to the source with nothing lost. After cutover the running sync (target -> source) is
 * drained first, so every write made on the target reaches the source, then it flows forward again.
 * Before cutover the source was never written by the migration: only the phase changes. Nothing is
 * deleted on either side.
 *
 * @since 0.1.0
 * @category phases
 */
export const rollback = Effect.fn("Migration.rollback")(function* (
  options: MigrationOptions,
  handle?: SyncEngine.SyncHandle
) {
  const state = yield* current(options)
  if (state.phase === "finalized") {
    return yield* new MigrationStateError({
      reason: "the migration is finalized; a rollback would be a new migration the other way"
    })
  }
  if (state.direction === "reverse") {
    yield* begin(options, state, "rollback")
    if (handle === undefined) {
      // no running sync: copy the target's writes back to the source once
      yield* Copier.copyBetween((yield* Endpoints).target, (yield* Endpoints).source, {
        overwrite: true,
        policy: options.policy ?? Policy.defaults
      })
    } else {
      const drained = yield* handle.drain(60_000)
      if (!drained) return yield* abort(options, state, "the reverse sync did not catch up in time; rollback aborted")
      yield* handle.setDirection("forward")
      yield* failpoint("rollback:switched")
    }
  }
  yield* record(options, { ...state, direction: "forward" }, "rolledBack")
})

/**
 * `status`: the persisted state (phase, direction, history, last verify).
 *
 * @since 0.1.0
 * @category phases
 */
export const status = (stateFile: string) =>
  State.load(stateFile).pipe(
    Effect.flatMap((state) =>
      state === undefined
        ? Effect.fail(new MigrationStateError({ reason: `no migration state in ${stateFile} (run plan first)` }))
        : Effect.succeed(state)
    )
  )

/**
 * What {@link resume} did: the action, and whatever it left running or produced.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResumeResult {
  readonly action: Resume.ResumeAction
  /** The running sync (every action but `Copy` and `Nothing`); it stops when the scope closes. */
  readonly handle?: SyncEngine.SyncHandle
  readonly copy?: Copier.CopyReport
  readonly cutover?: { readonly durationMs: number }
}

/**
 * `resume`: reads the state file and finishes what a crashed run left: a copy is rescanned and what is
 * missing copied (with the first copy's settings); a sync continues in the recorded direction; a cutover
 * catches up, verifies and turns the sync around (idempotent: nothing is switched twice); a rollback drains
 * target -> source and flows forward again. The endpoints must be the ones the state file names.
 *
 * @since 0.1.0
 * @category phases
 */
export const resume = (
  options: MigrationOptions,
  resumeOptions: { readonly catchUpTimeoutMs?: number; readonly reconcileIntervalMs?: number } = {}
): Effect.Effect<ResumeResult, MigrationError, Endpoints | Scope.Scope> =>
  Effect.gen(function* () {
    const state = yield* current(options)
    const action = Resume.next(state)
    switch (action._tag) {
      case "Nothing":
        return { action }
      case "Copy":
        return { action, copy: yield* copy(options, action.settings) }
      case "Sync":
        return { action, handle: yield* sync(options, resumeOptions) }
      case "Cutover": {
        const handle = yield* sync(options, resumeOptions)
        const result = yield* cutover(options, handle)
        return { action, handle, cutover: { durationMs: result.durationMs } }
      }
      case "Rollback": {
        if (action.direction === "forward") {
          yield* rollback(options)
          return { action }
        }
        const handle = yield* sync(options, resumeOptions)
        yield* rollback(options, handle)
        return { action, handle }
      }
    }
  })
