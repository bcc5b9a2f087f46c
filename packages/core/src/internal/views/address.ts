/**
 * Address helpers for views: reading endpoint ids cheaply, telling public from private addresses and naming
 * the subnet an unknown peer belongs to. No `node:net` so that the UI can bundle it.
 *
 * @since 0.1.0
 */

/**
 * The address part of an endpoint id (`scope;address;port[;udp]`).
 *
 * @since 0.1.0
 * @category internal
 */
export interface EndpointParts {
  readonly scope: string
  readonly address: string
  readonly port: string
  readonly protocol: "tcp" | "udp"
}

/**
 * Splits an endpoint id into scope, address, port and protocol, or `undefined` when it is not one.
 *
 * @since 0.1.0
 * @category internal
 */
export const endpointParts = (id: string): EndpointParts | undefined => {
  const parts = id.split(";")
  const udp = parts[parts.length - 1] === "udp"
  const n = parts.length - (udp ? 1 : 0)
  if (n < 3) return undefined
  return {
    scope: parts.slice(0, n - 2).join(";"),
    address: parts[n - 2]!,
    port: parts[n - 1]!,
    protocol: udp ? "udp" : "tcp"
  }
}

/**
 * Parses a dotted IPv4 address into a 32-bit unsigned number.
 *
 * @since 0.1.0
 * @category internal
 */
export const parseIPv4 = (address: string): number | undefined => {
  const parts = address.split(".")
  if (parts.length !== 4) return undefined
  let out = 0
  for (const part of parts) {
    if (part.length === 0 || part.length > 3) return undefined
    const n = Number(part)
    if (!Number.isInteger(n) || n < 0 || n > 255) return undefined
    out = out * 256 + n
  }
  return out
}

/**
 * Expands an IPv6 address (compressed or not, with an optional embedded IPv4 tail) into its 8 hextets.
 *
 * @since 0.1.0
 * @category internal
 */
export const expandIPv6 = (address: string): ReadonlyArray<number> | undefined => {
  let text = address.toLowerCase()
  const zone = text.indexOf("%")
  if (zone >= 0) text = text.slice(0, zone)
  if (text.includes(".")) {
    const lastColon = text.lastIndexOf(":")
    const ip4 = parseIPv4(text.slice(lastColon + 1))
    if (lastColon < 0 || ip4 === undefined) return undefined
    text = `${text.slice(0, lastColon + 1)}${Math.floor(ip4 / 65536).toString(16)}:${(ip4 % 65536).toString(16)}`
  }
  const halves = text.split("::")
  if (halves.length > 2) return undefined
  const head = hextets(halves[0]!)
  if (head === undefined) return undefined
  if (halves.length === 1) return head.length === 8 ? head : undefined
  const rest = hextets(halves[1]!)
  if (rest === undefined || head.length + rest.length > 7) return undefined
  return [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest]
}

const hextets = (text: string): Array<number> | undefined => {
  if (text === "") return []
  const out: Array<number> = []
  for (const group of text.split(":")) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return undefined
    out.push(Number.parseInt(group, 16))
  }
  return out
}

const inV4 = (ip: number, base: number, bits: number): boolean => {
  const size = 2 ** (32 - bits)
  return ip >= base && ip < base + size
}

const v4 = (a: number, b: number, c: number, d: number): number => ((a * 256 + b) * 256 + c) * 256 + d

const privateV4 = (ip: number): boolean =>
  inV4(ip, v4(10, 0, 0, 0), 8) ||
  inV4(ip, v4(172, 16, 0, 0), 12) ||
  inV4(ip, v4(192, 168, 0, 0), 16) ||
  inV4(ip, v4(127, 0, 0, 0), 8) ||
  inV4(ip, v4(169, 254, 0, 0), 16) ||
  inV4(ip, v4(100, 64, 0, 0), 10) ||
  inV4(ip, 0, 8)

/**
 * Whether an address is on the public internet: not RFC 1918, loopback, link-local, carrier-grade NAT,
 * unspecified, IPv6 unique-local (`fc00::/7`, which holds `fd00::/8`) or an IPv4-mapped private address.
 * Strings that are not addresses count as private: they cannot be routed, so they are "unknown peers".
 *
 * @since 0.1.0
 * @category internal
 */
export const isPublicAddress = (address: string): boolean => {
  const ip4 = parseIPv4(address)
  if (ip4 !== undefined) return !privateV4(ip4)
  const ip6 = expandIPv6(address)
  if (ip6 === undefined) return false
  const [a, b, c, d, e, f, g, h] = ip6 as [number, number, number, number, number, number, number, number]
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0) {
    if (f === 0xffff) return !privateV4(g * 65536 + h)
    if (f === 0 && g === 0 && (h === 0 || h === 1)) return false
  }
  if ((a & 0xfe00) === 0xfc00) return false
  if ((a & 0xffc0) === 0xfe80) return false
  return true
}

/**
 * The subnet used to group unknown peers: the `/24` of an IPv4 address, the `/64` of an IPv6 address, or
 * `undefined` for strings that are not addresses.
 *
 * @since 0.1.0
 * @category internal
 */
export const subnetOf = (address: string): string | undefined => {
  const ip4 = parseIPv4(address)
  if (ip4 !== undefined) {
    const base = ip4 - (ip4 % 256)
    return `${Math.floor(base / 16777216)}.${Math.floor(base / 65536) % 256}.${Math.floor(base / 256) % 256}.0/24`
  }
  const ip6 = expandIPv6(address)
  if (ip6 === undefined) return undefined
  const head = ip6.slice(0, 4).map((n) => n.toString(16))
  while (head.length > 0 && head[head.length - 1] === "0") head.pop()
  return `${head.join(":")}::/64`
}
