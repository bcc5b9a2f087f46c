/**
 * `/v2/events` over a real HTTP server and a real socket: a client that stops reading is cut with a final
 * event instead of being buffered for without limit, and a resume past the history is told about the gap.
 */
import { Effect, Exit, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { eventsRoute } from "../../../src/apps/api/events.js"
import * as EventLog from "../../../src/apps/events/EventLog.js"
import * as HttpServer from "../../../src/cluster/http/HttpServer.js"
import { openSse, type ReceivedEvent, type SseClient } from "../discovery/sseClient.js"

const open: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close()
})

const start = async (options: { historySize: number; bufferSize?: number }) => {
  const scope = await Effect.runPromise(Scope.make())
  open.push(() => Effect.runPromise(Scope.close(scope, Exit.void)))
  const log = await Effect.runPromise(
    Scope.provide(scope)(EventLog.make({ ...options, redact: <A>(value: A) => value }))
  )
  const { port } = await Effect.runPromise(
    Scope.provide(scope)(HttpServer.serve({ host: "127.0.0.1", port: 0, routes: [eventsRoute(log)] }))
  )
  return { log, url: `http://127.0.0.1:${port}/v2/events` }
}

const sse = async (url: string, headers?: Record<string, string>): Promise<SseClient> => {
  const client = await openSse(url, headers)
  open.push(async () => client.close())
  return client
}

/** Waits until `client` has `count` events. */
const collect = async (client: SseClient, count: number): Promise<ReadonlyArray<ReceivedEvent>> => {
  const deadline = Date.now() + 60_000
  while (client.events.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${client.events.length} of ${count} events arrived`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return client.events
}

const data = (event: ReceivedEvent | undefined): Record<string, unknown> => JSON.parse(event?.data ?? "{}")

const failing = (i: number) => ({
  eventType: "app_failing_event" as const,
  appId: "/stalled",
  version: "v1",
  delayedUntil: 0,
  consecutiveFailures: i,
  message: `launch ${i} failed: ${"x".repeat(2_000)}`
})

/** Publishes events `from..to`, pausing now and then so that readers that keep up can. */
const publish = (log: EventLog.EventLog, from: number, to: number) =>
  Effect.runPromise(
    Effect.forEach(
      Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i),
      (i) => Effect.andThen(log.publish(failing(i)), i % 10 === 0 ? Effect.sleep("1 millis") : Effect.void)
    )
  )

describe("/v2/events over HTTP", () => {
  it("cuts a client that stops reading with a final event_stream_dropped; a reading client goes on", async () => {
    const total = 20_000
    const { log, url } = await start({ historySize: 100, bufferSize: 1_000 })
    const stalled = await sse(url)
    expect(stalled.status).toBe(200)
    stalled.pause() // the client stops reading: socket buffers fill, then its queue in the log
    const reader = await sse(url)
    // 2 KB events: a few thousand fill the socket buffers, then 1,000 more the queue
    let published = 0
    while ((await Effect.runPromise(log.subscribers)) > 1) {
      if (published >= total) throw new Error("the stalled client was never dropped")
      await publish(log, published + 1, published + 100)
      published += 100
    }
    stalled.resume()
    await stalled.closed
    const events = stalled.events
    const last = events[events.length - 1]!
    expect(last.event).toBe("event_stream_dropped")
    expect(String(data(last).reason)).toContain("more than 1000 events were waiting")
    const delivered = events.slice(0, -1).map((e) => Number(e.id))
    // every event up to the one the drop names, in order, none after it
    expect(delivered).toEqual(Array.from({ length: delivered.length }, (_, i) => i + 1))
    expect(last.id).toBe(String(delivered.length))
    expect(delivered.length).toBeLessThan(published)

    // the reading client gets every event, in order, and is never cut
    await publish(log, published + 1, total)
    const read = await collect(reader, total)
    expect(read.map((e) => Number(e.id))).toEqual(Array.from({ length: total }, (_, i) => i + 1))
    expect(await Effect.runPromise(log.subscribers)).toBe(1)

    // reconnecting with the last id: the 100 kept events no longer reach back to it, and the answer says so
    const again = await sse(url, { "last-event-id": last.id! })
    const resumed = await collect(again, 101)
    expect(data(resumed[0])).toMatchObject({
      eventType: "event_stream_gap",
      after: delivered.length,
      missedFrom: delivered.length + 1,
      missedTo: total - 100
    })
    expect(resumed.slice(1).map((e) => Number(e.id))).toEqual(Array.from({ length: 100 }, (_, i) => total - 99 + i))
  }, 90_000)

  it("answers a resume from an id older than the history with event_stream_gap, then the kept events", async () => {
    const { log, url } = await start({ historySize: 5 })
    await publish(log, 1, 20)
    const client = await sse(`${url}?event_type=app_failing_event`, { "last-event-id": "3" })
    const events = await collect(client, 6)
    expect(events.map((e) => [e.id, e.event])).toEqual([
      ["15", "event_stream_gap"],
      ["16", "app_failing_event"],
      ["17", "app_failing_event"],
      ["18", "app_failing_event"],
      ["19", "app_failing_event"],
      ["20", "app_failing_event"]
    ])
    expect(data(events[0])).toMatchObject({ after: 3, missedFrom: 4, missedTo: 15 })
  }, 30_000)

  it("refuses an event_type no event has (a typo would filter everything out), naming it and the known ones", async () => {
    const { url } = await start({ historySize: 10 })
    const answer = await fetch(`${url}?event_type=deployment_failed&event_type=deploy_failed`)
    expect(answer.status).toBe(400)
    const body = (await answer.json()) as { field: string; message: string }
    expect(body.field).toBe("event_type")
    expect(body.message).toContain('unknown event type "deploy_failed"')
    expect(body.message).toContain("deployment_failed")
  })
})
