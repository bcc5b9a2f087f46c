/** Helpers for the health tests: a monitor in the test's scope with its events collected, and event labels. */
import { Context, Effect, Layer, Stream } from "effect"
import { HealthMonitor, type HealthMonitorOptions } from "../../../src/apps/health/HealthMonitor.js"
import type { HealthEvent } from "../../../src/apps/health/TaskHealth.js"

/** A monitor built in the current scope, with every event it emits collected in `seen`. */
export const openMonitor = (options: HealthMonitorOptions = { firstCheckSpreadMs: 20 }) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(HealthMonitor.layerWith(options))
    const monitor = Context.get(context, HealthMonitor)
    const seen: Array<HealthEvent> = []
    yield* monitor.changes.pipe(
      Stream.runForEach((event) => Effect.sync(() => seen.push(event))),
      Effect.forkScoped
    )
    // let the subscription start before the test watches anything
    yield* Effect.sleep(10)
    return { monitor, seen }
  })

/** An event as a short label: `alive=true`, `ready=false`, `Unhealthy`. */
export const labelOf = (event: HealthEvent): string =>
  event._tag === "HealthChanged"
    ? `alive=${event.alive}`
    : event._tag === "ReadyChanged"
      ? `ready=${event.ready}`
      : event._tag === "ReadinessChecked"
        ? `checked=${event.results.map((r) => r?.status ?? "-").join(",")}`
        : "Unhealthy"

/** The labels of one task's events, in order (readiness results left out: see `readinessOf`). */
export const labelsOf = (events: ReadonlyArray<HealthEvent>, taskId: string): Array<string> =>
  events.filter((event) => event.taskId === taskId && event._tag !== "ReadinessChecked").map(labelOf)
