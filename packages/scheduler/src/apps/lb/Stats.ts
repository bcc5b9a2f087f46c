/**
 * Counters of a service port and its backends, as `LoadBalancer.stats` returns them.
 *
 * @since 0.1.0
 */
import type { Mode, Strategy, Upstream } from "./Backend.js"
import type { BackendState, Pool } from "./internal/Pool.js"

/**
 * One backend's counters. `bytesIn` is what its clients sent, `bytesOut` what they received.
 *
 * @since 0.1.0
 * @category models
 */
export interface BackendStats {
  readonly id: string
  readonly host: string
  readonly port: number
  readonly weight: number
  /** `down`: refused a connection lately (passive health); `draining`: removed, finishing its traffic. */
  readonly state: "up" | "down" | "draining"
  /** Open connections (TCP) or requests in flight (HTTP). */
  readonly active: number
  readonly total: number
  /** Attempts that failed on this backend (refused, reset, timed out), retried elsewhere or not. */
  readonly failed: number
  readonly bytesIn: number
  readonly bytesOut: number
  /**
   * HTTP mode only: how requests go to this backend now, `undici` while its answers keep the connection alive,
   * `node` (node:http) while they close it (`Connection: close`, or HTTP/1.0 without keep-alive).
   */
  readonly upstream?: Upstream
}

/**
 * A service port's counters (totals include backends that are gone).
 *
 * @since 0.1.0
 * @category models
 */
export interface ServiceStats {
  readonly servicePort: number
  readonly name: string
  readonly mode: Mode
  readonly strategy: Strategy
  readonly active: number
  readonly total: number
  /** Failures as clients saw them: turned away, answered 502/504, or answer cut (retried attempts are not). */
  readonly failed: number
  /** Clients turned away because no backend could take them (connection closed, or 502). */
  readonly noBackend: number
  /** Connections or requests moved to another backend after a failure. */
  readonly retried: number
  /** Proxied connections cut for being idle (`idleTimeoutMs`). */
  readonly idleTimeouts: number
  /** Clients refused at `maxConnections` (also counted in `failed`). */
  readonly overLimit: number
  readonly bytesIn: number
  readonly bytesOut: number
  readonly backends: ReadonlyArray<BackendStats>
}

const backendStats = (b: BackendState, now: number, http: boolean): BackendStats => {
  let bytesIn = b.bytesIn
  let bytesOut = b.bytesOut
  for (const flow of b.flows) {
    bytesIn += flow.bytesIn
    bytesOut += flow.bytesOut
  }
  return {
    id: b.id,
    host: b.backend.host,
    port: b.backend.port,
    weight: b.weight,
    state: b.draining ? "draining" : b.downUntil > now ? "down" : "up",
    active: b.active,
    total: b.total,
    failed: b.failed,
    bytesIn,
    bytesOut,
    ...(http ? { upstream: b.upstream } : {})
  }
}

/**
 * The counters of one pool now.
 *
 * @since 0.1.0
 * @category constructors
 */
export const snapshot = (pool: Pool): ServiceStats => {
  const now = Date.now()
  const http = pool.spec.mode === "http"
  const backends = [...pool.live, ...pool.draining].map((b) => backendStats(b, now, http))
  const sum = (f: (b: BackendStats) => number, retired: number) => backends.reduce((n, b) => n + f(b), retired)
  return {
    servicePort: pool.spec.servicePort,
    name: pool.spec.name,
    mode: pool.spec.mode,
    strategy: pool.spec.strategy,
    active: sum((b) => b.active, 0),
    total: sum((b) => b.total, pool.retired.total),
    failed: pool.clientFailures,
    noBackend: pool.noBackend,
    retried: pool.retried,
    idleTimeouts: pool.idleCuts,
    overLimit: pool.overLimit,
    bytesIn: sum((b) => b.bytesIn, pool.retired.bytesIn),
    bytesOut: sum((b) => b.bytesOut, pool.retired.bytesOut),
    backends
  }
}
