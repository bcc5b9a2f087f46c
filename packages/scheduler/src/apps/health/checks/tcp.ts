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
 * Opens a TCP connection to `host:port` within the check's `timeoutSeconds`, then closes it.
 *
 * @since 0.1.0
 * @category checks
 */
export const tcpVerdict = (check: HealthCheck, target: HealthTarget, port: number): Effect.Effect<Verdict> =>
  Effect.callback<Verdict>((resume) => {
    const timeoutMs = check.timeoutSeconds * 1000
    const where = `${target.host}:${port}`
    const socket = connect({ host: target.host, port })
    const finish = (verdict: Verdict): void => {
      clearTimeout(timer)
      socket.destroy()
      resume(Effect.succeed(verdict))
    }
    const timer = setTimeout(
      () => finish({ healthy: false, message: `TCP ${where}: no connection within ${timeoutMs} ms` }),
      timeoutMs
    )
    socket.once("connect", () => finish({ healthy: true, message: `TCP ${where}: connected` }))
    socket.once("error", (error: NodeJS.ErrnoException) =>
      finish({
        healthy: false,
        message: `TCP ${where}: ${error.code === "ECONNREFUSED" ? "connection refused" : error.message}`
      })
    )
    return Effect.sync(() => {
      clearTimeout(timer)
      socket.destroy()
    })
  })
