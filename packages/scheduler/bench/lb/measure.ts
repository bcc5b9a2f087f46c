/**
 * The measurements of the load balancer bench: one throughput run of one path, or one latency run of every path
 * of a backend, with the CPU time of every party (client, load balancer, docker-proxy, backend) around it and the
 * CPU other processes used meanwhile.
 */
import { PerformanceObserver } from "node:perf_hooks"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { type ClientResult, runClient } from "./clients.js"
import { listenOverflows, machineBusyMs } from "./processes.js"

/** CPU time per request (µs) of each party of one path. */
export interface LbBenchCpu {
  readonly client: number
  readonly lb: number
  /** docker-proxy (the published port's userland proxy); 0 where it is not on the path. */
  readonly dockerProxy: number
  /** The Node backend or the container (its cgroup). */
  readonly backend: number
  readonly total: number
}

/** The backends measured. */
export type LbBenchBackend = "node" | "busybox" | "busybox-bridge"

/** The median of some values (0 for none). */
export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!
}

/** The paths to a backend: straight, or through the load balancer in TCP or HTTP mode. */
export type Path = "direct" | "tcp" | "http"
/** Every path, in the order each round runs them. */
export const paths: ReadonlyArray<Path> = ["direct", "tcp", "http"]

/** One backend as the rounds see it: where each path connects and how to read each party's CPU. */
export interface Target {
  readonly name: LbBenchBackend
  /** Latency runs' request rate. */
  readonly rate: number
  readonly urls: Record<Path, string>
  readonly backendCpuMs: () => number
  readonly dockerProxyCpuMs: () => number
  /** CPU time (ms) of the load balancer so far: this process, or the reference proxy's. */
  readonly lbCpuMs: () => number
  /** The CPUs the clients run on (`taskset -c`), or all. */
  readonly clientCpus?: string | undefined
  /** Concurrent clients of the throughput runs. */
  readonly connections: number
  /** A process in the backend's network namespace (the container), when it is not this machine's. */
  readonly backendNetnsPid?: number | undefined
}

/** Accept-queue overflows so far on this machine's namespace and the backend's. */
const overflows = (target: Target): number =>
  listenOverflows(process.pid) + (target.backendNetnsPid === undefined ? 0 : listenOverflows(target.backendNetnsPid))

/** One throughput run on one path. */
export interface Sample {
  readonly result: ClientResult
  readonly cpu: Omit<LbBenchCpu, "total">
  /** CPU (ms) the machine spent on other processes per second of the run. */
  readonly noiseCores: number
  /** Accept-queue overflows (dropped handshakes) during the run, on this machine and in the container. */
  readonly listenOverflows: number
}

/** CPU (ms) of every party, and of the whole machine, around `run`; `clientMs` is what the client reports. */
const aroundCpu = async <A>(
  target: Target,
  run: () => Promise<A>,
  clientMs: (a: A) => number
): Promise<{
  readonly value: A
  readonly lbMs: number
  readonly backendMs: number
  readonly proxyMs: number
  readonly noiseCores: number
  readonly listenOverflows: number
}> => {
  const t0 = Date.now()
  const overflows0 = overflows(target)
  const busy0 = machineBusyMs()
  const lb0 = target.lbCpuMs()
  const backend0 = target.backendCpuMs()
  const proxy0 = target.dockerProxyCpuMs()
  const value = await run()
  const lbMs = target.lbCpuMs() - lb0
  const backendMs = target.backendCpuMs() - backend0
  const proxyMs = target.dockerProxyCpuMs() - proxy0
  const ours = clientMs(value) + lbMs + backendMs + proxyMs
  const noiseCores = Math.max(0, machineBusyMs() - busy0 - ours) / Math.max(1, Date.now() - t0)
  return { value, lbMs, backendMs, proxyMs, noiseCores, listenOverflows: overflows(target) - overflows0 }
}

/** Runs one throughput client on one path and reads every party's CPU around it. */
export const measure = async (target: Target, path: Path, config: Record<string, unknown>): Promise<Sample> => {
  const {
    value: result,
    lbMs,
    backendMs,
    proxyMs,
    noiseCores,
    listenOverflows
  } = await aroundCpu(
    target,
    () => runClient({ ...config, connections: target.connections, urls: [target.urls[path]] }, target.clientCpus),
    (r) => r.cpuMs
  )
  const n = Math.max(1, result.count)
  return {
    result,
    cpu: {
      client: (result.cpuMs * 1000) / n,
      lb: path === "direct" ? 0 : (lbMs * 1000) / n,
      dockerProxy: (proxyMs * 1000) / n,
      backend: (backendMs * 1000) / n
    },
    noiseCores,
    listenOverflows
  }
}

/** The latencies (µs) of one path in one latency run. */
export interface PathLatencies {
  readonly count: number
  readonly errors: number
  readonly lat: ReadonlyArray<number>
}

/** One latency run: every path of a backend interleaved request by request. */
export interface LatencySample {
  readonly byPath: Record<Path, PathLatencies>
  readonly noiseCores: number
  /** Accept-queue overflows (dropped handshakes) during the run, on this machine and in the container. */
  readonly listenOverflows: number
  /** The load balancer's (this process's) garbage collection pauses during the run, ms. */
  readonly lbGcPausesMs: ReadonlyArray<number>
}

/** The `q` quantile (0..1) of sorted values. */
const quantile = (sorted: ReadonlyArray<number>, q: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

/** p50 and p99 (ms) of latencies in µs. */
export const percentiles = (latUs: ReadonlyArray<number>): { readonly p50: number; readonly p99: number } => {
  const sorted = [...latUs].sort((a, b) => a - b)
  return { p50: quantile(sorted, 0.5) / 1000, p99: quantile(sorted, 0.99) / 1000 }
}

/** A full garbage collection of this process (`--expose-gc` turned on at run time where it was not given). */
const collectGarbage = (): void => {
  if (typeof globalThis.gc !== "function") setFlagsFromString("--expose-gc")
  const gc = typeof globalThis.gc === "function" ? globalThis.gc : (runInNewContext("gc") as () => void)
  gc()
}

/** One latency run of every path of a backend, interleaved request by request. */
export const measureLatency = async (target: Target, durationMs: number): Promise<LatencySample> => {
  // the garbage of the throughput runs before is collected now, not during this run
  collectGarbage()
  const pauses: Array<number> = []
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push(entry.duration)
  })
  gc.observe({ entryTypes: ["gc"] })
  const { value, noiseCores, listenOverflows } = await aroundCpu(
    target,
    () =>
      runClient<{ paths: ReadonlyArray<PathLatencies>; cpuMs: number }>(
        {
          kind: "latency",
          rate: target.rate,
          durationMs,
          urls: paths.map((path) => target.urls[path])
        },
        target.clientCpus
      ),
    (r) => r.cpuMs
  ).finally(() => gc.disconnect())
  return {
    byPath: { direct: value.paths[0]!, tcp: value.paths[1]!, http: value.paths[2]! },
    noiseCores,
    listenOverflows,
    lbGcPausesMs: pauses
  }
}

/** Every party's median CPU per request over some runs. */
export const medianCpu = (samples: ReadonlyArray<Sample>): LbBenchCpu => {
  const of = (k: keyof Sample["cpu"]) => median(samples.map((s) => s.cpu[k]))
  const cpu = { client: of("client"), lb: of("lb"), dockerProxy: of("dockerProxy"), backend: of("backend") }
  return { ...cpu, total: cpu.client + cpu.lb + cpu.dockerProxy + cpu.backend }
}
