/**
 * A plain node-zookeeper-client connection (no Effect, none of core's layer): reads the registration's znodes
 * the way a Curator `ServiceDiscovery` does (children of `<root>/<name>`, then each child's JSON).
 */
import { createRequire } from "node:module"

interface PlainStat {
  readonly ephemeralOwner: Buffer
}

interface PlainClient {
  connect(): void
  close(): void
  once(event: "connected", listener: () => void): void
  getSessionId(): Buffer
  getChildren(path: string, callback: (error: Error | null, children: Array<string>) => void): void
  getData(path: string, callback: (error: Error | null, data: Buffer | undefined, stat: PlainStat) => void): void
  create(path: string, data: Buffer, mode: number, callback: (error: Error | null) => void): void
  mkdirp(path: string, callback: (error: Error | null) => void): void
}

interface PlainDriver {
  createClient(connectString: string, options: { sessionTimeout: number }): PlainClient
  readonly CreateMode: { readonly EPHEMERAL: number }
}

const driver = createRequire(import.meta.url)("node-zookeeper-client") as PlainDriver

const call = <A>(f: (done: (error: Error | null, value: A) => void) => void): Promise<A> =>
  new Promise((resolve, reject) => f((error, value) => (error === null ? resolve(value) : reject(error))))

/** An instance as a Curator reader gets it: the parsed JSON and the owner session of its znode. */
export interface ReadInstance {
  readonly id: string
  readonly json: Record<string, unknown>
  readonly owner: bigint
}

/** A connected plain client. */
export const connectPlain = async (connectString: string) => {
  const client = driver.createClient(connectString, { sessionTimeout: 4_000 })
  await new Promise<void>((resolve) => {
    client.once("connected", () => resolve())
    client.connect()
  })
  return {
    sessionId: () => client.getSessionId().readBigInt64BE(0),
    /** Children names of a node, sorted; `[]` when it does not exist. */
    children: (path: string): Promise<Array<string>> =>
      call<Array<string>>((done) => client.getChildren(path, done)).then(
        (children) => [...children].sort(),
        (error: Error) => (error.message.includes("NO_NODE") ? [] : Promise.reject(error))
      ),
    /** Every instance of a service, as Curator's `queryForInstances(name)` reads them. */
    instances: async (root: string, name: string): Promise<Array<ReadInstance>> => {
      const ids = await call<Array<string>>((done) => client.getChildren(`${root}/${name}`, done)).catch(() => [])
      const read = await Promise.all(
        [...ids].sort().map(
          (id) =>
            new Promise<ReadInstance>((resolve, reject) =>
              client.getData(`${root}/${name}/${id}`, (error, data, stat) =>
                error === null
                  ? resolve({
                      id,
                      json: JSON.parse(data?.toString("utf8") ?? "null") as Record<string, unknown>,
                      owner: stat.ephemeralOwner.readBigInt64BE(0)
                    })
                  : reject(error)
              )
            )
        )
      )
      return read
    },
    /** Creates an ephemeral node of this client's session (and its parents). */
    createEphemeral: async (path: string, data: string) => {
      await call<void>((done) => client.mkdirp(path.slice(0, path.lastIndexOf("/")), (e) => done(e, undefined)))
      await call<void>((done) =>
        client.create(path, Buffer.from(data), driver.CreateMode.EPHEMERAL, (e) => done(e, undefined))
      )
    },
    close: () => client.close()
  }
}

/** Polls `check` until it returns true. */
export const eventually = async (check: () => Promise<boolean>, timeoutMs = 10_000, what = "a condition") => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
