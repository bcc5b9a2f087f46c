/**
 * The headers of HTTP mode, the same for both upstreams: hop-by-hop ones (and those a `Connection` header
 * lists) dropped both ways, `X-Forwarded-For/Proto/Host` added on the way up, and what an answer tells about
 * its backend's keep-alive behaviour. Lists stay flat (`name, value, name, value...`, as `rawHeaders`), which
 * keeps repeated headers in order and spares building and walking an object per request.
 *
 * @since 0.1.0
 */
import type { IncomingMessage } from "node:http"

const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect"
])

const connectionTokens = (value: string | undefined): ReadonlyArray<string> | undefined =>
  value === undefined
    ? undefined
    : value
        .toLowerCase()
        .split(",")
        .map((t) => t.trim())

/** Header bytes as node:http writes them back (latin1 keeps every byte as it came). */
const text = (value: string | Buffer): string => (typeof value === "string" ? value : value.toString("latin1"))

/**
 * Copies the end-to-end headers of `raw` (a flat name, value list, as strings from node:http or buffers from
 * undici) onto `out`, dropping hop-by-hop ones, those the `Connection` header lists, and those named in `skip`.
 *
 * @since 0.1.0
 * @category headers
 */
export const endToEnd = (
  raw: ReadonlyArray<string | Buffer>,
  connection: string | undefined,
  out: Array<string>,
  skip?: (lower: string) => boolean
): Array<string> => {
  const listed = connectionTokens(connection)
  for (let i = 0; i < raw.length; i += 2) {
    const name = text(raw[i]!)
    const lower = name.toLowerCase()
    if (hopByHop.has(lower) || listed?.includes(lower) === true || skip?.(lower) === true) continue
    out.push(name, text(raw[i + 1]!))
  }
  return out
}

/**
 * Whether a lower-case header name is one of the `X-Forwarded-*` headers the proxy writes itself.
 *
 * @since 0.1.0
 * @category headers
 */
export const isForwarded = (lower: string): boolean =>
  lower === "x-forwarded-for" || lower === "x-forwarded-proto" || lower === "x-forwarded-host"

/**
 * Appends `X-Forwarded-For` (the client's address added to any it sent) and `-Proto`/`-Host` unless sent.
 *
 * @since 0.1.0
 * @category headers
 */
export const addForwarded = (req: IncomingMessage, out: Array<string>): Array<string> => {
  const source = req.headers
  const remote = req.socket.remoteAddress ?? "unknown"
  const prior = source["x-forwarded-for"]
  out.push("x-forwarded-for", prior === undefined ? remote : `${prior}, ${remote}`)
  const proto = source["x-forwarded-proto"]
  // node:http joins repeated x-forwarded-* lines with ", ", so these are strings
  out.push("x-forwarded-proto", proto === undefined ? "http" : String(proto))
  const host = source["x-forwarded-host"] ?? source.host
  if (host !== undefined) out.push("x-forwarded-host", String(host))
  return out
}

/**
 * The request headers sent to the backend, without framing (`Transfer-Encoding`): each upstream frames the
 * body itself (see {@link hasBody}).
 *
 * @since 0.1.0
 * @category headers
 */
export const upstreamHeaders = (req: IncomingMessage): Array<string> =>
  addForwarded(req, endToEnd(req.rawHeaders, req.headers.connection, [], isForwarded))

/**
 * Whether a request carries a body (chunked, or a non-zero `Content-Length`).
 *
 * @since 0.1.0
 * @category headers
 */
export const hasBody = (req: IncomingMessage): boolean =>
  req.headers["transfer-encoding"] !== undefined ||
  (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0")

const listsToken = (value: string, token: string): boolean => {
  const lower = value.toLowerCase()
  return lower === token || connectionTokens(lower)!.includes(token)
}

/**
 * Whether an answer shows that its backend keeps connections alive: HTTP/1.1 without `Connection: close`, or
 * HTTP/1.0 with `Connection: keep-alive`. `httpVersion` is `undefined` when the client does not tell it
 * (undici, which speaks HTTP/1.1 only to backends that do).
 *
 * @since 0.1.0
 * @category headers
 */
export const keepsAlive = (httpVersion: string | undefined, connection: string | undefined): boolean =>
  httpVersion === "1.0"
    ? connection !== undefined && listsToken(connection, "keep-alive")
    : connection === undefined || !listsToken(connection, "close")
