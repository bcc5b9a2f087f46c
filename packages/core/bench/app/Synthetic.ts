/**
 * Deterministic synthetic probes for the app benchmark. Each simulated host has 10 containers, 100 processes
 * (90 in containers, 10 on the host) that listen on one port each, and 200 outbound connections: 90% to a
 * listening process on another host (so most edges are container to container, across hosts), 5% to public
 * addresses and 5% to unknown private peers.
 *
 * Like Scope's probes, a connection shows up as endpoint nodes on both sides: the local (client) endpoint
 * with its process, container and host as parents and adjacency to the remote endpoint id, plus a bare node
 * for the remote endpoint (address and port only). The remote host reports the listening endpoint with its
 * own parents, so the app merges nodes reported by several probes.
 *
 * Everything is seeded per host (mulberry32), so two runs build the same reports; only timestamps follow the
 * wall clock (the time-series store and latest-value merging need them to move forward).
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { endpointId, processId } from "../../src/NodeId.js"
import { latestFields, makeNode, type Node, type Report, type Sample } from "../../src/Report.js"

/** Shape of every host. */
export const CONTAINERS = 10
export const PROCESSES = 100
export const CONNECTIONS = 200
/** Share of a report's nodes a typical delta changes. */
export const DELTA_SHARE = 0.05
/** The publish interval the probes are simulated at. */
export const INTERVAL_MS = 15_000
/** The label key that carries latency markers (see {@link HostSim.delta}). */
export const MARKER_LABEL = "bench_marker"

/** A small deterministic PRNG (mulberry32) returning numbers in [0, 1). */
export const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296
}

const IMAGES = ["nginx:1.25", "redis:7", "postgres:16", "example/api:2.3.1", "example/worker:2.3.1"] as const
const USERS = ["root", "www-data", "app", "postgres"] as const
const PROCESS_NAMES = 25

/** The host id (and hostname) of host `h`. */
export const hostName = (h: number): string => `ip-10-${(h >> 8) & 255}-${h & 255}-10.ec2.internal`
/** The primary address of host `h`. */
export const hostIp = (h: number): string => `10.${(h >> 8) & 255}.${h & 255}.10`
/** The probe id of host `h`. */
export const probeName = (h: number): string => `probe-${h}`

const listenEndpoint = (h: number, p: number): string => endpointId(hostName(h), hostIp(h), 10_000 + p)

interface Connection {
  readonly port: number
  readonly process: number
  readonly remote: string
}

const sample = (t: number, value: number): ReadonlyArray<Sample> => [[t, Math.round(value * 100) / 100]]

const latest = latestFields
const node = makeNode

/**
 * One simulated probe: its host's static inventory plus the connections it currently has. `full` reports
 * everything; `delta` advances the state (metrics move, two connections close and two open) and reports
 * what changed, about {@link DELTA_SHARE} of the full report's nodes.
 */
export class HostSim {
  readonly host: string
  readonly probeId: string
  readonly ip: string
  private readonly rng: () => number
  private readonly containerIds: Array<string> = []
  private readonly connections: Array<Connection> = []
  private readonly remoteRefs = new Map<string, number>()
  private nextPort = 30_000
  private deltas = 0
  private lastTimestamp = 0
  seq = 0

  constructor(
    readonly index: number,
    readonly hosts: number
  ) {
    this.host = hostName(index)
    this.probeId = probeName(index)
    this.ip = hostIp(index)
    this.rng = prng(index * 7919 + 17)
    for (let c = 0; c < CONTAINERS; c++) {
      this.containerIds.push(createHash("sha256").update(`${index}/${c}`).digest("hex"))
    }
    for (let k = 0; k < CONNECTIONS; k++) this.open()
  }

  /** Node count of a full report (the base of {@link DELTA_SHARE}). */
  get nodeCount(): number {
    return 1 + CONTAINERS + 2 * PROCESSES + this.connections.length + this.remoteRefs.size
  }

  /** A full report with seq `this.seq` (no state change). */
  full(now: number): Report {
    const t = this.stamp(now)
    const topologies: Record<string, Record<string, Node>> = {
      hosts: {},
      containers: {},
      processes: {},
      endpoints: {}
    }
    topologies.hosts![this.host] = this.hostNode(t)
    for (let c = 0; c < CONTAINERS; c++) topologies.containers![this.containerIds[c]!] = this.containerNode(t, c)
    const endpoints = topologies.endpoints!
    for (let p = 0; p < PROCESSES; p++) {
      topologies.processes![processId(this.host, 1000 + p)] = this.processNode(t, p)
      const listen = listenEndpoint(this.index, p)
      endpoints[listen] = this.listenNode(t, p, listen)
    }
    for (const connection of this.connections) {
      const local = this.localNode(t, connection)
      endpoints[local.id] = local
      if (endpoints[connection.remote] === undefined)
        endpoints[connection.remote] = this.remoteNode(t, connection.remote)
    }
    return this.report("full", t, topologies, {})
  }

  /**
   * The next delta: new metrics on the host, one container (rotating) and a rotating slice of processes, two
   * connections closed and two opened. With `marker`, the container also gets the label
   * {@link MARKER_LABEL} with that value, so a WebSocket client can tell when this delta reached it.
   */
  delta(now: number, marker?: string): Report {
    const t = this.stamp(now)
    this.seq++
    const n = this.deltas++
    const hosts: Record<string, Node> = { [this.host]: this.hostNode(t) }
    const c = n % CONTAINERS
    const containers: Record<string, Node> = { [this.containerIds[c]!]: this.containerNode(t, c, marker) }
    const endpoints: Record<string, Node> = {}
    const removed: Array<string> = []
    for (let k = 0; k < 2; k++) {
      const slot = Math.floor(this.rng() * this.connections.length)
      const old = this.connections[slot]!
      removed.push(endpointId(this.host, this.ip, old.port))
      const refs = (this.remoteRefs.get(old.remote) ?? 1) - 1
      if (refs === 0) {
        this.remoteRefs.delete(old.remote)
        removed.push(old.remote)
      } else this.remoteRefs.set(old.remote, refs)
      const fresh = this.open(slot)
      const local = this.localNode(t, fresh)
      endpoints[local.id] = local
      if (this.remoteRefs.get(fresh.remote) === 1) endpoints[fresh.remote] = this.remoteNode(t, fresh.remote)
    }
    const processes: Record<string, Node> = {}
    const changedProcesses = Math.max(1, Math.round(this.nodeCount * DELTA_SHARE) - 2 - Object.keys(endpoints).length)
    for (let i = 0; i < changedProcesses; i++) {
      const p = (n * changedProcesses + i) % PROCESSES
      processes[processId(this.host, 1000 + p)] = this.processNode(t, p)
    }
    // A remote that closed and reopened in the same delta is both removed and re-added: keep it.
    const kept = removed.filter((id) => endpoints[id] === undefined)
    return this.report("delta", t, { hosts, containers, processes, endpoints }, { endpoints: kept })
  }

  private stamp(now: number): number {
    this.lastTimestamp = Math.max(now, this.lastTimestamp + 1)
    return this.lastTimestamp
  }

  private report(
    kind: "full" | "delta",
    t: number,
    topologies: Record<string, Record<string, Node>>,
    removed: Record<string, ReadonlyArray<string>>
  ): Report {
    const out: Record<string, Report["topologies"][string]> = {}
    for (const topology in topologies) {
      const gone = removed[topology]
      out[topology] =
        gone !== undefined && gone.length > 0
          ? { nodes: topologies[topology]!, removed: gone }
          : { nodes: topologies[topology]! }
    }
    return {
      version: 1,
      probeId: this.probeId,
      hostname: this.host,
      kind,
      seq: this.seq,
      timestamp: t,
      intervalMs: INTERVAL_MS,
      topologies: out
    }
  }

  /** Opens a connection (into `slot`, or appended) to a deterministic random remote. */
  private open(slot?: number): Connection {
    const rng = this.rng
    const roll = rng()
    let remote: string
    if (roll < 0.05) remote = `;${13 + Math.floor(rng() * 100)}.${Math.floor(rng() * 255)}.7.7;443`
    else if (roll < 0.1) remote = `;172.20.${Math.floor(rng() * 4)}.${Math.floor(rng() * 255)};8080`
    else {
      let other = Math.floor(rng() * this.hosts)
      if (other === this.index && this.hosts > 1) other = (other + 1) % this.hosts
      remote = listenEndpoint(other, Math.floor(rng() * PROCESSES))
    }
    const connection: Connection = { port: this.nextPort++, process: Math.floor(rng() * PROCESSES), remote }
    if (this.nextPort > 65_000) this.nextPort = 30_000
    this.remoteRefs.set(remote, (this.remoteRefs.get(remote) ?? 0) + 1)
    if (slot === undefined) this.connections.push(connection)
    else this.connections[slot] = connection
    return connection
  }

  private containerOf(p: number): string | undefined {
    return p < (PROCESSES * 9) / 10 ? this.containerIds[p % CONTAINERS] : undefined
  }

  private hostNode(t: number): Node {
    const rng = this.rng
    return node("hosts", this.host, {
      latest: latest(t, {
        name: this.host,
        os: "linux",
        kernel_version: "6.1.0-18-amd64",
        arch: "x86_64",
        cpu_cores: "8",
        memory_total_bytes: String(32 * 1024 ** 3),
        uptime_seconds: String(86_400 + this.seq * 15),
        load1: (rng() * 8).toFixed(2)
      }),
      sets: { ips: [this.ip, "127.0.0.1"] },
      metrics: { cpu: sample(t, rng() * 800), memory: sample(t, rng() * 24 * 1024 ** 3) }
    })
  }

  private containerNode(t: number, c: number, marker?: string): Node {
    const rng = this.rng
    const image = IMAGES[c % IMAGES.length]!
    const app = image.split(":")[0]!
    const labels: Record<string, string> = {
      app,
      team: `team-${c % 3}`,
      "com.docker.compose.project": `stack-${this.index % 50}`
    }
    if (marker !== undefined) labels[MARKER_LABEL] = marker
    return node("containers", this.containerIds[c]!, {
      latest: latest(t, {
        docker_container_name: `/${app.replace("/", "-")}-${c}`,
        docker_container_state: c === CONTAINERS - 1 && this.index % 10 === 0 ? "exited" : "running",
        docker_image_name: image,
        docker_image_id: `sha256:${createHash("sha256").update(image).digest("hex").slice(0, 12)}`,
        docker_container_created: "2026-10-01T12:00:00Z",
        docker_network_mode: "bridge"
      }),
      labels: latest(t, labels),
      metrics: {
        cpu: sample(t, rng() * 100),
        memory: sample(t, rng() * 2e9),
        network_rx_bytes_per_second: sample(t, rng() * 1e6),
        network_tx_bytes_per_second: sample(t, rng() * 1e6)
      },
      parents: { hosts: [this.host], container_images: [`sha256:${image}`] },
      controls: ["docker.stop", "docker.restart", "docker.logs"]
    })
  }

  private processNode(t: number, p: number): Node {
    const rng = this.rng
    const pid = 1000 + p
    const container = this.containerOf(p)
    const name = `proc-${p % PROCESS_NAMES}`
    return node("processes", processId(this.host, pid), {
      latest: latest(t, {
        name,
        pid: String(pid),
        ppid: String(p === 0 ? 1 : 1000),
        cmdline: `/usr/bin/${name} --listen :${10_000 + p} --config /etc/${name}.yaml`,
        user: USERS[p % USERS.length]!,
        threads: String(1 + (p % 16))
      }),
      metrics: { cpu: sample(t, rng() * 10), memory: sample(t, rng() * 1e8) },
      parents: container === undefined ? { hosts: [this.host] } : { hosts: [this.host], containers: [container] }
    })
  }

  private endpointParents(p: number): Record<string, ReadonlyArray<string>> {
    const container = this.containerOf(p)
    const process = [processId(this.host, 1000 + p)]
    return container === undefined
      ? { processes: process, hosts: [this.host] }
      : { processes: process, hosts: [this.host], containers: [container] }
  }

  private listenNode(t: number, p: number, id: string): Node {
    return node("endpoints", id, {
      latest: latest(t, { addr: this.ip, port: String(10_000 + p), socket_state: "listening" }),
      parents: this.endpointParents(p)
    })
  }

  private localNode(t: number, connection: Connection): Node {
    return node("endpoints", endpointId(this.host, this.ip, connection.port), {
      latest: latest(t, { addr: this.ip, port: String(connection.port), socket_state: "connected" }),
      parents: this.endpointParents(connection.process),
      adjacency: [connection.remote]
    })
  }

  private remoteNode(t: number, id: string): Node {
    const [, address = "", port = ""] = id.split(";")
    return node("endpoints", id, { latest: latest(t, { addr: address, port }) })
  }
}

/** Simulated probes for hosts `0 .. hosts - 1`. */
export const makeSims = (hosts: number): Array<HostSim> =>
  Array.from({ length: hosts }, (_, h) => new HostSim(h, hosts))
