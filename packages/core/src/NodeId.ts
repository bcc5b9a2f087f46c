/**
 * Stable node ids. Every collector builds ids with these functions so that the same thing seen by two probes
 * (or by two collectors of one probe) gets the same id and merges into one node.
 *
 * | topology          | id                                  | example                                  |
 * |-------------------|-------------------------------------|------------------------------------------|
 * | hosts             | host id (the hostname)              | `node-1`                                 |
 * | processes         | `<host id>;<pid>`                   | `node-1;4242`                            |
 * | containers        | full container id                   | `9f1c…` (64 hex digits)                  |
 * | container_images  | image id                            | `sha256:1d2f…`                           |
 * | endpoints         | `<scope>;<address>;<port>[;udp]`    | `;10.0.0.7;80`, `node-1;127.0.0.1;5432`  |
 * | pods, services,   | Kubernetes uid                      | `0b6f3f3e-…`                             |
 * | deployments       |                                     |                                          |
 * | namespaces        | namespace name                      | `default`                                |
 *
 * Endpoint scope is empty for addresses that identify one machine on the network, and the host id for
 * loopback and link-local addresses (which every host has), so `127.0.0.1:80` on two hosts stays two nodes.
 * IPv6 addresses are written in their compressed form (`::1`, `fd00::7`); the `;` separator keeps them
 * unambiguous.
 *
 * @since 0.1.0
 */
import { isIP } from "node:net"

/**
 * The id of a process node.
 *
 * @since 0.1.0
 * @category constructors
 */
export const processId = (hostId: string, pid: number): string => `${hostId};${pid}`

/**
 * Whether an address is one that every host has (loopback, link-local, unspecified), so it needs a scope.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isHostLocalAddress = (address: string): boolean => {
  const a = address.toLowerCase()
  if (isIP(a) === 4) return a.startsWith("127.") || a.startsWith("169.254.") || a === "0.0.0.0"
  if (a.startsWith("::ffff:")) return isHostLocalAddress(a.slice(7))
  return a === "::1" || a === "::" || a.startsWith("fe80:")
}

/**
 * The canonical text of an IP address: IPv6 compressed and lower-case (`FD00:0:0::7` -> `fd00::7`), IPv4 as
 * is, IPv4-mapped IPv6 as the IPv4 address (`::ffff:10.0.0.1` -> `10.0.0.1`). Anything else is returned
 * unchanged.
 *
 * @since 0.1.0
 * @category constructors
 */
export const normalizeAddress = (address: string): string => {
  if (isIP(address) !== 6) return address
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return mapped[1]!
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1)
  } catch {
    return address.toLowerCase()
  }
}

/**
 * The parts of an endpoint id.
 *
 * @since 0.1.0
 * @category models
 */
export interface EndpointAddress {
  readonly scope: string
  readonly address: string
  readonly port: number
  readonly protocol: "tcp" | "udp"
}

/**
 * The id of an endpoint node: an address and port, scoped to a host when the address is host-local.
 *
 * @since 0.1.0
 * @category constructors
 */
export const endpointId = (hostId: string, address: string, port: number, protocol: "tcp" | "udp" = "tcp"): string => {
  const normal = normalizeAddress(address)
  const scope = isHostLocalAddress(normal) ? hostId : ""
  return `${scope};${normal};${port}${protocol === "udp" ? ";udp" : ""}`
}

/**
 * Reads an endpoint id back into its parts, or `undefined` when the string is not one.
 *
 * @since 0.1.0
 * @category parsers
 */
export const parseEndpointId = (id: string): EndpointAddress | undefined => {
  const parts = id.split(";")
  if (parts.length !== 3 && parts.length !== 4) return undefined
  const [scope, address, portText, proto] = parts as [string, string, string, string | undefined]
  const port = Number(portText)
  if (!Number.isInteger(port) || port < 0 || port > 65535 || isIP(address) === 0) return undefined
  if (proto !== undefined && proto !== "udp") return undefined
  return { scope, address, port, protocol: proto === "udp" ? "udp" : "tcp" }
}

/**
 * Reads a process id back into host id and pid, or `undefined` when the string is not one.
 *
 * @since 0.1.0
 * @category parsers
 */
export const parseProcessId = (id: string): { readonly hostId: string; readonly pid: number } | undefined => {
  const at = id.lastIndexOf(";")
  if (at <= 0) return undefined
  const pid = Number(id.slice(at + 1))
  return Number.isInteger(pid) && pid > 0 ? { hostId: id.slice(0, at), pid } : undefined
}
