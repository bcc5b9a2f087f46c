import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import { WebSocketServer } from "ws"
import type { AppContext } from "./AppContext.js"

const reasons: Record<number, readonly [code: string, phrase: string]> = {
  401: ["unauthorized", "Unauthorized"],
  403: ["forbidden", "Forbidden"],
  404: ["not_found", "Not Found"]
}

const refuse = (socket: Duplex, status: 401 | 403 | 404, message: string) => {
  const [code, phrase] = reasons[status]!
  const body = JSON.stringify({ error: { code, message } })
  socket.end(
    `HTTP/1.1 ${status} ${phrase}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  )
}

const originHost = (origin: string): string | undefined => {
  try {
    return new URL(origin).host
  } catch {
    return undefined
  }
}

/**
 * WebSocket upgrades: `/api/v1/ws` for UI clients (authorised by the session cookie or a bearer token, since
 * browsers cannot set headers on a WebSocket) and `/api/v1/probe/ws?agent_id=…` for probes' control channels.
 */
export const makeUpgradeHandler = (app: AppContext) => {
  const clients = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 })
  const probes = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 })
  const handle = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy())
    const url = new URL(req.url ?? "/", "http://localhost")
    const principal = app.auth.principal(req, Date.now())
    if (principal === undefined) return refuse(socket, 401, "this app requires a token or a session cookie")
    if (url.pathname === "/api/v1/ws") {
      const origin = req.headers.origin
      if (principal.kind === "session" && origin !== undefined && originHost(origin) !== req.headers.host) {
        return refuse(socket, 403, "cross-origin WebSocket refused")
      }
      clients.handleUpgrade(req, socket, head, (ws) =>
        app.clients.attach(ws, principal.canMutate && !app.controlsLocked)
      )
      return
    }
    if (url.pathname === "/api/v1/probe/ws") {
      const agentId = url.searchParams.get("agent_id")
      if (agentId === null || !app.agents.has(agentId)) {
        return refuse(socket, 404, `unknown agent "${agentId ?? ""}": register first`)
      }
      probes.handleUpgrade(req, socket, head, (ws) => app.controls.attachProbe(agentId, ws))
      return
    }
    refuse(socket, 404, `no WebSocket endpoint at ${url.pathname}`)
  }
  const close = () => {
    clients.close()
    probes.close()
  }
  return { handle, close }
}
