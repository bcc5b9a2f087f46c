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
  create(path: string, data: Buffer | undefined, mode: number, callback: Callback<[string]>): void
  setData(path: string, data: Buffer, version: number, callback: Callback<[DriverStat]>): void
  remove(path: string, version: number, callback: Callback<[]>): void
}

/** The module's exports we use. */
export interface Driver {
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
  socket?: { destroy(): void }
  connect?: () => void
}

const internals = (client: DriverClient): ConnectionManagerInternals | undefined => {
  const manager = (client as unknown as { connectionManager?: ConnectionManagerInternals }).connectionManager
  return typeof manager === "object" && manager !== null ? manager : undefined
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
