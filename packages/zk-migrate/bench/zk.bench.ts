/**
 * `npm run bench:zk`: zk-migrate against two private standalone ZooKeeper servers on loopback.
 *
 * In one run: the target's raw write limit (pipelined creates, the physical limit), a naive
 * one-request-at-a-time copier, the engine's copy of a 100k-node tree (rate and ratio to the raw limit),
 * a cold verify, sync lag p50/p99 under a steady 1,000 writes/s on the source, and a cutover of the
 * 100k-node tree. Prints a table and one `bench zk <name> key=value ...` line per result.
 *
 * Knobs: ZK_BENCH_NODES (default 100000), ZK_BENCH_SYNC_SECONDS (default 10), ZK_BENCH_WRITES_PER_S (1000).
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Context, Effect, Layer } from "effect"
import { removeZooKeeperServer, startZooKeeperServer } from "../../../test/fixtures/index.js"
import { Endpoints } from "../src/Endpoints.js"
import { tuneHeap } from "../src/internal/heap.js"
import * as Migration from "../src/Migration.js"
import * as Verifier from "../src/Verifier.js"
import { buildTree } from "../test/helpers.js"
import { startGcMeter } from "./gcMeter.js"

// as the CLI does: a larger young generation for the engine (see src/internal/heap.ts)
tuneHeap()
const nodes = Number(process.env.ZK_BENCH_NODES ?? 100_000)
const syncSeconds = Number(process.env.ZK_BENCH_SYNC_SECONDS ?? 10)
const writesPerSecond = Number(process.env.ZK_BENCH_WRITES_PER_S ?? 1_000)

interface RawClient {
  connect(): void
  close(): void
  once(event: "connected", listener: () => void): void
  create(path: string, data: Buffer, callback: (error: unknown) => void): void
}
const driver = createRequire(import.meta.url)("node-zookeeper-client") as {
  createClient(connect: string, options: { sessionTimeout: number }): RawClient
}
const rawClient = async (connect: string): Promise<RawClient> => {
  const client = driver.createClient(connect, { sessionTimeout: 10_000 })
  await new Promise<void>((resolve) => {
    client.once("connected", resolve)
    client.connect()
  })
  return client
}
const call = (f: (done: (error: unknown) => void) => void) =>
  new Promise<void>((resolve, reject) => f((error) => (error ? reject(error) : resolve())))

/** Pipelined creates with `window` in flight: the raw limit of the server with this client. */
const pipelinedCreates = async (client: RawClient, root: string, count: number, window = 1_000): Promise<number> => {
  await call((done) => client.create(root, Buffer.from("r"), done))
  const started = performance.now()
  let next = 0
  await new Promise<void>((resolve, reject) => {
    let finished = 0
    const issue = () => {
      while (next < count && next - finished < window) {
        const i = next++
        client.create(`${root}/n${i}`, Buffer.from(`value ${i}`), (error) => {
          if (error) return reject(error)
          finished++
          if (finished === count) resolve()
          else issue()
        })
      }
    }
    issue()
  })
  return (count * 1000) / (performance.now() - started)
}

const naiveCreates = async (client: RawClient, root: string, count: number): Promise<number> => {
  await call((done) => client.create(root, Buffer.from("r"), done))
  const started = performance.now()
  for (let i = 0; i < count; i++) await call((done) => client.create(`${root}/n${i}`, Buffer.from(`value ${i}`), done))
  return (count * 1000) / (performance.now() - started)
}

const writerScript = `
const zk = require(process.env.DRIVER)
const client = zk.createClient(process.env.CONNECT, { sessionTimeout: 10000 })
const rate = Number(process.env.RATE), seconds = Number(process.env.SECONDS)
const fanout = Number(process.env.FANOUT), leaves = Number(process.env.LEAVES)
client.once("connected", () => {
  const started = performance.now()
  let written = 0
  const timer = setInterval(() => {
    const due = Math.min(rate * seconds, Math.floor(((performance.now() - started) * rate) / 1000))
    while (written < due) {
      const i = Math.floor(Math.random() * leaves)
      client.setData("/data/p" + (i % fanout) + "/n" + i, Buffer.from("w" + written++), -1, () => {})
    }
    if (written >= rate * seconds) {
      clearInterval(timer)
      setTimeout(() => { client.close(); process.stdout.write(String(written)); process.exit(0) }, 200)
    }
  }, 2)
})
client.connect()
`

/** Writes `writesPerSecond` updates of random leaves for `syncSeconds` from a child process; resolves with the count. */
const steadyWriter = (connect: string, fanout: number, leaves: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", writerScript], {
      env: {
        ...process.env,
        DRIVER: createRequire(import.meta.url).resolve("node-zookeeper-client"),
        CONNECT: connect,
        RATE: String(writesPerSecond),
        SECONDS: String(syncSeconds),
        FANOUT: String(fanout),
        LEAVES: String(leaves)
      },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.on("exit", (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`writer exited with ${code}`))))
  })

const rows: Array<[string, string, string]> = []
const lines: Array<string> = []
const fmt = (n: number, digits = 0) => n.toFixed(digits)

// the fixtures' servers tick every 200 ms (fast tests) and so cap sessions at 4 s; a 100k-node run has
// multi-second pauses (GC of the snapshots), so allow production-like sessions (tickTime 2000 allows 40 s)
const benchConfig = ["maxSessionTimeout=30000"]
const source = await startZooKeeperServer({ name: "bench-source", extraConfig: benchConfig })
const target = await startZooKeeperServer({ name: "bench-target", extraConfig: benchConfig })
const stateDir = mkdtempSync(join(tmpdir(), "zk-bench-"))
try {
  const raw = await rawClient(target.connectString)
  const rawCount = Math.min(20_000, nodes)
  const rawRate = await pipelinedCreates(raw, "/raw", rawCount)
  const naiveCount = 2_000
  const naiveRate = await naiveCreates(raw, "/naive", naiveCount)
  raw.close()
  rows.push([
    "raw pipelined creates (target, limit)",
    `${fmt(rawRate)} creates/s`,
    `${rawCount} creates, 1,000 in flight`
  ])
  rows.push([
    "naive copier (one request at a time)",
    `${fmt(naiveRate)} creates/s`,
    `${fmt(naiveRate / rawRate, 2)} x raw`
  ])
  lines.push(`bench zk raw_pipelined creates=${rawCount} creates_per_s=${fmt(rawRate)}`)
  lines.push(
    `bench zk naive_copier creates=${naiveCount} creates_per_s=${fmt(naiveRate)} ratio_to_raw=${fmt(naiveRate / rawRate, 3)}`
  )

  await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const sides = Context.get(
          yield* Layer.build(
            Endpoints.layer({
              source: { connectString: source.connectString, path: "/data", sessionTimeoutMs: 30_000 },
              target: { connectString: target.connectString, path: "/data", sessionTimeoutMs: 30_000 }
            })
          ),
          Endpoints
        )
        const run = <A, E, R>(effect: Effect.Effect<A, E, R>) => effect.pipe(Effect.provideService(Endpoints, sides))
        yield* buildTree(sides.source.client, "/data", nodes, Math.max(10, Math.round(nodes / 1_000)))

        const options: Migration.MigrationOptions = { stateFile: join(stateDir, "state.json") }
        const copied = yield* run(Migration.copy(options))
        const copyRatio = copied.rate / rawRate
        rows.push([
          `engine copy (${copied.sourceNodes} znodes)`,
          `${fmt(copied.rate)} znodes/s`,
          `${fmt(copyRatio, 2)} x raw (target >= 0.5), ${fmt(copied.durationMs / 1000, 1)} s, ${copied.transactions} transactions`
        ])
        lines.push(
          `bench zk engine_copy znodes=${copied.sourceNodes} znodes_per_s=${fmt(copied.rate)} duration_ms=${copied.durationMs} ratio_to_raw=${fmt(copyRatio, 3)} target_ratio=0.5`
        )

        const verified = yield* run(Verifier.verify())
        rows.push([
          "cold verify (both sides read in full)",
          `${fmt(verified.rate)} znodes/s`,
          `${verified.nodesRead} znodes in ${fmt(verified.durationMs / 1000, 1)} s, equal=${verified.equal}`
        ])
        lines.push(
          `bench zk cold_verify znodes=${verified.nodesRead} znodes_per_s=${fmt(verified.rate)} duration_ms=${verified.durationMs} equal=${verified.equal}`
        )

        const syncStarted = performance.now()
        const handle = yield* run(Migration.sync(options, { reconcileIntervalMs: 0, catchUpTimeoutMs: 600_000 }))
        const armMs = performance.now() - syncStarted
        rows.push([
          "sync start (reconcile + arm watches)",
          `${fmt(armMs / 1000, 1)} s`,
          `${(yield* handle.stats).watches} watches`
        ])
        lines.push(
          `bench zk sync_start znodes=${copied.sourceNodes} duration_ms=${fmt(armMs)} watches=${(yield* handle.stats).watches}`
        )

        // steady writes on the source from another process (the applications, not the migrator), paced by
        // the clock so that a late timer catches up and the average rate holds
        yield* handle.resetLag
        const fanout = Math.max(10, Math.round(nodes / 1_000))
        const leaves = nodes - fanout
        const meter = startGcMeter()
        const written = yield* Effect.promise(() => steadyWriter(source.connectString, fanout, leaves))
        yield* handle.drain(60_000)
        const gc = meter.stop()
        const stats = yield* handle.stats
        const achieved = written / syncSeconds
        rows.push([
          `sync lag at ${fmt(achieved)} writes/s`,
          `p50 ${stats.lagP50Ms} ms, p99 ${stats.lagP99Ms} ms`,
          `${stats.lagSamples} changes, target p99 < 20 ms (promised < 50 ms)`
        ])
        lines.push(
          `bench zk sync_lag writes_per_s=${fmt(achieved)} changes=${stats.lagSamples} p50_ms=${stats.lagP50Ms} p99_ms=${stats.lagP99Ms} target_p99_ms=20`
        )
        // allocation per change: what decides how often the engine pauses for a scavenge
        const kbPerChange = (gc.youngAllocatedMb * 1024) / Math.max(1, stats.lagSamples)
        rows.push([
          "sync allocation per change",
          `${fmt(kbPerChange, 1)} KB`,
          `${fmt(gc.youngAllocatedMb)} MB young, ${gc.scavenges} scavenges, ${gc.fullGcs} full GCs`
        ])
        lines.push(
          `bench zk sync_alloc changes=${stats.lagSamples} young_mb=${fmt(gc.youngAllocatedMb, 1)} kb_per_change=${fmt(kbPerChange, 2)} scavenges=${gc.scavenges} full_gcs=${gc.fullGcs}`
        )

        const cut = yield* run(Migration.cutover(options, handle))
        rows.push([
          `cutover (${copied.sourceNodes}-node tree)`,
          `${fmt(cut.durationMs / 1000, 2)} s`,
          `drain + incremental verify (${cut.verify.nodesRead} znodes re-read) + reverse; target < 30 s`
        ])
        lines.push(
          `bench zk cutover znodes=${copied.sourceNodes} duration_ms=${cut.durationMs} reread=${cut.verify.nodesRead} equal=${cut.verify.equal} target_ms=30000`
        )
      })
    )
  )
} finally {
  rmSync(stateDir, { recursive: true, force: true })
  await Promise.all([removeZooKeeperServer(source), removeZooKeeperServer(target)])
}

const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => (row[i] ?? "").length), 8))
const line = (cells: ReadonlyArray<string>) => cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(" | ")
console.log(line(["measure", "result", "notes"]))
console.log(widths.map((w) => "-".repeat(w)).join("-|-"))
for (const row of rows) console.log(line(row))
console.log("")
for (const l of lines) console.log(l)
