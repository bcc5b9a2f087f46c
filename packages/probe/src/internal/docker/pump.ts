/**
 * Copying a Docker stream (logs, a hijacked exec or attach connection) into a control's pipe, with
 * back-pressure both ways, Docker's frame headers removed when the stream is multiplexed, and known secret
 * values replaced when a scrubber is given.
 */
import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import type * as Pipes from "../../Pipes.js"
import { Demuxer } from "./demux.js"
import type { StreamScrubber } from "./scrubStream.js"

/** Copies a source into a pipe with back-pressure; closes each when the other ends. */
export const pump = (
  source: IncomingMessage | Duplex,
  pipe: Pipes.Pipe,
  options: {
    readonly head?: Buffer
    readonly demux: boolean
    readonly ended: () => string | Promise<string>
    /** Replaces secret values in the output (after demultiplexing), across chunk boundaries. */
    readonly scrub?: StreamScrubber
  }
): void => {
  const send = (data: Buffer) => {
    if (data.length > 0 && !pipe.write(data)) source.pause()
  }
  const { scrub } = options
  const write = scrub === undefined ? send : (data: Buffer) => send(scrub.push(data))
  const demuxer = options.demux ? new Demuxer((payload) => write(payload)) : undefined
  const feed = (chunk: Buffer) => (demuxer === undefined ? write(chunk) : demuxer.push(chunk))
  pipe.onDrain(() => source.resume())
  pipe.onClose(() => source.destroy())
  let done = false
  const finish = (reason: () => string | Promise<string>) => {
    if (done) return
    done = true
    if (scrub !== undefined) send(scrub.end())
    Promise.resolve()
      .then(reason)
      .then(
        (text) => pipe.close(text),
        () => pipe.close("ended")
      )
  }
  source.on("data", (chunk: Buffer) => feed(chunk))
  source.on("end", () => finish(options.ended))
  source.on("close", () => finish(options.ended))
  source.on("error", (error) => finish(() => `the stream failed: ${error.message}`))
  if (options.head !== undefined && options.head.length > 0) feed(options.head)
  source.resume()
}
