/**
 * A reflector keeps an in-memory copy of one kind of Kubernetes object with a list, then a watch from the
 * list's resourceVersion (as client-go's does):
 *
 * - list in pages of 500 and replace the copy (a relist notices objects deleted while it was not watching);
 * - watch from the last resourceVersion seen (events and bookmarks advance it); when the server ends the
 *   watch (its `timeoutSeconds`, 5 to 10 min, jittered), watch again from there;
 * - a `410 Gone` (an ERROR event, or the status of a watch or paged list) means the resourceVersion is too
 *   old: relist;
 * - any other failure (connection refused or reset, HTTP errors, ERROR events, a silent connection) is
 *   retried after a capped, jittered exponential delay, from the same resourceVersion, and marks the
 *   reflector failing until a list or watch is accepted again. The copy is kept meanwhile.
 *
 * Records are compared by content, so MODIFIED events that change nothing the report shows (status
 * heartbeats, resourceVersion bumps) do not count as changes.
 */
import type { IncomingMessage } from "node:http"
import type { ApiClient } from "./client.js"
import { type KubeRecord, recordUid, resourceVersionOf, uidOf } from "./objects.js"

/** One kind of object to reflect. */
export interface ResourceSpec<T extends KubeRecord> {
  /** The name in health messages (`pods`). */
  readonly name: string
  /** The collection path, all namespaces (`/api/v1/pods`, `/apis/apps/v1/deployments`). */
  readonly path: string
  readonly fieldSelector?: string
  /** Reads an object; `undefined` skips it (malformed). */
  readonly read: (object: unknown) => T | undefined
}

/** Retry timing. */
export interface RetryTiming {
  readonly initialMs: number
  readonly maxMs: number
}

/** What a reflector reports about itself. */
export interface ReflectorStatus {
  readonly name: string
  /** A complete list has been received since the reflector started. */
  readonly synced: boolean
  /** The last error, while failing. */
  readonly error: string | undefined
  /** Since when requests fail (ms since the epoch), while failing. */
  readonly failingSince: number | undefined
  /** Lists done (the first one and every relist). */
  readonly lists: number
  /** Watch events applied. */
  readonly events: number
}

/** The API server said the resourceVersion is too old. */
class Gone extends Error {}

/** The API server answered with an error status. */
class StatusError extends Error {
  constructor(
    readonly code: number,
    message: string
  ) {
    super(message)
  }
}

const pageSize = "500"
/** The most a list page or one watch line may take in bytes: a bound on memory for a broken server. */
const maxBodyBytes = 64 * 1024 * 1024

const errorText = (error: unknown): string => {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return typeof code === "string" && !error.message.includes(code) ? `${code} ${error.message}` : error.message
  }
  return String(error)
}

const statusMessage = (code: number, body: string): string => {
  try {
    const status = JSON.parse(body) as { message?: unknown }
    if (typeof status.message === "string") return `HTTP ${code}: ${status.message}`
  } catch {
    // not a Status object
  }
  return `HTTP ${code}`
}

const readBody = (response: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    response.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBodyBytes) response.destroy(new Error(`response larger than ${maxBodyBytes} bytes`))
      else chunks.push(chunk)
    })
    response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    response.on("error", reject)
    response.on("close", () => {
      if (!response.complete) reject(new Error("connection closed before the response ended"))
    })
  })

const jitter = (ms: number): number => ms / 2 + Math.random() * (ms / 2)

/**
 * Keeps one kind of object in memory with list + watch. Call {@link Reflector.start} once; {@link
 * Reflector.stop} ends it for good.
 */
export class Reflector<T extends KubeRecord> {
  /** The objects by uid. */
  readonly items = new Map<string, T>()
  private readonly signatures = new Map<string, string>()
  private resourceVersion: string | undefined
  private stopped = false
  private controller = new AbortController()
  private wake: (() => void) | undefined
  private synced = false
  private error: string | undefined
  private failingSince: number | undefined
  private lists = 0
  private events = 0
  /** The first list succeeded or a request failed: the first report need not wait longer. */
  private settled = false
  private readonly settleWaiters = new Set<() => void>()

  constructor(
    readonly spec: ResourceSpec<T>,
    private readonly client: ApiClient,
    private readonly onChange: () => void,
    private readonly timing: RetryTiming
  ) {}

  /** Starts listing and watching in the background. */
  start(): void {
    void this.run()
  }

  /** Stops for good: aborts the request in flight and any retry delay. */
  stop(): void {
    this.stopped = true
    this.controller.abort()
    this.wake?.()
    this.settle()
  }

  status(): ReflectorStatus {
    return {
      name: this.spec.name,
      synced: this.synced,
      error: this.error,
      failingSince: this.failingSince,
      lists: this.lists,
      events: this.events
    }
  }

  /**
   * Resolves when the first list has arrived or a request has failed (at once if either happened), when
   * stopped, or after `ms`.
   */
  waitSettled(ms: number): Promise<void> {
    if (this.settled) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.settleWaiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.settleWaiters.add(done)
    })
  }

  private settle(): void {
    this.settled = true
    for (const waiter of this.settleWaiters) waiter()
  }

  private async run(): Promise<void> {
    let failures = 0
    /** Gone answers since the last watch that did some work: more than one in a row must back off. */
    let gones = 0
    while (!this.stopped) {
      this.controller = new AbortController()
      const signal = this.controller.signal
      let watchStarted: { readonly at: number; readonly events: number } | undefined
      /** The watch lasted or delivered events: what ends it is not a loop of failures. */
      const productive = () =>
        watchStarted !== undefined && (Date.now() - watchStarted.at >= 1_000 || this.events > watchStarted.events)
      try {
        if (this.resourceVersion === undefined) {
          this.resourceVersion = await this.list(signal)
          this.healthy()
          failures = 0
        }
        watchStarted = { at: Date.now(), events: this.events }
        await this.watch(this.resourceVersion, signal)
        // The server ended the watch (its timeout). One that ends at once, without events, over and over
        // (a proxy cutting streams) must not spin: wait as after a failure, without reporting one.
        if (productive()) failures = 0
        else await this.sleep(this.delay(++failures))
        gones = 0
      } catch (error) {
        if (this.stopped) break
        if (error instanceof Gone) {
          this.resourceVersion = undefined
          if (productive()) gones = 0
          // A relist is due at once, unless the server keeps answering Gone.
          if (++gones > 1) {
            this.fail(new Error("410 Gone again right after a relist"))
            await this.sleep(this.delay(gones - 1))
          }
          continue
        }
        failures++
        this.fail(error)
        await this.sleep(this.delay(failures))
      }
    }
  }

  private delay(failures: number): number {
    return jitter(Math.min(this.timing.maxMs, this.timing.initialMs * 2 ** Math.min(failures - 1, 30)))
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined
        resolve()
      }, ms)
      this.wake = () => {
        clearTimeout(timer)
        this.wake = undefined
        resolve()
      }
    })
  }

  private healthy(): void {
    this.error = undefined
    this.failingSince = undefined
  }

  private fail(error: unknown): void {
    this.error = errorText(error)
    this.failingSince ??= Date.now()
    this.settle()
  }

  private query(extra: Record<string, string>): Record<string, string> {
    return this.spec.fieldSelector === undefined ? extra : { fieldSelector: this.spec.fieldSelector, ...extra }
  }

  /** Lists every page and replaces the copy; returns the list's resourceVersion. */
  private async list(signal: AbortSignal): Promise<string> {
    const fresh = new Map<string, T>()
    let next: string | undefined
    let resourceVersion = ""
    do {
      const query = this.query(next === undefined ? { limit: pageSize } : { limit: pageSize, continue: next })
      const response = await this.client.get(this.spec.path, query, signal)
      const body = await readBody(response)
      // An expired continue token: the server wants a fresh list from the start.
      if (response.statusCode === 410) throw new Gone()
      if (response.statusCode !== 200)
        throw new StatusError(response.statusCode ?? 0, statusMessage(response.statusCode ?? 0, body))
      const parsed = JSON.parse(body) as { metadata?: { continue?: unknown }; items?: unknown }
      for (const object of Array.isArray(parsed.items) ? parsed.items : []) {
        const value = this.spec.read(object)
        if (value !== undefined) fresh.set(recordUid(value), value)
      }
      resourceVersion = resourceVersionOf(parsed) ?? ""
      const token = parsed.metadata?.continue
      next = typeof token === "string" && token !== "" ? token : undefined
    } while (next !== undefined)
    this.lists++
    this.replace(fresh)
    this.synced = true
    this.settle()
    return resourceVersion
  }

  private replace(fresh: Map<string, T>): void {
    let changed = false
    for (const uid of this.items.keys()) {
      if (!fresh.has(uid)) {
        this.items.delete(uid)
        this.signatures.delete(uid)
        changed = true
      }
    }
    for (const [uid, value] of fresh) changed = this.upsert(uid, value) || changed
    if (changed) this.onChange()
  }

  /** Stores a record; `true` when it is new or different. */
  private upsert(uid: string, value: T): boolean {
    const signature = JSON.stringify(value)
    if (this.signatures.get(uid) === signature) return false
    this.items.set(uid, value)
    this.signatures.set(uid, signature)
    return true
  }

  /** Watches from `from` until the server ends the stream; rejects on failures and Gone. */
  private async watch(from: string, signal: AbortSignal): Promise<void> {
    // Servers end watches after timeoutSeconds; jitter spreads reconnections of many probes.
    const timeoutSeconds = Math.round(300 + Math.random() * 300)
    const response = await this.client.get(
      this.spec.path,
      this.query({
        watch: "true",
        resourceVersion: from,
        allowWatchBookmarks: "true",
        timeoutSeconds: String(timeoutSeconds)
      }),
      signal
    )
    if (response.statusCode !== 200) {
      const body = await readBody(response).catch(() => "")
      if (response.statusCode === 410) throw new Gone()
      throw new StatusError(response.statusCode ?? 0, statusMessage(response.statusCode ?? 0, body))
    }
    this.healthy()
    await new Promise<void>((resolve, reject) => {
      let buffered = ""
      let settled = false
      const finish = (error?: unknown) => {
        if (settled) return
        settled = true
        clearTimeout(idle)
        if (error === undefined) resolve()
        else {
          response.destroy()
          reject(error)
        }
      }
      // A connection that stays silent past the server's own timeout is dead (a half-open TCP connection).
      const idleMs = (timeoutSeconds + 30) * 1000
      let idle = setTimeout(() => finish(new Error(`watch silent for ${idleMs / 1000} s`)), idleMs)
      response.setEncoding("utf8")
      response.on("data", (chunk: string) => {
        clearTimeout(idle)
        idle = setTimeout(() => finish(new Error(`watch silent for ${idleMs / 1000} s`)), idleMs)
        buffered += chunk
        let newline = buffered.indexOf("\n")
        while (newline >= 0 && !settled) {
          const line = buffered.slice(0, newline)
          buffered = buffered.slice(newline + 1)
          if (line.trim() !== "") {
            try {
              this.apply(line)
            } catch (error) {
              finish(error)
            }
          }
          newline = buffered.indexOf("\n")
        }
        if (buffered.length > maxBodyBytes) finish(new Error(`watch event larger than ${maxBodyBytes} bytes`))
      })
      response.on("end", () => finish())
      response.on("error", (error) => finish(error))
      response.on("close", () => finish(response.complete ? undefined : new Error("watch connection closed")))
    })
  }

  /** Applies one watch event line; throws Gone or StatusError for ERROR events. */
  private apply(line: string): void {
    let event: { type?: unknown; object?: unknown }
    try {
      event = JSON.parse(line) as typeof event
    } catch {
      return // a malformed line: skip it, the next relist repairs what it hid
    }
    const object = event.object
    switch (event.type) {
      case "ADDED":
      case "MODIFIED": {
        const value = this.spec.read(object)
        if (value !== undefined && this.upsert(recordUid(value), value)) this.onChange()
        break
      }
      case "DELETED": {
        const uid = uidOf(object)
        if (uid !== undefined && this.items.delete(uid)) {
          this.signatures.delete(uid)
          this.onChange()
        }
        break
      }
      case "BOOKMARK":
        break
      case "ERROR": {
        const status = (typeof object === "object" && object !== null ? object : {}) as {
          code?: unknown
          message?: unknown
        }
        if (status.code === 410) throw new Gone()
        const code = typeof status.code === "number" ? status.code : 0
        throw new StatusError(code, `watch error ${code}: ${typeof status.message === "string" ? status.message : ""}`)
      }
      default:
        return
    }
    this.events++
    this.resourceVersion = resourceVersionOf(object) ?? this.resourceVersion
  }
}
