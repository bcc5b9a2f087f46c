/**
 * Synthetic reports for the UI benchmark and the graph's browser test: containers spread over hosts (one
 * probe per host), each container listening on one endpoint and connected to `edgesPerNode` others, with CPU
 * and memory metrics, labels and a share of stopped containers. Deterministic, so runs compare.
 */
import { Report } from "@orchestrator/core"

/** The shape of a synthetic topology. */
export interface SyntheticOptions {
  readonly containers: number
  /** Containers per host (one probe per host). */
  readonly perHost?: number
  /** Outgoing connections per container (to distinct containers). */
  readonly edgesPerNode?: number
  /** Distinct images (the containers view's rank). */
  readonly images?: number
  /** Probes reporting (hosts are dealt out to them); default one per host. */
  readonly probes?: number
}

/** A container's 64-hex id. */
export const containerId = (index: number): string => index.toString(16).padStart(8, "0").repeat(8)

/** A container's name. */
export const containerName = (index: number): string => `svc-${Math.floor(index / 7)}-${index % 7}`

/** A host's name. */
export const hostName = (index: number): string => `host-${String(index).padStart(3, "0")}`

const address = (index: number) => `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`

/** Deterministic pseudo-random numbers in [0, 1). */
const random = (seed: number) => {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 4294967296
  }
}

/** The peers container `index` connects to. */
export const peersOf = (index: number, options: SyntheticOptions): Array<number> => {
  const n = options.containers
  const k = Math.min(options.edgesPerNode ?? 2, n - 1)
  const next = random(index * 2654435761 + 7)
  const perHost = options.perHost ?? 50
  const out = new Set<number>()
  while (out.size < k) {
    // Mostly within the host (a service and its sidecars), sometimes across hosts.
    const local = next() < 0.6
    const base = local ? Math.floor(index / perHost) * perHost : 0
    const span = local ? Math.min(perHost, n - base) : n
    const peer = base + Math.floor(next() * span)
    if (peer !== index) out.add(peer)
  }
  return [...out]
}

interface ContainerState {
  readonly cpu: number
  readonly memory: number
  readonly state: string
}

const baseState = (index: number): ContainerState => {
  const next = random(index + 99)
  return {
    cpu: Math.round(next() * 800) / 10,
    memory: Math.round((32 + next() * 900) * 1024 * 1024),
    state: index % 20 === 19 ? "exited" : "running"
  }
}

/** The state after update `round`: `share` of the containers changed CPU (and some their state). */
const updatedState = (index: number, round: number, share: number): ContainerState | undefined => {
  const step = Math.max(1, Math.round(1 / share))
  if ((index + round) % step !== 0) return undefined
  const base = baseState(index)
  const next = random(index * 31 + round * 7919)
  return {
    cpu: Math.round(next() * 1900) / 10,
    memory: base.memory + Math.round(next() * 64 * 1024 * 1024),
    state: next() < 0.2 ? (base.state === "running" ? "exited" : "running") : base.state
  }
}

const containerNode = (index: number, options: SyntheticOptions, state: ContainerState, now: number) =>
  Report.makeNode("containers", containerId(index), {
    latest: Report.latestFields(now, {
      docker_container_name: `/${containerName(index)}`,
      docker_container_state: state.state,
      docker_image_name: `registry.example/app-${index % (options.images ?? 24)}:1.${index % 5}`
    }),
    labels: Report.latestFields(now, {
      app: `app-${index % (options.images ?? 24)}`,
      tier: index % 3 === 0 ? "frontend" : index % 3 === 1 ? "backend" : "data"
    }),
    parents: { hosts: [hostName(Math.floor(index / (options.perHost ?? 50)))] },
    metrics: state.state === "running" ? { cpu: [[now, state.cpu]], memory: [[now, state.memory]] } : {},
    controls: state.state === "running" ? ["docker.stop"] : ["docker.start"]
  })

const listenId = (index: number) => `;${address(index)};80`

const endpointNodes = (index: number, options: SyntheticOptions, now: number) => {
  const owner = { containers: [containerId(index)] }
  const nodes = [
    Report.makeNode("endpoints", listenId(index), {
      latest: Report.latestFields(now, { addr: address(index), port: 80 }),
      parents: owner
    })
  ]
  peersOf(index, options).forEach((peer, k) => {
    nodes.push(
      Report.makeNode("endpoints", `;${address(index)};${40000 + k}`, {
        latest: Report.latestFields(now, { addr: address(index), port: 40000 + k }),
        parents: owner,
        adjacency: [listenId(peer)]
      })
    )
  })
  return nodes
}

const report = (
  probeId: string,
  kind: "full" | "delta",
  seq: number,
  nodes: ReadonlyArray<Report.Node>,
  now: number
): Report.Report => {
  const topologies: Record<string, { nodes: Record<string, Report.Node> }> = {}
  for (const node of nodes) {
    topologies[node.topology] ??= { nodes: {} }
    topologies[node.topology]!.nodes[node.id] = node
  }
  return { version: 1, probeId, hostname: probeId, kind, seq, timestamp: now, topologies }
}

const hostCount = (options: SyntheticOptions) => Math.ceil(options.containers / (options.perHost ?? 50))

/** The probes' ids. */
export const probeIds = (options: SyntheticOptions): Array<string> =>
  Array.from({ length: options.probes ?? hostCount(options) }, (_, p) => `probe-${p}`)

/** The hosts each probe reports. */
const hostsOf = (options: SyntheticOptions, probe: number): Array<number> => {
  const probes = options.probes ?? hostCount(options)
  return Array.from({ length: hostCount(options) }, (_, h) => h).filter((h) => h % probes === probe)
}

/** One full report per probe: its hosts' host nodes, containers and endpoints. */
export const fullReports = (options: SyntheticOptions, now: number): Array<Report.Report> => {
  const perHost = options.perHost ?? 50
  return probeIds(options).map((probeId, p) => {
    const nodes: Array<Report.Node> = []
    for (const h of hostsOf(options, p)) {
      nodes.push(Report.makeNode("hosts", hostName(h), { latest: Report.latestFields(now, { name: hostName(h) }) }))
      for (let i = h * perHost; i < Math.min(options.containers, (h + 1) * perHost); i++) {
        nodes.push(containerNode(i, options, baseState(i), now), ...endpointNodes(i, options, now))
      }
    }
    return report(probeId, "full", 0, nodes, now)
  })
}

/** Delta reports (`seq` = round) in which `share` of the containers changed; probes without changes send none. */
export const updateReports = (
  options: SyntheticOptions,
  round: number,
  now: number,
  share = 0.1
): Array<Report.Report> => {
  const perHost = options.perHost ?? 50
  const out: Array<Report.Report> = []
  probeIds(options).forEach((probeId, p) => {
    const nodes: Array<Report.Node> = []
    for (const h of hostsOf(options, p)) {
      for (let i = h * perHost; i < Math.min(options.containers, (h + 1) * perHost); i++) {
        const state = updatedState(i, round, share)
        if (state !== undefined) nodes.push(containerNode(i, options, state, now))
      }
    }
    if (nodes.length > 0) out.push(report(probeId, "delta", round, nodes, now))
  })
  return out
}

/** How many containers {@link updateReports} changes. */
export const changedCount = (options: SyntheticOptions, round: number, share = 0.1): number => {
  let n = 0
  for (let i = 0; i < options.containers; i++) if (updatedState(i, round, share) !== undefined) n++
  return n
}

/** Publishes reports like probes do: registers each probe once, then posts its reports. */
export const publish = async (
  url: string,
  reports: ReadonlyArray<Report.Report>,
  registered: Set<string> = new Set()
): Promise<void> => {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    })
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`)
  }
  for (const r of reports) {
    if (!registered.has(r.probeId)) {
      await post("/api/v1/agents/register", { agentId: r.probeId, hostname: r.hostname, version: "synthetic" })
      registered.add(r.probeId)
    }
    await post("/api/v1/reports", r)
  }
}
