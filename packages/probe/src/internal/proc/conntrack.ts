/**
 * Conntrack flows: the kernel's connection tracking table, which keeps short-lived connections (TIME_WAIT,
 * 120 s) and NAT mappings that socket tables cannot show. Read from /proc/net/nf_conntrack when the kernel
 * exposes it, else from `conntrack -L -o extended` (one child process per run). Both print the same lines:
 *
 * ```
 * ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=4242 dport=80 packets=2 bytes=112 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=4242 packets=1 bytes=60 [ASSURED] mark=0 zone=0 use=2
 * ```
 *
 * The first `src dst sport dport` group is the original direction (as the client sent it), the second the
 * reply direction (as the server answers): after destination NAT the reply's source is the real server;
 * after source NAT (masquerade) the reply's destination is the translated client. `packets` and `bytes`
 * appear only with `net.netfilter.nf_conntrack_acct=1`.
 */
import { canonicalAddress } from "./address.js"
import { readProcFile } from "./read.js"

/** One direction of a flow. */
export interface FlowTuple {
  readonly src: string
  readonly dst: string
  readonly sport: number
  readonly dport: number
  readonly packets?: number
  readonly bytes?: number
}

/** One TCP or UDP flow. */
export interface Flow {
  readonly protocol: "tcp" | "udp"
  /** The TCP state (`ESTABLISHED`, `TIME_WAIT`...); absent for UDP. */
  readonly state?: string
  readonly original: FlowTuple
  readonly reply: FlowTuple
  /** No packet was seen in the reply direction yet. */
  readonly unreplied: boolean
}

const tuple = (values: Map<string, string>): FlowTuple | undefined => {
  const src = values.get("src")
  const dst = values.get("dst")
  const sport = Number(values.get("sport"))
  const dport = Number(values.get("dport"))
  if (src === undefined || dst === undefined || !Number.isInteger(sport) || !Number.isInteger(dport)) return undefined
  const packets = values.get("packets")
  const bytes = values.get("bytes")
  return {
    src: canonicalAddress(src),
    dst: canonicalAddress(dst),
    sport,
    dport,
    ...(packets === undefined ? {} : { packets: Number(packets) }),
    ...(bytes === undefined ? {} : { bytes: Number(bytes) })
  }
}

/** Reads one conntrack line (with or without the leading `ipv4 2`), or `undefined` for other protocols. */
export const parseFlow = (line: string): Flow | undefined => {
  const tokens = line.trim().split(/\s+/)
  let i = tokens[0] === "ipv4" || tokens[0] === "ipv6" ? 2 : 0
  const protocol = tokens[i]
  if (protocol !== "tcp" && protocol !== "udp") return undefined
  i += 3 // name, number, timeout
  let state: string | undefined
  if (tokens[i] !== undefined && !tokens[i]!.includes("=") && !tokens[i]!.startsWith("[")) state = tokens[i++]
  const groups: Array<Map<string, string>> = []
  let unreplied = false
  for (; i < tokens.length; i++) {
    const token = tokens[i]!
    if (token === "[UNREPLIED]") unreplied = true
    const eq = token.indexOf("=")
    if (eq < 0) continue
    const key = token.slice(0, eq)
    if (key === "src") {
      if (groups.length === 2) break
      groups.push(new Map())
    }
    groups[groups.length - 1]?.set(key, token.slice(eq + 1))
  }
  if (groups.length !== 2) return undefined
  const original = tuple(groups[0]!)
  const reply = tuple(groups[1]!)
  if (original === undefined || reply === undefined) return undefined
  return { protocol, ...(state === undefined ? {} : { state }), original, reply, unreplied }
}

/** Reads every TCP and UDP flow of a conntrack listing, at most `max` of them. */
export const parseConntrack = (text: string, max = Number.POSITIVE_INFINITY): Array<Flow> => {
  const out: Array<Flow> = []
  for (const line of text.split("\n")) {
    if (out.length >= max) break
    const flow = line === "" ? undefined : parseFlow(line)
    if (flow !== undefined) out.push(flow)
  }
  return out
}

/** Whether a flow's destination was translated (the client dialled another address than the server's). */
export const isDnat = (flow: Flow): boolean =>
  flow.reply.src !== flow.original.dst || flow.reply.sport !== flow.original.dport

/** Where the flows were read, or why they could not be. */
export type ConntrackResult =
  | { readonly _tag: "Read"; readonly source: "file" | "command"; readonly text: string }
  | { readonly _tag: "Unavailable"; readonly reason: string }

/**
 * Reads the conntrack table from `file` when it exists, else by running `command -L -o extended` (at most
 * `timeoutMs`, aborted with `signal`).
 */
export const readConntrack = (options: {
  readonly file: string
  readonly command: string
  readonly timeoutMs: number
  readonly signal?: AbortSignal
  readonly maxBytes: number
}): Promise<ConntrackResult> => {
  const text = readProcFile(options.file, "latin1", options.maxBytes)
  if (text !== undefined) return Promise.resolve({ _tag: "Read", source: "file", text })
  // Loaded here, not at startup: `node:child_process` (with `net` and `dgram` behind it) is 0.4 MB of RSS a
  // probe without the conntrack tool never needs.
  return import("node:child_process").then(
    ({ execFile }) =>
      new Promise<ConntrackResult>((resolve) => {
        execFile(
          options.command,
          ["-L", "-o", "extended"],
          {
            timeout: options.timeoutMs,
            maxBuffer: options.maxBytes,
            encoding: "latin1",
            ...(options.signal === undefined ? {} : { signal: options.signal })
          },
          (error, stdout, stderr) => {
            if (error === null) resolve({ _tag: "Read", source: "command", text: stdout })
            else
              resolve({
                _tag: "Unavailable",
                reason: `${options.file} is not readable and \`${options.command} -L\` failed: ${
                  stderr.trim().split("\n")[0] || error.message
                }`
              })
          }
        )
      })
  )
}
