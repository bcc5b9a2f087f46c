/**
 * Server-sent events: the text format (`id:`, `event:`, `data:` lines, a blank line after each event) and a
 * heartbeat comment that keeps idle connections (and the proxies between) from timing out.
 *
 * @since 0.1.0
 */
import { Stream } from "effect"

/**
 * One server-sent event.
 *
 * @since 0.1.0
 * @category models
 */
export interface SseEvent {
  readonly id?: string
  readonly event?: string
  /** Sent as one `data:` line per line of text. */
  readonly data: string
  /** Asks the client to wait this long before reconnecting. */
  readonly retryMs?: number
}

const oneLine = (text: string) => text.replace(/[\r\n]/g, " ")

/**
 * The wire form of an event. Line breaks in `id` and `event` (which the format cannot carry) become spaces.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (event: SseEvent): string => {
  let out = ""
  if (event.id !== undefined) out += `id: ${oneLine(event.id)}\n`
  if (event.event !== undefined) out += `event: ${oneLine(event.event)}\n`
  if (event.retryMs !== undefined) out += `retry: ${Math.max(0, Math.round(event.retryMs))}\n`
  for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`
  return `${out}\n`
}

/**
 * A comment line: clients ignore it, but it keeps the connection busy.
 *
 * @since 0.1.0
 * @category formatting
 */
export const comment = (text: string): string => `: ${oneLine(text)}\n\n`

/**
 * How often a heartbeat comment is sent on an otherwise idle stream by default: 15 s.
 *
 * @since 0.1.0
 * @category constants
 */
export const heartbeatMs = 15_000

/**
 * The events as text, with a heartbeat comment every `intervalMs` merged in; ends when the events end.
 *
 * @since 0.1.0
 * @category streams
 */
export const withHeartbeat = <E, R>(
  events: Stream.Stream<SseEvent, E, R>,
  intervalMs: number = heartbeatMs
): Stream.Stream<string, E, R> =>
  Stream.map(events, format).pipe(
    Stream.merge(
      Stream.tick(intervalMs).pipe(
        Stream.drop(1),
        Stream.map(() => comment("heartbeat"))
      ),
      { haltStrategy: "left" }
    )
  )
