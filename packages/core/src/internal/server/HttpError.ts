import type { ServerResponse } from "node:http"

/** An error answered to the client as JSON: `{ error: { code, message, details? } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown
  ) {
    super(message)
  }
}

/** Common headers on every JSON answer. */
const jsonHeaders = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }

/** Writes a JSON body (unless the response already started). */
export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  if (res.headersSent) return
  const text = JSON.stringify(body)
  res.writeHead(status, { ...jsonHeaders, ...headers, "content-length": Buffer.byteLength(text) })
  res.end(text)
}

/** Writes an error as JSON. */
export const sendError = (res: ServerResponse, error: HttpError) => {
  const body: { error: { code: string; message: string; details?: unknown } } = {
    error: { code: error.code, message: error.message }
  }
  if (error.details !== undefined) body.error.details = error.details
  sendJson(res, error.status, body, error.status === 401 ? { "www-authenticate": "Bearer" } : {})
}
