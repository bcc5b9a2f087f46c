/**
 * A task's files as a tar archive for Docker's `PUT /containers/{id}/archive` (extracted at `/`), written with
 * `tar-stream`: regular files owned by root (long paths go in PAX headers). Parent folders are not members, so
 * existing ones keep their owner and mode, and Docker creates missing ones (mode 0755).
 *
 * @since 0.1.0
 */
import { pack } from "tar-stream"
import type { TaskFile } from "../Task.js"

/**
 * The tar archive of `files` (paths made relative to `/`; contents decoded from base64).
 *
 * @since 0.1.0
 * @category constructors
 */
export const archiveOf = (files: ReadonlyArray<TaskFile>): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const archive = pack()
    const chunks: Array<Uint8Array> = []
    archive.on("data", (chunk) => {
      chunks.push(chunk as Uint8Array)
    })
    archive.on("end", () => resolve(Buffer.concat(chunks)))
    archive.on("error", reject)
    const mtime = new Date()
    for (const file of files)
      archive.entry(
        { name: file.path.replace(/^\/+/, ""), mode: file.mode ?? 0o644, uid: 0, gid: 0, mtime },
        Buffer.from(file.content, "base64")
      )
    archive.finalize()
  })
