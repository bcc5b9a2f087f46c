/**
 * The health monitor: keeps checking the tasks it watches, tracks their health and readiness, and reports
 * changes as a stream.
 *
 * Timing: a task's first health check runs `delaySeconds` after it started (Mesos' meaning of the field;
 * Marathon's own scheduler-side checks ignore it and start within 5 s of the app), then every
 * `intervalSeconds` (a check slower than the interval is followed by the next at once; checks of one task
 * never overlap). Readiness checks start at once and repeat every `intervalSeconds` until ready, then stop.
 * The first check of each task is shifted by a random part of `min(intervalSeconds, firstCheckSpreadMs)`,
 * so tasks watched together (a scheduler restart, a big deployment) do not all fire at the same instant,
 * and at most `maxConcurrentChecks` checks run at once.
 *
 * Resuming: a task watched again by a new scheduler (a restart, a failover) may start from its last known
 * verdict ({@link HealthResume}): a task that was healthy stays alive (and ready) without waiting, its first
 * check runs at once (not `delaySeconds` later) and, since it passed before, a failure counts right away
 * (no grace period).
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, FiberMap, Layer, Option, PubSub, Random, Semaphore, Stream } from "effect"
import type { HealthCheck, ReadinessCheck } from "../model/AppDefinition.js"
import { checkOnce } from "./checkOnce.js"
import type { CheckResult, HealthTarget, ReadinessResult } from "./HealthTarget.js"
import { readyOnce } from "./readiness.js"
import {
  aliveOf,
  type CheckState,
  type HealthEvent,
  initialCheckState,
  reachedMaxFailures,
  readyOf,
  recordResult,
  type TaskHealth,
  taskHealthOf
} from "./TaskHealth.js"

/**
 * Options of {@link HealthMonitor.layerWith}.
 *
 * @since 0.1.0
 * @category models
 */
export interface HealthMonitorOptions {
  /** The first check of a task waits a random part of this (at most one interval) more; default 1,000 ms. */
  readonly firstCheckSpreadMs?: number
  /** Checks running at the same time, over all tasks; default 64. */
  readonly maxConcurrentChecks?: number
}

/**
 * What a scheduler knew of a task before it restarted (see the module): its last verdict (`undefined`: none)
 * and readiness.
 *
 * @since 0.1.0
 * @category models
 */
export interface HealthResume {
  readonly alive: boolean | undefined
  readonly ready: boolean
}

/**
 * Health checking of running tasks.
 *
 * **When to use**: the app scheduler watches each task once it runs (`watch`), kills the tasks reported
 * `Unhealthy`, and `unwatch`es tasks that ended.
 *
 * **Gotchas**: `watch` is idempotent per task id (a second call with other checks changes nothing: `unwatch`
 * first). Memory is constant per task (the last result of each check, no history).
 *
 * @since 0.1.0
 * @category services
 */
export class HealthMonitor extends Context.Service<
  HealthMonitor,
  {
    /**
     * Starts checking `target` (no health checks: alive at once; no readiness checks: ready at once);
     * `resume` continues from what a previous scheduler knew (first check at once, see the module).
     */
    readonly watch: (
      target: HealthTarget,
      checks: ReadonlyArray<HealthCheck>,
      readiness: ReadonlyArray<ReadinessCheck>,
      resume?: HealthResume
    ) => Effect.Effect<void>
    /** Stops checking a task and forgets it; an unknown task is not an error. */
    readonly unwatch: (taskId: string) => Effect.Effect<void>
    /** The health of a watched task. */
    readonly get: (taskId: string) => Effect.Effect<Option.Option<TaskHealth>>
    /** The health of every watched task. */
    readonly all: Effect.Effect<ReadonlyArray<TaskHealth>>
    /** Health, readiness and kill events of every watched task, from the moment of subscription. */
    readonly changes: Stream.Stream<HealthEvent>
  }
>()("@orchestrator/scheduler/apps/HealthMonitor") {
  /**
   * The monitor with default options; its checks stop when the layer's scope closes.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer: Layer.Layer<HealthMonitor> = Layer.effect(
    HealthMonitor,
    Effect.suspend(() => make())
  )

  /**
   * The monitor with options.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerWith = (options: HealthMonitorOptions): Layer.Layer<HealthMonitor> =>
    Layer.effect(HealthMonitor, make(options))
}

interface Entry {
  readonly target: HealthTarget
  readonly checks: ReadonlyArray<HealthCheck>
  readonly readinessChecks: ReadonlyArray<ReadinessCheck>
  readonly states: Array<CheckState>
  readonly readiness: Array<ReadinessResult | undefined>
  alive: boolean | undefined
  ready: boolean
  firstHealthyAt: number | undefined
  unhealthySent: boolean
  /** Whether a verdict of this monitor was reported (a resumed task starts from a stored one). */
  reported: boolean
}

const readyBefore: ReadinessResult = { ready: true, message: "ready before the scheduler restarted" }

/** The record a resumed check starts from: a task that was healthy counts as having passed (no grace period). */
const resumedState = (resume: HealthResume | undefined, now: number): CheckState =>
  resume?.alive === true
    ? { consecutiveFailures: 0, alive: true, firstSuccessAt: now, lastSuccessAt: now }
    : resume?.alive === false
      ? { consecutiveFailures: 0, alive: false }
      : initialCheckState

/**
 * Builds the monitor (scoped: its check fibers end with the scope).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("HealthMonitor.make")(function* (options: HealthMonitorOptions = {}) {
  const spreadMs = options.firstCheckSpreadMs ?? 1_000
  const semaphore = yield* Semaphore.make(options.maxConcurrentChecks ?? 64)
  const events = yield* PubSub.unbounded<HealthEvent>()
  yield* Effect.addFinalizer(() => PubSub.shutdown(events))
  const fibers = yield* FiberMap.make<string>()
  const entries = new Map<string, Entry>()

  const snapshot = (entry: Entry): TaskHealth =>
    taskHealthOf({
      taskId: entry.target.taskId,
      checks: entry.states,
      readiness: entry.readiness,
      firstHealthyAt: entry.firstHealthyAt
    })

  /** The events a new health state causes (applied to `entry`). */
  const healthEvents = (entry: Entry, at: number): Array<HealthEvent> => {
    const alive = aliveOf(entry.states)
    if (alive === true && entry.firstHealthyAt === undefined) entry.firstHealthyAt = at
    // a resumed task's first verdict is reported even when it confirms the stored one (its results are new)
    if (alive === undefined || (alive === entry.alive && entry.reported)) return []
    entry.alive = alive
    entry.reported = true
    return [{ _tag: "HealthChanged", taskId: entry.target.taskId, alive, health: snapshot(entry) }]
  }

  const readyEvents = (entry: Entry): Array<HealthEvent> => {
    const ready = readyOf(entry.readiness)
    if (ready === entry.ready) return []
    entry.ready = ready
    return [{ _tag: "ReadyChanged", taskId: entry.target.taskId, ready }]
  }

  const current = (entry: Entry): boolean => entries.get(entry.target.taskId) === entry

  const onCheck = (entry: Entry, index: number, result: CheckResult): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (!current(entry)) return Effect.void
      const check = entry.checks[index]!
      const state = recordResult(entry.states[index]!, check, entry.target.startedAt, result)
      entry.states[index] = state
      const out = healthEvents(entry, result.at)
      if (!entry.unhealthySent && reachedMaxFailures(state, check)) {
        entry.unhealthySent = true
        out.push({
          _tag: "Unhealthy",
          taskId: entry.target.taskId,
          reason: `health check ${index} (${check.protocol}) failed ${state.consecutiveFailures} times in a row: ${result.message}`
        })
      }
      return PubSub.publishAll(events, out)
    })

  const onReadiness = (entry: Entry, index: number, result: ReadinessResult): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (!current(entry)) return Effect.void
      const changed = JSON.stringify(entry.readiness[index]) !== JSON.stringify(result)
      entry.readiness[index] = result
      const checked: Array<HealthEvent> = changed
        ? [{ _tag: "ReadinessChecked", taskId: entry.target.taskId, results: [...entry.readiness] }]
        : []
      return PubSub.publishAll(events, [...checked, ...readyEvents(entry)])
    })

  /**
   * Waits until `firstAt` plus the random shift of a task's first check, then runs `once` (holding a permit)
   * every `intervalMs`, measured from each start, until it returns `true`.
   */
  const schedule = (firstAt: number, intervalMs: number, once: Effect.Effect<boolean>) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const shift = (yield* Random.next) * Math.min(intervalMs, spreadMs)
      yield* Effect.sleep(Math.max(0, firstAt - now) + shift)
      for (;;) {
        const startedAt = yield* Clock.currentTimeMillis
        if (yield* Semaphore.withPermits(semaphore, 1)(once)) return
        const elapsed = (yield* Clock.currentTimeMillis) - startedAt
        yield* Effect.sleep(Math.max(0, intervalMs - elapsed))
      }
    })

  const checkLoop = (entry: Entry, index: number, resumed: boolean) => {
    const check = entry.checks[index]!
    const once = checkOnce(check, entry.target).pipe(
      Effect.flatMap((result) => onCheck(entry, index, result)),
      Effect.as(false)
    )
    const firstAt = resumed ? 0 : entry.target.startedAt + check.delaySeconds * 1000
    return schedule(firstAt, check.intervalSeconds * 1000, once)
  }

  const readinessLoop = (entry: Entry, index: number) => {
    const check = entry.readinessChecks[index]!
    const once = readyOnce(check, entry.target).pipe(
      Effect.tap((result) => onReadiness(entry, index, result)),
      Effect.map((result) => result.ready)
    )
    return schedule(0, check.intervalSeconds * 1000, once)
  }

  const watch = Effect.fn("HealthMonitor.watch")(function* (
    target: HealthTarget,
    checks: ReadonlyArray<HealthCheck>,
    readinessChecks: ReadonlyArray<ReadinessCheck>,
    resume?: HealthResume
  ) {
    if (entries.has(target.taskId)) return
    const now = yield* Clock.currentTimeMillis
    const resumed = resumedState(resume, now)
    const ready = resume?.ready === true
    const entry: Entry = {
      target,
      checks: [...checks],
      readinessChecks: [...readinessChecks],
      states: checks.map(() => resumed),
      readiness: readinessChecks.map(() => (ready ? readyBefore : undefined)),
      alive: checks.length === 0 ? undefined : resume?.alive,
      ready,
      firstHealthyAt: resumed.firstSuccessAt,
      unhealthySent: false,
      reported: resume === undefined
    }
    entries.set(target.taskId, entry)
    // a resumed task's stored verdict is no news: its first check's is
    const verdict = resume !== undefined && checks.length > 0 ? [] : healthEvents(entry, now)
    yield* PubSub.publishAll(events, [...verdict, ...readyEvents(entry)])
    const loops = [
      ...checks.map((_, i) => checkLoop(entry, i, resume !== undefined)),
      ...(ready ? [] : readinessChecks.map((_, i) => readinessLoop(entry, i)))
    ]
    if (loops.length > 0) {
      yield* FiberMap.run(fibers, target.taskId, Effect.all(loops, { concurrency: "unbounded", discard: true }))
    }
  })

  const unwatch = Effect.fn("HealthMonitor.unwatch")(function* (taskId: string) {
    entries.delete(taskId)
    yield* FiberMap.remove(fibers, taskId)
  })

  return HealthMonitor.of({
    watch,
    unwatch,
    get: (taskId) =>
      Effect.sync(() => {
        const entry = entries.get(taskId)
        return entry === undefined ? Option.none() : Option.some(snapshot(entry))
      }),
    all: Effect.sync(() => [...entries.values()].map(snapshot)),
    changes: Stream.fromPubSub(events)
  })
})
