import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync, readlinkSync } from "node:fs"
import { createConnection } from "node:net"
import { Fields, NodeId, Report } from "@orchestrator/core"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { dockerFixture, requireDocker } from "../../../test/fixtures/index.js"
import { freePorts } from "../../../test/fixtures/process.js"
import { canonicalAddress, decodeProcAddress, endpointIdOf, formatIPv6 } from "../src/internal/proc/address.js"
import { isDnat, parseConntrack, parseFlow } from "../src/internal/proc/conntrack.js"
import { addNamespace, EndpointSet, natTable } from "../src/internal/proc/endpoints.js"
import { NetworkScanner } from "../src/internal/proc/namespaces.js"
import { parseSocketTable, parseSockstat, tcpSignature } from "../src/internal/proc/sockets.js"
import * as NetworkCollector from "../src/NetworkCollector.js"
import { conntrackList, nfConntrackAcct, nfConntrackNat, procNetTcpNat } from "./proc/captured.js"
import { scopedContainer } from "./docker/helpers.js"
import { type Child, collectorRun, decodeReport, healthyRun, scopedScript, spawnScript } from "./proc/helpers.js"

const hostId = "test-host"
const probe = { hostId, probeId: "p1" }

/** A node without timestamps: latest values, parents and adjacency. */
const shape = (node: Report.Node | undefined) =>
  node === undefined
    ? undefined
    : {
        latest: Object.fromEntries(Object.entries(node.latest).map(([key, value]) => [key, value.value])),
        parents: node.parents,
        adjacency: node.adjacency
      }

const local = (address: string, port: number, protocol: "tcp" | "udp", state: string, tcpState?: string) => ({
  addr: address,
  port: String(port),
  protocol,
  socket_state: state,
  ...(tcpState === undefined ? {} : { tcp_state: tcpState })
})

const pid = (p: number) => NodeId.processId(hostId, p)
const id = (address: string, port: number, protocol: "tcp" | "udp" = "tcp") =>
  NodeId.endpointId(hostId, address, port, protocol)

describe("socket table parsers", () => {
  it("decodes /proc/net addresses to the text NodeId.normalizeAddress gives", () => {
    expect(decodeProcAddress("0100007F")).toBe("127.0.0.1")
    expect(decodeProcAddress("0200A8C0")).toBe("192.168.0.2")
    expect(decodeProcAddress("00000000000000000000000001000000")).toBe("::1")
    expect(decodeProcAddress("00000000000000000000000000000000")).toBe("::")
    expect(decodeProcAddress("0000000000000000FFFF00000100007F")).toBe("127.0.0.1")
    expect(decodeProcAddress("000080FE00000000FF0F02A9FE4D8CC0")).toBe("fe80::a902:fff:c08c:4dfe")
    expect(decodeProcAddress("zz")).toBeUndefined()
    // Random addresses, zero runs included, against the core's URL-based canonical form.
    let seed = 7
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed
    }
    for (let i = 0; i < 2_000; i++) {
      const h = Array.from({ length: 8 }, () => (next() % 3 === 0 ? 0 : next() % 65536))
      const full = h.map((n) => n.toString(16).padStart(4, "0")).join(":")
      expect(formatIPv6(h)).toBe(NodeId.normalizeAddress(full))
      expect(canonicalAddress(full)).toBe(NodeId.normalizeAddress(full))
      for (const scope of [hostId, "h/netns/1"]) {
        const address = formatIPv6(h)
        const expected = NodeId.endpointId(hostId, full, 443, "udp")
        expect(endpointIdOf(scope, address, 443, "udp")).toBe(
          NodeId.isHostLocalAddress(address) ? expected.replace(hostId, scope) : expected
        )
      }
    }
    expect(endpointIdOf(hostId, "127.0.0.1", 80, "tcp")).toBe(NodeId.endpointId(hostId, "127.0.0.1", 80))
    expect(endpointIdOf(hostId, "10.0.0.7", 80, "tcp")).toBe(NodeId.endpointId(hostId, "10.0.0.7", 80))
  })

  it("reads a real /proc/net/tcp: listeners, connections, TIME_WAIT without an inode", () => {
    expect(parseSocketTable(procNetTcpNat, "tcp")).toEqual([
      {
        protocol: "tcp",
        localAddress: "0.0.0.0",
        localPort: 2024,
        remoteAddress: "0.0.0.0",
        remotePort: 0,
        state: 10,
        inode: 1151
      },
      {
        protocol: "tcp",
        localAddress: "127.0.0.1",
        localPort: 18081,
        remoteAddress: "0.0.0.0",
        remotePort: 0,
        state: 10,
        inode: 680567
      },
      {
        protocol: "tcp",
        localAddress: "127.0.0.1",
        localPort: 33382,
        remoteAddress: "127.0.0.1",
        remotePort: 18081,
        state: 6,
        inode: 0
      },
      {
        protocol: "tcp",
        localAddress: "127.0.0.1",
        localPort: 50284,
        remoteAddress: "127.0.0.1",
        remotePort: 18090,
        state: 1,
        inode: 680568
      },
      {
        protocol: "tcp",
        localAddress: "127.0.0.1",
        localPort: 18081,
        remoteAddress: "127.0.0.1",
        remotePort: 50284,
        state: 1,
        inode: 680569
      }
    ])
    expect(parseSocketTable("  sl  local_address\n   0: garbage\n", "udp")).toEqual([])
  })

  it("reads socket counts and a TCP signature that moves when a connection opens", async () => {
    expect(
      parseSockstat(
        "sockets: used 228\nTCP: inuse 4 orphan 0 tw 3 alloc 9 mem 29\nUDP: inuse 2 mem 0\nUDPLITE: inuse 0\n",
        "TCP6: inuse 5\nUDP6: inuse 1\nUDPLITE6: inuse 0\n"
      )
    ).toEqual({ tcp: 4, udp: 2, timeWait: 3, tcp6: 5, udp6: 1 })
    const signature = () =>
      tcpSignature(
        readFileSync("/proc/self/net/snmp", "latin1"),
        readFileSync("/proc/self/net/sockstat", "latin1"),
        readFileSync("/proc/self/net/sockstat6", "latin1")
      )
    const before = signature()
    expect(before).toMatch(/^\d+,\d+,\d+,\d+,\d+,\d+,\d+,\d+,\d+$/)
    const [port] = await freePorts(1)
    const server = (await import("node:net")).createServer().listen(port, "127.0.0.1")
    await new Promise((r) => server.once("listening", r))
    const socket = createConnection(port!, "127.0.0.1")
    await new Promise((r) => socket.once("connect", r))
    expect(signature()).not.toBe(before)
    socket.destroy()
    server.close()
  })
})

/** A flow between two ports of one address, as conntrack lists it: `[packets, bytes]` sent each way. */
const flowOn = (
  protocol: "tcp" | "udp",
  state: string | undefined,
  address: string,
  [sport, dport]: readonly [number, number],
  [sentPackets, sentBytes]: readonly [number, number],
  [repliedPackets, repliedBytes]: readonly [number, number],
  unreplied = false
) => ({
  protocol,
  ...(state === undefined ? {} : { state }),
  original: { src: address, dst: address, sport, dport, packets: sentPackets, bytes: sentBytes },
  reply: { src: address, dst: address, sport: dport, dport: sport, packets: repliedPackets, bytes: repliedBytes },
  unreplied
})

describe("conntrack parsers (lines captured on this machine)", () => {
  it("reads /proc/net/nf_conntrack and `conntrack -L -o extended` alike, with counters", () => {
    const flows = parseConntrack(nfConntrackAcct)
    expect(parseConntrack(conntrackList)).toEqual(flows)
    expect(flows).toEqual([
      flowOn("tcp", "ESTABLISHED", "127.0.0.1", [33382, 18081], [2, 112], [1, 60]),
      flowOn("tcp", "TIME_WAIT", "127.0.0.1", [33372, 18081], [5, 272], [5, 277]),
      flowOn("tcp", "TIME_WAIT", "::1", [40044, 18081], [5, 372], [5, 377]),
      flowOn("udp", undefined, "127.0.0.1", [43527, 18082], [1, 30], [0, 0], true)
    ])
    expect(flows.some(isDnat)).toBe(false)
    expect(parseConntrack(nfConntrackAcct, 2)).toHaveLength(2)
    expect(parseFlow("ipv4 2 icmp 1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=1 src=10.0.0.2 dst=10.0.0.1")).toBe(
      undefined
    )
  })

  it("points a DNAT'ed connection at the real server, as the socket table alone cannot", () => {
    const flows = parseConntrack(nfConntrackNat)
    expect(flows.map(isDnat)).toEqual([true])
    expect([...natTable(flows)]).toEqual([
      ["tcp;127.0.0.1;50284;127.0.0.1;18090", { address: "127.0.0.1", port: 18081 }]
    ])
    const build = (nat: ReturnType<typeof natTable> | undefined) => {
      const set = new EndpointSet(hostId, 1)
      addNamespace(
        set,
        {
          scope: hostId,
          host: true,
          sockets: parseSocketTable(procNetTcpNat, "tcp"),
          owner: {},
          holder: (inode) =>
            inode === 680568 ? { pid: 42, cgroup: {} } : inode === 680567 ? { pid: 7, cgroup: {} } : undefined
        },
        nat
      )
      return set.nodes()
    }
    // Without conntrack the client also points at the address it dialled, where nothing listens (the server's
    // own table already shows who accepted).
    expect(build(undefined)[id("127.0.0.1", 50284)]!.adjacency).toEqual([
      id("127.0.0.1", 18081),
      id("127.0.0.1", 18090)
    ])
    const nodes = build(natTable(flows))
    expect(shape(nodes[id("127.0.0.1", 50284)])).toEqual({
      latest: local("127.0.0.1", 50284, "tcp", "connected", "ESTABLISHED"),
      parents: { processes: [pid(42)], hosts: [hostId] },
      adjacency: [id("127.0.0.1", 18081)]
    })
    // The server's accepted socket and the TIME_WAIT one left by an earlier connection belong to the listener.
    expect(shape(nodes[id("127.0.0.1", 18081)])).toEqual({
      latest: local("127.0.0.1", 18081, "tcp", "listening", "LISTEN"),
      parents: { processes: [pid(7)], hosts: [hostId] },
      adjacency: []
    })
    expect(nodes[id("127.0.0.1", 33382)]!.adjacency).toEqual([id("127.0.0.1", 18081)])
    expect(nodes[id("127.0.0.1", 18090)]).toBeUndefined()
  })
})

const serverScript = `
import net from "node:net"
import dgram from "node:dgram"
const listen = (host) => new Promise((r) => {
  const s = net.createServer((c) => c.on("data", (d) => c.write(d)))
  s.listen(0, host, () => r(s.address().port))
})
const bind = (type, host) => new Promise((r) => {
  const s = dgram.createSocket(type)
  s.on("message", () => {})
  s.bind(0, host, () => r(s.address().port))
})
const ready = { tcp4: await listen("127.0.0.1"), tcp6: await listen("::1"), udp4: await bind("udp4", "127.0.0.1"), udp6: await bind("udp6", "::1") }
console.log(JSON.stringify(ready))
setInterval(() => {}, 1000)
`

const clientScript = `
import net from "node:net"
import dgram from "node:dgram"
const [tcp4, tcp6, udp4] = process.argv.slice(-3).map(Number)
const connect = (port, host) => new Promise((r) => { const c = net.connect(port, host, () => r(c)) })
const a = await connect(tcp4, "127.0.0.1")
const b = await connect(tcp6, "::1")
const u = dgram.createSocket("udp4")
await new Promise((r) => u.connect(udp4, "127.0.0.1", r))
u.send("hello")
console.log(JSON.stringify({ tcp4: a.localPort, tcp6: b.localPort, udp4: u.address().port }))
setInterval(() => {}, 1000)
`

interface ServerPorts {
  readonly tcp4: number
  readonly tcp6: number
  readonly udp4: number
  readonly udp6: number
}

describe("NetworkCollector (real sockets on loopback)", () => {
  it.live("reports TCP and UDP endpoints on 127.0.0.1 and ::1 with their processes and client -> server edges", () =>
    Effect.gen(function* () {
      const server = yield* scopedScript<ServerPorts>(serverScript)
      const s = server.ready
      const client = yield* scopedScript<{ tcp4: number; tcp6: number; udp4: number }>(clientScript, {
        argv: [String(s.tcp4), String(s.tcp6), String(s.udp4)]
      })
      const c = client.ready
      const fragment = yield* Effect.flatten(collectorRun(probe, NetworkCollector.plugin()))
      expect(fragment.health).toEqual([healthyRun("network/collector/network")])
      const nodes = fragment.topologies.endpoints!
      const serverParents = { processes: [pid(server.pid)], hosts: [hostId] }
      // Listeners; the accepted connection shares the listener's id and shows as listening.
      expect(shape(nodes[id("127.0.0.1", s.tcp4)])).toEqual({
        latest: local("127.0.0.1", s.tcp4, "tcp", "listening", "LISTEN"),
        parents: serverParents,
        adjacency: []
      })
      expect(shape(nodes[id("::1", s.tcp6)])).toEqual({
        latest: local("::1", s.tcp6, "tcp", "listening", "LISTEN"),
        parents: serverParents,
        adjacency: []
      })
      expect(shape(nodes[id("127.0.0.1", s.udp4, "udp")])).toEqual({
        latest: local("127.0.0.1", s.udp4, "udp", "listening"),
        parents: serverParents,
        adjacency: []
      })
      expect(shape(nodes[id("::1", s.udp6, "udp")])).toEqual({
        latest: local("::1", s.udp6, "udp", "listening"),
        parents: serverParents,
        adjacency: []
      })
      // Clients: adjacency from the side that opened the connection to the side that accepted it. Linux hands the
      // same ephemeral port to connections with different destinations, so under a busy test run another
      // process's connection may share a client endpoint: it must hold ours, and may hold more.
      const clientSide = { processes: expect.arrayContaining([pid(client.pid)]), hosts: [hostId] }
      expect(shape(nodes[id("127.0.0.1", c.tcp4)])).toEqual({
        latest: local("127.0.0.1", c.tcp4, "tcp", "connected", "ESTABLISHED"),
        parents: clientSide,
        adjacency: expect.arrayContaining([id("127.0.0.1", s.tcp4)])
      })
      expect(shape(nodes[id("::1", c.tcp6)])).toEqual({
        latest: local("::1", c.tcp6, "tcp", "connected", "ESTABLISHED"),
        parents: clientSide,
        adjacency: expect.arrayContaining([id("::1", s.tcp6)])
      })
      expect(shape(nodes[id("127.0.0.1", c.udp4, "udp")])).toEqual({
        latest: local("127.0.0.1", c.udp4, "udp", "connected"),
        parents: clientSide,
        adjacency: expect.arrayContaining([id("127.0.0.1", s.udp4, "udp")])
      })
      // Every node is keyed by its id and survives the wire format.
      const decoded = decodeReport(hostId, { endpoints: nodes })
      expect(decoded.topologies.endpoints!.nodes[id("::1", c.tcp6)]).toEqual(nodes[id("::1", c.tcp6)])
      for (const [key, node] of Object.entries(nodes)) expect(node.id).toBe(key)
    })
  )

  it.live("reads a private network namespace once, scopes its loopback, and skips its TCP table while it is idle", () =>
    Effect.gen(function* () {
      const script = `
import net from "node:net"
const server = net.createServer((c) => c.on("data", () => {}))
await new Promise((r) => server.listen(0, "127.0.0.1", r))
const port = server.address().port
const clients = []
const connect = () => new Promise((r) => { const c = net.connect(port, "127.0.0.1", () => { clients.push(c); r(c.localPort) }) })
console.log(JSON.stringify({ port, client: await connect() }))
process.on("SIGUSR2", async () => console.log(JSON.stringify({ client: await connect() })))
setInterval(() => {}, 1000)
`
      const child = yield* scopedScript<{ port: number; client: number }>(script, { netns: true })
      const netns = /\[(\d+)\]/.exec(readlinkSync(`/proc/${child.pid}/ns/net`))![1]!
      expect(netns).not.toBe(/\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/net"))![1])
      const scope = NetworkCollector.namespaceScope(hostId, netns, false)
      expect(scope).toBe(`${hostId}/netns/${netns}`)
      const scanner = new NetworkScanner({ procRoot: "/proc", recheckEvery: 20, tableMaxAge: 1_000_000 })
      const find = () => scanner.scan().find((ns) => ns.netns === netns)!
      const endpoints = (ns: ReturnType<typeof find>) => {
        const set = new EndpointSet(hostId, 1)
        addNamespace(set, {
          scope,
          host: false,
          sockets: ns.sockets,
          owner: ns.owner,
          holder: (inode) => {
            const holder = scanner.holderOf(inode)
            return holder === undefined ? undefined : { pid: holder, cgroup: scanner.ownerOfPid(holder) }
          }
        })
        return set.nodes()
      }
      const first = find()
      expect(first).toMatchObject({ host: false, pids: [child.pid], tcpRead: "new", owner: {} })
      const listener = `${scope};127.0.0.1;${child.ready.port}`
      const clientId = (port: number) => `${scope};127.0.0.1;${port}`
      const parents = { processes: [pid(child.pid)], hosts: [hostId] }
      expect(shape(endpoints(first)[clientId(child.ready.client)])).toEqual({
        latest: local("127.0.0.1", child.ready.client, "tcp", "connected", "ESTABLISHED"),
        parents,
        adjacency: [listener]
      })
      expect(shape(endpoints(first)[listener])?.parents).toEqual(parents)
      // Nothing moved in the namespace: its TCP table is not read again, its sockets are still reported.
      const second = find()
      expect(second.tcpRead).toBe(false)
      expect(second.sockets).toEqual(first.sockets)
      // A new connection moves its counters: the table is read again and the connection shows.
      process.kill(child.pid, "SIGUSR2")
      const { client } = yield* Effect.promise(() => child.nextLine<{ client: number }>())
      const third = find()
      expect(third.tcpRead).toBe("moved")
      expect(shape(endpoints(third)[clientId(client)])).toEqual({
        latest: local("127.0.0.1", client, "tcp", "connected", "ESTABLISHED"),
        parents,
        adjacency: [listener]
      })
    })
  )

  it.live("re-reads a namespace whose socket holder exited: a server restarted on its port gets its new process", () =>
    Effect.gen(function* () {
      const script = `
import { spawn } from "node:child_process"
const worker = (port) => new Promise((r) => {
  const code = 'const s = require("net").createServer().listen(' + port + ', "127.0.0.1", () => console.log(s.address().port)); setInterval(() => {}, 1000)'
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] })
  child.stdout.once("data", (d) => r({ child, port: Number(String(d)) }))
})
let current = await worker(0)
console.log(JSON.stringify({ pid: current.child.pid, port: current.port }))
process.on("SIGUSR2", async () => {
  current.child.kill("SIGKILL")
  await new Promise((r) => current.child.once("exit", r))
  current = await worker(current.port)
  console.log(JSON.stringify({ pid: current.child.pid, port: current.port }))
})
process.on("SIGTERM", () => { current.child.kill("SIGKILL"); process.exit(0) })
setInterval(() => {}, 1000)
`
      const child = yield* scopedScript<{ pid: number; port: number }>(script, { netns: true })
      const netns = /\[(\d+)\]/.exec(readlinkSync(`/proc/${child.pid}/ns/net`))![1]!
      const scanner = new NetworkScanner({ procRoot: "/proc", recheckEvery: 20, tableMaxAge: 1_000_000 })
      const listenerHolder = () => {
        const ns = scanner.scan().find((n) => n.netns === netns)!
        const listener = ns.sockets.find((s) => s.localPort === child.ready.port)!
        return { tcpRead: ns.tcpRead, holder: scanner.holderOf(listener.inode) }
      }
      expect(listenerHolder()).toEqual({ tcpRead: "new", holder: child.ready.pid })
      expect(listenerHolder()).toEqual({ tcpRead: false, holder: child.ready.pid })
      // Same port, same counts, no connection opened: only the holder's exit tells the table changed.
      process.kill(child.pid, "SIGUSR2")
      const restarted = yield* Effect.promise(() => child.nextLine<{ pid: number; port: number }>())
      expect(restarted.port).toBe(child.ready.port)
      expect(restarted.pid).not.toBe(child.ready.pid)
      expect(listenerHolder()).toEqual({ tcpRead: "holder-exited", holder: restarted.pid })
    })
  )

  it("reads far fewer fd links than the naive walk once the inode table is warm", () => {
    let naive = 0
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue
      try {
        naive += readdirSync(`/proc/${name}/fd`).length
      } catch {
        // exited
      }
    }
    const scanner = new NetworkScanner({ procRoot: "/proc", recheckEvery: 20, tableMaxAge: 4 })
    scanner.scan()
    const first = scanner.stats.owners
    scanner.scan()
    const second = scanner.stats.owners
    expect(first.walked).toBeGreaterThan(0)
    expect(first.links).toBeGreaterThan(0)
    // Warm: new processes, busy holders and a rolling 1/20 of the processes only.
    expect(second.links).toBeLessThan(naive / 4)
    expect(second.unresolved).toBeLessThanOrEqual(second.unknown)
  })
})

const iptables = (binary: string, args: ReadonlyArray<string>): boolean => {
  try {
    execFileSync(binary, [...args], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/** Whether this kernel can track connections: a conntrack rule can be added (and is removed at once). */
const canTrack = (() => {
  const rule = [
    "OUTPUT",
    "-m",
    "conntrack",
    "--ctstate",
    "NEW",
    "-m",
    "comment",
    "--comment",
    `probe-check-${process.pid}`
  ]
  const ok = ["iptables", "ip6tables"].every((binary) => iptables(binary, ["-A", ...rule, "-j", "ACCEPT"]))
  for (const binary of ["iptables", "ip6tables"]) iptables(binary, ["-D", ...rule, "-j", "ACCEPT"])
  return ok
})()

describe.skipIf(!canTrack)("NetworkCollector with conntrack (the kernel's table on this machine)", () => {
  const comment = `orchestrator-probe-test-${process.pid}`
  const track = ["OUTPUT", "-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", comment, "-j", "ACCEPT"]
  const acctPath = "/proc/sys/net/netfilter/nf_conntrack_acct"
  let acct: string | undefined
  let natRule: Array<string> | undefined
  let server: Child<ServerPorts> | undefined
  let dialled = 0
  let client: Child<{ tcp: number; udp: number }> | undefined

  beforeAll(async () => {
    // Connections are tracked once a rule uses conntrack; counters need accounting on. Both undone after.
    iptables("iptables", ["-A", ...track])
    iptables("ip6tables", ["-A", ...track])
    try {
      acct = readFileSync(acctPath, "utf8").trim()
      execFileSync("sysctl", ["-qw", "net.netfilter.nf_conntrack_acct=1"])
    } catch {
      acct = undefined
    }
    server = await spawnScript<ServerPorts>(serverScript)
    ;[dialled] = (await freePorts(1)) as [number]
    natRule = [
      "OUTPUT",
      "-t",
      "nat",
      "-p",
      "tcp",
      "-d",
      "127.0.0.1",
      "--dport",
      String(dialled),
      "-m",
      "comment",
      "--comment",
      comment,
      "-j",
      "DNAT",
      "--to-destination",
      `127.0.0.1:${server.ready.tcp4}`
    ]
    iptables("iptables", ["-A", ...natRule])
    // A TCP client that dials the NAT'ed port and stays; a UDP datagram from a socket closed at once.
    client = await spawnScript<{ tcp: number; udp: number }>(
      `
import net from "node:net"
import dgram from "node:dgram"
const [dialled, udp] = process.argv.slice(-2).map(Number)
const c = await new Promise((r) => { const c = net.connect(dialled, "127.0.0.1", () => r(c)) })
c.write("x".repeat(1000))
await new Promise((r) => c.once("data", r))
const u = dgram.createSocket("udp4")
await new Promise((r) => u.bind(0, "127.0.0.1", r))
const port = u.address().port
await new Promise((r) => u.send("hello", udp, "127.0.0.1", r))
u.close()
console.log(JSON.stringify({ tcp: c.localPort, udp: port }))
setInterval(() => {}, 1000)
`,
      { argv: [String(dialled), String(server.ready.udp4)] }
    )
  })

  afterAll(async () => {
    await client?.stop()
    await server?.stop()
    if (natRule !== undefined) iptables("iptables", ["-D", ...natRule])
    iptables("iptables", ["-D", ...track])
    iptables("ip6tables", ["-D", ...track])
    if (acct !== undefined) execFileSync("sysctl", ["-qw", `net.netfilter.nf_conntrack_acct=${acct}`])
  })

  const collect = (options: NetworkCollector.Options) =>
    Effect.flatten(collectorRun(probe, NetworkCollector.plugin(), options))

  it.live(
    "from /proc/net/nf_conntrack: NAT'ed connections reach the real server, short-lived flows show, with counters",
    () =>
      Effect.gen(function* () {
        const s = server!.ready
        const c = client!.ready
        const fragment = yield* collect({ conntrack: true })
        expect(fragment.health.map((h) => [h.name, h.status])).toEqual([["network/collector/network", "ok"]])
        const nodes = fragment.topologies.endpoints!
        // The socket table says the client dialled `dialled`; conntrack says who answered.
        const tcp = nodes[id("127.0.0.1", c.tcp)]!
        expect(tcp.adjacency).toEqual([id("127.0.0.1", s.tcp4)])
        expect(tcp.parents).toEqual({ processes: [pid(client!.pid)], hosts: [hostId] })
        expect(nodes[id("127.0.0.1", dialled)]).toBeUndefined()
        if (acct !== undefined) {
          expect(Number(Report.latest(tcp, "bytes_sent"))).toBeGreaterThan(1000)
          expect(Number(Report.latest(tcp, "bytes_received"))).toBeGreaterThan(1000)
          expect(Number(Report.latest(tcp, "packets_sent"))).toBeGreaterThanOrEqual(2)
        }
        // The UDP socket is closed: only conntrack remembers the datagram.
        const udp = nodes[id("127.0.0.1", c.udp, "udp")]!
        expect(udp.adjacency).toEqual([id("127.0.0.1", s.udp4, "udp")])
        expect(udp.parents).toEqual({})
        if (acct !== undefined) expect(Report.latest(udp, "packets_sent")).toBe("1")
        expect(Report.latest(nodes[id("127.0.0.1", s.udp4, "udp")]!, Fields.Latest.socketState)).toBe("listening")
      })
  )

  it.live("from `conntrack -L` when the file is missing", () =>
    Effect.gen(function* () {
      const c = client!.ready
      const fragment = yield* collect({ conntrack: true, conntrackFile: "/nonexistent/nf_conntrack" })
      expect(fragment.health.map((h) => [h.name, h.status])).toEqual([["network/collector/network", "ok"]])
      const nodes = fragment.topologies.endpoints!
      expect(nodes[id("127.0.0.1", c.udp, "udp")]!.adjacency).toEqual([id("127.0.0.1", server!.ready.udp4, "udp")])
      expect(nodes[id("127.0.0.1", c.tcp)]!.adjacency).toEqual([id("127.0.0.1", server!.ready.tcp4)])
    })
  )

  it.live("reports missing conntrack as degraded health and still reports sockets", () =>
    Effect.gen(function* () {
      const fragment = yield* collect({
        conntrack: true,
        conntrackFile: "/nonexistent/nf_conntrack",
        conntrackCommand: "/nonexistent/conntrack"
      })
      expect(fragment.health).toEqual([
        healthyRun("network/collector/network"),
        {
          name: "network/conntrack",
          status: "degraded",
          message: expect.stringContaining(
            "/nonexistent/nf_conntrack is not readable and `/nonexistent/conntrack -L` failed"
          ),
          timestamp: expect.any(Number)
        }
      ])
      const nodes = fragment.topologies.endpoints!
      expect(nodes[id("127.0.0.1", server!.ready.tcp4)]!.parents).toEqual({
        processes: [pid(server!.pid)],
        hosts: [hostId]
      })
      expect(nodes[id("127.0.0.1", client!.ready.udp, "udp")]).toBeUndefined()
    })
  )
})

describe.skipIf(dockerFixture() === null)("NetworkCollector (two containers on the Docker bridge)", () => {
  it.live("shows the HTTP connection between their bridge addresses, each end under its container", () =>
    Effect.gen(function* () {
      const { socketPath, testImage } = requireDocker()
      const tag = `${process.pid}-${Date.now()}`
      const server = yield* scopedContainer(
        socketPath,
        testImage,
        ["httpd", "-f", "-p", "8080", "-h", "/bin"],
        `probe-net-httpd-${tag}`
      )
      const client = yield* scopedContainer(
        socketPath,
        testImage,
        ["sh", "-c", `while true; do wget -q -O /dev/null http://${server.ip}:8080/busybox; done`],
        `probe-net-wget-${tag}`
      )
      expect(server.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
      const collect = yield* collectorRun(probe, NetworkCollector.plugin())
      const serverId = NodeId.endpointId(hostId, server.ip, 8080)
      // wget connections are short: collect until one run catches the client's socket open.
      const deadline = Date.now() + 20_000
      let nodes: Record<string, Report.Node> = {}
      for (;;) {
        nodes = (yield* collect).topologies.endpoints!
        const caught = Object.values(nodes).some(
          (n) =>
            n.id.startsWith(`;${client.ip};`) &&
            n.adjacency.includes(serverId) &&
            n.parents.containers?.[0] === client.id
        )
        if (caught) break
        if (Date.now() > deadline) throw new Error("no wget -> httpd connection seen in 20 s")
        yield* Effect.sleep(50)
      }
      const clientEnd = Object.values(nodes).find(
        (n) =>
          n.id.startsWith(`;${client.ip};`) && n.adjacency.includes(serverId) && n.parents.containers?.[0] === client.id
      )!
      expect(clientEnd.parents).toMatchObject({ hosts: [hostId], containers: [client.id] })
      expect(Report.latest(clientEnd, Fields.Latest.address)).toBe(client.ip)
      const serverEnd = nodes[serverId]!
      expect(serverEnd.parents.containers).toEqual([server.id])
      expect(serverEnd.parents.processes).toEqual([pid(server.pid)])
      expect(Report.latest(serverEnd, Fields.Latest.port)).toBe("8080")
      // The listener lives in the server container's namespace: its wildcard address is scoped there.
      const netns = /\[(\d+)\]/.exec(readlinkSync(`/proc/${server.pid}/ns/net`))![1]!
      const wildcard = Object.values(nodes).find(
        (n) =>
          n.id.startsWith(`${hostId}/netns/${netns};`) &&
          n.id.endsWith(";8080") &&
          Report.latest(n, "tcp_state") === "LISTEN"
      )!
      expect(wildcard.parents).toEqual({ processes: [pid(server.pid)], hosts: [hostId], containers: [server.id] })
    })
  )
})

// Last: its closed connections move the kernel's TCP counters, which the namespace tests above watch.
describe("NetworkCollector (closed connections)", () => {
  it.live("shows closed connections (TIME_WAIT) once per client address and server, however many there were", () =>
    Effect.gen(function* () {
      // 40 connections the client closes first (TIME_WAIT on the client's side) and 40 the server closes first
      // (TIME_WAIT on the server's side), in a namespace of their own so no other socket of the host shows.
      const script = `
import net from "node:net"
const serve = (closeFirst) => new Promise((r) => {
  const s = net.createServer((c) => { if (closeFirst) c.end(); else c.on("end", () => c.end()) })
  s.listen(0, "127.0.0.1", () => r(s.address().port))
})
const clientCloses = await serve(false)
const serverCloses = await serve(true)
const once = (port, closeFirst) => new Promise((r) => {
  const c = net.connect(port, "127.0.0.1", () => { if (closeFirst) c.end() })
  c.on("end", () => c.end())
  c.on("close", r)
})
for (let i = 0; i < 40; i++) await once(clientCloses, true)
for (let i = 0; i < 40; i++) await once(serverCloses, false)
console.log(JSON.stringify({ clientCloses, serverCloses }))
setInterval(() => {}, 1000)
`
      const child = yield* scopedScript<{ clientCloses: number; serverCloses: number }>(script, { netns: true })
      const netns = /\[(\d+)\]/.exec(readlinkSync(`/proc/${child.pid}/ns/net`))![1]!
      const scope = NetworkCollector.namespaceScope(hostId, netns, false)
      const scanner = new NetworkScanner({ procRoot: "/proc", recheckEvery: 20, tableMaxAge: 1_000_000 })
      const ns = scanner.scan().find((n) => n.netns === netns)!
      const timeWait = ns.sockets.filter((socket) => socket.state === 6)
      expect(timeWait.length).toBe(80)
      const set = new EndpointSet(hostId, 1)
      addNamespace(set, { scope, host: false, sockets: ns.sockets, owner: ns.owner, holder: () => undefined })
      const nodes = Object.values(set.nodes())
      const at = (port: number) => `${scope};127.0.0.1;${port}`
      // One closed client endpoint points at the server the client closed on...
      const clients = nodes.filter((n) => Report.latest(n, "tcp_state") === "TIME_WAIT")
      expect(clients.map((n) => n.adjacency)).toEqual([[at(child.ready.clientCloses)]])
      // ...and one client endpoint points at the server that closed first.
      expect(nodes.filter((n) => n.adjacency.includes(at(child.ready.serverCloses))).length).toBe(1)
      expect(nodes.length).toBe(4)
    })
  )
})
