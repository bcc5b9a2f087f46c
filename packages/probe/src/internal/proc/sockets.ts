/**
 * Parsers for the socket tables of one network namespace, /proc/<pid>/net/{tcp,tcp6,udp,udp6}, and for the
 * counters that tell whether its TCP sockets changed (/proc/<pid>/net/snmp, sockstat, sockstat6).
 */
import { decodeProcAddress } from "./address.js"

/** One socket of a table. */
export interface Socket {
  readonly protocol: "tcp" | "udp"
  readonly localAddress: string
  readonly localPort: number
  readonly remoteAddress: string
  /** 0 for listening and unconnected sockets. */
  readonly remotePort: number
  /** The kernel's state number (`0x0A` listen, `0x01` established...). */
  readonly state: number
  /** The socket's inode, the link target of its file descriptors (`socket:[<inode>]`); 0 when no file holds it. */
  readonly inode: number
}

/**
 * Names of TCP states by the number the kernel writes (`include/net/tcp_states.h`).
 */
export const tcpStates: ReadonlyArray<string> = [
  "",
  "ESTABLISHED",
  "SYN_SENT",
  "SYN_RECV",
  "FIN_WAIT1",
  "FIN_WAIT2",
  "TIME_WAIT",
  "CLOSE",
  "CLOSE_WAIT",
  "LAST_ACK",
  "LISTEN",
  "CLOSING",
  "NEW_SYN_RECV"
]

/** The state number of a listening TCP socket. */
export const TCP_LISTEN = 0x0a
/** The state number of an established connection (also a connected UDP socket). */
export const TCP_ESTABLISHED = 0x01
/** The state number of a closed connection the kernel keeps for a while (a minute on Linux). */
export const TCP_TIME_WAIT = 0x06

const space = 32

/** Splits a line into its whitespace-separated columns, stopping after `limit` columns. */
const columns = (line: string, limit: number): Array<string> => {
  const out: Array<string> = []
  let i = 0
  const n = line.length
  while (i < n && out.length < limit) {
    while (i < n && line.charCodeAt(i) <= space) i++
    const start = i
    while (i < n && line.charCodeAt(i) > space) i++
    if (i > start) out.push(line.slice(start, i))
  }
  return out
}

const endpoint = (column: string): { readonly address: string; readonly port: number } | undefined => {
  const colon = column.indexOf(":")
  if (colon < 0) return undefined
  const address = decodeProcAddress(column.slice(0, colon))
  const port = Number.parseInt(column.slice(colon + 1), 16)
  return address === undefined || !Number.isInteger(port) ? undefined : { address, port }
}

/**
 * Reads a /proc/net/{tcp,tcp6,udp,udp6} table: `sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...`.
 * Lines that do not parse are skipped.
 */
export const parseSocketTable = (text: string, protocol: "tcp" | "udp"): Array<Socket> => {
  const out: Array<Socket> = []
  let start = text.indexOf("\n") + 1
  while (start > 0 && start < text.length) {
    let end = text.indexOf("\n", start)
    if (end < 0) end = text.length
    const f = columns(text.slice(start, end), 10)
    start = end + 1
    if (f.length < 10) continue
    const local = endpoint(f[1]!)
    const remote = endpoint(f[2]!)
    const state = Number.parseInt(f[3]!, 16)
    const inode = Number(f[9])
    if (local === undefined || remote === undefined || !Number.isInteger(state) || !Number.isInteger(inode)) continue
    out.push({
      protocol,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state,
      inode
    })
  }
  return out
}

/** Socket counts of one namespace from sockstat and sockstat6. */
export interface SocketCounts {
  readonly tcp: number
  readonly tcp6: number
  readonly udp: number
  readonly udp6: number
  /** TIME_WAIT sockets of both families. */
  readonly timeWait: number
}

const count = (text: string, label: string, key: string): number => {
  const at = text.indexOf(`${label}:`)
  if (at < 0) return 0
  const end = text.indexOf("\n", at)
  const line = text.slice(at, end < 0 ? text.length : end)
  const k = line.indexOf(` ${key} `)
  if (k < 0) return 0
  const value = Number.parseInt(line.slice(k + key.length + 2), 10)
  return Number.isInteger(value) ? value : 0
}

/** Reads the socket counts of /proc/net/sockstat and sockstat6 (either may be missing: no IPv6). */
export const parseSockstat = (sockstat: string, sockstat6: string | undefined): SocketCounts => ({
  tcp: count(sockstat, "TCP", "inuse"),
  udp: count(sockstat, "UDP", "inuse"),
  timeWait: count(sockstat, "TCP", "tw"),
  tcp6: sockstat6 === undefined ? 0 : count(sockstat6, "TCP6", "inuse"),
  udp6: sockstat6 === undefined ? 0 : count(sockstat6, "UDP6", "inuse")
})

/**
 * A fingerprint of a namespace's TCP sockets: the `Tcp:` counters of /proc/net/snmp that move when a
 * connection opens, fails, resets or leaves the established state (ActiveOpens, PassiveOpens, AttemptFails,
 * EstabResets, CurrEstab), plus the in-use, orphan and TIME_WAIT counts of sockstat. While it stays the same
 * no connection was opened or closed, so the (costly) TCP tables need not be read again.
 */
export const tcpSignature = (snmp: string, sockstat: string, sockstat6: string | undefined): string => {
  const names = snmp.indexOf("\nTcp:")
  const values = names < 0 ? -1 : snmp.indexOf("\nTcp:", names + 5)
  let counters = ""
  if (values >= 0) {
    const header = columns(snmp.slice(names + 1, snmp.indexOf("\n", names + 1)), 64)
    const row = columns(snmp.slice(values + 1, snmp.indexOf("\n", values + 1)), 64)
    for (const name of ["ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets", "CurrEstab"]) {
      counters += `${row[header.indexOf(name)] ?? "?"},`
    }
  }
  const counts = `${count(sockstat, "TCP", "inuse")},${count(sockstat, "TCP", "orphan")},${count(sockstat, "TCP", "tw")}`
  return `${counters}${counts},${sockstat6 === undefined ? "-" : count(sockstat6, "TCP6", "inuse")}`
}
