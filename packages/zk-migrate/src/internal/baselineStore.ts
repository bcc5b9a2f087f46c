/**
 * The bidirectional sync's last agreed state per path (a content digest both sides matched at the last
 * sync), kept in memory and persisted to an append-only file so a restarted sync knows which side changed
 * while it was down. Writes are batched (one append per `flushMs`); the file is rewritten from memory on
 * open (dropping a torn last line after a crash) and whenever the log grows past twice the live entries,
 * so it stays bounded by the tree's size. A crash loses at most the last `flushMs` of agreements: a path
 * agreed in that window and then changed on one side is decided by the conflict policy (and recorded).
 *
 * Line format: `<32 hex digest> <JSON path>`; digest `-` means "no agreed content" (deleted).
 *
 * @internal
 */
import { appendFile, readFile, rename, writeFile } from "node:fs/promises"
import { Effect, type Scope } from "effect"
import { MigrationStateError } from "../Errors.js"

const header = "# zk-migrate baseline v1"

export interface BaselineStore {
  readonly get: (path: string) => string | undefined
  readonly has: (path: string) => boolean
  /** Records the agreed digest (`undefined`: nothing agreed, e.g. deleted on both sides). */
  readonly set: (path: string, digest: string | undefined) => void
  readonly size: () => number
  /** Writes what is buffered now. */
  readonly flush: Effect.Effect<void, MigrationStateError>
}

/** A store kept in memory only. */
export const inMemory = (): BaselineStore => {
  const map = new Map<string, string>()
  return {
    get: (path) => map.get(path),
    has: (path) => map.has(path),
    set: (path, digest) => {
      if (digest === undefined) map.delete(path)
      else map.set(path, digest)
    },
    size: () => map.size,
    flush: Effect.void
  }
}

/** Parses a baseline file; lines that do not parse (a torn write) are skipped. */
export const parseBaseline = (text: string): Map<string, string> => {
  const map = new Map<string, string>()
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue
    const space = line.indexOf(" ")
    if (space <= 0) continue
    let path: unknown
    try {
      path = JSON.parse(line.slice(space + 1))
    } catch {
      continue
    }
    if (typeof path !== "string") continue
    const digest = line.slice(0, space)
    if (digest === "-") map.delete(path)
    else map.set(path, digest)
  }
  return map
}

const lineOf = (path: string, digest: string | undefined): string => `${digest ?? "-"} ${JSON.stringify(path)}\n`

const failure = (file: string, verb: string) => (cause: unknown) =>
  new MigrationStateError({
    reason: `cannot ${verb} ${file}: ${cause instanceof Error ? cause.message : String(cause)}`
  })

/** Opens (or creates) the store in `file`, flushing every `flushMs` until the scope closes. */
export const open = (file: string, flushMs = 100): Effect.Effect<BaselineStore, MigrationStateError, Scope.Scope> =>
  Effect.gen(function* () {
    const text = yield* Effect.tryPromise({
      try: () =>
        readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? "" : Promise.reject(e))),
      catch: failure(file, "read")
    })
    const map = parseBaseline(text)
    let buffer: Array<string> = []
    let logged = 0
    // file writes are chained, so appends and rewrites land in the order they were made
    let chain: Promise<void> = Promise.resolve()
    const serial = (write: () => Promise<void>) =>
      Effect.tryPromise({
        try: () => {
          chain = chain.then(write, write)
          return chain
        },
        catch: failure(file, "write")
      })
    const rewrite = async () => {
      const lines = [`${header}\n`]
      for (const [path, digest] of map) lines.push(lineOf(path, digest))
      const temporary = `${file}.${process.pid}.tmp`
      await writeFile(temporary, lines.join(""))
      await rename(temporary, file)
    }
    const compact = Effect.suspend(() => {
      buffer = []
      logged = map.size
      return serial(rewrite)
    })
    yield* compact
    const flush: Effect.Effect<void, MigrationStateError> = Effect.suspend(() => {
      if (buffer.length === 0) return Effect.void
      if (logged + buffer.length > 2 * map.size + 1_000) return compact
      const text = buffer.join("")
      logged += buffer.length
      buffer = []
      return serial(() => appendFile(file, text))
    })
    yield* Effect.forkScoped(Effect.forever(Effect.sleep(flushMs).pipe(Effect.andThen(flush), Effect.ignore)))
    yield* Effect.addFinalizer(() => flush.pipe(Effect.ignore))
    return {
      get: (path) => map.get(path),
      has: (path) => map.has(path),
      set: (path, digest) => {
        if (map.get(path) === digest) return
        if (digest === undefined) map.delete(path)
        else map.set(path, digest)
        buffer.push(lineOf(path, digest))
      },
      size: () => map.size,
      flush
    } satisfies BaselineStore
  })
