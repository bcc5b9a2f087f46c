/**
 * Views benchmark: a synthetic merged report of 1,000 hosts, each with 10 containers, 100 processes (90 in
 * containers, 10 on the host) listening on one port each, and 200 outbound connections (90% to processes on
 * other hosts, 5% to public addresses, 5% to unknown private peers), plus one inbound connection per host
 * from the internet. That is 1,000 hosts, 10,000 containers, 100,000 processes and 301,000 endpoints.
 *
 * Times the render of the containers, hosts and processes views (median of a few runs, each a fresh render:
 * the registry cache is bypassed), against a baseline measured in the same run: one pass over every
 * endpoint's adjacency with a map lookup per connection, the least any renderer must do. Then the registry
 * (cache hit, filtered render) and the diff of two renders. Then the case production lives in: the same
 * cluster ingested through the real aggregator (one full report per host), and the first render of a view
 * after one probe's delta (about 5% of its nodes changed), with the registry kept across deltas.
 *
 * Run: `npx tsx packages/core/bench/views.bench.ts` (add `NODE_OPTIONS=--expose-gc` to collect garbage between
 * steps, which makes the figures steadier)
 * Env: `BENCH_HOSTS` (1000), `BENCH_CONTAINERS` (10 per host), `BENCH_PROCESSES` (100 per host),
 * `BENCH_CONNECTIONS` (200 per host), `BENCH_RUNS` (5), `BENCH_ONLY` (views to time, comma-separated),
 * `BENCH_DELTA=0` (skip the aggregator and delta steps).
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { loadavg } from "node:os"
import { Effect, Result } from "effect"
import * as Aggregator from "../src/Aggregator.js"
import * as MergedReport from "../src/MergedReport.js"
import { endpointId, processId } from "../src/NodeId.js"
import type { LatestMap, Node, Report } from "../src/Report.js"
import * as BuiltinViews from "../src/views/BuiltinViews.js"
import * as Diff from "../src/views/Diff.js"
import * as Filters from "../src/views/Filters.js"
import type { Rendering, ViewDefinition } from "../src/views/View.js"
import * as ViewRegistry from "../src/views/ViewRegistry.js"

const env = (name: string, fallback: number) => {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value > 0 ? value : fallback
}

const HOSTS = env("BENCH_HOSTS", 1000)
const CONTAINERS = env("BENCH_CONTAINERS", 10)
const PROCESSES = env("BENCH_PROCESSES", 100)
const CONNECTIONS = env("BENCH_CONNECTIONS", 200)
const RUNS = env("BENCH_RUNS", 5)
const T = 1_750_000_000_000

/** A small deterministic PRNG (mulberry32), so every run builds the same report. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296
}

const empty = Object.freeze({})
const noStrings: ReadonlyArray<string> = Object.freeze([])
const latest = (values: Record<string, string>): LatestMap => {
  const out: Record<string, { value: string; timestamp: number }> = {}
  for (const key in values) out[key] = { value: values[key]!, timestamp: T }
  return out
}
const node = (topology: string, id: string, fields: Partial<Node>): Node => ({
  id,
  topology,
  latest: fields.latest ?? empty,
  labels: fields.labels ?? empty,
  sets: fields.sets ?? empty,
  metrics: fields.metrics ?? empty,
  parents: fields.parents ?? empty,
  adjacency: fields.adjacency ?? noStrings,
  controls: fields.controls ?? noStrings
})

const hostId = (h: number) => `ip-10-${(h >> 8) & 255}-${h & 255}-10.ec2.internal`
const hostIp = (h: number) => `10.${(h >> 8) & 255}.${h & 255}.10`
const listen = (h: number, p: number) => endpointId(hostId(h), hostIp(h), 10_000 + p)

/** The nodes each host's probe reports (the same every call: the PRNG is seeded). */
const generate = (): Array<Array<Node>> => {
  const random = prng(42)
  const perHost: Array<Array<Node>> = []
  const images = ["nginx:1.25", "redis:7", "postgres:16", "example/api:2.3.1", "example/worker:2.3.1"]
  for (let h = 0; h < HOSTS; h++) {
    const nodes: Array<Node> = []
    perHost.push(nodes)
    const host = hostId(h)
    const hosts = [host]
    nodes.push(
      node("hosts", host, {
        latest: latest({ name: host, os: "linux", cpu_cores: "8", memory_total_bytes: String(32 * 1024 ** 3) }),
        metrics: { cpu: [[T, random() * 400]], memory: [[T, random() * 16 * 1024 ** 3]] }
      })
    )
    const containerIds: Array<string> = []
    for (let c = 0; c < CONTAINERS; c++) {
      const id = createHash("sha256").update(`${h}/${c}`).digest("hex")
      containerIds.push(id)
      const image = images[c % images.length]!
      nodes.push(
        node("containers", id, {
          latest: latest({
            docker_container_name: `/${image.split(/[:/]/)[image.includes("/") ? 1 : 0]}-${c}`,
            docker_container_state: c === CONTAINERS - 1 && h % 10 === 0 ? "exited" : "running",
            docker_image_name: image
          }),
          labels: latest({ app: image.split(":")[0]!, team: `team-${c % 3}` }),
          metrics: { cpu: [[T, random() * 100]], memory: [[T, random() * 1e9]] },
          parents: { hosts, container_images: [`sha256:${image}`] }
        })
      )
    }
    const inContainers = Math.floor((PROCESSES * 9) / 10)
    for (let p = 0; p < PROCESSES; p++) {
      const pid = 1000 + p
      const id = processId(host, pid)
      const container = p < inContainers && CONTAINERS > 0 ? containerIds[p % CONTAINERS] : undefined
      const parents = container === undefined ? { hosts } : { hosts, containers: [container] }
      nodes.push(
        node("processes", id, {
          latest: latest({
            name: `proc-${p % 25}`,
            pid: String(pid),
            cmdline: `/usr/bin/proc-${p % 25} --port ${10_000 + p}`
          }),
          metrics: { cpu: [[T, random() * 10]], memory: [[T, random() * 1e8]] },
          parents
        })
      )
      nodes.push(
        node("endpoints", listen(h, p), {
          parents:
            container === undefined ? { processes: [id], hosts } : { processes: [id], hosts, containers: [container] }
        })
      )
    }
    for (let k = 0; k < CONNECTIONS; k++) {
      const p = Math.floor(random() * PROCESSES)
      const container = p < inContainers && CONTAINERS > 0 ? containerIds[p % CONTAINERS] : undefined
      const id = processId(host, 1000 + p)
      const roll = random()
      let remote: string
      if (roll < 0.05) remote = `;${13 + Math.floor(random() * 100)}.${Math.floor(random() * 255)}.7.7;443`
      else if (roll < 0.1) remote = `;172.20.${Math.floor(random() * 4)}.${Math.floor(random() * 255)};8080`
      else {
        let other = Math.floor(random() * HOSTS)
        if (other === h && HOSTS > 1) other = (other + 1) % HOSTS
        remote = listen(other, Math.floor(random() * PROCESSES))
      }
      nodes.push(
        node("endpoints", endpointId(host, hostIp(h), 30_000 + k), {
          parents:
            container === undefined ? { processes: [id], hosts } : { processes: [id], hosts, containers: [container] },
          adjacency: [remote]
        })
      )
    }
    nodes.push(node("endpoints", `;198.51.${h % 256}.9;${40_000 + h}`, { adjacency: [listen(h, 0)] }))
  }
  return perHost
}

const build = () => {
  const nodes = generate().flat()
  // Round-trip through JSON, topology by topology, so strings and objects look like the aggregator's: flat
  // strings from a decoded report (not the rope strings template literals build), no shared objects.
  const decoded: Array<Node> = []
  for (const topology of ["hosts", "containers", "processes", "endpoints"]) {
    const json = JSON.stringify(nodes.filter((n) => n.topology === topology))
    for (const n of JSON.parse(json) as Array<Node>) decoded.push(n)
  }
  return MergedReport.fromNodes(decoded)
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const time = <A>(f: () => A): { readonly ms: number; readonly value: A } => {
  const start = performance.now()
  const value = f()
  return { ms: performance.now() - start, value }
}

/** A full GC between steps when available (`--expose-gc`), so one step's garbage is not billed to the next. */
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {})

/** Median of `RUNS` timed calls after one untimed warm-up call (so the JIT has compiled the hot loops). */
const runs = <A>(f: () => A) => {
  f()
  collect()
  const results = Array.from({ length: RUNS }, () => time(f))
  return { ms: median(results.map((r) => r.ms)), value: results[results.length - 1]!.value }
}

const built = time(build)
const report = built.value
const counts = Object.fromEntries([...report.topologies].map(([t, nodes]) => [t, nodes.size]))
console.log(
  `report: ${HOSTS} hosts × ${CONTAINERS} containers × ${PROCESSES} processes × ${CONNECTIONS} connections per host, ` +
    `built in ${built.ms.toFixed(0)} ms: ${JSON.stringify(counts)}`
)

const baseline = runs(() => {
  const endpoints = report.nodes("endpoints")
  let found = 0
  for (const endpoint of endpoints.values()) {
    for (const target of endpoint.adjacency) if (endpoints.get(target) !== undefined) found++
  }
  return found
})

const view = (id: string): ViewDefinition => BuiltinViews.all.find((v) => v.id === id)!
const rows: Array<{ name: string; nodes: number; edges: number; ms: number }> = [
  { name: "baseline (adjacency scan)", nodes: 0, edges: baseline.value, ms: baseline.ms }
]
const renders = new Map<string, Rendering>()
const only = process.env.BENCH_ONLY?.split(",")
for (const id of only ?? ["containers", "hosts", "processes", "containers-by-image", "processes-by-name"]) {
  // A fresh registry each run: the view's render plus building the RenderedView arrays, as a client gets it.
  const r = runs(() => {
    const registry = ViewRegistry.make()
    const rendered = registry.render(report, id)
    return { rendering: Result.getOrThrow(registry.rendering(report, id)), rendered: Result.getOrThrow(rendered) }
  })
  const { nodes, edges } = r.value.rendered
  renders.set(id, r.value.rendering)
  rows.push({ name: id, nodes: nodes.length, edges: edges.length, ms: r.ms })
  console.log(`bench views view=${id} nodes=${nodes.length} edges=${edges.length} render_ms=${r.ms.toFixed(1)}`)
}

// Cold: a report object the caches have not seen, so the shared endpoint table is built from scratch too
// (what the first render of a report pays, at start; after a change the table is brought up to date
// incrementally: see the "after delta" steps).
const cold = runs(() => {
  const fresh: MergedReport.MergedReport = { ...report }
  return Result.getOrThrow(ViewRegistry.make().render(fresh, "containers"))
})
rows.push({
  name: "containers, cold (+ endpoint table)",
  nodes: cold.value.nodes.length,
  edges: cold.value.edges.length,
  ms: cold.ms
})
console.log(
  `bench views view=containers-cold nodes=${cold.value.nodes.length} edges=${cold.value.edges.length} render_ms=${cold.ms.toFixed(1)}`
)
if (!renders.has("containers")) renders.set("containers", view("containers").render(report))

const registry = ViewRegistry.make()
registry.render(report, "containers")
const hit = runs(() => registry.render(report, "containers"))
rows.push({ name: "registry: cached containers", nodes: 0, edges: 0, ms: hit.ms })
const filters = { status: "running", search: "nginx OR cpu > 90%", hideUnconnected: true } as const
const filtered = runs(() => Filters.apply(renders.get("containers")!, filters, report))
rows.push({
  name: "filters: containers (status+search)",
  nodes: Result.isSuccess(filtered.value) ? filtered.value.success.nodes.length : 0,
  edges: Result.isSuccess(filtered.value) ? filtered.value.success.edges.length : 0,
  ms: filtered.ms
})

const toView = (rendering: Rendering) => ({
  view: "containers",
  nodes: Array.from(rendering.nodes.values()),
  edges: Array.from(rendering.edges.values()),
  total: rendering.nodes.size,
  renderedAt: 0
})
const a = toView(renders.get("containers")!)
const b = toView(view("containers").render(report))
const diffed = runs(() => Diff.diff(a, b))
rows.push({
  name: "diff: two containers renders",
  nodes: diffed.value.update.length,
  edges: diffed.value.updateEdges.length,
  ms: diffed.ms
})
console.log(`bench views diff nodes=${a.nodes.length} diff_ms=${diffed.ms.toFixed(1)}`)

// First render after a delta, through the real aggregator: every probe sends a full report, then before each
// timed render one probe sends a delta that changes about 5% of its nodes (its host's and a container's
// metrics, 5 processes' metrics, 5 connections closed and 5 opened). As in production, nodes the delta does
// not touch keep their objects, and the registry (like the app server's) lives across deltas.
const deltaRows: Array<{ name: string; nodes: number; edges: number; ms: number }> = []
if (process.env.BENCH_DELTA !== "0") {
  Effect.runSync(
    Effect.scoped(
      Effect.gen(function* () {
        const { shape } = yield* Aggregator.make({ maxNodesPerTopology: 1_000_000 })
        const decoded = (report: Report): Report => JSON.parse(JSON.stringify(report)) as Report
        const topologies = (nodes: ReadonlyArray<Node>, removed: ReadonlyArray<Node> = []) => {
          const out: Record<string, { nodes: Record<string, Node>; removed?: Array<string> }> = {}
          const of = (topology: string) => {
            out[topology] ??= { nodes: {} }
            return out[topology]
          }
          for (const n of nodes) of(n.topology).nodes[n.id] = n
          for (const n of removed) {
            const entry = of(n.topology)
            entry.removed ??= []
            entry.removed.push(n.id)
          }
          return out
        }
        const seqs: Array<number> = []
        const ingestStarted = performance.now()
        const perHost = generate()
        for (let h = 0; h < perHost.length; h++) {
          seqs[h] = 0
          const report: Report = {
            version: 1,
            probeId: `probe-${h}`,
            hostname: hostId(h),
            kind: "full",
            seq: 0,
            timestamp: T,
            topologies: topologies(perHost[h]!)
          }
          yield* shape.ingest(decoded(report))
        }
        perHost.length = 0
        const ingestMs = performance.now() - ingestStarted
        console.log(`aggregator: ${HOSTS} full reports ingested in ${ingestMs.toFixed(0)} ms`)
        const report = shape.report
        const endpoints = report.nodes("endpoints")
        let opened = 0
        const delta = (r: number): Report => {
          const h = (r * 7919) % HOSTS
          const host = hostId(h)
          const metric = (n: Node): Node => ({ ...n, metrics: { cpu: [[T + r, (r * 37) % 100]] } })
          const changed: Array<Node> = [metric(report.node(host, "hosts")!)]
          const container = Array.from(report.nodes("containers").values()).find((c) => c.parents.hosts?.includes(host))
          if (container !== undefined) changed.push(metric(container))
          for (let p = 0; p < 5; p++)
            changed.push(metric(report.node(processId(host, 1000 + ((r + p * 20) % PROCESSES)), "processes")!))
          const removed: Array<Node> = []
          for (let k = 0; removed.length < 5 && k < CONNECTIONS + opened; k++) {
            const closing = endpoints.get(endpointId(host, hostIp(h), 30_000 + ((r * 13 + k) % (CONNECTIONS + opened))))
            if (closing !== undefined && !removed.includes(closing)) removed.push(closing)
          }
          for (let k = 0; k < 5; k++) {
            const p = (r + k) % PROCESSES
            const id = processId(host, 1000 + p)
            changed.push(
              node("endpoints", endpointId(host, hostIp(h), 30_000 + CONNECTIONS + opened++), {
                parents: { processes: [id], hosts: [host] },
                adjacency: [listen((h + 1 + k) % HOSTS, p)]
              })
            )
          }
          seqs[h] = seqs[h]! + 1
          return decoded({
            version: 1,
            probeId: `probe-${h}`,
            hostname: host,
            kind: "delta",
            seq: seqs[h]!,
            timestamp: T + r,
            topologies: topologies(changed, removed)
          })
        }
        const registry = ViewRegistry.make()
        const first = (id: string, r: number) => {
          const ingest = delta(r)
          const ingested = time(() => Effect.runSync(shape.ingest(ingest)))
          const rendered = time(() => Result.getOrThrow(registry.render(report, id)))
          return { ingestMs: ingested.ms, ms: rendered.ms, value: rendered.value }
        }
        let r = 0
        for (const id of ["containers", ...(only ?? ["hosts", "processes"])]) {
          if (deltaRows.some((row) => row.name.startsWith(`${id},`))) continue
          // Like `runs`: one untimed warm-up, one collection, then the timed deltas and renders.
          first(id, r++)
          collect()
          const results = Array.from({ length: RUNS }, () => first(id, r++))
          const last = results[results.length - 1]!.value
          const ms = median(results.map((x) => x.ms))
          deltaRows.push({
            name: `${id}, first render after delta`,
            nodes: last.nodes.length,
            edges: last.edges.length,
            ms
          })
          if (id === "containers") {
            deltaRows.push({
              name: "aggregator: ingest one-probe delta",
              nodes: 0,
              edges: 0,
              ms: median(results.map((x) => x.ingestMs))
            })
          }
          console.log(
            `bench views view=${id}-after-delta nodes=${last.nodes.length} edges=${last.edges.length} render_ms=${ms.toFixed(1)}`
          )
        }
      })
    )
  )
  rows.push(...deltaRows)
}

console.log()
console.log(
  `| ${"step".padEnd(38)} | ${"nodes".padStart(8)} | ${"edges".padStart(8)} | ${"median ms".padStart(9)} | ${"× baseline".padStart(10)} |`
)
console.log(`|${"-".repeat(40)}|${"-".repeat(10)}|${"-".repeat(10)}|${"-".repeat(11)}|${"-".repeat(12)}|`)
for (const row of rows) {
  console.log(
    `| ${row.name.padEnd(38)} | ${String(row.nodes).padStart(8)} | ${String(row.edges).padStart(8)} | ${row.ms.toFixed(1).padStart(9)} | ${(row.ms / baseline.ms).toFixed(1).padStart(10)} |`
  )
}
const containers = rows.find((r) => r.name === "containers")
const afterDelta = rows.find((r) => r.name === "containers, first render after delta")
if (containers !== undefined) {
  const worst = Math.max(containers.ms, afterDelta?.ms ?? 0)
  console.log(
    `\ntarget: containers render < 150 ms, first render after a delta included: ${worst < 150 ? "ok" : "MISSED"} ` +
      `(${containers.ms.toFixed(1)} ms; after a delta ${afterDelta === undefined ? "not run" : `${afterDelta.ms.toFixed(1)} ms`}; ` +
      `cold ${cold.ms.toFixed(1)} ms; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")})`
  )
}
