import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import * as EventLog from "../../../src/apps/events/EventLog.js"
import { makeRedactor } from "../../../src/apps/secrets/index.js"

const terminated = (appId: string) => ({ eventType: "app_terminated_event" as const, appId })

describe("EventLog", () => {
  it.effect("numbers events in order, keeps a bounded history and resumes after a sequence number", () =>
    Effect.gen(function* () {
      const log = yield* EventLog.make({ historySize: 3, redact: (v) => v })
      for (const id of ["/a", "/b", "/c", "/d"]) yield* log.publish(terminated(id))
      expect((yield* log.history).map((e) => [e.seq, "appId" in e ? e.appId : ""])).toEqual([
        [2, "/b"],
        [3, "/c"],
        [4, "/d"]
      ])
      const resumed = yield* log.events(2).pipe(Stream.take(3), Stream.runCollect, Effect.forkChild)
      yield* Effect.yieldNow
      yield* log.publish(terminated("/e"))
      expect((yield* Fiber.join(resumed)).map((e) => e.seq)).toEqual([3, 4, 5])
      yield* log.resume(100)
      expect((yield* log.publish(terminated("/f"))).seq).toBe(101)
    })
  )

  it.effect("live subscribers get every later event once, without the history", () =>
    Effect.gen(function* () {
      const log = yield* EventLog.make({ historySize: 10, redact: (v) => v })
      yield* log.publish(terminated("/old"))
      const live = yield* log.events().pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
      yield* Effect.yieldNow
      yield* log.publish(terminated("/x"))
      yield* log.publish(terminated("/y"))
      expect((yield* Fiber.join(live)).map((e) => ("appId" in e ? e.appId : ""))).toEqual(["/x", "/y"])
    })
  )

  it.effect("redacts secret values from every string of an event", () =>
    Effect.gen(function* () {
      const redactor = makeRedactor()
      yield* redactor.set("/app", ["hunter2-password"])
      const log = yield* EventLog.make({ historySize: 10, redact: redactor.redactDeep })
      const event = yield* log.publish({
        eventType: "unhealthy_instance_kill_event",
        appId: "/app",
        taskId: "app.1",
        version: "v",
        reason: "GET / answered: token hunter2-password rejected"
      })
      expect(JSON.stringify(event)).not.toContain("hunter2-password")
      expect(event).toMatchObject({ reason: "GET / answered: token <redacted> rejected" })
    })
  )
})
