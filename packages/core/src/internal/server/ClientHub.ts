import type { WebSocket } from "ws"
import { decodeClientMessage, type ServerMessage } from "../../ClientProtocol.js"
import { formatDecodeFailure } from "../schemaError.js"
import { jsonPieces } from "../views/serialize.js"
import { key as filtersKey } from "../../views/Filters.js"
import type { RenderedView, ViewDelta, ViewFilters } from "../../views/View.js"
import type { ControlHub, PipeClient } from "./ControlHub.js"
import { HttpError } from "./HttpError.js"
import { streamMessage } from "./streamMessage.js"

/** What the hub needs to render views: the (cached, shared) renderer and the diff. */
export interface ViewSource {
  /** Renders a view with filters; throws an Error with a message for an unknown view. */
  render(view: string, filters: ViewFilters): RenderedView
  diff(previous: RenderedView, next: RenderedView): ViewDelta
}

interface Group {
  readonly view: string
  readonly filters: ViewFilters
  last: RenderedView
  readonly clients: Set<Client>
}

class Client implements PipeClient {
  alive = true
  group: Group | undefined
  /**
   * While a snapshot is being streamed to the client: what else is to be sent to it, in order (texts, and
   * snapshots to stream next), and the characters of text among them.
   */
  backlog: Array<string | ServerMessage> | undefined
  backlogChars = 0
  constructor(
    readonly socket: WebSocket,
    private readonly hub: ClientHub
  ) {}
  send(message: ServerMessage): void {
    this.hub.sendRaw(this, JSON.stringify(message))
  }
}

const isEmpty = (d: ViewDelta) =>
  d.add.length + d.update.length + d.remove.length + d.addEdges.length + d.updateEdges.length + d.removeEdges.length ===
  0

/** Stable key of a view subscription: clients with the same key share one rendering and one delta. */
const groupKey = (view: string, filters: ViewFilters): string => `${view}\u0000${filtersKey(filters)}`

/**
 * The size of the fragments a snapshot is sent in (characters of JSON). Small enough that each piece is an
 * ordinary young-generation string: V8 allocates strings over 128 KB straight into the large-object space,
 * which only a major GC frees, so 1 MiB pieces left the whole snapshot (61 MiB for a 195k-edge view) as
 * old-generation garbage.
 */
const SNAPSHOT_PIECE_CHARS = 1 << 15

/**
 * How many bytes of a snapshot may wait in a client's socket before the next fragments are produced. Each
 * window costs a turn of the event loop, which a loaded app (ingest, flushes) makes long: 1 MiB windows took
 * a 61 MiB snapshot from 4 to 20 s at load average 10.
 */
const SNAPSHOT_WINDOW_BYTES = 4 << 20

/** How long a timer-driven flush renders before it lets I/O (report POSTs, other clients) in between groups. */
const SLICE_MS = 16

/**
 * The UI WebSocket clients: subscriptions grouped by (view, filters) so each view is rendered and diffed
 * once per change and the same serialized delta goes to every subscriber; slow clients are dropped.
 *
 * Flushing: a change starts a coalescing window (see {@link ClientHub.changed}); when it ends, every group is
 * rendered through the shared view cache (a view whose topologies did not change comes back as the same
 * object and costs nothing), diffed against what its clients have, and sent. With many groups the round
 * yields to the event loop between groups once it has run for {@link SLICE_MS}, so a report POST never waits
 * for all of them.
 */
export class ClientHub {
  private readonly clients = new Set<Client>()
  private readonly groups = new Map<string, Group>()
  private flushTimer: NodeJS.Timeout | undefined
  /** The groups the current timer-driven round has still to render, and the callback that goes on with them. */
  private round: Array<Group> = []
  private roundNext: NodeJS.Immediate | undefined
  /** Milliseconds the current round has been busy (its slices, not the gaps between them). */
  private roundMs = 0
  /** Whether the report changed while a round was under way (another round follows). */
  private changedInRound = false
  private readonly heartbeat: NodeJS.Timeout
  droppedSlow = 0
  deltasSent = 0
  lastFlushMs = 0

  constructor(
    private readonly views: ViewSource,
    private readonly controls: ControlHub,
    private readonly options: {
      readonly flushIntervalMs: number
      readonly maxBufferedBytes: number
      readonly pingIntervalMs: number
      readonly maxClients: number
      /** Called after each flush with its duration in ms. */
      readonly onFlush?: (ms: number) => void
      /** Called when a slow client is dropped. */
      readonly onDropped?: () => void
      /** The size of the fragments a snapshot is sent in, in characters of JSON (default 32 Ki). */
      readonly snapshotPieceChars?: number
    }
  ) {
    this.heartbeat = setInterval(() => this.ping(), options.pingIntervalMs)
    this.heartbeat.unref()
  }

  /** How many clients are connected. */
  get size(): number {
    return this.clients.size
  }

  /** How many distinct subscriptions are rendered. */
  get groupCount(): number {
    return this.groups.size
  }

  /** Adopts a client socket; returns false (and closes it) when the hub is full. */
  attach(socket: WebSocket, canMutate: boolean): boolean {
    if (this.clients.size >= this.options.maxClients) {
      socket.close(1013, "too many clients")
      return false
    }
    const client = new Client(socket, this)
    this.clients.add(client)
    socket.on("pong", () => {
      client.alive = true
    })
    socket.on("message", (data, isBinary) => this.onMessage(client, isBinary ? undefined : data.toString(), canMutate))
    socket.on("close", () => this.detach(client))
    socket.on("error", () => this.detach(client))
    return true
  }

  /** Called when the merged report changed: renders and sends deltas after a short coalescing window. */
  changed(): void {
    if (this.roundNext !== undefined) {
      this.changedInRound = true
      return
    }
    if (this.flushTimer !== undefined || this.groups.size === 0) return
    // When rendering is expensive (large views), wait at least as long as the last flush took, so rendering
    // never takes more than about half of the event loop and ingest keeps up.
    const delay = Math.max(this.options.flushIntervalMs, Math.round(this.lastFlushMs))
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined
      this.round = Array.from(this.groups.values())
      this.roundMs = 0
      this.changedInRound = false
      this.continueRound()
    }, delay)
  }

  /** Renders every subscribed view now and sends the deltas (a round under way is finished in the same go). */
  flush(): void {
    if (this.roundNext !== undefined) {
      clearImmediate(this.roundNext)
      this.roundNext = undefined
    }
    this.round = []
    this.changedInRound = false
    const started = performance.now()
    for (const group of this.groups.values()) this.flushGroup(group)
    this.flushed(performance.now() - started)
  }

  /** Renders the groups of the current round until it is done or its slice is used up. */
  private continueRound(): void {
    this.roundNext = undefined
    const started = performance.now()
    let k = 0
    while (k < this.round.length) {
      const group = this.round[k++]!
      // A group whose last client left since the round started is skipped.
      if (group.clients.size > 0) this.flushGroup(group)
      if (k < this.round.length && performance.now() - started >= SLICE_MS) break
    }
    this.round = k < this.round.length ? this.round.slice(k) : []
    this.roundMs += performance.now() - started
    if (this.round.length > 0) {
      this.roundNext = setImmediate(() => this.continueRound())
      return
    }
    this.flushed(this.roundMs)
    if (this.changedInRound) {
      this.changedInRound = false
      this.changed()
    }
  }

  private flushed(ms: number): void {
    this.lastFlushMs = ms
    this.options.onFlush?.(ms)
  }

  /** Renders one group's view and sends its clients the delta, if any. */
  private flushGroup(group: Group): void {
    let next: RenderedView
    try {
      next = this.views.render(group.view, group.filters)
    } catch {
      return
    }
    // The view cache hands back the same object while the topologies the view reads are unchanged.
    if (next === group.last) return
    const delta = this.views.diff(group.last, next)
    group.last = next
    if (isEmpty(delta)) return
    const text = JSON.stringify({ type: "delta", view: group.view, renderedAt: next.renderedAt, delta })
    for (const client of group.clients) this.sendRaw(client, text)
    this.deltasSent += group.clients.size
  }

  /** Closes every client. */
  close(): void {
    clearInterval(this.heartbeat)
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer)
    if (this.roundNext !== undefined) clearImmediate(this.roundNext)
    this.roundNext = undefined
    this.round = []
    for (const client of this.clients) client.socket.close(1001, "app server shutting down")
    this.clients.clear()
    this.groups.clear()
  }

  /** Sends pre-serialized text, dropping the client when its send buffer is over the limit. */
  sendRaw(client: Client, text: string): void {
    const socket = client.socket
    if (socket.readyState !== socket.OPEN) return
    if (client.backlog !== undefined) {
      // A snapshot is under way: the text follows it; a client that reads too slowly to take both is dropped.
      client.backlogChars += text.length
      if (client.backlogChars > this.options.maxBufferedBytes) this.dropSlow(client)
      else client.backlog.push(text)
      return
    }
    if (socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.dropSlow(client)
      return
    }
    socket.send(text)
  }

  private dropSlow(client: Client): void {
    this.droppedSlow++
    this.options.onDropped?.()
    client.backlog = undefined
    client.socket.terminate()
    this.detach(client)
  }

  private onMessage(client: Client, text: string | undefined, canMutate: boolean): void {
    const reply = this.reply(client, text, canMutate)
    if (reply === undefined) return
    if (reply.type === "snapshot") this.sendPieces(client, reply)
    else client.send(reply)
  }

  /**
   * Sends a large message (a snapshot: ~61 MiB of JSON for a 195k-edge view) as the fragments of one
   * WebSocket message, serialized piece by piece as the socket takes them (see `streamMessage`): the whole
   * text never exists at once on the heap. What the client is sent meanwhile waits in its backlog.
   */
  private sendPieces(client: Client, message: ServerMessage): void {
    const socket = client.socket
    if (socket.readyState !== socket.OPEN) return
    if (client.backlog !== undefined) {
      client.backlog.push(message)
      return
    }
    // Over the limit already: `sendRaw` drops the client.
    if (socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.sendRaw(client, "")
      return
    }
    client.backlog = []
    client.backlogChars = 0
    const pieces = jsonPieces(message, this.options.snapshotPieceChars ?? SNAPSHOT_PIECE_CHARS)
    streamMessage(socket, pieces, SNAPSHOT_WINDOW_BYTES, () => this.streamed(client))
  }

  /** A snapshot is on its way: sends the client's backlog, up to the next snapshot in it. */
  private streamed(client: Client): void {
    const backlog = client.backlog ?? []
    client.backlog = undefined
    client.backlogChars = 0
    for (let i = 0; i < backlog.length; i++) {
      const item = backlog[i]!
      if (typeof item === "string") {
        this.sendRaw(client, item)
        continue
      }
      this.sendPieces(client, item)
      // Streaming again (unless the client was dropped): the rest waits for this snapshot.
      const waiting = client.backlog as Array<string | ServerMessage> | undefined
      if (waiting === undefined) continue
      for (const rest of backlog.slice(i + 1)) {
        if (typeof rest === "string") this.sendRaw(client, rest)
        else waiting.push(rest)
      }
      return
    }
  }

  /** Handles one client message and returns the answer to send, if any. */
  private reply(client: Client, text: string | undefined, canMutate: boolean): ServerMessage | undefined {
    if (text === undefined) return { type: "error", code: "binary", message: "send JSON text frames" }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      return { type: "error", code: "malformed_json", message: (error as Error).message }
    }
    const decoded = decodeClientMessage(parsed)
    if (decoded._tag === "Failure") {
      return { type: "error", code: "bad_message", message: formatDecodeFailure(decoded) }
    }
    const msg = decoded.value
    switch (msg.type) {
      case "ping":
        return msg.id === undefined ? { type: "pong" } : { type: "pong", id: msg.id }
      case "subscribe":
        return this.subscribe(client, msg.view, msg.filters ?? {})
      case "unsubscribe":
        this.leaveGroup(client)
        return undefined
      case "pipe.attach":
        return this.controls.attachPipe(msg.pipeId, client)
          ? undefined
          : { type: "pipe.closed", pipeId: msg.pipeId, reason: "unknown pipe" }
      default:
        if (!canMutate) return { type: "error", code: "forbidden", message: "controls are disabled for this client" }
        return this.controls.toPipe(msg)
          ? undefined
          : { type: "pipe.closed", pipeId: msg.pipeId, reason: "unknown pipe" }
    }
  }

  private subscribe(client: Client, view: string, filters: ViewFilters): ServerMessage {
    const key = groupKey(view, filters)
    let group = this.groups.get(key)
    if (group === undefined) {
      let rendered: RenderedView
      try {
        rendered = this.views.render(view, filters)
      } catch (error) {
        const code = error instanceof HttpError ? error.code : "render_failed"
        const details = error instanceof HttpError ? (error.details as { position?: unknown } | undefined) : undefined
        const position = typeof details?.position === "number" ? details.position : undefined
        return {
          type: "error",
          code,
          message: (error as Error).message,
          ...(position !== undefined ? { position } : {})
        }
      }
      group = { view, filters, last: rendered, clients: new Set() }
      this.groups.set(key, group)
    }
    // Only a subscription that worked replaces the client's current one.
    if (client.group !== group) this.leaveGroup(client)
    group.clients.add(client)
    client.group = group
    return { type: "snapshot", view: group.last }
  }

  private leaveGroup(client: Client): void {
    const group = client.group
    if (group === undefined) return
    group.clients.delete(client)
    client.group = undefined
    if (group.clients.size === 0) {
      for (const [key, g] of this.groups) if (g === group) this.groups.delete(key)
    }
  }

  private detach(client: Client): void {
    if (!this.clients.delete(client)) return
    this.leaveGroup(client)
    this.controls.detachClient(client)
  }

  private ping(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.socket.terminate()
        this.detach(client)
        continue
      }
      client.alive = false
      client.socket.ping()
    }
  }
}
