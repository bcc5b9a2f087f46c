import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Stream } from "effect"
import type { AppEvent } from "../../../src/apps/events/AppEvent.js"
import * as EventLog from "../../../src/apps/events/EventLog.js"

const terminated = (appId: string) => ({ eventType: "app_terminated_event" as const, appId })
const summary = (e: AppEvent) => [e.seq, e.eventType]

describe("EventLog bounds", () => {
  it.effect("drops a reader that falls bufferSize events behind with a final event; others go on", () =>
    Effect.gen(function* () {
      const log = yield* EventLog.make({ historySize: 100, redact: (v) => v, bufferSize: 3 })
      // a reader stuck on its first event (a stalled client), and one that keeps up
      const gate = yield* Deferred.make<void>()
      const stalled = yield* log.events().pipe(
        Stream.tap(() => Deferred.await(gate)),
        Stream.runCollect,
        Effect.forkChild
      )
      const live = yield* log.events().pipe(Stream.take(8), Stream.runCollect, Effect.forkChild)
      yield* Effect.yieldNow
      expect(yield* log.subscribers).toBe(2)
      for (let i = 0; i < 8; i++) {
        yield* log.publish(terminated(`/a${i}`))
        yield* Effect.yieldNow
      }
      yield* Deferred.succeed(gate, undefined)
      const events = yield* Fiber.join(stalled)
      const last = events[events.length - 1]!
      const delivered = events.slice(0, -1).map((e) => e.seq)
      expect(last).toMatchObject({ eventType: "event_stream_dropped", seq: delivered.length })
      expect(last).toMatchObject({ reason: expect.stringContaining(`Last-Event-ID ${delivered.length}`) })
      expect(delivered).toEqual(Array.from({ length: delivered.length }, (_, i) => i + 1))
      // at most the event it was stuck on, the buffer, and no more
      expect(delivered.length).toBeLessThanOrEqual(4)
      expect((yield* Fiber.join(live)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
      expect(yield* log.subscribers).toBe(0)
    })
  )

  it.effect("a reader resuming after events no longer kept first gets a gap event naming them", () =>
    Effect.gen(function* () {
      const log = yield* EventLog.make({ historySize: 3, redact: (v) => v })
      for (let i = 1; i <= 10; i++) yield* log.publish(terminated(`/a${i}`))
      const resumed = yield* log.events(4).pipe(Stream.take(4), Stream.runCollect)
      expect(resumed.map(summary)).toEqual([
        [7, "event_stream_gap"],
        [8, "app_terminated_event"],
        [9, "app_terminated_event"],
        [10, "app_terminated_event"]
      ])
      expect(resumed[0]).toMatchObject({ after: 4, missedFrom: 5, missedTo: 7 })
      // just inside the history: no gap
      expect((yield* log.events(7).pipe(Stream.take(3), Stream.runCollect)).map((e) => e.seq)).toEqual([8, 9, 10])
      // an id beyond the last event (another scheduler's numbers): said so, then live events
      const beyond = yield* log.events(50).pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
      yield* Effect.yieldNow
      yield* log.publish(terminated("/next"))
      const [notice, next] = yield* Fiber.join(beyond)
      expect(notice).toMatchObject({ eventType: "event_stream_gap", seq: 10, after: 50 })
      expect(next?.seq).toBe(11)
    })
  )
})
