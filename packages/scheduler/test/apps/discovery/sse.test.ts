import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Sse } from "../../../src/apps/discovery/index.js"

describe("server-sent events", () => {
  it("formats id, event, retry and one data line per line of text, then a blank line", () => {
    expect(Sse.format({ id: "ab12:7", event: "changed", data: '{"a":1}' })).toBe(
      'id: ab12:7\nevent: changed\ndata: {"a":1}\n\n'
    )
    expect(Sse.format({ data: "one\ntwo\r\nthree", retryMs: 1500 })).toBe(
      "retry: 1500\ndata: one\ndata: two\ndata: three\n\n"
    )
    // the format cannot carry a line break in an id or event name
    expect(Sse.format({ id: "a\nb", event: "x\ry", data: "" })).toBe("id: a b\nevent: x y\ndata: \n\n")
    expect(Sse.comment("heartbeat")).toBe(": heartbeat\n\n")
  })

  it.effect("merges a heartbeat comment into an idle stream every interval, and ends with the events", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(
        Sse.withHeartbeat(
          Stream.make({ data: "first" }).pipe(
            Stream.concat(Stream.fromEffect(Effect.as(Effect.sleep("35 seconds"), { data: "last" })))
          ),
          Sse.heartbeatMs
        ).pipe(Stream.runCollect)
      )
      for (let i = 0; i < 8; i++) yield* TestClock.adjust("5 seconds")
      expect(yield* Fiber.join(fiber)).toEqual([
        "data: first\n\n",
        ": heartbeat\n\n",
        ": heartbeat\n\n",
        "data: last\n\n"
      ])
    })
  )
})
