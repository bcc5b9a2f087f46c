/**
 * Flush memory benchmark: what a WebSocket flush of the containers view leaves in the old generation. The app
 * runs in-process with the app bench's synthetic cluster (`app/Synthetic.ts`); one WebSocket client
 * subscribes to the containers view; then, per round, a few probes' deltas are ingested, the app's
 * `ClientHub` flushes (render, diff, serialize, send) and the client receives the delta, and two scavenges
 * follow (as the HTTP ingest of a loaded app causes between two flushes). Whatever a flush keeps alive until
 * the next one is promoted by those scavenges and stays in the old generation until a major GC: this is the
 * garbage that made the app's RSS grow with a subscriber. The same rounds without a subscriber are the
 * baseline (ingest alone), measured in the same run. Reports are ingested as the HTTP route does (parsed by
 * the app, which owns them), from bodies made before the measured phases.
 *
 * Prints a table plus `bench flush ...` lines: old-generation growth per round with and without the
 * subscriber, the difference per flush, and the flush time (`ClientHub.lastFlushMs`).
 *
 * Run: `npx tsx packages/core/bench/flush.bench.ts [--hosts 300] [--rounds 60] [--deltas 7] [--sample]`;
 * `--sample` also samples the allocations of the subscribed phase that are still in the heap at its end (the
 * promoted garbage among them, since no major GC ran) and prints the top allocation sites.
 *
 * @since 0.1.0
 */
import { loadavg } from "node:os"
import { parseArgs } from "node:util"
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { PerformanceObserver } from "node:perf_hooks"
import { WebSocket } from "ws"
import { createApp } from "../src/App.js"
import { adopt } from "../src/internal/aggregator/LiveProbeState.js"
import type { Report } from "../src/Report.js"
import { benchLine, fmt, median, table } from "./app/Stats.js"
import { startSampling } from "./app/HeapSampling.js"
import { makeSims } from "./app/Synthetic.js"

const { values: flags } = parseArgs({
  options: {
    hosts: { type: "string", default: "300" },
    rounds: { type: "string", default: "60" },
    deltas: { type: "string", default: "7" },
    sample: { type: "boolean", default: false }
  }
})
const HOSTS = Number(flags.hosts)
const ROUNDS = Number(flags.rounds)
const DELTAS = Number(flags.deltas)

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as (options?: { type: "minor" | "major"; execution: "sync" }) => void
const scavenge = () => gc({ type: "minor", execution: "sync" })
const oldSpace = (): number => {
  let used = 0
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name === "old_space" || space.space_name === "large_object_space") used += space.space_used_size
  }
  return used
}
let majors = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if ((entry as { readonly detail?: { readonly kind?: number } }).detail?.kind === 4) majors++
  }
}).observe({ entryTypes: ["gc"] })

console.log(
  `flush bench: ${HOSTS} hosts, ${ROUNDS} rounds of ${DELTAS} deltas; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`
)
const sims = makeSims(HOSTS)
const app = await createApp({ port: 0, maxNodesPerTopology: 1_000_000, staleNodeThresholdMs: 3_600_000 })
// As the HTTP ingest does: the app parses each body itself and owns (adopts) the parsed report.
const ingest = (body: string) => app.aggregator.ingest(adopt(JSON.parse(body) as Report))
for (const sim of sims) await ingest(JSON.stringify(sim.full(Date.now())))
app.aggregator.topology("containers")

// The deltas of both phases, made up front: the simulator's own garbage is not the app's.
const bodies = Array.from({ length: 2 * ROUNDS * DELTAS }, (_, i) => JSON.stringify(sims[i % HOSTS]!.delta(Date.now())))
let next = 0
const ingestRound = async () => {
  for (let d = 0; d < DELTAS; d++) await ingest(bodies[next++]!)
}

interface Phase {
  readonly perRoundMb: number
  readonly majors: number
  readonly flushMs: number
}

/** A full GC, and a turn of the event loop so that the GC observer has counted it. */
const fullGc = async () => {
  gc()
  await new Promise((r) => setTimeout(r, 10))
}

const measurePhase = async (round: () => Promise<number>): Promise<Phase> => {
  await fullGc()
  const majorsBefore = majors
  const before = oldSpace()
  const flushMs: Array<number> = []
  for (let r = 0; r < ROUNDS; r++) {
    flushMs.push(await round())
    scavenge()
    scavenge()
  }
  await new Promise((r) => setTimeout(r, 10))
  return {
    perRoundMb: (oldSpace() - before) / ROUNDS / 1024 / 1024,
    majors: majors - majorsBefore,
    flushMs: flushMs.length > 0 ? median(flushMs) : 0
  }
}

// Baseline: the same rounds without a subscriber (ingest and the view cache only).
const baselineSampling = flags.sample ? await startSampling() : undefined
const baseline = await measurePhase(async () => {
  await ingestRound()
  await new Promise((r) => setTimeout(r, 5))
  return 0
})

if (baselineSampling !== undefined) console.log(`ingest only: ${await baselineSampling()}`)

const socket = new WebSocket(`ws://127.0.0.1:${app.port}/api/v1/ws`, { maxPayload: 1024 ** 3 })
const messages: Array<(text: string) => void> = []
socket.on("message", (data: Buffer) => messages.shift()?.(data.toString("utf8")))
const nextMessage = () => new Promise<string>((resolve) => messages.push(resolve))
await new Promise((r) => socket.once("open", r))
socket.send(JSON.stringify({ type: "subscribe", view: "containers" }))
const snapshot = await nextMessage()
let deltaBytes = 0
const sampling = flags.sample ? await startSampling() : undefined
const subscribed = await measurePhase(async () => {
  const message = nextMessage()
  await ingestRound()
  const ingested = performance.now()
  deltaBytes += (await message).length
  return performance.now() - ingested
})
socket.close()
if (sampling !== undefined) console.log(`ingest + 1 subscriber: ${await sampling()}`)

const perFlushMb = subscribed.perRoundMb - baseline.perRoundMb
const rendered = app.aggregator.topology("containers")
console.log(
  `containers view: ${rendered.nodes.length} nodes, ${rendered.edges.length} edges; snapshot ${fmt(snapshot.length / 1024 / 1024)} MiB; ` +
    `deltas ${fmt(deltaBytes / ROUNDS / 1024)} KiB on average`
)
console.log(
  table([
    {
      measure: "old generation growth per round, ingest only",
      value: `${fmt(baseline.perRoundMb * 1024)} KiB`,
      target: "—",
      baseline: `${baseline.majors} major GCs`,
      ratio: "—"
    },
    {
      measure: "old generation growth per round, + 1 subscriber",
      value: `${fmt(subscribed.perRoundMb * 1024)} KiB`,
      target: "—",
      baseline: `${fmt(baseline.perRoundMb * 1024)} KiB`,
      ratio: fmt(subscribed.perRoundMb / baseline.perRoundMb)
    },
    {
      measure: "promoted per flush (difference)",
      value: `${fmt(perFlushMb * 1024)} KiB`,
      target: "—",
      baseline: `${rendered.edges.length} edges × 8 B = ${fmt((rendered.edges.length * 8) / 1024)} KiB`,
      ratio: fmt((perFlushMb * 1024 * 1024) / (rendered.edges.length * 8))
    },
    {
      measure: "last ingest to delta received, median",
      value: `${fmt(subscribed.flushMs)} ms`,
      target: "—",
      baseline: "—",
      ratio: "—"
    }
  ])
)
console.log(
  benchLine(
    "flush.promoted",
    {
      hosts: HOSTS,
      rounds: ROUNDS,
      deltas_per_round: DELTAS,
      edges: rendered.edges.length,
      baseline_kib_per_round: baseline.perRoundMb * 1024,
      subscribed_kib_per_round: subscribed.perRoundMb * 1024,
      kib_per_flush: perFlushMb * 1024,
      delta_ms: subscribed.flushMs,
      majors: baseline.majors + subscribed.majors
    },
    "flush"
  )
)
await app.close()
process.exit(0)
