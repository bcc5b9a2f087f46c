/**
 * The idle timeout of proxied connections (TCP mode, and HTTP mode's Upgrade tunnels): one interval for the whole
 * load balancer looks at every spliced connection and cuts those through which no byte went either way for
 * `idleMs`, so that a client or backend that vanished without a FIN (a partition, a host gone) does not hold two
 * sockets forever. The hot path pays nothing (no per-socket timer is armed on every read and write): a
 * connection is cut between `idleMs` and `idleMs` plus one sweep period (a quarter of it, 250 ms to 60 s) after
 * its last byte.
 *
 * @since 0.1.0
 */
import type { Pool } from "./Pool.js"
import { SocketFlow } from "./SocketFlow.js"

/** Looks at the flows of `pools` once: notes traffic, cuts connections quiet for `idleMs` (counted per pool). */
export const sweepIdle = (pools: Iterable<Pool>, idleMs: number, now: number): void => {
  for (const pool of pools) {
    for (const flow of [...pool.flows()]) {
      if (!(flow instanceof SocketFlow) || flow.upstream === undefined || flow.upstream.connecting) continue
      const bytes = flow.client.bytesRead + flow.client.bytesWritten
      if (bytes !== flow.seenBytes) {
        flow.seenBytes = bytes
        flow.quietSince = now
      } else if (now - flow.quietSince >= idleMs) {
        pool.idleCuts++
        flow.destroy()
      }
    }
  }
}

/**
 * Starts sweeping `pools()` (read anew at each sweep); returns the function that stops it. `idleMs` 0: no sweep.
 *
 * @since 0.1.0
 * @category constructors
 */
export const startIdleSweep = (pools: () => Iterable<Pool>, idleMs: number): (() => void) => {
  if (idleMs <= 0) return () => {}
  const period = Math.min(60_000, Math.max(250, Math.floor(idleMs / 4)))
  const timer = setInterval(() => sweepIdle(pools(), idleMs, Date.now()), period)
  timer.unref()
  return () => clearInterval(timer)
}
