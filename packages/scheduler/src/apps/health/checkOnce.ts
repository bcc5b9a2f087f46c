/**
 * One health check of one task, whatever its protocol.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { HealthCheck } from "../model/AppDefinition.js"
import { commandVerdict } from "./checks/command.js"
import { httpVerdict } from "./checks/http.js"
import { tcpVerdict } from "./checks/tcp.js"
import { timed } from "./checks/timed.js"
import { type CheckResult, type HealthTarget, portOf } from "./HealthTarget.js"

/**
 * Runs `check` once against `target`. Never fails: a refused connection, a timeout, a missing port or an
 * agent that does not answer are unhealthy results whose `message` says what happened.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { AppDefinition } from "@orchestrator/scheduler/apps"
 *
 * const check = Schema.decodeUnknownSync(AppDefinition.HealthCheck)({ protocol: "HTTP", path: "/health" })
 * const result = await Effect.runPromise(
 *   checkOnce(check, { taskId: "web.1", host: "10.0.0.5", ports: [31000], agentUrl: "http://10.0.0.5:5051", startedAt: Date.now() })
 * )
 * ```
 *
 * @since 0.1.0
 * @category checks
 */
export const checkOnce = (check: HealthCheck, target: HealthTarget): Effect.Effect<CheckResult> =>
  timed(
    Effect.suspend(() => {
      const protocol = check.protocol
      if (protocol === "COMMAND") return commandVerdict(check, target)
      const port = portOf(target, check)
      if (typeof port === "string") return Effect.succeed({ healthy: false, message: port })
      return protocol === "TCP" ? tcpVerdict(check, target, port) : httpVerdict({ ...check, protocol }, target, port)
    })
  ).pipe(Effect.withSpan("Health.checkOnce", { attributes: { taskId: target.taskId, protocol: check.protocol } }))
