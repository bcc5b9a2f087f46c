/**
 * The Docker event stream: one long-lived `GET /events` filtered to containers, read line by line, reopened
 * with capped, jittered exponential backoff whenever it drops (dockerd stopped or restarted, socket gone).
 * Its socket and timers are unref'd, so it never keeps a process alive on its own.
 */
import type { IncomingMessage } from "node:http"
import type { Engine } from "./engine.js"
import { type DockerEvent, readEvent } from "./model.js"

/** What the watcher needs. */
export interface EventWatcherOptions {
  readonly engine: Engine
  /** Each container event, in order. */
  readonly onEvent: (event: DockerEvent) => void
  /** The stream (re)opened: events may have been missed while it was down. */
  readonly onConnect: (reconnect: boolean) => void
  /** First reconnect delay (default 250 ms); doubles per failed attempt up to `maxMs` (default 10 s). */
  readonly initialMs?: number
  readonly maxMs?: number
}

/** What the watcher reports about itself. */
export interface EventWatcherState {
  readonly connected: boolean
  /** Successful connections since start. */
  readonly connects: number
  /** Failed attempts since the last successful connection. */
  readonly attempts: number
  readonly events: number
  readonly lastError: string | undefined
}

const filters = encodeURIComponent(JSON.stringify({ type: ["container"] }))

/** Keeps the event stream open until `close`. */
export class EventWatcher {
  private readonly options: EventWatcherOptions
  private response: IncomingMessage | undefined
  private controller: AbortController | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private running = false
  private connecting = false
  private state: { -readonly [K in keyof EventWatcherState]: EventWatcherState[K] } = {
    connected: false,
    connects: 0,
    attempts: 0,
    events: 0,
    lastError: undefined
  }

  constructor(options: EventWatcherOptions) {
    this.options = options
  }

  /** A snapshot of the watcher's state. */
  snapshot(): EventWatcherState {
    return { ...this.state }
  }

  get started(): boolean {
    return this.running
  }

  /** Starts watching (idempotent). */
  start(): void {
    if (this.running) return
    this.running = true
    this.connect()
  }

  /** Reconnects now instead of waiting out the backoff (the engine is known to answer again). */
  kick(): void {
    if (!this.running || this.state.connected || this.connecting) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.connect()
  }

  /** Stops watching and drops the connection. */
  close(): void {
    this.running = false
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.controller?.abort()
    this.response?.destroy()
    this.response = undefined
    this.state.connected = false
  }

  private connect(): void {
    if (!this.running || this.connecting) return
    this.connecting = true
    const controller = new AbortController()
    this.controller = controller
    this.options.engine
      .stream("GET", `/events?filters=${filters}`, { signal: controller.signal, connectTimeoutMs: 5_000 })
      .then(
        (response) => {
          this.connecting = false
          if (!this.running) {
            response.destroy()
            return
          }
          this.attach(response)
        },
        (error: unknown) => {
          this.connecting = false
          this.dropped(error instanceof Error ? error.message : String(error))
        }
      )
  }

  private attach(response: IncomingMessage): void {
    this.response = response
    response.socket?.unref()
    const reconnect = this.state.connects > 0
    this.state.connected = true
    this.state.connects++
    this.state.attempts = 0
    this.state.lastError = undefined
    let buffered = ""
    let ended = false
    response.setEncoding("utf8")
    response.on("data", (chunk: string) => {
      buffered += chunk
      let newline = buffered.indexOf("\n")
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim()
        buffered = buffered.slice(newline + 1)
        newline = buffered.indexOf("\n")
        if (line === "") continue
        const event = readEvent(line)
        if (event === undefined || event.type !== "container") continue
        this.state.events++
        try {
          this.options.onEvent(event)
        } catch {
          // a listener's bug must not kill the stream
        }
      }
      // a line that never ends is not an event: drop it rather than grow without bound
      if (buffered.length > 1024 * 1024) buffered = ""
    })
    const end = (reason: string) => {
      if (ended) return
      ended = true
      if (this.response === response) this.response = undefined
      this.dropped(reason)
    }
    response.on("end", () => end("the engine closed the event stream"))
    response.on("close", () => end("the event stream closed"))
    response.on("error", (error) => end(error.message))
    try {
      this.options.onConnect(reconnect)
    } catch {
      // as above
    }
  }

  private dropped(reason: string): void {
    this.state.connected = false
    this.state.lastError = reason
    if (!this.running) return
    const initial = this.options.initialMs ?? 250
    const max = Math.max(initial, this.options.maxMs ?? 10_000)
    const base = Math.min(max, initial * 2 ** Math.min(this.state.attempts, 16))
    this.state.attempts++
    // full jitter in the upper half: spread reconnects of many probes after a dockerd restart
    const delay = base / 2 + Math.random() * (base / 2)
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.connect()
    }, delay)
    this.timer.unref()
  }
}
