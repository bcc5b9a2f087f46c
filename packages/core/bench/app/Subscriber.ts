/**
 * A UI-like WebSocket client for the app benchmark: subscribes to one view at `/api/v1/ws`, waits for the
 * snapshot, then watches deltas for latency markers (the {@link MARKER_LABEL} label a probe put on a
 * container) and records, per marker, the time from the POST that carried it to the delta that showed it.
 *
 * @since 0.1.0
 */
import { WebSocket } from "ws"
import { MARKER_LABEL } from "./Synthetic.js"

interface Seen {
  readonly labels?: Readonly<Record<string, string>>
}

interface Message {
  readonly type: string
  readonly delta?: { readonly add: ReadonlyArray<Seen>; readonly update: ReadonlyArray<Seen> }
}

/** A subscribed client. */
export class Subscriber {
  /** Marker -> when its POST started (`performance.now()`). */
  private readonly pending = new Map<string, number>()
  /** Milliseconds from POST start to delta receipt, one per marker seen. */
  readonly latencies: Array<number> = []
  deltas = 0
  deltaBytes = 0

  private constructor(
    private readonly socket: WebSocket,
    /** Milliseconds from subscribe to snapshot receipt. */
    readonly snapshotMs: number,
    readonly snapshotBytes: number
  ) {
    socket.on("message", (data: Buffer) => this.onDelta(data))
  }

  /** Connects to `ws://127.0.0.1:<port>/api/v1/ws`, subscribes to `view` and resolves on the snapshot. */
  static connect(port: number, view: string, timeoutMs = 120_000): Promise<Subscriber> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws`, { maxPayload: 1024 * 1024 * 1024 })
      const timer = setTimeout(() => {
        socket.terminate()
        reject(new Error(`no snapshot of "${view}" within ${timeoutMs} ms`))
      }, timeoutMs)
      let subscribedAt = 0
      socket.once("error", (error) => {
        clearTimeout(timer)
        reject(error)
      })
      socket.once("open", () => {
        subscribedAt = performance.now()
        socket.send(JSON.stringify({ type: "subscribe", view }))
      })
      const first = (data: Buffer) => {
        const message = JSON.parse(data.toString("utf8")) as Message
        if (message.type !== "snapshot") return
        clearTimeout(timer)
        socket.off("message", first)
        resolve(new Subscriber(socket, performance.now() - subscribedAt, data.length))
      }
      socket.on("message", first)
    })
  }

  /** Remembers that a POST carrying `marker` started at `at`. */
  sent(marker: string, at: number): void {
    this.pending.set(marker, at)
  }

  /** Markers sent but not seen yet. */
  get outstanding(): number {
    return this.pending.size
  }

  /** Resolves once every marker was seen, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    const until = performance.now() + timeoutMs
    while (this.pending.size > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 20))
  }

  close(): void {
    this.socket.close()
  }

  private onDelta(data: Buffer): void {
    const at = performance.now()
    const message = JSON.parse(data.toString("utf8")) as Message
    if (message.type !== "delta" || message.delta === undefined) return
    this.deltas++
    this.deltaBytes += data.length
    for (const list of [message.delta.add, message.delta.update]) {
      for (const node of list) {
        const marker = node.labels?.[MARKER_LABEL]
        if (marker === undefined) continue
        const sentAt = this.pending.get(marker)
        if (sentAt === undefined) continue
        this.pending.delete(marker)
        this.latencies.push(at - sentAt)
      }
    }
  }
}
