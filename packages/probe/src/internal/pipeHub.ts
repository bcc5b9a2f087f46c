/**
 * The pipes open on one control-channel connection: ids, listeners, input from the app, output with
 * backpressure, and closing everything when the connection drops.
 */
import { randomUUID } from "node:crypto"
import type { ControlProtocol } from "@orchestrator/core"
import type { Pipe } from "../Pipes.js"

/** How the hub reaches the connection. */
export interface PipeTransport {
  /** Sends a message; false when the connection is not open. */
  send(message: ControlProtocol.ProbeToApp): boolean
  /** Bytes queued on the connection and not yet sent. */
  buffered(): number
}

/** Backpressure limits, in bytes of queued output. */
export interface PipeLimits {
  /** `write` returns false above this. */
  readonly highWater: number
  /** `onDrain` fires once the queue is below this. */
  readonly lowWater: number
  /** Output is dropped above this. */
  readonly hardLimit: number
}

const defaultLimits: PipeLimits = { highWater: 1024 * 1024, lowWater: 256 * 1024, hardLimit: 8 * 1024 * 1024 }

type Listener<A> = (value: A) => void

const subscribe = <A>(set: Set<Listener<A>>, listener: Listener<A>): (() => void) => {
  set.add(listener)
  return () => set.delete(listener)
}

const safely = <A>(set: Iterable<Listener<A>>, value: A) => {
  for (const listener of [...set]) {
    try {
      listener(value)
    } catch {
      // a control's listener must not break the channel
    }
  }
}

class PipeImpl implements Pipe {
  closed = false
  readonly input = new Set<Listener<Uint8Array>>()
  readonly resize = new Set<Listener<{ readonly cols: number; readonly rows: number }>>()
  readonly closeListeners = new Set<Listener<string>>()
  readonly drain = new Set<Listener<void>>()

  constructor(
    readonly id: string,
    private readonly hub: PipeHub
  ) {}

  write(data: Uint8Array | string): boolean {
    if (this.closed) return false
    return this.hub.write(this, typeof data === "string" ? Buffer.from(data, "utf8") : data)
  }

  close(reason = "closed"): void {
    this.hub.close(this.id, reason, true)
  }

  onInput(listener: Listener<Uint8Array>) {
    return subscribe(this.input, listener)
  }

  onResize(listener: Listener<{ readonly cols: number; readonly rows: number }>) {
    return subscribe(this.resize, listener)
  }

  onClose(listener: Listener<string>) {
    return subscribe(this.closeListeners, listener)
  }

  onDrain(listener: () => void) {
    return subscribe(this.drain, listener)
  }
}

/** The pipes of one connection. */
export class PipeHub {
  private readonly pipes = new Map<string, PipeImpl>()
  private readonly waiting = new Set<PipeImpl>()
  private timer: NodeJS.Timeout | undefined
  /** Output bytes dropped because the connection was over its hard limit. */
  droppedBytes = 0

  constructor(
    private readonly transport: PipeTransport,
    private readonly limits: PipeLimits = defaultLimits
  ) {}

  get size(): number {
    return this.pipes.size
  }

  /** Opens a new pipe. */
  open(): Pipe {
    const pipe = new PipeImpl(randomUUID(), this)
    this.pipes.set(pipe.id, pipe)
    return pipe
  }

  /** Bytes from the app for a pipe (base64). */
  input(pipeId: string, data: string): void {
    const pipe = this.pipes.get(pipeId)
    if (pipe !== undefined) safely(pipe.input, Buffer.from(data, "base64"))
  }

  /** A resize from the app. */
  resize(pipeId: string, cols: number, rows: number): void {
    const pipe = this.pipes.get(pipeId)
    if (pipe !== undefined) safely(pipe.resize, { cols, rows })
  }

  /** Closes a pipe; `notify` tells the app (not needed when the app asked for it). */
  close(pipeId: string, reason: string, notify: boolean): void {
    const pipe = this.pipes.get(pipeId)
    if (pipe === undefined || pipe.closed) return
    pipe.closed = true
    this.pipes.delete(pipeId)
    this.waiting.delete(pipe)
    if (notify) this.transport.send({ type: "pipe.closed", pipeId, reason })
    safely(pipe.closeListeners, reason)
    pipe.closeListeners.clear()
    pipe.input.clear()
    pipe.resize.clear()
    pipe.drain.clear()
  }

  /** Closes every pipe without telling the app (the connection is gone). */
  closeAll(reason: string): void {
    for (const id of [...this.pipes.keys()]) this.close(id, reason, false)
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  write(pipe: PipeImpl, data: Uint8Array): boolean {
    if (this.transport.buffered() > this.limits.hardLimit) {
      this.droppedBytes += data.byteLength
      this.waitForDrain(pipe)
      return false
    }
    const sent = this.transport.send({
      type: "pipe.output",
      pipeId: pipe.id,
      data: Buffer.from(data).toString("base64")
    })
    if (!sent) return false
    if (this.transport.buffered() < this.limits.highWater) return true
    this.waitForDrain(pipe)
    return false
  }

  private waitForDrain(pipe: PipeImpl): void {
    this.waiting.add(pipe)
    if (this.timer !== undefined) return
    this.timer = setInterval(() => {
      if (this.transport.buffered() >= this.limits.lowWater) return
      const ready = [...this.waiting]
      this.waiting.clear()
      clearInterval(this.timer)
      this.timer = undefined
      for (const p of ready) if (!p.closed) safely(p.drain, undefined)
    }, 50)
    this.timer.unref()
  }
}
