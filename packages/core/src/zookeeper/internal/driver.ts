/**
 * The slice of node-zookeeper-client 1.1 this package uses, typed (the package ships no types), plus the two
 * places where we reach into its connection manager: dropping a socket that stopped answering, and making
 * sure a closed client never reconnects.
 *
 * @internal
 */
import { createRequire } from "node:module"

/** An exception from the driver (`getName()` is the ZooKeeper code name, e.g. `NO_NODE`). */
export interface DriverException extends Error {
  readonly code: number
  getCode(): number
  getName(): string
}

/** The stat as the driver decodes it: 64-bit fields are 8-byte big-endian buffers. */
export interface DriverStat {
  readonly czxid: Buffer
  readonly mzxid: Buffer
  readonly ctime: Buffer
  readonly mtime: Buffer
  readonly version: number
  readonly cversion: number
  readonly aversion: number
  readonly ephemeralOwner: Buffer
  readonly dataLength: number
  readonly numChildren: number
  readonly pzxid: Buffer
}

/** A watcher notification. */
export interface DriverEvent {
  getName(): string
  getPath(): string
}

/** A client state (`SYNC_CONNECTED`, `DISCONNECTED`, `EXPIRED`, ...). */
export interface DriverState {
  readonly name: string
  readonly code: number
}

type Callback<A extends ReadonlyArray<unknown>> = (
  error: DriverException | Error | null | undefined,
  ...rest: A
) => void
type Watcher = (event: DriverEvent) => void

/** A driver client. */
export interface DriverClient {
  connect(): void
  close(): void
  on(event: "state", listener: (state: DriverState) => void): void
  removeAllListeners(event?: string): void
  getSessionId(): Buffer
  getSessionTimeout(): number
  exists(path: string, watcher: Watcher | undefined, callback: Callback<[DriverStat | null]>): void
  getData(path: string, watcher: Watcher | undefined, callback: Callback<[Buffer | null | undefined, DriverStat]>): void
  getChildren(path: string, watcher: Watcher | undefined, callback: Callback<[Array<string>, DriverStat]>): void
  create(
    path: string,
    data: Buffer | undefined,
    acls: ReadonlyArray<DriverAcl>,
    mode: number,
    callback: Callback<[string]>
  ): void
  getACL(path: string, callback: Callback<[ReadonlyArray<DriverAcl>, DriverStat]>): void
  setACL(path: string, acls: ReadonlyArray<DriverAcl>, version: number, callback: Callback<[DriverStat]>): void
  addAuthInfo(scheme: string, auth: Buffer): void
  transaction(): DriverTransaction
  setData(path: string, data: Buffer, version: number, callback: Callback<[DriverStat]>): void
  remove(path: string, version: number, callback: Callback<[]>): void
}

/** An ACL entry as the driver models it (an instance of its `ACL` class). */
export interface DriverAcl {
  readonly permission: number
  readonly id: { readonly scheme: string; readonly id: string }
}

/** One operation of a driver transaction, as its `Transaction` stores them. */
export interface DriverOp {
  readonly type: number
  readonly path: string
  readonly data?: Buffer | undefined
  readonly acls?: ReadonlyArray<DriverAcl>
  readonly mode?: number
  readonly version?: number
}

/** One result of a committed driver transaction. */
export interface DriverOpResult {
  readonly type: number
  readonly path?: string
  readonly stat?: DriverStat
  readonly err?: number
}

/** A driver transaction (`client.transaction()`). */
export interface DriverTransaction {
  readonly ops: Array<DriverOp>
  commit(callback: Callback<[ReadonlyArray<DriverOpResult>]>): void
}

/** The module's exports we use. */
export interface Driver {
  readonly ACL: new (permission: number, id: unknown) => DriverAcl
  readonly Id: new (scheme: string, id: string) => unknown
  readonly Exception: { create(code: number): Error }
  createClient(
    connectString: string,
    options: { readonly sessionTimeout: number; readonly spinDelay: number; readonly retries: number }
  ): DriverClient
}

/**
 * Loads node-zookeeper-client (an optional peer dependency, CommonJS without types) on first use. `require`
 * rather than `import()` because the package ships no typings to resolve the specifier against.
 */
export const load = async (): Promise<Driver> => {
  const require = createRequire(import.meta.url)
  const module: unknown = require("node-zookeeper-client")
  const driver = module as Partial<Driver> | undefined
  if (typeof driver?.createClient !== "function") throw new Error("node-zookeeper-client has no createClient")
  return driver as Driver
}

/** Driver state names that matter to the session tracker. */
export const States = {
  connected: "SYNC_CONNECTED",
  connectedReadOnly: "CONNECTED_READ_ONLY",
  disconnected: "DISCONNECTED",
  expired: "EXPIRED",
  authFailed: "AUTH_FAILED"
} as const

/** The driver's create modes. */
export const CreateModes = {
  persistent: 0,
  ephemeral: 1,
  persistentSequential: 2,
  ephemeralSequential: 3
} as const

interface ConnectionManagerInternals {
  packetQueue?: { removeAllListeners(event: string): void; on(event: string, listener: () => void): void }
  onPacketQueueReadable?: () => void
  socket?: { destroy(): void; cork?: () => void; uncork?: () => void }
  connect?: () => void
  pendingBuffer?: Buffer | null
  onSocketData?: (buffer: Buffer) => void
}

const internals = (client: DriverClient): ConnectionManagerInternals | undefined => {
  const manager = (client as unknown as { connectionManager?: ConnectionManagerInternals }).connectionManager
  return typeof manager === "object" && manager !== null ? manager : undefined
}

/**
 * Feeds the driver whole frames only. The driver's own reader handles a chunk holding many responses by
 * copying the rest of the chunk once per response (`Buffer.concat` on every step), which is quadratic: with
 * thousands of requests in flight a burst of answers blocked the event loop for seconds (long enough for
 * the session tracker to declare the session dead). Install before `connect()` (the driver binds its
 * socket listener when it connects).
 */
export const frameSocketData = (client: DriverClient): void => {
  const manager = internals(client)
  const original = manager?.onSocketData
  if (manager === undefined || typeof original !== "function") return
  let pending: Buffer | undefined
  manager.onSocketData = function (this: ConnectionManagerInternals, chunk: Buffer) {
    let buffer = pending === undefined ? chunk : Buffer.concat([pending, chunk])
    pending = undefined
    let offset = 0
    while (buffer.length - offset >= 4) {
      const size = buffer.readInt32BE(offset)
      if (buffer.length - offset < size + 4) break
      const frame = buffer.subarray(offset, offset + size + 4)
      offset += size + 4
      this.pendingBuffer = null
      original.call(this, frame)
    }
    if (offset < buffer.length) {
      buffer = buffer.subarray(offset)
      pending = Buffer.from(buffer)
    }
  }
}

/**
 * Batches the driver's socket writes: it writes each request as it is queued (a system call per request);
 * corked until the next tick, all requests queued in one tick leave in one `writev`. Install before
 * `connect()`.
 */
export const batchWrites = (client: DriverClient): void => {
  const manager = internals(client)
  const original = manager?.onPacketQueueReadable
  const queue = manager?.packetQueue
  if (manager === undefined || typeof original !== "function" || queue === undefined) return
  let corked: { uncork?: () => void } | undefined
  const wrapped = function (this: ConnectionManagerInternals): void {
    const socket = this.socket
    if (corked === undefined && socket?.cork !== undefined) {
      socket.cork()
      corked = socket
      process.nextTick(() => {
        const held = corked
        corked = undefined
        held?.uncork?.()
      })
    }
    original.call(this)
  }
  manager.onPacketQueueReadable = wrapped
  queue.removeAllListeners("readable")
  queue.on("readable", () => wrapped.call(manager))
}

/**
 * Runs `f` (which queues many requests) with the socket corked, so the driver's one `write` per request
 * becomes one `writev` for all of them: thousands of small writes otherwise cost a system call each.
 */
export const corked = (client: DriverClient, f: () => void): void => {
  const socket = internals(client)?.socket
  socket?.cork?.()
  try {
    f()
  } finally {
    socket?.uncork?.()
  }
}

/**
 * Drops the client's socket so the driver reconnects, to the next server in its list, with the same session.
 * The driver has no read timeout: a server that stops answering (paused, partitioned) would otherwise keep
 * the client waiting forever.
 */
export const dropSocket = (client: DriverClient): void => {
  internals(client)?.socket?.destroy()
}

/**
 * Closes a client for good: no reconnect attempts after this (the driver would otherwise keep dialling a
 * server that never answers). When `graceMs > 0`, waits for the server to acknowledge the session close
 * (so its ephemeral nodes are gone when this resolves) for at most `graceMs`; then drops the socket.
 */
export const shutdown = (client: DriverClient, graceMs: number): Promise<void> => {
  const manager = internals(client)
  if (manager !== undefined) manager.connect = () => {}
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer)
      manager?.socket?.destroy()
      client.removeAllListeners()
      resolve()
    }
    const timer = setTimeout(finish, graceMs)
    client.on("state", (state) => {
      if (state.name === States.disconnected) finish()
    })
    try {
      client.close()
    } catch {
      finish()
    }
  })
}

/** Reads an 8-byte big-endian signed integer. */
export const int64 = (buffer: Buffer): bigint => (buffer.length >= 8 ? buffer.readBigInt64BE(0) : 0n)
