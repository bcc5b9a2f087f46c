import type { WebSocket } from "ws"

/**
 * Sends `pieces` as the fragments of one WebSocket message, producing each piece only when the socket has
 * room for it: once about `windowBytes` are queued in the socket, the next piece waits until the socket has
 * written the earlier ones. A snapshot of a large view (61 MiB of JSON for 195k edges) sent all at once sat in
 * the socket's queue as strings for the seconds a client takes to read it, long enough to be promoted to the
 * old generation; paced, only the window's worth exists at a time. Calls `done` once the last fragment is
 * queued, or when the socket fails or closes.
 *
 * **Gotchas**: the fragments of one message must not interleave with other messages on the socket, so the
 * caller holds back what else it has for this socket until `done`.
 */
export const streamMessage = (
  socket: WebSocket,
  pieces: Iterator<string, void>,
  windowBytes: number,
  done: () => void
): void => {
  let current = pieces.next()
  const pump = (error?: Error | null): void => {
    if (error) {
      done()
      return
    }
    for (;;) {
      if (socket.readyState !== socket.OPEN) {
        done()
        return
      }
      const text = current.done === true ? "" : current.value
      const next = pieces.next()
      if (next.done === true) {
        socket.send(text, { fin: true })
        done()
        return
      }
      current = next
      if (socket.bufferedAmount + text.length >= windowBytes) {
        socket.send(text, { fin: false }, pump)
        return
      }
      socket.send(text, { fin: false })
    }
  }
  pump()
}
