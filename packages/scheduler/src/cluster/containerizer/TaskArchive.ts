/**
 * A task's files as a tar archive for Docker's `PUT /containers/{id}/archive` (extracted at `/`): regular files
 * owned by root, long paths in PAX headers. Parent folders are not members, so existing ones keep their
 * owner and mode, and Docker creates missing ones (mode 0755).
 *
 * @since 0.1.0
 */
import type { TaskFile } from "../Task.js"

const block = 512

const field = (header: Buffer, offset: number, length: number, value: string): void => {
  header.write(value, offset, length, "utf8")
}

const octal = (header: Buffer, offset: number, length: number, value: number): void => {
  field(header, offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`)
}

const header = (name: string, size: number, mode: number, type: "0" | "x"): Buffer => {
  const out = Buffer.alloc(block)
  field(out, 0, 100, name)
  octal(out, 100, 8, mode)
  octal(out, 108, 8, 0)
  octal(out, 116, 8, 0)
  octal(out, 124, 12, size)
  octal(out, 136, 12, Math.floor(Date.now() / 1000))
  out.fill(" ", 148, 156)
  field(out, 156, 1, type)
  field(out, 257, 6, "ustar\0")
  field(out, 263, 2, "00")
  let sum = 0
  for (const byte of out) sum += byte
  field(out, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `)
  return out
}

const padded = (data: Buffer): ReadonlyArray<Buffer> => {
  const rest = data.length % block
  return rest === 0 ? [data] : [data, Buffer.alloc(block - rest)]
}

/** A PAX record `"<length> path=<path>\n"`, where length counts the whole record, its own digits included. */
const paxPath = (path: string): Buffer => {
  const body = ` path=${path}\n`
  const bodyBytes = Buffer.byteLength(body)
  let length = bodyBytes + 1
  while (String(length).length + bodyBytes !== length) length = String(length).length + bodyBytes
  return Buffer.from(`${length}${body}`, "utf8")
}

/**
 * The tar archive of `files` (paths made relative to `/`; contents decoded from base64).
 *
 * @since 0.1.0
 * @category constructors
 */
export const archiveOf = (files: ReadonlyArray<TaskFile>): Buffer => {
  const parts: Array<Buffer> = []
  for (const file of files) {
    const name = file.path.replace(/^\/+/, "")
    const data = Buffer.from(file.content, "base64")
    if (Buffer.byteLength(name) > 99) {
      const record = paxPath(name)
      parts.push(header("PaxHeader", record.length, 0o644, "x"), ...padded(record))
    }
    parts.push(header(name, data.length, file.mode ?? 0o644, "0"), ...padded(data))
  }
  parts.push(Buffer.alloc(block * 2))
  return Buffer.concat(parts)
}
