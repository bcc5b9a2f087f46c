/**
 * The numbered event log behind `/v2/events`: every event gets the next sequence number, passes through
 * the redactor (no secret value leaves the scheduler), is kept in a bounded history for resumption and is
 * offered to live subscribers, in order.
 *
 * Memory stays bounded for every reader: each subscriber has a queue of at most `bufferSize` events; a reader
 * that falls further behind (a stalled HTTP client) gets a final `event_stream_dropped` event and its stream
 * ends, as discovery's watch does. A reader that resumes after an event the history no longer holds first gets
 * an `event_stream_gap` event naming the lost numbers, never a silent gap.
 *
 * @since 0.1.0
 */
import { type Cause, Effect, Queue, Stream } from "effect"
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
  /**
   * Kept events after `after` (none without it), then live ones; no repeats. Starts with an
   * `event_stream_gap` event when events after `after` are no longer kept (or `after` is beyond the last
   * number); ends with an `event_stream_dropped` event when the reader falls `bufferSize` events behind.
   */
  readonly events: (after?: number) => Stream.Stream<AppEvent>
  /** The last number used. */
  readonly seq: Effect.Effect<number>
  /** Continues numbering after `seq` (a new leader continues after the stored number). */
  readonly resume: (seq: number) => Effect.Effect<void>
  /** The kept events (oldest first). */
  readonly history: Effect.Effect<ReadonlyArray<AppEvent>>
  /** How many live streams are subscribed now. */
  readonly subscribers: Effect.Effect<number>
}

/**
 * How many events may wait for one reader before it is dropped, by default.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultBufferSize = 10_000

interface Subscriber {
  readonly queue: Queue.Queue<AppEvent, Cause.Done>
  /** The last event offered to it. */
  lastSeq: number
}

const now = () => new Date().toISOString()

/**
 * Builds a log keeping `historySize` events; `redact` cleans every string of every event; `bufferSize`
 * (default {@link defaultBufferSize}) bounds what waits for each reader.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fn("EventLog.make")(function* (options: {
  readonly historySize: number
  readonly redact: <A>(value: A) => A
  readonly bufferSize?: number
}) {
  const bufferSize = Math.max(1, Math.floor(options.bufferSize ?? defaultBufferSize))
  const kept: Array<AppEvent> = []
  const subscribers = new Set<Subscriber>()
  let seq = 0

  const drop = (subscriber: Subscriber) => {
    subscribers.delete(subscriber)
    Queue.offerUnsafe(subscriber.queue, {
      eventType: "event_stream_dropped",
      seq: subscriber.lastSeq,
      timestamp: now(),
      reason: `more than ${bufferSize} events were waiting for this reader; events after ${subscriber.lastSeq} were not sent: reconnect with Last-Event-ID ${subscriber.lastSeq}`
    })
    Queue.endUnsafe(subscriber.queue)
  }

  /** What a new stream starts with: the kept events after `after`, behind a gap event when some are lost. */
  const start = (after: number | undefined): ReadonlyArray<AppEvent> => {
    if (after === undefined || after === seq) return []
    if (after > seq) {
      return [
        {
          eventType: "event_stream_gap",
          seq,
          timestamp: now(),
          after,
          missedFrom: seq + 1,
          missedTo: seq,
          reason: `event ${after} is beyond the last event ${seq} (numbers of another scheduler?); going on after ${seq}`
        }
      ]
    }
    const oldest = kept[0]?.seq ?? seq + 1
    const past = kept.filter((e) => e.seq > after)
    if (after >= oldest - 1) return past
    const gap: AppEvent = {
      eventType: "event_stream_gap",
      seq: oldest - 1,
      timestamp: now(),
      after,
      missedFrom: after + 1,
      missedTo: oldest - 1,
      reason: `events ${after + 1} to ${oldest - 1} are no longer kept (the history holds the last ${options.historySize}); going on after ${oldest - 1}`
    }
    return [gap, ...past]
  }

  const log: EventLog = {
    publish: (payload) =>
      Effect.sync(() => {
        seq += 1
        const event = { ...options.redact(payload), seq, timestamp: now() } as AppEvent
        kept.push(event)
        if (kept.length > options.historySize) kept.splice(0, kept.length - options.historySize)
        for (const subscriber of subscribers) {
          if (Queue.sizeUnsafe(subscriber.queue) >= bufferSize) drop(subscriber)
          else {
            Queue.offerUnsafe(subscriber.queue, event)
            subscriber.lastSeq = seq
          }
        }
        return event
      }),
    events: (after) =>
      Stream.unwrap(
        Effect.gen(function* () {
          // one slot more than the buffer: room for the final event_stream_dropped
          const queue = yield* Queue.bounded<AppEvent, Cause.Done>(bufferSize + 1)
          const subscriber: Subscriber = { queue, lastSeq: seq }
          const first = yield* Effect.acquireRelease(
            Effect.sync(() => {
              subscribers.add(subscriber)
              subscriber.lastSeq = seq
              return start(after)
            }),
            () => Effect.sync(() => subscribers.delete(subscriber))
          )
          return Stream.concat(Stream.fromIterable(first), Stream.fromQueue(queue))
        })
      ),
    seq: Effect.sync(() => seq),
    resume: (from) =>
      Effect.sync(() => {
        if (from > seq) seq = from
      }),
    history: Effect.sync(() => [...kept]),
    subscribers: Effect.sync(() => subscribers.size)
  }
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      for (const subscriber of subscribers) Queue.endUnsafe(subscriber.queue)
      subscribers.clear()
    })
  )
  return log
})
