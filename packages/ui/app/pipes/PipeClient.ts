/**
 * Control pipes (container logs, terminals) over the app's WebSocket: a control answers a `pipeId`, the client
 * attaches to it (`pipe.attach`), receives `pipe.output` (base64) until `pipe.closed`, and may send
 * `pipe.input`, `pipe.resize` and `pipe.close`. Pure apart from the transport it is given, so it is tested
 * with a fake one.
 *
 * ```ts
 * const pipes = new PipeClient({ send: (message) => connection.send(message) })
 * const pipe = pipes.attach(pipeId, { onData: (bytes) => term.write(bytes), onClosed: (why) => show(why) })
 * pipe.write("ls\r")
 * pipe.resize(120, 30)
 * pipe.close()
 * ```
 *
 * **Gotchas**
 *
 * - The app forgets a client's attachments when its socket drops: call {@link PipeClient.reconnected} once the
 *   socket is live again, and every open pipe is attached again (with its last size). The app keeps output
 *   that arrives while no client is attached (up to 256 KiB), so little is lost.
 * - Input typed while the socket is down is dropped (`write` answers false): a terminal cannot replay it safely.
 */
import type { ClientMessage, ServerMessage } from "../Protocol.js"

/** How the client reaches the app: send a message now, false when the socket is not open. */
export interface PipeTransport {
  readonly send: (message: ClientMessage) => boolean
}

/** What a pipe's owner hears. */
export interface PipeHandlers {
  /** Bytes from the pipe (a log chunk, terminal output), decoded from base64. */
  readonly onData: (data: Uint8Array) => void
  /** The pipe ended (the stream finished, the probe dropped it, or the app does not know it). */
  readonly onClosed: (reason: string) => void
}

/** An attached pipe. */
export interface Pipe {
  readonly id: string
  /** Whether it was closed, by this side or the other. */
  readonly closed: boolean
  /** Sends input (strings as UTF-8); false when closed or the socket is down. */
  write(data: string | Uint8Array): boolean
  /** Tells a terminal its size in characters; remembered and sent again after a reconnect. */
  resize(cols: number, rows: number): void
  /** Closes the pipe (the app stops the stream in the probe); the owner's `onClosed` is not called. */
  close(): void
}

const encoder = new TextEncoder()

/** Bytes to base64 (in chunks, so large pastes do not overflow the argument list). */
export const toBase64 = (bytes: Uint8Array): string => {
  let binary = ""
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

/** Base64 to bytes; malformed input yields no bytes rather than an exception. */
export const fromBase64 = (data: string): Uint8Array => {
  let binary: string
  try {
    binary = atob(data)
  } catch {
    return new Uint8Array(0)
  }
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

interface Entry {
  readonly handlers: PipeHandlers
  size: { cols: number; rows: number } | undefined
}

/** The pipes this page has open. */
export class PipeClient {
  private readonly pipes = new Map<string, Entry>()

  constructor(private readonly transport: PipeTransport) {}

  /** How many pipes are open. */
  get open(): number {
    return this.pipes.size
  }

  /** Attaches to a pipe (now, or when the socket is next live). */
  attach(pipeId: string, handlers: PipeHandlers): Pipe {
    const entry: Entry = { handlers, size: undefined }
    this.pipes.set(pipeId, entry)
    this.transport.send({ type: "pipe.attach", pipeId })
    const client = this
    return {
      id: pipeId,
      get closed() {
        return client.pipes.get(pipeId) !== entry
      },
      write(data) {
        if (client.pipes.get(pipeId) !== entry) return false
        const bytes = typeof data === "string" ? encoder.encode(data) : data
        return client.transport.send({ type: "pipe.input", pipeId, data: toBase64(bytes) })
      },
      resize(cols, rows) {
        if (client.pipes.get(pipeId) !== entry) return
        const size = { cols: Math.max(1, Math.floor(cols)), rows: Math.max(1, Math.floor(rows)) }
        if (entry.size?.cols === size.cols && entry.size.rows === size.rows) return
        entry.size = size
        client.transport.send({ type: "pipe.resize", pipeId, ...size })
      },
      close() {
        if (client.pipes.get(pipeId) !== entry) return
        client.pipes.delete(pipeId)
        client.transport.send({ type: "pipe.close", pipeId })
      }
    }
  }

  /** Handles a message from the app; true when it was about a pipe (output or close). */
  receive(message: ServerMessage): boolean {
    if (message.type === "pipe.output") {
      this.pipes.get(message.pipeId)?.handlers.onData(fromBase64(message.data))
      return true
    }
    if (message.type === "pipe.closed") {
      const entry = this.pipes.get(message.pipeId)
      if (entry !== undefined) {
        this.pipes.delete(message.pipeId)
        entry.handlers.onClosed(message.reason ?? "closed")
      }
      return true
    }
    return false
  }

  /** Attaches every open pipe again (after the socket reconnected), with its last terminal size. */
  reconnected(): void {
    for (const [pipeId, entry] of this.pipes) {
      this.transport.send({ type: "pipe.attach", pipeId })
      if (entry.size !== undefined) this.transport.send({ type: "pipe.resize", pipeId, ...entry.size })
    }
  }

  /** Closes every pipe (the page is going away or the session ended). */
  closeAll(): void {
    for (const pipeId of [...this.pipes.keys()]) {
      this.pipes.delete(pipeId)
      this.transport.send({ type: "pipe.close", pipeId })
    }
  }
}
