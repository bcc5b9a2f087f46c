import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import * as Aggregator from "../src/Aggregator.js"
import { endpointTable } from "../src/internal/views/endpointTable.js"
import type { SlotsView } from "../src/internal/views/slots.js"
import * as MergedReport from "../src/MergedReport.js"
import { latestFields, makeNode, type Node } from "../src/Report.js"
import * as BuiltinViews from "../src/views/BuiltinViews.js"
import type { Rendering } from "../src/views/View.js"
import { deltaReport, fullReport } from "./reports.js"

/** mulberry32: a small seeded PRNG, so a failing seed replays. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296
}

/** What a render shows, in order. */
const shown = (rendering: Rendering) => ({
  nodes: Array.from(rendering.nodes.values()),
  edges: Array.from(rendering.edges.values())
})

/** The same nodes in the same order, as fresh objects in a fresh report: nothing cached can be shared. */
const fromScratch = (report: MergedReport.MergedReport): MergedReport.MergedReport =>
  MergedReport.fromNodes(structuredClone(Array.from(report.topologies.values(), (m) => Array.from(m.values())).flat()))

/** The ids of the nodes in the slots of a topology, holes skipped: the report's order. */
const slotted = (slots: SlotsView) => slots.nodes.flatMap((node) => (node === undefined ? [] : [node.id]))

/**
 * Renders every built-in view of the live report and of a from-scratch copy, and expects the same; and
 * expects the endpoint table's slots to walk every topology in the report's order.
 */
const expectSameAsFromScratch = (report: MergedReport.MergedReport, views = BuiltinViews.all) => {
  const table = endpointTable(report)
  for (const [topology, slots] of [
    ["endpoints", table.endpoints],
    ["processes", table.processes],
    ["containers", table.containers],
    ["pods", table.pods],
    ["hosts", table.hosts]
  ] as const) {
    expect({ topology, ids: slotted(slots) }).toEqual({ topology, ids: Array.from(report.nodes(topology).keys()) })
  }
  const scratch = fromScratch(report)
  for (const view of views) {
    expect({ view: view.id, ...shown(view.render(report)) }).toEqual({ view: view.id, ...shown(view.render(scratch)) })
  }
}

/** The same report without its list of changes: the endpoint table then compares whole maps. */
const withoutChanges = (report: MergedReport.MergedReport): MergedReport.MergedReport => ({
  topologies: report.topologies,
  probes: report.probes,
  generation: (topology) => report.generation(topology),
  nodes: (topology) => report.nodes(topology),
  node: (id, topology) => report.node(id, topology)
})

/** Replays `MergedReport.changes` on the ids a topology had, as a `Map` would: the ids it has now, in order. */
const replayed = (ids: ReadonlyArray<string>, changes: ReadonlyArray<MergedReport.TopologyChange>) => {
  const map = new Map(ids.map((id) => [id, true]))
  for (const change of changes) {
    if (change.removed) map.delete(change.id)
    else map.set(change.id, true)
  }
  return Array.from(map.keys())
}

interface Sizes {
  readonly probes: number
  readonly containers: number
  readonly processes: number
  readonly outbound: number
}

/**
 * Random nodes of a small cluster: probe `p` runs on `host-p` with containers, processes listening on one
 * port each, outbound endpoints connected to listening endpoints of any host (present or not), public and
 * private addresses, loopback endpoints scoped to the host, an endpoint every probe reports (merged), and
 * pods, services, deployments and namespaces reported by probe 0.
 */
const cluster = (random: () => number, sizes: Sizes) => {
  let t = 1_000
  const pick = <A>(values: ReadonlyArray<A>): A => values[Math.floor(random() * values.length)]!
  const int = (n: number) => Math.floor(random() * n)
  const host = (p: number) => `host-${p}`
  const containerId = (p: number, i: number) => `c-${p}-${i}`
  const processId = (p: number, i: number) => `${host(p)};${100 + i}`
  const listen = (p: number, i: number) => `;10.0.${p}.1;${8000 + i}`
  const outbound = (p: number, k: number) => `;10.0.${p}.1;${30000 + k}`
  const loopback = (p: number, i: number) => `${host(p)};127.0.0.1;${9000 + i}`
  const shared = ";10.99.0.1;80"
  const pods = Array.from({ length: 6 }, (_, q) => `pod-${q}`)
  const services = ["svc-a", "svc-b", "svc-c"]
  const deployments = ["dep-a", "dep-b"]
  const namespaces = ["ns-a", "ns-b"]
  const some = (values: ReadonlyArray<string>) => values.filter(() => random() < 0.4)
  const target = (p: number): string => {
    const roll = random()
    if (roll < 0.5) return listen(int(sizes.probes + 1), int(sizes.processes + 2))
    if (roll < 0.6) return outbound(int(sizes.probes), int(sizes.outbound))
    if (roll < 0.7) return `;8.8.${int(4)}.8;53`
    if (roll < 0.8) return `;172.20.0.${int(30)};8080`
    if (roll < 0.9) return loopback(p, int(3))
    return shared
  }
  const endpointParents = (p: number) => {
    const parents: Record<string, Array<string>> = {}
    if (random() < 0.85) parents.processes = [processId(random() < 0.95 ? p : int(sizes.probes), int(sizes.processes))]
    if (random() < 0.7) parents.hosts = [host(p)]
    if (random() < 0.15) parents.containers = [containerId(p, int(sizes.containers + 1))]
    if (random() < 0.1) parents.pods = [pick(pods)]
    return parents
  }
  const build = (p: number, id: string, kind: string): Node => {
    t++
    const metrics = { cpu: [[t, random() * 100] as const] }
    switch (kind) {
      case "hosts":
        return makeNode("hosts", id, { latest: latestFields(t, { name: id, os: pick(["linux", "darwin"]) }), metrics })
      case "containers": {
        const parents: Record<string, Array<string>> = { hosts: [host(p)] }
        if (random() < 0.5) parents.pods = [pick(pods)]
        return makeNode("containers", id, {
          latest: latestFields(t, {
            docker_container_name: `/${id}`,
            docker_container_state: pick(["running", "running", "exited"]),
            docker_image_name: pick(["nginx:1", "redis:7", "app:2"])
          }),
          labels: latestFields(t, { app: pick(["web", "db"]) }),
          metrics,
          parents
        })
      }
      case "processes": {
        const parents: Record<string, Array<string>> = {}
        if (random() < 0.9) parents.hosts = [host(p)]
        if (random() < 0.7) parents.containers = [containerId(p, int(sizes.containers + 1))]
        if (random() < 0.2) parents.pods = [pick(pods)]
        return makeNode("processes", id, {
          latest: latestFields(t, { name: `proc-${int(3)}`, pid: id.slice(id.lastIndexOf(";") + 1) }),
          metrics,
          parents
        })
      }
      case "listen":
        return makeNode("endpoints", id, {
          parents: endpointParents(p),
          adjacency: random() < 0.1 ? [target(p)] : []
        })
      case "outbound":
      case "shared":
        return makeNode("endpoints", id, {
          parents: random() < 0.9 ? endpointParents(p) : {},
          adjacency: Array.from({ length: 1 + int(3) }, () => target(p))
        })
      case "loopback":
        return makeNode("endpoints", id, {
          parents: random() < 0.5 ? { processes: [processId(p, int(sizes.processes))] } : {},
          adjacency: random() < 0.5 ? [listen(p, int(sizes.processes))] : []
        })
      case "pods": {
        const parents: Record<string, Array<string>> = { services: some(services) }
        if (random() < 0.7) parents.deployments = [pick(deployments)]
        if (random() < 0.6) parents.namespaces = [pick(namespaces)]
        return makeNode("pods", id, {
          latest: latestFields(t, {
            name: id,
            kubernetes_namespace: pick(namespaces),
            kubernetes_pod_phase: "Running"
          }),
          parents
        })
      }
      default:
        return makeNode(kind, id, { latest: latestFields(t, { name: id }) })
    }
  }
  /** Every node id probe `p` may report, with how to build it. */
  const universe = (p: number): ReadonlyArray<{ readonly id: string; readonly kind: string }> => {
    const out: Array<{ id: string; kind: string }> = [
      { id: host(p), kind: "hosts" },
      { id: shared, kind: "shared" }
    ]
    for (let i = 0; i < sizes.containers; i++) out.push({ id: containerId(p, i), kind: "containers" })
    for (let i = 0; i < sizes.processes; i++) {
      out.push({ id: processId(p, i), kind: "processes" })
      out.push({ id: listen(p, i), kind: "listen" })
    }
    for (let k = 0; k < sizes.outbound; k++) out.push({ id: outbound(p, k), kind: "outbound" })
    for (let i = 0; i < 3; i++) out.push({ id: loopback(p, i), kind: "loopback" })
    if (p === 0) {
      for (const id of pods) out.push({ id, kind: "pods" })
      for (const id of services) out.push({ id, kind: "services" })
      for (const id of deployments) out.push({ id, kind: "deployments" })
      for (const id of namespaces) out.push({ id, kind: "namespaces" })
    }
    return out
  }
  return { build, universe }
}

/**
 * Drives the real aggregator with random full reports, deltas (changed, added and removed nodes) and probe
 * removals, and after some steps (so that a render may catch up on several changes at once) expects every
 * view of the live report to equal a from-scratch render.
 */
const scenario = (seed: number, steps: number, sizes: Sizes) =>
  Effect.gen(function* () {
    const random = prng(seed)
    const { build, universe } = cluster(random, sizes)
    const { shape } = yield* Aggregator.make()
    const compared = withoutChanges(shape.report)
    const snapshots: Array<{ readonly topology: string; readonly generation: number; readonly ids: Array<string> }> = []
    const states = new Map<number, Map<string, Node>>()
    const seqs = new Map<number, number>()
    const send = (p: number, kind: "full" | "delta", nodes: Array<Node>, removed: Array<Node>) => {
      const seq = (seqs.get(p) ?? -1) + 1
      seqs.set(p, seq)
      return shape.ingest(
        kind === "full"
          ? fullReport(`probe-${p}`, seq, nodes)
          : deltaReport(
              `probe-${p}`,
              seq,
              nodes,
              removed.map((n) => ({ topology: n.topology, id: n.id }))
            )
      )
    }
    for (let step = 0; step < steps; step++) {
      const p = Math.floor(random() * sizes.probes)
      const state = states.get(p)
      const roll = random()
      if (state === undefined || roll < 0.15) {
        const next = new Map<string, Node>()
        for (const { id, kind } of universe(p)) if (random() < 0.7) next.set(id, build(p, id, kind))
        states.set(p, next)
        yield* send(p, "full", [...next.values()], [])
      } else if (roll < 0.22) {
        yield* shape.removeProbe(`probe-${p}`)
        states.delete(p)
      } else {
        const changed: Array<Node> = []
        const removed: Array<Node> = []
        for (const { id, kind } of universe(p)) {
          const current = state.get(id)
          const r = random()
          if (current === undefined) {
            if (r < 0.1) changed.push(build(p, id, kind))
          } else if (r < 0.06) removed.push(current)
          else if (r < 0.08) {
            // Removed and added again in one delta: the node moves to the end of the report's map.
            removed.push(current)
            changed.push(build(p, id, kind))
          } else if (r < 0.18) changed.push(build(p, id, kind))
        }
        for (const node of removed) state.delete(node.id)
        for (const node of changed) state.set(node.id, node)
        const result = yield* send(p, "delta", changed, removed)
        expect(result._tag).toBe("Accepted")
      }
      if (random() < 0.5 || step === steps - 1) {
        expectSameAsFromScratch(shape.report)
        expectSameAsFromScratch(compared)
      }
      for (const topology of ["endpoints", "processes", "pods"]) {
        const ids = Array.from(shape.report.nodes(topology).keys())
        snapshots.push({ topology, generation: shape.report.generation(topology), ids })
        const then = snapshots[Math.floor(random() * snapshots.length)]!
        const changes = shape.report.changes?.(then.topology, then.generation)
        expect(changes).toBeDefined()
        expect(replayed(then.ids, changes!)).toEqual(Array.from(shape.report.nodes(then.topology).keys()))
      }
    }
  }).pipe(Effect.scoped)

describe("incremental views", () => {
  it("render the same as from scratch after random reports, deltas and probe removals", () => {
    // VIEWS_PROP_RUNS=500 for a longer soak.
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        Effect.runSync(scenario(seed, 24, { probes: 4, containers: 3, processes: 6, outbound: 8 }))
      }),
      { numRuns: Number(process.env.VIEWS_PROP_RUNS ?? 30) }
    )
  })

  it.effect("render the same as from scratch across compactions (holes, unused connections, stale absent ids)", () =>
    Effect.gen(function* () {
      const { shape } = yield* Aggregator.make()
      const report = shape.report
      const processes = 1500
      const host = makeNode("hosts", "h", { latest: latestFields(1, { name: "h" }) })
      const process = (i: number, t: number) =>
        makeNode("processes", `h;${i}`, {
          latest: latestFields(t, { name: `p${i % 7}` }),
          parents: { hosts: ["h"], containers: [`c${i % 5}`] }
        })
      const containers = Array.from({ length: 5 }, (_, i) =>
        makeNode("containers", `c${i}`, { latest: latestFields(1, { docker_container_name: `c${i}` }) })
      )
      const listen = (i: number) => `;10.0.0.1;${i}`
      const endpoint = (i: number, targets: ReadonlyArray<string>) =>
        makeNode("endpoints", `;10.0.0.1;${i}`, { parents: { processes: [`h;${i % processes}`] }, adjacency: targets })
      const nodes: Array<Node> = [host, ...containers]
      for (let i = 0; i < processes; i++) nodes.push(process(i, 1), endpoint(i, []))
      for (let i = processes; i < 6000; i++)
        nodes.push(endpoint(i, [listen(i % 3000), `;1.2.${i >> 8}.${i & 255};443`]))
      yield* shape.ingest(fullReport("p", 0, nodes))
      expectSameAsFromScratch(report, [BuiltinViews.containers, BuiltinViews.processes])
      const sizeBefore = endpointTable(report).size

      // Most connections close: holes pile up and the endpoint slots are renumbered.
      const closed = Array.from({ length: 3500 }, (_, k) => endpoint(processes + k, []))
      yield* shape.ingest(deltaReport("p", 1, [], closed))
      expectSameAsFromScratch(report, [BuiltinViews.containers, BuiltinViews.processes])
      expect(endpointTable(report).size).toBe(report.nodes("endpoints").size)
      expect(endpointTable(report).size).toBeLessThan(sizeBefore)

      // Connections to ever new public addresses, and more connections per endpoint: absent ids and pool
      // entries nothing points at any more pile up and are dropped.
      for (let round = 0; round < 4; round++) {
        const changed = Array.from({ length: 1000 }, (_, k) =>
          endpoint(
            5000 + k,
            Array.from({ length: 2 + round }, (_, j) => `;9.${round}.${j}.${k & 255};${k}`)
          )
        )
        yield* shape.ingest(deltaReport("p", 2 + round, changed))
        expectSameAsFromScratch(report, [BuiltinViews.containers, BuiltinViews.processes])
      }
      expect(endpointTable(report).absent.length).toBeLessThan(6000)

      // Most processes end: their slots are renumbered too, and their endpoints fall back to pseudo nodes.
      const ended = Array.from({ length: 1300 }, (_, i) => process(i, 1))
      yield* shape.ingest(deltaReport("p", 6, [], ended))
      expectSameAsFromScratch(report)
      expect(endpointTable(report).processes.size).toBe(report.nodes("processes").size)

      // Processes and listening endpoints come back: targets that were absent are numbered again.
      yield* shape.ingest(
        deltaReport(
          "p",
          7,
          Array.from({ length: 1300 }, (_, i) => process(i, 2))
        )
      )
      yield* shape.ingest(
        deltaReport(
          "p",
          8,
          Array.from({ length: 500 }, (_, k) => endpoint(processes + k, [listen(2000 + k)]))
        )
      )
      expectSameAsFromScratch(report)
    })
  )

  it.effect("lists changes for a bounded history, and the table compares whole maps when it falls behind it", () =>
    Effect.gen(function* () {
      const { shape } = yield* Aggregator.make()
      const report = shape.report
      const endpoint = (i: number, round: number) =>
        makeNode("endpoints", `;10.0.0.1;${i}`, { adjacency: [`;10.0.0.2;${(i + round) % 3000}`] })
      const nodes = Array.from({ length: 3000 }, (_, i) => endpoint(i, 0))
      yield* shape.ingest(fullReport("p", 0, nodes))
      const start = report.generation("endpoints")
      expectSameAsFromScratch(report, [BuiltinViews.hosts])
      expect(report.changes?.("endpoints", start)).toEqual([])
      for (let round = 1; round <= 50; round++) {
        yield* shape.ingest(
          deltaReport(
            "p",
            round,
            nodes.map((_, i) => endpoint(i, round))
          )
        )
        if (round === 1) {
          expect(report.changes?.("endpoints", start)).toEqual(nodes.map((n) => ({ id: n.id, removed: false })))
        }
      }
      expect(report.changes?.("endpoints", start)).toBeUndefined()
      expect(report.changes?.("endpoints", report.generation("endpoints") - 1)).toHaveLength(3000)
      expectSameAsFromScratch(report, [BuiltinViews.hosts])
    })
  )

  it.effect("keeps unchanged rendered nodes and edges as the same objects after a delta", () =>
    Effect.gen(function* () {
      const { shape } = yield* Aggregator.make()
      const { build, universe } = cluster(prng(7), { probes: 3, containers: 3, processes: 6, outbound: 8 })
      for (let p = 0; p < 3; p++) {
        yield* shape.ingest(
          fullReport(
            `probe-${p}`,
            0,
            universe(p).map(({ id, kind }) => build(p, id, kind))
          )
        )
      }
      const before = shown(BuiltinViews.containers.render(shape.report))
      const container = shape.report.node("c-1-0", "containers")!
      const changed = { ...container, metrics: { cpu: [[9_999, 1] as const] } }
      yield* shape.ingest(deltaReport("probe-1", 1, [changed]))
      const after = shown(BuiltinViews.containers.render(shape.report))
      expect(after).toEqual(shown(BuiltinViews.containers.render(fromScratch(shape.report))))
      const old = new Map(before.nodes.map((n) => [n.id, n]))
      for (const node of after.nodes) {
        if (node.id === "c-1-0") expect(node).not.toBe(old.get(node.id))
        else if (!node.pseudo) expect(node).toBe(old.get(node.id))
      }
      expect(after.edges.length).toBeGreaterThan(0)
      expect(after.edges.every((edge, i) => edge === before.edges[i])).toBe(true)
    })
  )
})
