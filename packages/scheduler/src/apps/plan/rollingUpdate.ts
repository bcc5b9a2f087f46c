/**
 * The rolling update step function: given the tasks of the old and the new version, which tasks to kill and
 * how many new ones to launch now so that the app moves to `instances` healthy and ready new tasks while
 * keeping at least `ceil(instances x minimumHealthCapacity)` tasks available and never more than
 * `floor(instances x (1 + maximumOverCapacity))` tasks in total (Marathon's `TaskReplaceActor`, as a pure
 * function of the observed state that is called again after every change).
 *
 * The same function plans scaling (every task is "new", there is no old one) and rollbacks (the previous
 * version's tasks are "new", the failed version's are "old").
 *
 * @since 0.1.0
 */
import type { UpgradeStrategy } from "../model/AppDefinition.js"

/**
 * A task as the planner sees it. `alive` is the health verdict (`undefined`: none yet), `ready` the readiness
 * verdict (true when the app has no readiness check). `killing` marks a task a kill was already sent to: it
 * still takes capacity until it is gone, but no longer counts as available.
 *
 * @since 0.1.0
 * @category models
 */
export interface PlanTask {
  readonly id: string
  readonly state: "staging" | "starting" | "running"
  readonly alive: boolean | undefined
  readonly ready: boolean
  readonly killing?: boolean
}

/**
 * The input of {@link nextStep}: the target `instances`, the upgrade strategy, the tasks of the old and the new
 * version (each listed oldest first), and `pending`: launches already asked for that have no task yet (waiting
 * for an offer or in backoff); they count as new tasks and take capacity. `killSelection` (the app's, default
 * `YOUNGEST_FIRST`) says which of equally good new tasks go first when there are too many (a scale-down).
 *
 * @since 0.1.0
 * @category models
 */
export interface StepInput {
  readonly instances: number
  readonly strategy: Pick<UpgradeStrategy, "minimumHealthCapacity" | "maximumOverCapacity">
  readonly old: ReadonlyArray<PlanTask>
  readonly new: ReadonlyArray<PlanTask>
  readonly pending?: number
  readonly killSelection?: "YOUNGEST_FIRST" | "OLDEST_FIRST" | undefined
}

/**
 * What to do now: kill these task ids (unavailable old tasks first), launch this many new tasks; `done` once
 * `instances` new tasks are available and nothing else is left.
 *
 * @since 0.1.0
 * @category models
 */
export interface Step {
  readonly kill: ReadonlyArray<string>
  readonly launch: number
  readonly done: boolean
}

/**
 * The limits a deployment of `instances` tasks keeps: at least `minHealthy` available tasks (unless fewer
 * were available to begin with) and at most `maxCapacity` tasks in total.
 *
 * `surge` is true when the strategy leaves no headroom (`ceil(n x minHealth) == floor(n x (1 + maxOver))`,
 * e.g. minimumHealthCapacity 1 with maximumOverCapacity 0): keeping every task available and never exceeding
 * `n` tasks cannot both hold while tasks are replaced, so, as Marathon does for apps without persistent
 * volumes, one extra task is allowed (`maxCapacity = n + 1`): a new task starts next to the old ones and one
 * old task is killed once it is available. We keep availability rather than the ceiling because the floor is
 * what clients of the app see; the alternative (Marathon's choice for resident apps) kills one healthy task
 * first and drops below the floor the user asked for.
 *
 * Products are rounded to 1e-9 first, so that 10 x 0.7 is 7 (not 8, as a bare `ceil` of 7.000000000000001).
 *
 * @since 0.1.0
 * @category rolling update
 */
export const capacityBounds = (
  instances: number,
  strategy: Pick<UpgradeStrategy, "minimumHealthCapacity" | "maximumOverCapacity">
): { readonly minHealthy: number; readonly maxCapacity: number; readonly surge: boolean } => {
  const n = Math.max(0, Math.floor(instances))
  const clamp = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0)
  const minHealthy = Math.max(0, Math.ceil(n * clamp(strategy.minimumHealthCapacity) - 1e-9))
  const maxCapacity = Math.floor(n * (1 + clamp(strategy.maximumOverCapacity)) + 1e-9)
  const surge = n > 0 && maxCapacity <= minHealthy
  return { minHealthy, maxCapacity: surge ? minHealthy + 1 : maxCapacity, surge }
}

/**
 * Whether a task counts as available (toward the healthy floor): running, healthy, ready, and not being killed.
 *
 * @since 0.1.0
 * @category rolling update
 */
export const isAvailable = (task: PlanTask): boolean =>
  task.state === "running" && task.alive === true && task.ready && task.killing !== true

/**
 * Worst first: unhealthy, staging, starting, no verdict yet, not ready, then available; among equals the
 * youngest (last listed) first, or the oldest with `OLDEST_FIRST`.
 */
const badness = (task: PlanTask): number =>
  task.alive === false
    ? 0
    : task.state === "staging"
      ? 1
      : task.state === "starting"
        ? 2
        : task.alive === undefined
          ? 3
          : !task.ready
            ? 4
            : 5

const worstFirst = (
  tasks: ReadonlyArray<PlanTask>,
  killSelection: StepInput["killSelection"]
): ReadonlyArray<PlanTask> =>
  tasks
    .map((task, index) => ({ task, index }))
    .sort(
      (a, b) =>
        badness(a.task) - badness(b.task) || (killSelection === "OLDEST_FIRST" ? a.index - b.index : b.index - a.index)
    )
    .map((e) => e.task)

/** Not serving and not about to: unhealthy, or its container is not running yet. */
const doomed = (task: PlanTask): boolean => task.alive === false || task.state !== "running"

/**
 * The next step of a rolling update (or scale, or rollback), from the observed state. Tasks fall in three
 * kinds: available (running, healthy, ready), doomed (unhealthy, or not running yet) and doubtful (running
 * without a verdict yet, or healthy but not ready: such a task may well be serving, e.g. right after the
 * scheduler restarted and its health checks have not run yet).
 * 1. doomed old tasks are killed at once, and doomed new tasks beyond `instances` (counting `pending`):
 *    that never lowers the number of available tasks;
 * 2. doubtful old tasks (and doubtful new ones beyond `instances`) are killed once the available tasks alone
 *    keep the floor `minHealthy`, or, one at a time, when the capacity they hold is all that keeps the next
 *    new task from starting (a rollback from a version whose tasks never got a verdict);
 * 3. available tasks are killed, old ones first then new ones beyond `instances`, only while the number of
 *    available tasks stays at least `minHealthy`: at the start that is `available - minHealthy` tasks
 *    (Marathon's "kill immediately"), later one old task per new task that became available;
 * 4. new tasks are launched up to `instances`, as long as the total (old, new, pending, and tasks still being
 *    killed) stays within `maxCapacity`; a kill frees capacity only once the task is gone.
 *
 * Guarantees, for any input: the kills never take the available count below `min(minHealthy, available)`,
 * and the launches never take the total above `max(maxCapacity, total)` (see {@link capacityBounds}). When new
 * tasks become available as they start, repeated calls finish (`done`) with `instances` new tasks.
 *
 * **Gotchas**: new tasks that are unhealthy are not killed here unless beyond `instances` (the health monitor
 * kills and replaces them after `maxConsecutiveFailures`); a launch the caller could not place yet must be
 * passed as `pending`, or it would be asked for again (and launches no longer needed, e.g. after `instances`
 * dropped, should be cancelled by the caller: `pending` cannot be killed); a task already sent a kill must be
 * passed with `killing`, or it may be picked again. Among new tasks equally bad, the youngest (listed last) is
 * killed first, or the oldest (listed first) with `killSelection: "OLDEST_FIRST"`: list tasks oldest first.
 *
 * @since 0.1.0
 * @category rolling update
 */
export const nextStep = (input: StepInput): Step => {
  const n = Math.max(0, Math.floor(Number.isFinite(input.instances) ? input.instances : 0))
  const { minHealthy, maxCapacity } = capacityBounds(n, input.strategy)
  const pending = Math.max(0, Math.floor(Number.isFinite(input.pending) ? (input.pending ?? 0) : 0))
  const oldLive = input.old.filter((t) => t.killing !== true)
  const newLive = worstFirst(
    input.new.filter((t) => t.killing !== true),
    input.killSelection
  )
  const total = input.old.length + input.new.length + pending
  let available = oldLive.filter(isAvailable).length + newLive.filter(isAvailable).length
  let excess = newLive.length + pending - n
  const kill: Array<string> = []
  const killed = new Set<string>()
  const take = (task: PlanTask) => {
    kill.push(task.id)
    killed.add(task.id)
  }
  const takeExcess = (accept: (task: PlanTask) => boolean) => {
    for (const task of newLive) {
      if (excess <= 0 || (isAvailable(task) && available <= minHealthy)) break
      if (killed.has(task.id) || !accept(task)) continue
      take(task)
      if (isAvailable(task)) available--
      excess--
    }
  }
  const doubtful = (task: PlanTask) => !doomed(task) && !isAvailable(task)

  for (const task of oldLive) if (doomed(task)) take(task)
  takeExcess(doomed)
  if (available >= minHealthy) {
    for (const task of oldLive) if (doubtful(task)) take(task)
    takeExcess(doubtful)
  }
  for (const task of oldLive) {
    if (available <= minHealthy) break
    if (!isAvailable(task)) continue
    take(task)
    available--
  }
  takeExcess(isAvailable)

  const newKilled = newLive.filter((t) => killed.has(t.id)).length
  const need = Math.max(0, n - (newLive.length + pending - newKilled))
  const launch = Math.max(0, Math.min(need, maxCapacity - total))
  if (launch === 0 && need > 0) {
    const alreadyGoing = input.old.length - oldLive.length + input.new.length - newLive.length
    if (total - alreadyGoing - kill.length >= maxCapacity) {
      const stuck = oldLive.find((t) => doubtful(t) && !killed.has(t.id))
      if (stuck !== undefined) take(stuck)
    }
  }
  const done = input.old.length === 0 && pending === 0 && input.new.length === n && input.new.every(isAvailable)
  return { kill, launch, done }
}
