/**
 * The mutable state of one service port, shared by its TCP or HTTP listener: live and draining backends with
 * their counters, passive health marks, and the strategy. Plain objects and counters, no Effect: this is the
 * per-connection hot path.
 *
 * @since 0.1.0
 */
import { Agent } from "node:http"
import type { Socket } from "node:net"
import type { Pool as UndiciPool } from "undici"
import type { Backend, ServiceSpec, Upstream, Weighting } from "../Backend.js"
import { type Cursor, type Picker, pickerOf } from "../strategy/index.js"

/**
 * Something open through a backend (a TCP connection pair, an HTTP request) that can be cut.
 *
 * @since 0.1.0
 * @category models
 */
export interface Flow {
  /** Bytes received from the client and sent to it so far (for live stats). */
  readonly bytesIn: number
  readonly bytesOut: number
  destroy(): void
}

/**
 * Tunables shared by the pools of a load balancer.
 *
 * @since 0.1.0
 * @category models
 */
export interface PoolSettings {
  readonly drainTimeoutMs: number
  readonly downMs: number
  readonly maxSocketsPerBackend: number
}

const ignoreError = (): void => {}

/**
 * One backend's state.
 *
 * @since 0.1.0
 * @category models
 */
export class BackendState {
  weight: number
  current = 0
  active = 0
  total = 0
  failed = 0
  bytesIn = 0
  bytesOut = 0
  downUntil = 0
  draining = false
  readonly flows = new Set<Flow>()
  idleWaiters: Array<() => void> = []
  agent: Agent | undefined
  /** HTTP mode: the upstream of the next request, learnt from every answer (see `http/headers.ts` keepsAlive). */
  upstream: Upstream = "undici"
  /** HTTP mode: the undici pool to this backend (made on first use, and anew once closed, by `undiciUpstream`). */
  undici: UndiciPool | undefined
  drainTimer: ReturnType<typeof setTimeout> | undefined
  private readonly closeWhenFree = (socket: Socket): void => {
    socket.destroy()
  }
  constructor(
    public backend: Backend,
    weight: number
  ) {
    this.weight = weight
  }
  get id(): string {
    return this.backend.id
  }
  /** The keep-alive pool to this backend (HTTP mode), made on first use. */
  httpAgent(maxSockets: number, timeoutMs: number): Agent {
    if (this.agent === undefined) {
      this.agent = new Agent({
        keepAlive: true,
        maxSockets,
        maxFreeSockets: maxSockets,
        scheduling: "lifo",
        noDelay: true,
        timeout: timeoutMs
      })
      if (this.draining) this.closeIdleSockets()
    }
    return this.agent
  }
  /**
   * Closes the idle keep-alive sockets now and each socket as soon as it becomes idle. The undici pool closes
   * gracefully (idle connections at once, busy ones once their request is done) and stays referenced, so that
   * `closeAllSockets` can still cut what it carries; a revived backend gets a new one.
   */
  closeIdleSockets(): void {
    if (this.undici?.closed === false) this.undici.close().catch(ignoreError)
    const agent = this.agent
    if (agent === undefined) return
    for (const list of Object.values(agent.freeSockets)) for (const socket of list ?? []) socket.destroy()
    agent.on("free", this.closeWhenFree)
  }
  /** Cuts every connection to this backend (both upstreams). */
  closeAllSockets(): void {
    this.undici?.destroy().catch(ignoreError)
    this.undici = undefined
    this.agent?.destroy()
    this.agent = undefined
  }
  /** Keeps idle keep-alive sockets again (the backend came back). */
  keepIdleSockets(): void {
    this.agent?.off("free", this.closeWhenFree)
  }
}

/**
 * The backends of one service port.
 *
 * @since 0.1.0
 * @category models
 */
export class Pool {
  live: Array<BackendState> = []
  readonly draining = new Set<BackendState>()
  picker: Picker
  readonly cursor: Cursor = { next: 0 }
  weighting: Weighting | undefined
  /** Clients turned away because no backend could take them. */
  noBackend = 0
  /** Connections or requests that failed as their client saw it (turned away, 502/504, answer cut). */
  clientFailures = 0
  /** Connections or requests that were retried on another backend. */
  retried = 0
  /** Proxied connections cut after `idleTimeoutMs` without a byte either way. */
  idleCuts = 0
  /** Clients refused because the service port had `maxConnections` open. */
  overLimit = 0
  /** Counters of backends that are gone, so that service totals never go down. */
  readonly retired = { total: 0, bytesIn: 0, bytesOut: 0 }
  private now = 0
  private readonly isUp = (b: BackendState): boolean => b.weight > 0 && b.downUntil <= this.now && !this.excluded(b)
  private readonly isUsable = (b: BackendState): boolean => b.weight > 0 && !this.excluded(b)
  private exclude: BackendState | ReadonlyArray<BackendState> | undefined

  constructor(
    public spec: ServiceSpec,
    readonly settings: PoolSettings
  ) {
    this.picker = pickerOf(spec.strategy)
  }

  private excluded(b: BackendState): boolean {
    const ex = this.exclude
    return ex === undefined ? false : ex instanceof BackendState ? ex === b : ex.includes(b)
  }

  /**
   * The backend for a new connection or request: an up one by the strategy, else (all marked down) any
   * usable one, since a passive mark may be stale. `exclude` lists backends already tried.
   */
  pick(exclude?: BackendState | ReadonlyArray<BackendState>): BackendState | undefined {
    this.now = Date.now()
    this.exclude = exclude
    const chosen = this.picker(this.live, this.isUp, this.cursor) ?? this.picker(this.live, this.isUsable, this.cursor)
    this.exclude = undefined
    return chosen
  }

  /** Every flow of the pool, on live and draining backends. */
  *flows(): IterableIterator<Flow> {
    for (const b of this.live) yield* b.flows
    for (const b of this.draining) yield* b.flows
  }

  /** A client is turned away: no backend could take it. */
  turnAway(): void {
    this.noBackend++
    this.clientFailures++
  }

  /** A flow starts on `b`. */
  open(b: BackendState, flow: Flow): void {
    b.active++
    b.total++
    b.flows.add(flow)
  }

  /** A flow on `b` ended; `failed` when it could not be served. */
  close(b: BackendState, flow: Flow, failed: boolean): void {
    if (!b.flows.delete(flow)) return
    b.active--
    b.bytesIn += flow.bytesIn
    b.bytesOut += flow.bytesOut
    if (failed) b.failed++
    if (b.active === 0) this.idle(b)
  }

  /** Passive health: `b` refused a connection, so it gets no new traffic for a while. */
  markDown(b: BackendState): void {
    b.downUntil = Date.now() + this.settings.downMs
  }

  /** Replaces the backends; the ones that disappear (or moved) drain. */
  setBackends(backends: ReadonlyArray<Backend>): void {
    const previous = new Map(this.live.map((b) => [b.id, b]))
    const weights = this.weightsOf(backends)
    const next: Array<BackendState> = []
    for (let i = 0; i < backends.length; i++) {
      const backend = backends[i]!
      const old = previous.get(backend.id)
      if (old !== undefined && old.backend.host === backend.host && old.backend.port === backend.port) {
        previous.delete(backend.id)
        old.backend = backend
        old.weight = weights[i]!
        next.push(old)
        continue
      }
      const revived = [...this.draining].find(
        (d) => d.id === backend.id && d.backend.host === backend.host && d.backend.port === backend.port
      )
      if (revived !== undefined) {
        this.undrain(revived)
        revived.weight = weights[i]!
        next.push(revived)
        continue
      }
      next.push(new BackendState(backend, weights[i]!))
    }
    for (const gone of previous.values()) this.drain(gone)
    this.live = next
    for (const b of next) b.current = 0
    this.cursor.next = 0
  }

  /** Installs a weighting (or removes it) and recomputes the effective weights. */
  setWeighting(weighting: Weighting | undefined): void {
    this.weighting = weighting
    const weights = this.weightsOf(this.live.map((b) => b.backend))
    this.live.forEach((b, i) => {
      b.weight = weights[i]!
      b.current = 0
    })
  }

  setStrategy(spec: ServiceSpec): void {
    this.spec = spec
    this.picker = pickerOf(spec.strategy)
    for (const b of this.live) b.current = 0
  }

  /** Every state that carries `id`, live or draining. */
  statesOf(id: string): ReadonlyArray<BackendState> {
    return [...this.live.filter((b) => b.id === id), ...[...this.draining].filter((b) => b.id === id)]
  }

  /** Calls `done` once no state of `id` has an open flow; returns a canceller. */
  whenIdle(id: string, done: () => void): () => void {
    const busy = this.statesOf(id).filter((b) => b.active > 0)
    if (busy.length === 0) {
      done()
      return () => {}
    }
    let pending = busy.length
    let cancelled = false
    const one = () => {
      if (cancelled) return
      pending--
      if (pending === 0) done()
    }
    for (const b of busy) b.idleWaiters.push(one)
    return () => {
      cancelled = true
      for (const b of busy) b.idleWaiters = b.idleWaiters.filter((w) => w !== one)
    }
  }

  /** Cuts every flow and closes every pool (the service is going away now). */
  destroy(): void {
    for (const b of [...this.live, ...this.draining]) {
      for (const flow of [...b.flows]) flow.destroy()
      this.release(b)
    }
    this.live = []
    this.draining.clear()
  }

  /** Stops new traffic to every backend and drains them all (the service is being removed). */
  drainAll(): void {
    for (const b of this.live) this.drain(b)
    this.live = []
  }

  private weightsOf(backends: ReadonlyArray<Backend>): ReadonlyArray<number> {
    const override = this.weighting?.(backends)
    return backends.map((b, i) => override?.[i] ?? b.weight ?? 1)
  }

  private drain(b: BackendState): void {
    b.draining = true
    b.closeIdleSockets()
    if (b.active === 0) {
      this.release(b)
      return
    }
    this.draining.add(b)
    b.drainTimer = setTimeout(() => {
      for (const flow of [...b.flows]) flow.destroy()
    }, this.settings.drainTimeoutMs)
    b.drainTimer.unref()
  }

  private undrain(b: BackendState): void {
    this.draining.delete(b)
    b.draining = false
    if (b.drainTimer !== undefined) clearTimeout(b.drainTimer)
    b.drainTimer = undefined
    b.keepIdleSockets()
  }

  private idle(b: BackendState): void {
    const waiters = b.idleWaiters
    b.idleWaiters = []
    if (b.draining) this.release(b)
    for (const w of waiters) w()
  }

  private release(b: BackendState): void {
    if (this.draining.delete(b) || b.draining) {
      this.retired.total += b.total
      this.retired.bytesIn += b.bytesIn
      this.retired.bytesOut += b.bytesOut
    }
    if (b.drainTimer !== undefined) clearTimeout(b.drainTimer)
    b.drainTimer = undefined
    b.closeAllSockets()
  }
}
