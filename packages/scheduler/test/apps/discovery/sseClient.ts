/**
 * A real server-sent events client over node:http for the discovery tests: it parses the stream as a browser's
 * EventSource would (`id:`, `event:`, `data:` lines, comments) and can stop reading to play a slow client.
 */
import { type ClientRequest, type IncomingMessage, request } from "node:http"

/** One parsed event. */
export interface ReceivedEvent {
  readonly id?: string
  readonly event: string
  readonly data: string
}

/** An open SSE connection. */
export interface SseClient {
  readonly status: number
  readonly contentType: string | undefined
  readonly events: Array<ReceivedEvent>
  readonly comments: Array<string>
  /** Bytes received so far. */
  readonly received: () => number
  /** Resolves with the `count`-th event from now on (1 = the next one not yet taken). */
  readonly next: (timeoutMs?: number) => Promise<ReceivedEvent>
  /** Waits until a comment arrives. */
  readonly nextComment: (timeoutMs?: number) => Promise<string>
  /** Stops reading from the socket (the server's writes pile up). */
  readonly pause: () => void
  readonly resume: () => void
  /** Resolves when the server ends or cuts the connection. */
  readonly closed: Promise<void>
  readonly close: () => void
}

const waitFor = async <A>(poll: () => A | undefined, timeoutMs: number, what: string): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = poll()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Opens `url` as an event stream (sending `headers`). */
export const openSse = (url: string, headers: Record<string, string> = {}): Promise<SseClient> =>
  new Promise((resolve, reject) => {
    const req: ClientRequest = request(url, { headers: { accept: "text/event-stream", ...headers } })
    req.on("error", reject)
    req.on("response", (res: IncomingMessage) => {
      const events: Array<ReceivedEvent> = []
      const comments: Array<string> = []
      let buffer = ""
      let bytes = 0
      let taken = 0
      let commentsTaken = 0
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => {
        bytes += Buffer.byteLength(chunk)
        buffer += chunk
        for (let at = buffer.indexOf("\n\n"); at >= 0; at = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, at)
          buffer = buffer.slice(at + 2)
          let id: string | undefined
          let event = "message"
          const data: Array<string> = []
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) comments.push(line.slice(1).trim())
            else if (line.startsWith("id: ")) id = line.slice(4)
            else if (line.startsWith("event: ")) event = line.slice(7)
            else if (line.startsWith("data: ")) data.push(line.slice(6))
          }
          if (data.length > 0) events.push({ ...(id === undefined ? {} : { id }), event, data: data.join("\n") })
        }
      })
      const closed = new Promise<void>((done) => {
        res.on("close", () => done())
        res.on("error", () => done())
      })
      resolve({
        status: res.statusCode ?? 0,
        contentType: res.headers["content-type"],
        events,
        comments,
        received: () => bytes,
        next: (timeoutMs = 5_000) =>
          waitFor(() => (events.length > taken ? events[taken++] : undefined), timeoutMs, "an event"),
        nextComment: (timeoutMs = 5_000) =>
          waitFor(
            () => (comments.length > commentsTaken ? comments[commentsTaken++] : undefined),
            timeoutMs,
            "a comment"
          ),
        pause: () => res.pause(),
        resume: () => res.resume(),
        closed,
        close: () => req.destroy()
      })
    })
    req.end()
  })
