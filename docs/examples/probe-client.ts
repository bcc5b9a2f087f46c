/**
 * A minimal probe speaking the app's wire protocols by hand: register, publish a full report and a delta,
 * heartbeat, recover from a resync, and hold the control channel (`/api/v1/probe/ws`) to answer a control
 * and stream a pipe to a UI client. Starts its own app server with createApp unless APP_URL is set.
 *
 *   npx tsx --conditions=source docs/examples/probe-client.ts
 *   APP_URL=http://127.0.0.1:8080 npx tsx --conditions=source docs/examples/probe-client.ts
 */
import { type App, type ControlProtocol, createApp } from "@orchestrator/core"
import { WebSocket } from "ws"
import { containerIds, deltaReportA, fullReportA } from "./fixture.js"

const own: App.App | undefined = process.env.APP_URL === undefined ? await createApp({ port: 0 }) : undefined
const base = process.env.APP_URL ?? own!.url
const auth: Record<string, string> = process.env.APP_TOKEN ? { authorization: `Bearer ${process.env.APP_TOKEN}` } : {}

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json", ...auth },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

// 1. Register: the app answers the probe's configuration.
const registered = await call("POST", "/api/v1/agents/register", {
  agentId: "probe-a",
  hostname: "host-a",
  version: "0.1.0",
  collectors: ["docker", "proc"],
  controls: [
    { id: "docker.restart", label: "Restart", permission: "containers:write", confirm: true },
    { id: "docker.logs", label: "Logs", permission: "containers:read", stream: "logs" }
  ]
})
console.log("register", registered.status, registered.body)

// 2. Publish a full report, then a delta with the next seq.
const now = Date.now()
console.log("full", (await call("POST", "/api/v1/reports", fullReportA(now))).body)
console.log("delta 1", (await call("POST", "/api/v1/reports", deltaReportA(now + 15_000, 1))).body)

// 3. A gap in the sequence is answered 409: send a full report again.
const gap = await call("POST", "/api/v1/reports", deltaReportA(now + 30_000, 7))
console.log("delta 7", gap.status, gap.body)
if (gap.status === 409)
  console.log("resync", (await call("POST", "/api/v1/reports", fullReportA(now + 30_000, 8))).body)

// 4. Heartbeat: the config version (refetch the config when it grows) and the seq the app expects next.
console.log("heartbeat", (await call("POST", "/api/v1/agents/heartbeat/probe-a")).body)

// 5. The control channel: the app sends `control` requests; the probe answers `control.result`.
const wsBase = base.replace(/^http/, "ws")
const channel = new WebSocket(`${wsBase}/api/v1/probe/ws?agent_id=probe-a`, { headers: auth })
await new Promise((resolve, reject) => {
  channel.once("open", resolve)
  channel.once("unexpected-response", (_req, res) => reject(new Error(`refused: ${res.statusCode}`)))
})
const send = (message: ControlProtocol.ProbeToApp) => channel.send(JSON.stringify(message))
channel.on("message", (data) => {
  const message = JSON.parse(data.toString()) as ControlProtocol.AppToProbe
  console.log("probe <-", JSON.stringify(message))
  if (message.type === "control") {
    const { request } = message
    if (request.action === "docker.logs") {
      // A stream: answer with a pipe id, then write base64 output to the pipe.
      const pipeId = `logs-${request.id}`
      send({ type: "control.result", result: { id: request.id, ok: true, pipeId } })
      setTimeout(() => send({ type: "pipe.output", pipeId, data: Buffer.from("GET / 200\n").toString("base64") }), 200)
    } else {
      send({ type: "control.result", result: { id: request.id, ok: true, result: { restarted: request.nodeId } } })
    }
  }
  if (message.type === "pipe.close") send({ type: "pipe.closed", pipeId: message.pipeId, reason: "closed by client" })
})
console.log("control probes", (await call("GET", "/api/v1/control/probes")).body)

// 6. Someone (the UI) runs controls through the app.
const target = { probeId: "probe-a", nodeId: containerIds.web, topology: "containers" }
console.log(
  "restart",
  JSON.stringify((await call("POST", "/api/v1/control", { action: "docker.restart", targets: [target] })).body)
)
const logs = await call("POST", "/api/v1/control", { action: "docker.logs", targets: [target] })
console.log("logs", JSON.stringify(logs.body))

// 7. A UI client attaches to the pipe over /api/v1/ws and receives the output.
const pipeId = (logs.body.results as Array<{ result: { pipeId: string } }>)[0]!.result.pipeId
const ui = new WebSocket(`${wsBase}/api/v1/ws`, { headers: auth })
await new Promise((resolve) => ui.once("open", resolve))
const output = new Promise<Record<string, unknown>>((resolve) =>
  ui.once("message", (d) => resolve(JSON.parse(d.toString())))
)
ui.send(JSON.stringify({ type: "pipe.attach", pipeId }))
const out = await output
console.log("ui <-", out, "=", JSON.stringify(Buffer.from(String(out.data), "base64").toString()))
const closed = new Promise<Record<string, unknown>>((resolve) =>
  ui.once("message", (d) => resolve(JSON.parse(d.toString())))
)
ui.send(JSON.stringify({ type: "pipe.close", pipeId }))
console.log("ui <-", await closed)

ui.close()
channel.close()
await own?.close()
