/**
 * The UI WebSocket protocol (`/api/v1/ws`): subscribe to a view with filters, get a snapshot, then deltas as
 * reports arrive; ping/pong; errors for bad messages. Starts its own app server with createApp.
 *
 *   npx tsx --conditions=source docs/examples/websocket-client.ts
 */
import { createApp } from "@orchestrator/core"
import { WebSocket } from "ws"
import { deltaReportA, fullReportA, fullReportB } from "./fixture.js"

const app = await createApp({ port: 0, deltaIntervalMs: 100 })
const now = Date.now()
await app.aggregator.ingest(fullReportA(now))
await app.aggregator.ingest(fullReportB(now))

const ws = new WebSocket(`${app.url.replace("http", "ws")}/api/v1/ws`)
const inbox: Array<Record<string, unknown>> = []
let wake: (() => void) | undefined
ws.on("message", (data) => {
  inbox.push(JSON.parse(data.toString()))
  wake?.()
})
const next = async (): Promise<Record<string, unknown>> => {
  while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve))
  return inbox.shift()!
}
const send = (message: unknown) => ws.send(JSON.stringify(message))
await new Promise((resolve) => ws.once("open", resolve))

send({ type: "subscribe", view: "containers", filters: { hidePseudo: true } })
const snapshot = (await next()) as { type: string; view: { nodes: Array<{ id: string; status: string }> } }
console.log(
  "<-",
  snapshot.type,
  snapshot.view.nodes.map((n) => `${n.id}:${n.status}`)
)

// A delta report changes api's CPU: subscribers get the change after the coalescing window (deltaIntervalMs).
await app.aggregator.ingest(deltaReportA(now + 15_000, 1))
const delta = (await next()) as {
  type: string
  view: string
  delta: Record<string, Array<{ id?: string; status?: string }>>
}
console.log(
  "<-",
  delta.type,
  delta.view,
  JSON.stringify({
    update: delta.delta.update!.map((n) => `${n.id}:${n.status}`),
    removeEdges: delta.delta.removeEdges
  })
)

send({ type: "ping", id: "42" })
console.log("<-", await next())

send({ type: "subscribe", view: "nope" })
console.log("<-", await next())

send({ type: "subscribe", view: "containers", filters: { search: "cpu >" } })
console.log("<-", await next())

send({ type: "hello" })
console.log("<-", await next())

send({ type: "unsubscribe" })
ws.close()
await app.close()
