/**
 * The load balancer against a direct connection, measured in the same run. Clients run in a child process
 * (node:http with keep-alive agents), the load balancer in this process (one TCP-mode and one HTTP-mode
 * service port per backend), against three backends:
 *
 * - `node`: a Node HTTP server in a child process (keep-alive, 2-byte answers: the proxy's own cost shows);
 * - `busybox`: `httpd -f -p 8080 -h /www` in a container on its published port, which (dockerd runs with
 *   `--iptables=false`) is docker-proxy, a userland proxy: "direct" already has a proxy hop;
 * - `busybox-bridge`: the same container by its bridge IP and container port, without docker-proxy.
 *   busybox httpd closes every connection, so each request is a new connection on both sides of the proxy.
 *   The container runs on a private dockerd of this benchmark (skipped with `LB_BUSYBOX=0`).
 *
 * Two placements, each `LB_ROUNDS` (5) rounds; every round runs every backend and path (direct, lb tcp, lb http):
 * - `shared`: every process may run on every CPU, so on this 2-core machine the load balancer takes its CPU from
 *   the client and the backend: the throughput ratio is a ratio of CPU costs;
 * - `pinned` (`LB_PINNED=0` skips it; needs 2 CPUs and `taskset`): the load balancer on CPU 1, the clients, the
 *   backend, the container and docker-proxy on CPU 0, on both paths: what the load balancer passes when it has a
 *   core of its own, as it would on its own machine.
 *
 * Measured in each round:
 * - throughput: `LB_CONNECTIONS` (32) clients against the Node backend, `LB_CONTAINER_CONNECTIONS` (8) against the
 *   container (busybox httpd listens with a backlog of 9: more clients overflow its accept queue and the run
 *   measures 1 s SYN retransmissions, counted from `ListenOverflows` in the container's and this machine's network
 *   namespaces and printed), sending back to back for `LB_DURATION_MS` (2,000 ms) per path; the ratio is taken per
 *   round (its paths ran seconds apart) and the median over the rounds is reported, with its range;
 * - CPU per request of each party (client, load balancer, docker-proxy, backend: from `process.cpuUsage`, the
 *   container's cgroup and `/proc/<pid>/stat`), median over the rounds; `cpu ratio` (direct CPU / proxied CPU per
 *   request) is the throughput ratio the proxy allows once the cores are saturated;
 * - latency: a fixed `LB_RATE` (500 requests/s; `LB_CONTAINER_RATE`, 100, for the container) per path over 8
 *   keep-alive sockets each, the three paths interleaved request by request in one client for twice
 *   `LB_DURATION_MS` (so that direct and lb see the same moments of a noisy machine); p50 and p99 over the
 *   requests of all rounds pooled (5 rounds at 100/s: 2,000 requests per path), and the added p99 of each round;
 *   a full garbage collection of this process (the load balancer's) before each latency run, so that the run does
 *   not pay for the throughput runs' garbage, and the GC pauses during the run reported.
 *
 * `LB_REFERENCE=haproxy` measures Debian's HAProxy (one thread, the same service ports, modes and backends) in place
 * of our load balancer: what a C proxy passes on the same machine and paths, as a yardstick for the targets.
 *
 * Prints a table and one line per placement, backend and mode:
 * `bench apps lb_placement=shared lb_backend=node lb_mode=tcp rps=... direct_rps=... ratio=... p99_added_ms=...`.
 * Targets: ratio > 0.7, p99_added_ms < 1.
 *
 * Run: `npx tsx --conditions=source packages/scheduler/bench/lb.bench.ts`
 */
import { spawn } from "node:child_process"
import { once } from "node:events"
import { availableParallelism, loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import { freePorts } from "../../../test/fixtures/process.js"
import { createLoadBalancer } from "../src/apps/lb/index.js"
import { type Container, startBusybox } from "./lb/busybox.js"
import { haproxyAvailable, type ReferenceProxy, type ReferenceRoute, startHaproxy } from "./lb/haproxy.js"
import { nodeBackendScript, runClient } from "./lb/clients.js"
import {
  type LatencySample,
  type LbBenchBackend,
  type LbBenchCpu,
  measure,
  measureLatency,
  median,
  medianCpu,
  type Path,
  paths,
  percentiles,
  type Sample,
  type Target
} from "./lb/measure.js"
import { cgroupCpuMs, ownCpuMs, pin, procCpuMs } from "./lb/processes.js"

export type { LbBenchBackend, LbBenchCpu } from "./lb/measure.js"

/**
 * Options of {@link runLbBench} (each defaults to its environment variable, then to the value shown).
 */
export interface LbBenchOptions {
  /** `LB_CONNECTIONS`, 32: concurrent clients of the throughput runs against the Node backend. */
  readonly connections?: number
  /**
   * `LB_CONTAINER_CONNECTIONS`, 8: concurrent clients against the container. busybox httpd listens with a backlog of
   * 9 and forks per connection: with more clients its accept queue overflows, dropped handshakes are retransmitted
   * after 1 s, and the run measures those retransmissions (counted in `listenOverflows`) rather than the paths.
   */
  readonly containerConnections?: number
  /** `LB_DURATION_MS`, 2,000. */
  readonly durationMs?: number
  /** `LB_RATE`, 500 requests/s per path. */
  readonly rate?: number
  /**
   * `LB_CONTAINER_RATE`, 100 requests/s per path: the latency rate for the container, where every request is a new
   * connection on each hop, so that latency shows the path and not queueing on a busy 2-core machine.
   */
  readonly containerRate?: number
  /** `LB_ROUNDS`, 5 per placement. */
  readonly rounds?: number
  /** `LB_BUSYBOX` (`0` skips the container), true. */
  readonly busybox?: boolean
  /** `LB_PINNED` (`0` skips the pinned placement), true where there are 2 CPUs or more. */
  readonly pinned?: boolean
  /** `LB_REFERENCE`: `haproxy` measures HAProxy in place of our load balancer; default ours. */
  readonly reference?: LbBenchProxy
  /** Prints progress, the table and the bench lines; default true. */
  readonly print?: boolean
}

/**
 * Where the processes run: anywhere (`shared`), or the load balancer on a CPU of its own (`pinned`).
 */
export type LbBenchPlacement = "shared" | "pinned"

/** The load balancer measured: ours, or HAProxy as a reference. */
export type LbBenchProxy = "orchestrator" | "haproxy"

/**
 * One placement, backend and mode against the direct path to the same backend.
 */
export interface LbBenchResult {
  readonly proxy: LbBenchProxy
  readonly placement: LbBenchPlacement
  readonly backend: LbBenchBackend
  readonly mode: "tcp" | "http"
  /** Median req/s over the rounds through the load balancer, and straight. */
  readonly rps: number
  readonly directRps: number
  /** Median over the rounds of the round's req/s through the load balancer / straight; and its range. */
  readonly ratio: number
  readonly ratioMin: number
  readonly ratioMax: number
  /** Latency percentiles over the requests of all rounds. */
  readonly p50Ms: number
  readonly p99Ms: number
  readonly directP50Ms: number
  readonly directP99Ms: number
  readonly p99AddedMs: number
  /** The added p99 of each round on its own. */
  readonly p99AddedByRound: ReadonlyArray<number>
  /** Concurrent clients of the throughput runs. */
  readonly connections: number
  /** Accept-queue overflows (dropped handshakes) over the throughput runs, straight and through the load balancer. */
  readonly directListenOverflows: number
  readonly listenOverflows: number
  /** Accept-queue overflows during the latency runs (all paths). */
  readonly latencyListenOverflows: number
  /** Latency samples per path (all rounds). */
  readonly latencySamples: number
  /** The load balancer's garbage collection pauses during the latency runs: how many, the longest and the sum (ms). */
  readonly lbGcPauses: number
  readonly lbGcMaxMs: number
  readonly lbGcTotalMs: number
  /** CPU time of the load balancer per request (µs). */
  readonly lbCpuUsPerRequest: number
  /** CPU time of the backend per request (µs) on the direct path: the Node server, or the container. */
  readonly backendCpuUsPerRequest: number
  /** Every party's CPU per request through the load balancer, and on the direct path. */
  readonly cpu: LbBenchCpu
  readonly directCpu: LbBenchCpu
  /** Direct CPU / proxied CPU per request: the throughput ratio once the machine's cores are saturated. */
  readonly cpuRatio: number
  /** Mean cores busy with other processes during the latency runs (0 = quiet). */
  readonly latencyNoiseCores: number
  /** Mean cores busy with other processes during the throughput runs (0 = quiet). */
  readonly throughputNoiseCores: number
  readonly errors: number
}

const fmt = (n: number, digits = 2): string => (Number.isInteger(n) ? String(n) : n.toFixed(digits))

/** The results of one placement from its rounds' samples. */
const summarize = (
  proxy: LbBenchProxy,
  placement: LbBenchPlacement,
  target: Target,
  throughput: ReadonlyMap<string, ReadonlyArray<Sample>>,
  latency: ReadonlyArray<LatencySample>
): Array<LbBenchResult> => {
  const runs = (path: Path) => throughput.get(`${target.name} ${path}`)!
  const direct = runs("direct")
  const pooled = (path: Path) => latency.flatMap((s) => s.byPath[path].lat)
  const directLatency = percentiles(pooled("direct"))
  const directCpu = medianCpu(direct)
  const errorsOf = (path: Path) =>
    runs(path).reduce((n, s) => n + s.result.errors, 0) + latency.reduce((n, s) => n + s.byPath[path].errors, 0)
  // the GC observer watches this process: the load balancer's only when it is ours
  const gcPauses = proxy === "orchestrator" ? latency.flatMap((s) => s.lbGcPausesMs) : []
  const mean = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)
  return (["tcp", "http"] as const).map((mode) => {
    const proxied = runs(mode)
    const ratios = proxied.map((s, round) => s.result.rps / Math.max(1, direct[round]!.result.rps))
    const l = percentiles(pooled(mode))
    const cpu = medianCpu(proxied)
    return {
      proxy,
      placement,
      backend: target.name,
      mode,
      rps: median(proxied.map((s) => s.result.rps)),
      directRps: median(direct.map((s) => s.result.rps)),
      ratio: median(ratios),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
      p50Ms: l.p50,
      p99Ms: l.p99,
      directP50Ms: directLatency.p50,
      directP99Ms: directLatency.p99,
      p99AddedMs: l.p99 - directLatency.p99,
      p99AddedByRound: latency.map((s) => percentiles(s.byPath[mode].lat).p99 - percentiles(s.byPath.direct.lat).p99),
      latencySamples: pooled(mode).length,
      lbGcPauses: gcPauses.length,
      lbGcMaxMs: Math.max(0, ...gcPauses),
      lbGcTotalMs: gcPauses.reduce((a, b) => a + b, 0),
      lbCpuUsPerRequest: cpu.lb,
      backendCpuUsPerRequest: directCpu.backend,
      cpu,
      directCpu,
      cpuRatio: directCpu.total / Math.max(1, cpu.total),
      latencyNoiseCores: mean(latency.map((s) => s.noiseCores)),
      throughputNoiseCores: mean([...direct, ...proxied].map((s) => s.noiseCores)),
      errors: errorsOf(mode) + errorsOf("direct"),
      connections: target.connections,
      directListenOverflows: direct.reduce((n, s) => n + s.listenOverflows, 0),
      listenOverflows: proxied.reduce((n, s) => n + s.listenOverflows, 0),
      latencyListenOverflows: latency.reduce((n, s) => n + s.listenOverflows, 0)
    }
  })
}

/**
 * Runs the benchmark; returns one result per placement, backend and mode (and prints the table and bench lines
 * unless `print: false`).
 */
export const runLbBench = async (options: LbBenchOptions = {}): Promise<ReadonlyArray<LbBenchResult>> => {
  const connections = options.connections ?? Number(process.env.LB_CONNECTIONS ?? 32)
  const containerConnections = options.containerConnections ?? Number(process.env.LB_CONTAINER_CONNECTIONS ?? 8)
  const durationMs = options.durationMs ?? Number(process.env.LB_DURATION_MS ?? 2_000)
  const rate = options.rate ?? Number(process.env.LB_RATE ?? 500)
  const containerRate = options.containerRate ?? Number(process.env.LB_CONTAINER_RATE ?? 100)
  const rounds = options.rounds ?? Number(process.env.LB_ROUNDS ?? 5)
  const withBusybox = options.busybox ?? process.env.LB_BUSYBOX !== "0"
  const cpus = availableParallelism()
  const allCpus = `0-${cpus - 1}`
  const wantPinned = (options.pinned ?? process.env.LB_PINNED !== "0") && cpus >= 2
  const print = options.print ?? true
  const referenceName = options.reference ?? process.env.LB_REFERENCE
  if (
    referenceName !== undefined &&
    referenceName !== "" &&
    referenceName !== "haproxy" &&
    referenceName !== "orchestrator"
  )
    throw new Error(`LB_REFERENCE must be haproxy (or unset), not ${JSON.stringify(referenceName)}`)
  const proxy: LbBenchProxy = referenceName === "haproxy" ? "haproxy" : "orchestrator"
  if (proxy === "haproxy" && !haproxyAvailable())
    throw new Error("LB_REFERENCE=haproxy needs the haproxy binary (apt-get install -y haproxy)")
  const log = (text: string) => {
    if (print) console.log(text)
  }
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")
  log(`load average at start: ${load()}`)

  const node = spawn(process.execPath, ["-e", nodeBackendScript], { stdio: ["ignore", "pipe", "inherit"] })
  const [chunk] = (await once(node.stdout, "data")) as [Buffer]
  const nodePort = Number(chunk.toString().trim())
  const busybox: Container | undefined = withBusybox ? await startBusybox() : undefined
  const lb = proxy === "orchestrator" ? await createLoadBalancer() : undefined
  let reference: ReferenceProxy | undefined
  const results: Array<LbBenchResult> = []
  try {
    const backends: Array<{ name: LbBenchBackend; host: string; port: number; cpuMs: () => number }> = [
      { name: "node", host: "127.0.0.1", port: nodePort, cpuMs: () => procCpuMs(node.pid) }
    ]
    if (busybox !== undefined)
      backends.push(
        { name: "busybox", host: "127.0.0.1", port: busybox.publishedPort, cpuMs: () => cgroupCpuMs(busybox.pid) },
        { name: "busybox-bridge", host: busybox.ip, port: 8080, cpuMs: () => cgroupCpuMs(busybox.pid) }
      )
    const servicePorts: Array<{ name: LbBenchBackend; urls: Record<Path, string> }> = []
    const routes: Array<ReferenceRoute> = []
    for (const backend of backends) {
      const [tcpPort = 0, httpPort = 0] = await freePorts(2)
      for (const [mode, port] of [
        ["tcp", tcpPort],
        ["http", httpPort]
      ] as const) {
        routes.push({ name: backend.name, mode, servicePort: port, host: backend.host, port: backend.port })
        if (lb === undefined) continue
        await lb.ensure({ servicePort: port, name: `bench-${mode}`, mode, strategy: "round-robin", host: "127.0.0.1" })
        await lb.setBackends(port, [{ id: backend.name, host: backend.host, port: backend.port }])
      }
      servicePorts.push({
        name: backend.name,
        urls: {
          direct: `http://${backend.host}:${backend.port}/`,
          tcp: `http://127.0.0.1:${tcpPort}/`,
          http: `http://127.0.0.1:${httpPort}/`
        }
      })
    }
    if (proxy === "haproxy") reference = await startHaproxy(routes)
    const lbPid = reference?.pid ?? process.pid
    const lbCpuMs = reference?.cpuMs ?? ownCpuMs
    if (reference !== undefined) log(`measuring HAProxy (pid ${lbPid}, one thread) in place of our load balancer`)
    const placements: ReadonlyArray<LbBenchPlacement> = wantPinned ? ["shared", "pinned"] : ["shared"]
    for (const placement of placements) {
      const clientCpus = placement === "pinned" ? "0" : undefined
      const lbCpus = placement === "pinned" ? "1" : allCpus
      const rest = clientCpus ?? allCpus
      const placed =
        pin(lbPid, lbCpus) &&
        (lbPid === process.pid || pin(process.pid, rest)) &&
        pin(node.pid, rest) &&
        (busybox?.dockerProxyPid === undefined || pin(busybox.dockerProxyPid, rest))
      await busybox?.pinTo(rest)
      if (!placed && placement === "pinned") {
        log("pinned placement skipped: taskset failed")
        break
      }
      log(
        placement === "pinned"
          ? "placement pinned: load balancer on CPU 1; clients, backends, container and docker-proxy on CPU 0"
          : "placement shared: every process on any CPU"
      )
      const targets: Array<Target> = servicePorts.map((s, i) => ({
        name: s.name,
        rate: s.name === "node" ? rate : containerRate,
        urls: s.urls,
        backendCpuMs: backends[i]!.cpuMs,
        dockerProxyCpuMs: s.name === "busybox" ? () => procCpuMs(busybox?.dockerProxyPid) : () => 0,
        lbCpuMs,
        clientCpus,
        connections: s.name === "node" ? connections : containerConnections,
        backendNetnsPid: s.name === "node" ? undefined : busybox?.pid
      }))
      const throughput = new Map<string, Array<Sample>>()
      const latency = new Map<LbBenchBackend, Array<LatencySample>>()
      const add = <A>(map: Map<string, Array<A>>, key: string, s: A) => map.set(key, [...(map.get(key) ?? []), s])
      for (const target of targets)
        for (const path of paths)
          await runClient(
            { kind: "throughput", urls: [target.urls[path]], connections: target.connections, durationMs: 500 },
            clientCpus
          )
      for (let round = 0; round < rounds; round++) {
        log(`round ${round + 1} (load average ${load()})`)
        for (const target of targets)
          for (const path of paths) {
            const s = await measure(target, path, { kind: "throughput", durationMs })
            add(throughput, `${target.name} ${path}`, s)
            log(
              `  ${target.name} ${path}: ${fmt(s.result.rps, 0)} req/s (${s.result.errors} errors, ${s.listenOverflows} accept-queue overflows), CPU µs/req client ${fmt(s.cpu.client, 0)} lb ${fmt(s.cpu.lb, 0)} docker-proxy ${fmt(s.cpu.dockerProxy, 0)} backend ${fmt(s.cpu.backend, 0)}, other processes ${fmt(s.noiseCores)} cores`
            )
          }
        for (const target of targets) {
          const s = await measureLatency(target, 2 * durationMs)
          add(latency, target.name, s)
          log(
            `  ${target.name} latency at ${target.rate} req/s per path, interleaved: ${paths
              .map((path) => {
                const p = percentiles(s.byPath[path].lat)
                return `${path} p50 ${fmt(p.p50, 3)} p99 ${fmt(p.p99, 3)} ms`
              })
              .join(
                ", "
              )} (${paths.reduce((n, path) => n + s.byPath[path].errors, 0)} errors, ${s.listenOverflows} accept-queue overflows), other processes ${fmt(s.noiseCores)} cores, load balancer GC pauses ${s.lbGcPausesMs.length} (longest ${fmt(Math.max(0, ...s.lbGcPausesMs), 2)} ms)`
          )
        }
      }
      for (const target of targets)
        results.push(...summarize(proxy, placement, target, throughput, latency.get(target.name)!))
    }
  } finally {
    pin(process.pid, allCpus)
    await busybox?.pinTo(allCpus).catch(() => undefined)
    await lb?.close()
    await reference?.stop()
    node.kill()
    await busybox?.stop()
  }

  log("")
  log(
    "| placement | backend | path | clients | req/s | × direct (range) | accept-queue overflows | p50 ms | p99 ms | p99 added ms (by round) | CPU µs/req: client | lb | docker-proxy | backend | total | cpu ratio | target (> 0.7, < 1 ms) |"
  )
  log(
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  )
  const cpuCells = (c: LbBenchCpu) =>
    `${fmt(c.client, 0)} | ${fmt(c.lb, 0)} | ${fmt(c.dockerProxy, 0)} | ${fmt(c.backend, 0)} | ${fmt(c.total, 0)}`
  for (const placement of ["shared", "pinned"] as const)
    for (const name of ["node", "busybox", "busybox-bridge"] as const) {
      const rows = results.filter((r) => r.backend === name && r.placement === placement)
      if (rows.length === 0) continue
      const d = rows[0]!
      log(
        `| ${placement} | ${name} | direct | ${d.connections} | ${fmt(d.directRps, 0)} | 1 | ${d.directListenOverflows} | ${fmt(d.directP50Ms, 3)} | ${fmt(d.directP99Ms, 3)} | 0 | ${cpuCells(d.directCpu)} | 1 | |`
      )
      for (const r of rows) {
        const ok = r.ratio > 0.7 && r.p99AddedMs < 1 ? "ok" : r.ratio > 0.7 ? "p99 MISSED" : "MISSED"
        log(
          `| ${placement} | ${name} | ${proxy === "haproxy" ? "haproxy" : "lb"} ${r.mode} | ${r.connections} | ${fmt(r.rps, 0)} | ${fmt(r.ratio)} (${fmt(r.ratioMin)}-${fmt(r.ratioMax)}) | ${r.listenOverflows} | ${fmt(r.p50Ms, 3)} | ${fmt(r.p99Ms, 3)} | ${fmt(r.p99AddedMs, 3)} (${r.p99AddedByRound.map((v) => fmt(v, 2)).join(" ")}) | ${cpuCells(r.cpu)} | ${fmt(r.cpuRatio)} | ${ok} |`
        )
      }
    }
  log("")
  log(
    `latency at ${rate} req/s (node) and ${containerRate} req/s (container) per path, the paths interleaved, 8 keep-alive client sockets each, ${rounds} rounds pooled`
  )
  log(
    `other processes (throughput / latency runs, mean): ${results
      .filter((r) => r.mode === "tcp")
      .map((r) => `${r.placement} ${r.backend} ${fmt(r.throughputNoiseCores)} / ${fmt(r.latencyNoiseCores)} cores`)
      .join(", ")}`
  )
  log(
    `the load balancer's GC pauses during the latency runs (count, longest, sum): ${results
      .filter((r) => r.mode === "tcp")
      .map((r) => `${r.placement} ${r.backend} ${r.lbGcPauses}, ${fmt(r.lbGcMaxMs, 2)} ms, ${fmt(r.lbGcTotalMs, 1)} ms`)
      .join("; ")}`
  )
  log(`load average at end: ${load()}`)
  for (const r of results)
    log(
      `bench apps lb_proxy=${r.proxy} lb_placement=${r.placement} lb_backend=${r.backend} lb_mode=${r.mode} rps=${fmt(r.rps, 0)} direct_rps=${fmt(r.directRps, 0)} ratio=${fmt(r.ratio)} ratio_min=${fmt(r.ratioMin)} ratio_max=${fmt(r.ratioMax)} p50_ms=${fmt(r.p50Ms, 3)} p99_ms=${fmt(r.p99Ms, 3)} direct_p50_ms=${fmt(r.directP50Ms, 3)} direct_p99_ms=${fmt(r.directP99Ms, 3)} p99_added_ms=${fmt(r.p99AddedMs, 3)} latency_samples=${r.latencySamples} connections=${r.connections} listen_overflows=${r.listenOverflows} direct_listen_overflows=${r.directListenOverflows} latency_listen_overflows=${r.latencyListenOverflows} lb_gc_pauses=${r.lbGcPauses} lb_gc_max_ms=${fmt(r.lbGcMaxMs, 3)} lb_gc_total_ms=${fmt(r.lbGcTotalMs, 1)} lb_cpu_us_per_req=${fmt(r.lbCpuUsPerRequest, 0)} errors=${r.errors} cpu_ratio=${fmt(r.cpuRatio)} cpu_us_per_req=${fmt(r.cpu.total, 0)} direct_cpu_us_per_req=${fmt(r.directCpu.total, 0)} client_cpu_us_per_req=${fmt(r.cpu.client, 0)} docker_proxy_cpu_us_per_req=${fmt(r.cpu.dockerProxy, 0)} backend_cpu_us_per_req=${fmt(r.cpu.backend, 0)} latency_noise_cores=${fmt(r.latencyNoiseCores)} throughput_noise_cores=${fmt(r.throughputNoiseCores)}`
    )
  return results
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runLbBench()
}
