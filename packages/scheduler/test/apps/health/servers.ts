/**
 * Real servers on loopback for the health check tests: an HTTP(S) server whose routes the test controls, a
 * TCP listener, and a port nothing listens on.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import { createServer as createTcpServer, type Server, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { AddressInfo } from "node:net"

/** What a route does: answer with a status (and body), answer after a delay, or never answer. */
export type Behaviour =
  | { readonly status: number; readonly body?: string; readonly delayMs?: number }
  | { readonly hang: true }
  | { readonly informationalThenClose: number }

/** A server the test steers: `routes[path]` may change at any time; `hits[path]` counts requests. */
export interface TestServer {
  readonly port: number
  readonly routes: Map<string, Behaviour>
  readonly hits: Map<string, number>
  /** Times (ms) of each request, by path. */
  readonly times: Map<string, Array<number>>
  /** The most requests in progress at once, by path. */
  readonly peak: Map<string, number>
  close(): Promise<void>
}

/** A self-signed certificate for `localhost`, made with the openssl CLI. */
export const selfSignedCertificate = (): { readonly key: string; readonly cert: string } => {
  const dir = mkdtempSync(join(tmpdir(), "health-tls-"))
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem")
      ].concat(["-subj", "/CN=localhost", "-days", "1"]),
      { stdio: "ignore" }
    )
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Starts an HTTP server (HTTPS with `tls`) on 127.0.0.1; unknown paths answer 404. */
export const startHttpServer = async (tls?: { readonly key: string; readonly cert: string }): Promise<TestServer> => {
  const routes = new Map<string, Behaviour>()
  const hits = new Map<string, number>()
  const times = new Map<string, Array<number>>()
  const peak = new Map<string, number>()
  const active = new Map<string, number>()
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const path = new URL(req.url ?? "/", "http://x").pathname
    hits.set(path, (hits.get(path) ?? 0) + 1)
    times.set(path, [...(times.get(path) ?? []), Date.now()])
    active.set(path, (active.get(path) ?? 0) + 1)
    peak.set(path, Math.max(peak.get(path) ?? 0, active.get(path)!))
    res.on("close", () => active.set(path, active.get(path)! - 1))
    const behaviour = routes.get(path) ?? { status: 404 }
    if ("hang" in behaviour) return
    if ("informationalThenClose" in behaviour) {
      res.writeProcessing()
      setTimeout(() => res.socket?.destroy(), 50)
      return
    }
    const answer = () => {
      res.writeHead(behaviour.status, { "content-type": "text/plain" })
      res.end(behaviour.body ?? "")
    }
    if (behaviour.delayMs === undefined) answer()
    else setTimeout(answer, behaviour.delayMs)
  }
  const server = tls === undefined ? http.createServer(handler) : https.createServer(tls, handler)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as AddressInfo).port,
    routes,
    hits,
    times,
    peak,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/**
 * Starts a TCP listener on 127.0.0.1: `hold` keeps each connection open until the client closes it (a server
 * waiting for its client to speak), `banner` says hello first, `close` closes at once and `reset` resets at once
 * (as docker-proxy does when nothing listens on the container's port).
 */
export const startTcpServer = async (
  behaviour: "hold" | "banner" | "close" | "reset" = "hold"
): Promise<{ readonly port: number; close(): Promise<void> }> => {
  const sockets = new Set<Socket>()
  const server: Server = createTcpServer((socket) => {
    socket.on("error", () => undefined)
    if (behaviour === "close") return socket.end()
    if (behaviour === "reset") return socket.resetAndDestroy()
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
    if (behaviour === "banner") socket.write("220 ready\r\n")
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

/** A port on 127.0.0.1 with nothing listening (bound once, then released). */
export const closedPort = async (): Promise<number> => {
  const server = createTcpServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
