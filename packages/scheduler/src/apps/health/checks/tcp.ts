/**
 * TCP health checks: the task's port accepts a connection within the timeout.
 *
 * @since 0.1.0
 */
import { connect } from "node:net"
import { Effect } from "effect"
import type { HealthCheck } from "../../model/AppDefinition.js"
import type { HealthTarget } from "../HealthTarget.js"
import type { Verdict } from "./timed.js"

/**
 * How long a connection must stay open (or the port must say something) for the check to pass. A port
 * published through a userland proxy (docker-proxy: dockerd with `--iptables=false`, or any connection to a
 * published port from the same host) accepts every connection and closes it at once when nothing listens in the
 * container, so "connected" alone would pass for a task whose server is not up.
 *
 * @since 0.1.0
 * @category constants
 */
export const tcpSettleMs = 100

/**
 * Opens a TCP connection to `host:port` within the check's `timeoutSeconds`, then closes it. The check passes
 * once the connection has stayed open {@link tcpSettleMs} (capped at half the timeout) or the port sent data; a
 * connection closed or reset before that fails it (a proxy in front of a port nothing listens on).
 *
 * @since 0.1.0
 * @category checks
 */
export const tcpVerdict = (check: HealthCheck, target: HealthTarget, port: number): Effect.Effect<Verdict> =>
  Effect.callback<Verdict>((resume) => {
    const timeoutMs = check.timeoutSeconds * 1000
    const settleMs = Math.min(tcpSettleMs, timeoutMs / 2)
    const where = `${target.host}:${port}`
    const socket = connect({ host: target.host, port })
    let connected = false
    let settle: ReturnType<typeof setTimeout> | undefined
    let done = false
    const finish = (verdict: Verdict): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      clearTimeout(settle)
      socket.destroy()
      resume(Effect.succeed(verdict))
    }
    const timer = setTimeout(
      () =>
        finish({
          healthy: false,
          message: connected
            ? `TCP ${where}: connected too late to see the connection stay open within ${timeoutMs} ms`
            : `TCP ${where}: no connection within ${timeoutMs} ms`
        }),
      timeoutMs
    )
    const passed = () => finish({ healthy: true, message: `TCP ${where}: connected` })
    socket.once("connect", () => {
      connected = true
      settle = setTimeout(passed, settleMs)
    })
    socket.once("data", passed)
    const closedAtOnce = () =>
      finish({
        healthy: false,
        message: `TCP ${where}: connected, then closed at once (a proxy in front of a port nothing listens on?)`
      })
    socket.once("end", closedAtOnce)
    socket.once("error", (error: NodeJS.ErrnoException) =>
      !connected && error.code !== "ECONNRESET"
        ? finish({
            healthy: false,
            message: `TCP ${where}: ${error.code === "ECONNREFUSED" ? "connection refused" : error.message}`
          })
        : closedAtOnce()
    )
    socket.once("close", () => {
      if (!done) closedAtOnce()
    })
    return Effect.sync(() => {
      done = true
      clearTimeout(timer)
      clearTimeout(settle)
      socket.destroy()
    })
  })
