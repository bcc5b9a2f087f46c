/**
 * IP addresses as the kernel writes them in /proc/net/{tcp,udp}[6] (hex words in host byte order) and in
 * conntrack tables (full IPv6 text), turned into the canonical text `NodeId.normalizeAddress` gives (IPv6
 * compressed and lower-case, IPv4-mapped IPv6 as IPv4), without the URL parser it uses, because this runs
 * for every socket on every run. Endpoint ids are built the way `NodeId.endpointId` builds them.
 */
import { endianness } from "node:os"
import { NodeId } from "@orchestrator/core"

const littleEndian = endianness() === "LE"

/** The canonical text of 8 IPv6 hextets. */
export const formatIPv6 = (h: ReadonlyArray<number>): string => {
  if (h[0] === 0 && h[1] === 0 && h[2] === 0 && h[3] === 0 && h[4] === 0 && h[5] === 0xffff) {
    return `${h[6]! >> 8}.${h[6]! & 255}.${h[7]! >> 8}.${h[7]! & 255}`
  }
  // The longest run of two or more zero hextets becomes "::" (the first such run on a tie, RFC 5952).
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    if (h[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && h[j] === 0) j++
    if (j - i > bestLength) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  const hex = (from: number, to: number) => {
    const parts: Array<string> = []
    for (let i = from; i < to; i++) parts.push(h[i]!.toString(16))
    return parts.join(":")
  }
  if (bestStart < 0) return hex(0, 8)
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`
}

const byte = (text: string, at: number): number => Number.parseInt(text.slice(at, at + 2), 16)

/** One 32-bit word of a /proc/net address as 4 bytes in network order. */
const wordBytes = (text: string, at: number): [number, number, number, number] => {
  const b0 = byte(text, at)
  const b1 = byte(text, at + 2)
  const b2 = byte(text, at + 4)
  const b3 = byte(text, at + 6)
  return littleEndian ? [b3, b2, b1, b0] : [b0, b1, b2, b3]
}

const cache = new Map<string, string>()

/**
 * Decodes the address part of a /proc/net/{tcp,udp}[6] column (`0100007F` -> `127.0.0.1`,
 * `00000000000000000000000001000000` -> `::1`), or `undefined` for text that is not one.
 */
export const decodeProcAddress = (hex: string): string | undefined => {
  const hit = cache.get(hex)
  if (hit !== undefined) return hit
  let out: string | undefined
  if (hex.length === 8) {
    const [a, b, c, d] = wordBytes(hex, 0)
    out = `${a}.${b}.${c}.${d}`
  } else if (hex.length === 32) {
    const h: Array<number> = []
    for (let w = 0; w < 4; w++) {
      const [a, b, c, d] = wordBytes(hex, w * 8)
      h.push((a << 8) | b, (c << 8) | d)
    }
    out = formatIPv6(h)
  }
  if (out === undefined || out.includes("NaN")) return undefined
  // Addresses repeat (the host's own, loopback, busy peers); the cache stays small.
  if (cache.size > 8192) cache.clear()
  cache.set(hex, out)
  return out
}

/**
 * The canonical text of an address from a conntrack table: IPv4 as is, IPv6 (written in full,
 * `0000:…:0001`, by /proc/net/nf_conntrack) compressed.
 */
export const canonicalAddress = (text: string): string => {
  if (!text.includes(":")) return text
  const halves = text.split("::")
  const head = halves[0] === "" ? [] : halves[0]!.split(":")
  const tail = halves.length > 1 && halves[1] !== "" ? halves[1]!.split(":") : []
  if (halves.length > 2 || head.length + tail.length > 8 || (halves.length === 1 && head.length !== 8)) return text
  const fill = new Array<string>(8 - head.length - tail.length).fill("0")
  const h = [...head, ...fill, ...tail].map((part) => Number.parseInt(part, 16))
  return h.some((n) => !Number.isInteger(n) || n < 0 || n > 0xffff) ? text : formatIPv6(h)
}

/**
 * The endpoint id of a canonical address, the same string `NodeId.endpointId` builds, with `scope` used for
 * host-local addresses (loopback, link-local, unspecified): the host id, or a namespace scope for a
 * container's own loopback.
 */
export const endpointIdOf = (scope: string, address: string, port: number, protocol: "tcp" | "udp"): string =>
  `${NodeId.isHostLocalAddress(address) ? scope : ""};${address};${port}${protocol === "udp" ? ";udp" : ""}`
