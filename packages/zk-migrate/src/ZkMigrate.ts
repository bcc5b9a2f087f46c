/**
 * The Promise facade: the library without Effect. One object per migration holds both connections (a
 * `ManagedRuntime` over the `Endpoints` layer); errors reject with the typed error objects.
 *
 * @example
 * ```ts
 * import { createMigration } from "@orchestrator/zk-migrate"
 *
 * const migration = await createMigration({
 *   source: { connectString: "old-zk:2181", path: "/apps" },
 *   target: { connectString: "new-zk:2181", path: "/apps" },
 *   stateFile: "./zk-migrate-state.json"
 * })
 * console.log(await migration.plan())
 * await migration.copy()
 * const sync = await migration.startSync()
 * console.log(await sync.cutover())
 * await sync.stop()
 * await migration.close()
 * ```
 *
 * @since 0.1.0
 */
import { Effect, Exit, Fiber, ManagedRuntime, Scope, Stream } from "effect"
import type { Conflict, ConflictPolicy } from "./Conflict.js"
import type { CopyOptions, CopyReport } from "./Copier.js"
import { Endpoints, type SideConfig } from "./Endpoints.js"
import * as Migration from "./Migration.js"
import type { MigrationState } from "./MigrationState.js"
import type { Policy } from "./Policy.js"
import type { ResumeAction } from "./Resume.js"
import type { SyncEvent, SyncHandle, SyncStats } from "./SyncEngine.js"
import type { VerifyReport } from "./Verifier.js"

/**
 * Settings of {@link createMigration}.
 *
 * @since 0.1.0
 * @category models
 */
export interface MigrationConfig {
  readonly source: SideConfig
  readonly target: SideConfig
  /** Default `./zk-migrate-state.json`. */
  readonly stateFile?: string
  readonly mode?: "one-way" | "bidirectional"
  readonly conflict?: ConflictPolicy
  readonly policy?: Policy
}

/**
 * A running sync.
 *
 * @since 0.1.0
 * @category models
 */
export interface SyncController {
  stats(): Promise<SyncStats>
  conflicts(): Promise<ReadonlyArray<Conflict>>
  /** Resolves `true` once nothing is queued or in flight (`false` after `timeoutMs`). */
  drain(timeoutMs?: number): Promise<boolean>
  verify(): Promise<VerifyReport>
  cutover(): Promise<{ readonly durationMs: number }>
  rollback(): Promise<void>
  /** Calls `listener` for every sync event until the returned function is called. */
  onEvent(listener: (event: SyncEvent) => void): () => void
  stop(): Promise<void>
}

/**
 * What {@link ZkMigration.resume} did.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResumeOutcome {
  readonly action: ResumeAction
  /** The sync it left running (stop it when done), for every action but `Copy` and `Nothing`. */
  readonly sync?: SyncController
  readonly copy?: CopyReport
  readonly cutover?: { readonly durationMs: number }
}

/**
 * A migration between two ensembles.
 *
 * @since 0.1.0
 * @category models
 */
export interface ZkMigration {
  plan(): Promise<Migration.PlanReport>
  copy(options?: Omit<CopyOptions, "policy">): Promise<CopyReport>
  verify(): Promise<VerifyReport>
  startSync(options?: { readonly reconcileIntervalMs?: number }): Promise<SyncController>
  /** Finishes what a crashed run left (see `Migration.resume`). */
  resume(options?: { readonly reconcileIntervalMs?: number }): Promise<ResumeOutcome>
  rollback(): Promise<void>
  finalize(): Promise<void>
  status(): Promise<MigrationState>
  close(): Promise<void>
}

/**
 * Connects both sides and returns the migration object (rejects with `InvalidConnectString` or
 * `Unreachable`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const createMigration = async (config: MigrationConfig): Promise<ZkMigration> => {
  const runtime = ManagedRuntime.make(Endpoints.layer({ source: config.source, target: config.target }))
  try {
    await runtime.runPromise(Effect.void)
  } catch (error) {
    await runtime.dispose()
    throw error
  }
  const options: Migration.MigrationOptions = {
    stateFile: config.stateFile ?? "zk-migrate-state.json",
    ...(config.mode === undefined ? {} : { mode: config.mode }),
    ...(config.conflict === undefined ? {} : { conflict: config.conflict }),
    ...(config.policy === undefined ? {} : { policy: config.policy })
  }
  const run = <A, E>(effect: Effect.Effect<A, E, Endpoints>): Promise<A> => runtime.runPromise(effect)
  /** Runs `effect` in a new scope that outlives the call (closed on failure). */
  const scoped = async <A, E>(effect: Effect.Effect<A, E, Endpoints | Scope.Scope>) => {
    const scope = await runtime.runPromise(Scope.make())
    try {
      return { value: await run(effect.pipe(Scope.provide(scope))), scope }
    } catch (error) {
      await runtime.runPromise(Scope.close(scope, Exit.void))
      throw error
    }
  }
  const controller = (handle: SyncHandle, scope: Scope.Closeable): SyncController => ({
    stats: () => run(handle.stats),
    conflicts: () => run(handle.conflicts),
    drain: (timeoutMs) => run(handle.drain(timeoutMs)),
    verify: () => run(Migration.verify(options, handle)),
    cutover: () => run(Migration.cutover(options, handle)),
    rollback: () => run(Migration.rollback(options, handle)),
    onEvent: (listener) => {
      const fiber = runtime.runFork(
        handle.events.pipe(Stream.runForEach((event) => Effect.sync(() => listener(event)))).pipe(Scope.provide(scope))
      )
      return () => {
        runtime.runFork(Fiber.interrupt(fiber))
      }
    },
    stop: () => runtime.runPromise(Scope.close(scope, Exit.void))
  })
  return {
    plan: () => run(Migration.plan(options)),
    copy: (copyOptions) => run(Migration.copy(options, copyOptions)),
    verify: () => run(Migration.verify(options)),
    startSync: async (syncOptions) => {
      const { value: handle, scope } = await scoped(Migration.sync(options, syncOptions ?? {}))
      return controller(handle, scope)
    },
    resume: async (resumeOptions) => {
      const { value, scope } = await scoped(Migration.resume(options, resumeOptions ?? {}))
      if (value.handle === undefined) await runtime.runPromise(Scope.close(scope, Exit.void))
      return {
        action: value.action,
        ...(value.handle === undefined ? {} : { sync: controller(value.handle, scope) }),
        ...(value.copy === undefined ? {} : { copy: value.copy }),
        ...(value.cutover === undefined ? {} : { cutover: value.cutover })
      }
    },
    rollback: () => run(Migration.rollback(options)),
    finalize: () => run(Migration.finalize(options)),
    status: () => run(Migration.status(options.stateFile)),
    close: () => runtime.dispose()
  }
}
