import { connect } from "node:net"
import { WebSocket } from "ws"
import type { Report } from "../src/Report.js"

/** POSTs JSON and returns status and parsed body. */
export const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body)
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers }
}

/** GETs JSON and returns status and parsed body. */
export const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** Registers a probe and publishes a report. */
export const publish = (base: string, report: Report, headers: Record<string, string> = {}) =>
  post(`${base}/api/v1/reports`, report, headers)

/** A WebSocket whose messages are queued and awaited one by one. */
export class TestSocket {
  readonly messages: Array<Record<string, unknown>> = []
  private waiters: Array<() => void> = []
  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.messages.push(JSON.parse(data.toString()) as Record<string, unknown>)
      for (const w of this.waiters.splice(0)) w()
    })
  }
  static open(url: string, headers: Record<string, string> = {}): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers })
      const socket = new TestSocket(ws)
      ws.once("open", () => resolve(socket))
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
      ws.once("error", reject)
    })
  }
  send(message: unknown): void {
    this.ws.send(JSON.stringify(message))
  }
  /** The next message matching the predicate (consumed), waiting up to `timeoutMs`. */
  async next(match: (m: Record<string, unknown>) => boolean = () => true, timeoutMs = 5_000) {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const i = this.messages.findIndex(match)
      if (i >= 0) return this.messages.splice(i, 1)[0]!
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }
  close(): void {
    this.ws.close()
  }
}

/** Opens a raw TCP connection, writes `data`, and resolves with what the server sent before closing. */
export const rawExchange = (port: number, data: string, waitMs: number): Promise<{ closed: boolean; text: string }> =>
  new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1")
    let text = ""
    let closed = false
    socket.on("data", (d) => {
      text += d.toString()
    })
    socket.on("close", () => {
      closed = true
    })
    socket.on("error", () => {})
    socket.write(data)
    setTimeout(() => {
      socket.destroy()
      resolve({ closed, text })
    }, waitMs)
  })
