/**
 * Serving the web UI from your own HTTP server, under a sub-path (`/scope/`), with the API (and the UI's
 * WebSocket) forwarded to an app server on the same origin. Node built-ins only; in a real service use your
 * framework's static handler and proxy.
 *
 *   npm run build -w @orchestrator/ui
 *   npx tsx --conditions=source docs/examples/serve-ui.ts      # then open http://127.0.0.1:3000/scope/
 */
import { readFile } from "node:fs/promises"
import { createServer, request } from "node:http"
import { connect } from "node:net"
import { extname, join, normalize } from "node:path"
import { createApp } from "@orchestrator/core"
import { assetsDir, isBuilt } from "@orchestrator/ui"

if (!isBuilt()) throw new Error("build the UI first: npm run build -w @orchestrator/ui")

// The app server, without its own copy of the UI, on a port of its own.
const app = await createApp({ port: 0 })
const mount = "/scope"
const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml"
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost")
  if (!url.pathname.startsWith(`${mount}/`)) {
    res.writeHead(302, { location: `${mount}/` }).end()
    return
  }
  const path = url.pathname.slice(mount.length)
  if (path.startsWith("/api/")) {
    // Forward the API as is (the session cookie and the token header included).
    const upstream = request(
      `${app.url}${path}${url.search}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    upstream.on("error", () => res.writeHead(502).end())
    req.pipe(upstream)
    return
  }
  // Static files; the asset URLs in index.html are relative, so they resolve under /scope/.
  const file = normalize(join(assetsDir, path === "/" ? "index.html" : path))
  if (!file.startsWith(assetsDir)) {
    res.writeHead(403).end()
    return
  }
  try {
    const body = await readFile(file)
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(body)
  } catch {
    res.writeHead(404).end()
  }
})

// The UI's live updates: hand the WebSocket upgrade to the app server byte for byte.
server.on("upgrade", (req, socket, head) => {
  const target = new URL(app.url)
  const upstream = connect(Number(target.port), target.hostname, () => {
    const path = (req.url ?? "/").slice(mount.length)
    const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : v}`)
    upstream.write(`GET ${path} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n`)
    upstream.write(head)
    upstream.pipe(socket).pipe(upstream)
  })
  upstream.on("error", () => socket.destroy())
  socket.on("error", () => upstream.destroy())
})

server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 3000
  console.log(`UI at http://127.0.0.1:${port}${mount}/ (app server ${app.url})`)
})
process.on("SIGINT", () => {
  server.close()
  void app.close()
})
