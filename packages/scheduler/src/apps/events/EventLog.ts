/**
 * The numbered event log behind `/v2/events`: every event gets the next sequence number, passes through
 * the redactor (no secret value leaves the scheduler), is kept in a bounded history for resumption and is
 * published to live subscribers, in order.
 *
 * @since 0.1.0
 */
import { Effect, PubSub, Stream } from "effect"
import type { AppEvent, AppEventPayload } from "./AppEvent.js"

/**
 * The log.
 *
 * @since 0.1.0
 * @category models
 */
export interface EventLog {
  /** Numbers, redacts, keeps and publishes an event; returns it. */
  readonly publish: (payload: AppEventPayload) => Effect.Effect<AppEvent>
  /** Kept events after `after` (all kept without it), then live ones; no gaps, no repeats. */
  readonly events: (after?: number) => Stream.Stream<AppEvent>
  /** The last number used. */
  readonly seq: Effect.Effect<number>
  /** Continues numbering after `seq` (a new leader continues after the stored number). */
  readonly resume: (seq: number) => Effect.Effect<void>
  /** The kept events (oldest first). */
  readonly history: Effect.Effect<ReadonlyArray<AppEvent>>
}

/**
 * Builds a log keeping `historySize` events; `redact` cleans every string of every event.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("EventLog.make")(function* (options: {
  readonly historySize: number
  readonly redact: <A>(value: A) => A
}) {
  const hub = yield* PubSub.unbounded<AppEvent>()
  const kept: Array<AppEvent> = []
  let seq = 0
  const log: EventLog = {
    publish: (payload) =>
      Effect.suspend(() => {
        seq += 1
        const event = {
          ...options.redact(payload),
          seq,
          timestamp: new Date().toISOString()
        } as AppEvent
        kept.push(event)
        if (kept.length > options.historySize) kept.splice(0, kept.length - options.historySize)
        return Effect.as(PubSub.publish(hub, event), event)
      }),
    events: (after) =>
      Stream.unwrap(
        Effect.gen(function* () {
          const subscription = yield* PubSub.subscribe(hub)
          const past = after === undefined ? [] : kept.filter((e) => e.seq > after)
          const last = past.length > 0 ? past[past.length - 1]!.seq : after === undefined ? seq : after
          return Stream.concat(
            Stream.fromIterable(past),
            Stream.fromSubscription(subscription).pipe(Stream.filter((e) => e.seq > last))
          )
        })
      ),
    seq: Effect.sync(() => seq),
    resume: (from) =>
      Effect.sync(() => {
        if (from > seq) seq = from
      }),
    history: Effect.sync(() => [...kept])
  }
  return log
})
