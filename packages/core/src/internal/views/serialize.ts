/**
 * JSON text of large messages in pieces: the text of a 195k-edge view is ~61 MiB, and `JSON.stringify` of it
 * in one go holds the whole string plus the builder's parts on the heap (and the socket a copy as a Buffer),
 * which was the app's largest memory spike. The pieces joined are exactly what `JSON.stringify` gives for the
 * whole message, so a WebSocket can send them as the fragments of one message.
 *
 * @since 0.1.0
 */

/**
 * The JSON text of `message` in pieces of about `pieceChars` characters (at least one piece): its array-valued
 * fields, and those of its object-valued fields one level down, are written element by element; everything
 * else goes through `JSON.stringify`. Joined, the pieces equal `JSON.stringify(message)`.
 *
 * @since 0.1.0
 * @category internal
 */
export function* jsonPieces(message: object, pieceChars = 1 << 20): Generator<string, void, undefined> {
  let out = ""
  function* object(value: object, depth: number): Generator<string, void, undefined> {
    out += "{"
    let first = true
    for (const key of Object.keys(value)) {
      const field = (value as Record<string, unknown>)[key]
      if (field === undefined || typeof field === "function" || typeof field === "symbol") continue
      out += `${first ? "" : ","}${JSON.stringify(key)}:`
      first = false
      if (Array.isArray(field)) {
        out += "["
        for (let i = 0; i < field.length; i++) {
          if (i > 0) out += ","
          out += JSON.stringify(field[i]) ?? "null"
          if (out.length >= pieceChars) {
            yield out
            out = ""
          }
        }
        out += "]"
      } else if (depth > 0 && typeof field === "object" && field !== null && !("toJSON" in field)) {
        yield* object(field, depth - 1)
      } else out += JSON.stringify(field)
    }
    out += "}"
  }
  if ("toJSON" in message) {
    yield JSON.stringify(message)
    return
  }
  yield* object(message, 1)
  yield out
}
