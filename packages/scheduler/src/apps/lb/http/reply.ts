/**
 * The answers the proxy makes up itself (no backend, backend failed, backend silent).
 *
 * @since 0.1.0
 */
import type { ServerResponse } from "node:http"

/**
 * Answers with a JSON error body (or cuts the response when headers already went out).
 *
 * @since 0.1.0
 * @category internal
 */
export const replyError = (res: ServerResponse, status: number, body: Record<string, unknown>): void => {
  if (res.headersSent || res.destroyed) {
    res.destroy()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}
