/**
 * Docker's multiplexed stream format (logs and attach of a container without a TTY): frames of an 8-byte
 * header (stream type: 0 stdin, 1 stdout, 2 stderr; three zero bytes; payload size, big-endian uint32) and
 * the payload. Frames may be split across chunks however the socket delivers them.
 */

/** Stream types in a frame header. */
export type StreamType = 0 | 1 | 2

/** Turns chunks of a multiplexed stream into payloads, keeping a partial frame between chunks. */
export class Demuxer {
  private pending: Buffer = Buffer.alloc(0)
  private readonly onFrame: (payload: Buffer, stream: StreamType) => void

  constructor(onFrame: (payload: Buffer, stream: StreamType) => void) {
    this.onFrame = onFrame
  }

  /** Feeds a chunk; calls `onFrame` for every complete frame in it. */
  push(chunk: Buffer): void {
    let buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    while (buffer.length >= 8) {
      const size = buffer.readUInt32BE(4)
      if (buffer.length < 8 + size) break
      const type = buffer[0]!
      const payload = buffer.subarray(8, 8 + size)
      buffer = buffer.subarray(8 + size)
      if (size > 0) this.onFrame(payload, (type <= 2 ? type : 1) as StreamType)
    }
    this.pending = buffer.length === 0 ? Buffer.alloc(0) : Buffer.from(buffer)
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get buffered(): number {
    return this.pending.length
  }
}

/** Builds one frame (for tests and tools). */
export const frame = (stream: StreamType, payload: Buffer | string): Buffer => {
  const body = typeof payload === "string" ? Buffer.from(payload) : payload
  const header = Buffer.alloc(8)
  header[0] = stream
  header.writeUInt32BE(body.length, 4)
  return Buffer.concat([header, body])
}
