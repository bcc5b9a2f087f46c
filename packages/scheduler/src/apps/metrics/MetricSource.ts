/**
 * Where the autoscaler reads an app's metric from: a {@link MetricSource} gives one number for an app (the
 * average over its running tasks, in the unit the app's `autoscale.target` uses), or nothing when it cannot
 * tell (no task running, no sample yet). Sources are chosen by the metric's name (`cpu`, `mem`, or any name).
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import type { AppDefinition } from "../model/AppDefinition.js"
import type { AppTask } from "../scheduler/Views.js"

/**
 * A source of one metric: the app's current value from its running tasks.
 *
 * @since 0.1.0
 * @category models
 */
export type MetricSource = (app: AppDefinition, tasks: ReadonlyArray<AppTask>) => Effect.Effect<Option.Option<number>>

/**
 * Sources by metric name (the `autoscale.metric` of an app picks one).
 *
 * @since 0.1.0
 * @category models
 */
export type MetricSources = Readonly<Record<string, MetricSource>>

/**
 * A source from a plain function (sync or async) returning the value or `undefined`; a throwing or rejecting
 * function counts as "no value" (and is logged), never as a failure of the autoscaler.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromFunction =
  (
    f: (app: AppDefinition, tasks: ReadonlyArray<AppTask>) => number | undefined | Promise<number | undefined>
  ): MetricSource =>
  (app, tasks) =>
    Effect.tryPromise(async () => f(app, tasks)).pipe(
      Effect.map((value) => (value === undefined || !Number.isFinite(value) ? Option.none() : Option.some(value))),
      Effect.catchCause((cause) =>
        Effect.as(
          Effect.logWarning("metric source failed", cause).pipe(Effect.annotateLogs({ app: app.id })),
          Option.none()
        )
      )
    )
