import { connect } from "node:net"
import { describe, expect, it } from "vitest"
import { createApp } from "../src/App.js"
import { latestFields, makeNode } from "../src/Report.js"
import { deltaReport, fullReport } from "./reports.js"

/** A masked client text frame (RFC 6455) carrying `text`. */
const frame = (text: string): Buffer => {
  const payload = Buffer.from(text)
  const mask = Buffer.from([1, 2, 3, 4])
  const header =
    payload.length < 126
      ? Buffer.from([0x81, 0x80 | payload.length])
      : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 255])
  return Buffer.concat([header, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))])
}

const containers = (n: number, version: number) =>
  Array.from({ length: n }, (_, i) =>
    makeNode("containers", `c${i}`, {
      latest: latestFields(version, { docker_container_name: `container-${i}`, docker_container_state: "running" }),
      labels: latestFields(version, { revision: `${version}-${"x".repeat(200)}` })
    })
  )

describe("AppServer WebSocket back-pressure", () => {
  it("drops a client that stops reading instead of buffering without bound", async () => {
    const app = await createApp({ port: 0, deltaIntervalMs: 0, maxClientBufferBytes: 64 * 1024 })
    const socket = connect(app.port, "127.0.0.1")
    try {
      await app.aggregator.ingest(fullReport("slow", 0, containers(1_000, 0)))
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()))
      socket.write(
        "GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
      )
      await new Promise<void>((resolve) => socket.once("data", () => resolve()))
      socket.write(frame(JSON.stringify({ type: "subscribe", view: "containers" })))
      await new Promise((r) => setTimeout(r, 200))
      socket.pause()
      let closedByServer = false
      socket.on("close", () => {
        closedByServer = true
      })
      const stats = async () =>
        (
          (await (await fetch(`${app.url}/api/v1/query/stats`)).json()) as {
            websocket: { droppedSlow: number; clients: number }
          }
        ).websocket
      for (let seq = 1; seq <= 200 && (await stats()).droppedSlow === 0; seq++) {
        await app.aggregator.ingest(deltaReport("slow", seq, containers(1_000, seq)))
        await new Promise((r) => setTimeout(r, 5))
      }
      expect(await stats()).toMatchObject({ droppedSlow: 1, clients: 0 })
      socket.resume()
      await new Promise((r) => setTimeout(r, 200))
      expect(closedByServer).toBe(true)
    } finally {
      socket.destroy()
      await app.close()
    }
  })
})
