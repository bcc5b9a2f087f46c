/**
 * `GET /v2/events`: the app scheduler's events as server-sent events, in order, each with its sequence
 * number as the event id and its Marathon `eventType` as the event name. A client resumes after the last
 * id it saw (`Last-Event-ID`, or `?after=`); when the scheduler's bounded history no longer holds what came
 * after it, the stream starts with an `event_stream_gap` event naming the lost numbers. A client that stops
 * reading is not buffered for without limit: once too many events wait for it, it gets a final
 * `event_stream_dropped` event and the stream ends (reconnect with its id to go on). `?event_type=`
 * (repeatable) keeps only those types (and these two). A heartbeat comment every 15 s keeps the connection open.
 *
 * @since 0.1.0
 */
import { Effect, Stream } from "effect"
import { InvalidRequest } from "../../cluster/ClusterError.js"
import type { Request, Route } from "../../cluster/http/HttpServer.js"
import * as Sse from "../discovery/sse.js"
import { appEventTypes } from "../events/AppEvent.js"
import type { AppScheduler } from "../scheduler/AppScheduler.js"

const afterOf = (request: Request): Effect.Effect<number | undefined, InvalidRequest> => {
  const header = request.headers["last-event-id"]
  const text = request.query.get("after") ?? (typeof header === "string" ? header : null)
  if (text === null || text.trim() === "") return Effect.succeed(undefined)
  const n = Number(text)
  return Number.isInteger(n) && n >= 0
    ? Effect.succeed(n)
    : Effect.fail(new InvalidRequest({ field: "after", reason: `expects an event number >= 0, got "${text}"` }))
}

/** The `?event_type=` values; each must name an event type (a typo would otherwise filter everything out). */
const typesOf = (request: Request): Effect.Effect<ReadonlySet<string>, InvalidRequest> => {
  const types = request.query.getAll("event_type")
  const unknown = types.filter((t) => !(appEventTypes as ReadonlyArray<string>).includes(t))
  return unknown.length === 0
    ? Effect.succeed(new Set(types))
    : Effect.fail(
        new InvalidRequest({
          field: "event_type",
          reason: `unknown event type ${JSON.stringify(unknown[0])} (one of ${appEventTypes.join(", ")})`
        })
      )
}

/** Events about the stream itself: never filtered out. */
const streamNotices: ReadonlySet<string> = new Set(["event_stream_dropped", "event_stream_gap"])

/**
 * The event stream route.
 *
 * @since 0.1.0
 * @category constructors
 */
export const eventsRoute = (
  scheduler: Pick<AppScheduler["Service"], "events">,
  heartbeatMs = Sse.heartbeatMs
): Route => ({
  method: "GET",
  pattern: "/v2/events",
  handle: (request) =>
    Effect.map(Effect.all([typesOf(request), afterOf(request)]), ([types, after]) => {
      const events = scheduler.events(after).pipe(
        Stream.filter((event) => types.size === 0 || types.has(event.eventType) || streamNotices.has(event.eventType)),
        Stream.map(
          (event): Sse.SseEvent => ({ id: String(event.seq), event: event.eventType, data: JSON.stringify(event) })
        )
      )
      return {
        status: 200,
        body: null,
        contentType: "text/event-stream",
        stream: Stream.concat(Stream.make(Sse.comment("event_stream_attached")), Sse.withHeartbeat(events, heartbeatMs))
      }
    })
})
