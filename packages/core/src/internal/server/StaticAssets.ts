import { createReadStream } from "node:fs"
import { stat } from "node:fs/promises"
import type { IncomingMessage, ServerResponse } from "node:http"
import { extname, join, resolve, sep } from "node:path"

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8"
}

/**
 * Serves a folder of built static files (the web UI). Paths outside the folder are refused; unknown paths
 * without an extension fall back to `index.html` so client-side routes work. Returns false when nothing was
 * served (the caller answers 404).
 */
export const serveStatic = async (root: string, req: IncomingMessage, res: ServerResponse, path: string) => {
  const base = resolve(root)
  let file = resolve(join(base, decodeURIComponent(path)))
  if (file !== base && !file.startsWith(base + sep)) return false
  let info = await stat(file).catch(() => undefined)
  if (info?.isDirectory()) {
    file = join(file, "index.html")
    info = await stat(file).catch(() => undefined)
  }
  if (info === undefined && extname(path) === "") {
    file = join(base, "index.html")
    info = await stat(file).catch(() => undefined)
  }
  if (info === undefined || !info.isFile()) return false
  const immutable = file.includes(`${sep}assets${sep}`)
  res.writeHead(200, {
    "content-type": types[extname(file)] ?? "application/octet-stream",
    "content-length": info.size,
    "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    "x-content-type-options": "nosniff"
  })
  if (req.method === "HEAD") {
    res.end()
    return true
  }
  createReadStream(file).pipe(res)
  return true
}
