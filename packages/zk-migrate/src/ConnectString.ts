/**
 * Parsing ZooKeeper connection strings before handing them to the client, so a typo fails with a clear
 * message instead of a driver assertion.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidConnectString } from "./Errors.js"

/**
 * A parsed connection string.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectString {
  readonly servers: ReadonlyArray<{ readonly host: string; readonly port: number }>
  /** The chroot suffix (`/apps`), or `""`. */
  readonly chroot: string
  /** The normalized text (`host:port,...[/chroot]`). */
  readonly text: string
}

const hostPattern =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/

/**
 * Parses `host:port[,host:port...][/chroot]` (the port defaults to 2181).
 *
 * @since 0.1.0
 * @category constructors
 */
export const parse = (input: string): Effect.Effect<ConnectString, InvalidConnectString> =>
  Effect.suspend(() => {
    const fail = (reason: string) => Effect.fail(new InvalidConnectString({ input, reason }))
    const trimmed = input.trim()
    if (trimmed === "") return fail("it is empty")
    const slash = trimmed.indexOf("/")
    const hosts = slash < 0 ? trimmed : trimmed.slice(0, slash)
    const chroot = slash < 0 ? "" : trimmed.slice(slash).replace(/\/+$/, "")
    if (chroot !== "" && !/^(\/[^/\s]+)+$/.test(chroot)) return fail(`chroot ${JSON.stringify(chroot)} is not a path`)
    const servers: Array<{ host: string; port: number }> = []
    for (const part of hosts.split(",")) {
      const entry = part.trim()
      if (entry === "") return fail("it has an empty server entry")
      const match = /^(.*?)(?::(\d+))?$/.exec(entry)
      const host = match?.[1] ?? ""
      const portText = match?.[2]
      if (!hostPattern.test(host)) return fail(`${JSON.stringify(entry)} is not host[:port]`)
      const port = portText === undefined ? 2181 : Number.parseInt(portText, 10)
      if (!(port >= 1 && port <= 65535)) return fail(`port ${portText} of ${JSON.stringify(entry)} is not in 1-65535`)
      servers.push({ host, port })
    }
    return Effect.succeed({
      servers,
      chroot,
      text: `${servers.map((s) => `${s.host}:${s.port}`).join(",")}${chroot}`
    })
  })
