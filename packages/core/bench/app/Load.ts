/**
 * The load generator of the app benchmark: gzip-compressed report POSTs over keep-alive connections to
 * 127.0.0.1 only, with a bounded number in flight, a timeout per request and fixed counts; and the steady
 * schedule in which every simulated probe publishes a delta once per interval, staggered evenly.
 *
 * @since 0.1.0
 */
import { Agent, request } from "node:http"
import { gzipSync } from "node:zlib"
import type { Report } from "../../src/Report.js"
import type { HostSim } from "./Synthetic.js"

/** The answer to one request. */
export interface Answer {
  readonly status: number
  readonly body: string
}

/** An HTTP client bound to one loopback port. */
export class LoopbackClient {
  private readonly agent: Agent

  constructor(
    readonly port: number,
    maxSockets = 32,
    private readonly timeoutMs = 30_000
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets })
  }

  /** POSTs a body (already gzip-compressed when `gzip`) and reads the answer. */
  post(path: string, body: Buffer | string, gzip: boolean): Promise<Answer> {
    const data = typeof body === "string" ? Buffer.from(body) : body
    const headers: Record<string, string | number> = {
      "content-type": "application/json",
      "content-length": data.length
    }
    if (gzip) headers["content-encoding"] = "gzip"
    return this.send("POST", path, headers, data)
  }

  /** GETs a path as text. */
  get(path: string): Promise<Answer> {
    return this.send("GET", path, {}, undefined)
  }

  /**
   * Sends one request. A request on a kept-alive socket that the server closed meanwhile (its keep-alive
   * timeout) fails with ECONNRESET before the server read it: that one is retried once on a new socket.
   */
  private send(
    method: "GET" | "POST",
    path: string,
    headers: Record<string, string | number>,
    data: Buffer | undefined,
    retry = true
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (chunk: Buffer) => chunks.push(chunk))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }))
        res.on("error", reject)
      })
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(new Error(`${method} ${path} timed out after ${this.timeoutMs} ms`))
      )
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (retry && req.reusedSocket && error.code === "ECONNRESET") {
          this.send(method, path, headers, data, false).then(resolve, reject)
        } else reject(error)
      })
      req.end(data)
    })
  }

  /** Publishes a report gzip-compressed, as a probe does. */
  publish(report: Report | Buffer): Promise<Answer> {
    const body = Buffer.isBuffer(report) ? report : gzipSync(JSON.stringify(report))
    return this.post("/api/v1/reports", body, true)
  }

  close(): void {
    this.agent.destroy()
  }
}

/** Runs `f(0) .. f(count - 1)` with at most `concurrency` at a time; rejects on the first failure. */
export const pool = async (count: number, concurrency: number, f: (i: number) => Promise<void>): Promise<void> => {
  let next = 0
  const worker = async () => {
    while (next < count) await f(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

/** What a steady phase did. */
export interface SteadyResult {
  readonly sent: number
  readonly accepted: number
  /** Deltas answered 409 (a full report was sent instead). */
  readonly resyncs: number
  readonly failed: number
  /** Publishes skipped because `maxInFlight` requests were already waiting. */
  readonly skipped: number
  readonly wallMs: number
  /** Request round trips (ms), POST start to answer. */
  readonly roundTrips: ReadonlyArray<number>
}

/** Options of {@link runSteady}. */
export interface SteadyOptions {
  readonly client: LoopbackClient
  readonly sims: ReadonlyArray<HostSim>
  readonly durationMs: number
  readonly intervalMs: number
  readonly maxInFlight?: number
  /** Called for each publish; returns the marker to put in the delta, if any. */
  readonly marker?: (sim: HostSim) => string | undefined
  /** Called with the marker right before its POST starts. */
  readonly onSent?: (marker: string, at: number) => void
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)))

/**
 * Every probe publishes one delta per `intervalMs`, probe `i` at offset `i / n` of the interval, for
 * `durationMs` (so `durationMs / intervalMs × n` publishes in all), then waits for the answers.
 */
export const runSteady = async (options: SteadyOptions): Promise<SteadyResult> => {
  const { client, sims, durationMs, intervalMs } = options
  const maxInFlight = options.maxInFlight ?? 256
  const step = intervalMs / sims.length
  const total = Math.floor(durationMs / step)
  const inFlight = new Set<Promise<void>>()
  const roundTrips: Array<number> = []
  let accepted = 0
  let resyncs = 0
  let failed = 0
  let skipped = 0
  const start = performance.now()
  for (let k = 0; k < total; k++) {
    await sleep(start + k * step - performance.now())
    if (inFlight.size >= maxInFlight) {
      skipped++
      continue
    }
    const sim = sims[k % sims.length]!
    const marker = options.marker?.(sim)
    const body = gzipSync(JSON.stringify(sim.delta(Date.now(), marker)))
    const sentAt = performance.now()
    if (marker !== undefined) options.onSent?.(marker, sentAt)
    const job = client
      .publish(body)
      .then(async (answer) => {
        roundTrips.push(performance.now() - sentAt)
        if (answer.status === 200) accepted++
        else if (answer.status === 409) {
          resyncs++
          await client.publish(sim.full(Date.now()))
        } else failed++
      })
      .catch(() => {
        failed++
      })
      .finally(() => inFlight.delete(job))
    inFlight.add(job)
  }
  await Promise.all(inFlight)
  return { sent: total - skipped, accepted, resyncs, failed, skipped, wallMs: performance.now() - start, roundTrips }
}
