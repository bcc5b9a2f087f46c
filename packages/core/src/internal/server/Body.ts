import type { IncomingMessage } from "node:http"
import { createGunzip } from "node:zlib"
import { HttpError } from "./HttpError.js"

/**
 * Reads a request body into a buffer, refusing it once it passes `limit` bytes (after decompression for
 * gzip bodies) and when the client sends it too slowly (`timeoutMs` for the whole body).
 */
export const readBody = (req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? Number.NaN)
    if (Number.isFinite(declared) && declared > limit) {
      req.resume()
      reject(tooLarge(limit))
      return
    }
    const encoding = (req.headers["content-encoding"] ?? "identity").toLowerCase()
    if (encoding !== "identity" && encoding !== "gzip") {
      req.resume()
      reject(new HttpError(415, "unsupported_encoding", `content-encoding "${encoding}" is not supported; use gzip`))
      return
    }
    const source = encoding === "gzip" ? req.pipe(createGunzip()) : req
    const chunks: Array<Buffer> = []
    let size = 0
    let done = false
    const finish = (error: HttpError | undefined) => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (error !== undefined) {
        source.removeAllListeners("data")
        req.unpipe()
        req.resume()
        reject(error)
      } else {
        resolve(Buffer.concat(chunks, size))
      }
    }
    const timer = setTimeout(
      () => finish(new HttpError(408, "body_timeout", `request body not received within ${timeoutMs} ms`)),
      timeoutMs
    )
    source.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) finish(tooLarge(limit))
      else chunks.push(chunk)
    })
    source.on("end", () => finish(undefined))
    source.on("error", (error: Error) =>
      finish(
        encoding === "gzip"
          ? new HttpError(400, "bad_gzip", `request body is not valid gzip: ${error.message}`)
          : new HttpError(400, "bad_body", `request body could not be read: ${error.message}`)
      )
    )
    req.on("aborted", () => finish(new HttpError(400, "aborted", "the client aborted the request")))
  })

const tooLarge = (limit: number) =>
  new HttpError(413, "body_too_large", `request body exceeds the limit of ${limit} bytes`, { limit })

/** Parses JSON, answering 400 with the parser's message on a syntax error. */
export const parseJson = (body: Buffer): unknown => {
  if (body.length === 0) throw new HttpError(400, "empty_body", "request body is empty; expected JSON")
  try {
    return JSON.parse(body.toString("utf8"))
  } catch (error) {
    throw new HttpError(400, "malformed_json", `request body is not valid JSON: ${(error as Error).message}`)
  }
}
