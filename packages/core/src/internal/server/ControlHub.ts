import { randomUUID } from "node:crypto"
import { Schema } from "effect"
import type { WebSocket } from "ws"
import { type AppToProbe, type ControlRequest, type ControlResult, ProbeToApp } from "../../ControlProtocol.js"
import type { ServerMessage } from "../../ClientProtocol.js"

const decodeProbeMessage = Schema.decodeUnknownExit(ProbeToApp)

/** Output kept for a pipe until its first client attaches (base64 characters). */
const maxPendingPipeBytes = 256 * 1024

interface Pending {
  readonly resolve: (result: ControlResult) => void
  readonly timer: NodeJS.Timeout
  readonly probeId: string
}

/** A client that can receive pipe output. */
export interface PipeClient {
  send(message: ServerMessage): void
}

/**
 * Routes control requests to probes over their WebSockets and matches the answers; relays pipe bytes between
 * probes and the UI clients attached to each pipe.
 */
export class ControlHub {
  private readonly probes = new Map<string, WebSocket>()
  private readonly pending = new Map<string, Pending>()
  /**
   * pipe id -> the probe that owns it, the clients attached, and output that arrived before any client
   * attached (bounded, so the first lines of a log or a shell prompt are not lost).
   */
  private readonly pipes = new Map<
    string,
    { probeId: string; clients: Set<PipeClient>; pending: Array<string>; pendingBytes: number }
  >()

  constructor(
    private readonly timeoutMs: number,
    private readonly onConnection: (probeId: string, connected: boolean) => void,
    private readonly maxPipes: number = 1_000
  ) {}

  /** Probe ids with an open control channel. */
  connected(): ReadonlyArray<string> {
    return [...this.probes.keys()]
  }

  /** Adopts a probe's WebSocket; a newer connection for the same probe replaces the older one. */
  attachProbe(probeId: string, socket: WebSocket): void {
    const previous = this.probes.get(probeId)
    if (previous !== undefined && previous !== socket) previous.close(4000, "replaced by a newer connection")
    this.probes.set(probeId, socket)
    this.onConnection(probeId, true)
    socket.on("message", (data, isBinary) => {
      if (isBinary) return
      let parsed: unknown
      try {
        parsed = JSON.parse(data.toString())
      } catch {
        return
      }
      const decoded = decodeProbeMessage(parsed)
      if (decoded._tag === "Success") this.fromProbe(probeId, decoded.value)
    })
    socket.on("close", () => {
      if (this.probes.get(probeId) !== socket) return
      this.probes.delete(probeId)
      this.onConnection(probeId, false)
      for (const [id, p] of this.pending) {
        if (p.probeId === probeId) this.settle(id, { id, ok: false, error: `probe ${probeId} disconnected` })
      }
      for (const [pipeId, pipe] of this.pipes) {
        if (pipe.probeId === probeId) this.closePipe(pipeId, "probe disconnected")
      }
    })
  }

  /** Sends a control request to a probe and waits for its result (or a timeout). */
  request(probeId: string, request: Omit<ControlRequest, "id">): Promise<ControlResult> {
    const id = randomUUID()
    const socket = this.probes.get(probeId)
    if (socket === undefined) {
      return Promise.resolve({ id, ok: false, error: `probe ${probeId} has no open control channel` })
    }
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => this.settle(id, { id, ok: false, error: `probe ${probeId} did not answer within ${this.timeoutMs} ms` }),
        this.timeoutMs
      )
      this.pending.set(id, { resolve, timer, probeId })
      this.send(socket, { type: "control", request: { ...request, id } })
    })
  }

  /** Attaches a client to a pipe; false when the pipe is unknown. */
  attachPipe(pipeId: string, client: PipeClient): boolean {
    const pipe = this.pipes.get(pipeId)
    if (pipe === undefined) return false
    pipe.clients.add(client)
    for (const data of pipe.pending.splice(0)) client.send({ type: "pipe.output", pipeId, data })
    pipe.pendingBytes = 0
    return true
  }

  /** Detaches a client from every pipe (when it disconnects). */
  detachClient(client: PipeClient): void {
    for (const pipe of this.pipes.values()) pipe.clients.delete(client)
  }

  /** Forwards client input, resize or close to the probe that owns the pipe. */
  toPipe(message: AppToProbe & { pipeId: string }): boolean {
    const pipe = this.pipes.get(message.pipeId)
    const socket = pipe && this.probes.get(pipe.probeId)
    if (socket === undefined) return false
    this.send(socket, message)
    if (message.type === "pipe.close") this.closePipe(message.pipeId, "closed by client")
    return true
  }

  /** Counts for stats. */
  stats(): { probes: number; pending: number; pipes: number } {
    return { probes: this.probes.size, pending: this.pending.size, pipes: this.pipes.size }
  }

  /** Closes every probe connection and fails what is pending. */
  close(): void {
    for (const [id] of this.pending) this.settle(id, { id, ok: false, error: "app server shutting down" })
    for (const socket of this.probes.values()) socket.close(1001, "app server shutting down")
    this.probes.clear()
  }

  private fromProbe(probeId: string, message: ProbeToApp): void {
    switch (message.type) {
      case "control.result": {
        const pending = this.pending.get(message.result.id)
        if (pending === undefined || pending.probeId !== probeId) return
        if (message.result.pipeId !== undefined && this.pipes.size < this.maxPipes) {
          this.pipes.set(message.result.pipeId, { probeId, clients: new Set(), pending: [], pendingBytes: 0 })
        }
        this.settle(message.result.id, message.result)
        return
      }
      case "pipe.output": {
        const pipe = this.pipes.get(message.pipeId)
        if (pipe === undefined || pipe.probeId !== probeId) return
        if (pipe.clients.size === 0) {
          // Kept until the first client attaches (a log tail's first lines), oldest dropped beyond the bound.
          pipe.pending.push(message.data)
          pipe.pendingBytes += message.data.length
          while (pipe.pendingBytes > maxPendingPipeBytes && pipe.pending.length > 0) {
            pipe.pendingBytes -= pipe.pending.shift()!.length
          }
          return
        }
        for (const client of pipe.clients)
          client.send({ type: "pipe.output", pipeId: message.pipeId, data: message.data })
        return
      }
      case "pipe.closed": {
        const pipe = this.pipes.get(message.pipeId)
        if (pipe !== undefined && pipe.probeId === probeId) this.closePipe(message.pipeId, message.reason ?? "closed")
      }
    }
  }

  private closePipe(pipeId: string, reason: string): void {
    const pipe = this.pipes.get(pipeId)
    if (pipe === undefined) return
    this.pipes.delete(pipeId)
    for (const client of pipe.clients) client.send({ type: "pipe.closed", pipeId, reason })
  }

  private settle(id: string, result: ControlResult): void {
    const pending = this.pending.get(id)
    if (pending === undefined) return
    this.pending.delete(id)
    clearTimeout(pending.timer)
    pending.resolve(result)
  }

  private send(socket: WebSocket, message: AppToProbe): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message))
  }
}
