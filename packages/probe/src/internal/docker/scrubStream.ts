/**
 * Removing known secret values from a byte stream (a container's logs or terminal) on its way to a pipe,
 * whatever the chunking: the end of a chunk that could be the start of a value is held back until the next
 * chunk (or the end of the stream) tells.
 */
import { redacted, valuesPattern } from "./redact.js"

/** Bytes as a string of one char per byte, so matching never splits a UTF-8 sequence. */
const bytes = (buffer: Buffer): string => buffer.toString("latin1")

/** A stream's scrubber over a fixed set of values; feed it every chunk in order, then `end()`. */
export interface StreamScrubber {
  /** What of `chunk` (and what was held back before) can go out now, values replaced. */
  readonly push: (chunk: Buffer) => Buffer
  /** What was held back, at the end of the stream. */
  readonly end: () => Buffer
}

/** A scrubber of `values` (each non-empty; the longest is preferred where two start at the same byte). */
export const streamScrubber = (values: ReadonlyArray<string>): StreamScrubber => {
  const patterns = [...new Set(values.filter((v) => v !== "").map((v) => bytes(Buffer.from(v, "utf8"))))].sort(
    (a, b) => b.length - a.length
  )
  if (patterns.length === 0) return { push: (chunk) => chunk, end: () => Buffer.alloc(0) }
  const regex = valuesPattern(patterns)
  const longest = patterns[0]!.length
  /** The length of the longest end of `text` that is a proper start of some value. */
  const partial = (text: string): number => {
    for (let length = Math.min(longest - 1, text.length); length > 0; length--) {
      const tail = text.slice(text.length - length)
      if (patterns.some((p) => p.length > length && p.startsWith(tail))) return length
    }
    return 0
  }
  let held = ""
  return {
    push: (chunk) => {
      const text = held + bytes(chunk)
      /** Where the held-back end starts when scanning from `start` on. */
      const holdFrom = (start: number): number => text.length - partial(text.slice(start))
      let out = ""
      let from = 0
      let hold = holdFrom(0)
      regex.lastIndex = 0
      // a match at or after the held-back end waits: more bytes could make it part of a longer value
      for (let match = regex.exec(text); match !== null && match.index < hold; match = regex.exec(text)) {
        out += text.slice(from, match.index) + redacted
        from = match.index + match[0].length
        if (hold < from) hold = holdFrom(from)
      }
      held = text.slice(hold)
      return Buffer.from(out + text.slice(from, hold), "latin1")
    },
    end: () => {
      const rest = Buffer.from(held.replace(regex, redacted), "latin1")
      held = ""
      return rest
    }
  }
}
