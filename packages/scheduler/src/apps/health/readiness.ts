/**
 * Readiness checks (Marathon's): `GET path` on the port named `portName` until the answer's status is one of
 * `httpStatusCodesForReady`.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ReadinessCheck } from "../model/AppDefinition.js"
import { httpGet } from "./checks/httpGet.js"
import { type HealthTarget, type ReadinessResult, readinessPortOf } from "./HealthTarget.js"

/**
 * The most of a response body a readiness result keeps (`preserveLastResponse`): 1 KB.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxResponseBodyBytes = 1_024

/**
 * Runs `check` once against `target`. Never fails: no answer, a missing port or a status not in
 * `httpStatusCodesForReady` are "not ready" results whose `message` says why.
 *
 * @since 0.1.0
 * @category checks
 */
export const readyOnce = (check: ReadinessCheck, target: HealthTarget): Effect.Effect<ReadinessResult> => {
  const port = readinessPortOf(target, check.portName)
  if (typeof port === "string") return Effect.succeed({ ready: false, message: port })
  return httpGet({
    protocol: check.protocol,
    host: target.host,
    port,
    path: check.path,
    timeoutMs: check.timeoutSeconds * 1000,
    bodyBytes: check.preserveLastResponse ? maxResponseBodyBytes : 0
  }).pipe(
    Effect.map((answer): ReadinessResult => {
      const where = `${check.protocol} ${target.host}:${port}${check.path}`
      if (answer._tag === "Failed") return { ready: false, message: `${where}: ${answer.reason}` }
      if (answer._tag === "Informational") {
        return { ready: false, status: answer.status, message: `${where}: ${answer.status} and no final status` }
      }
      const ready = check.httpStatusCodesForReady.includes(answer.status)
      return {
        ready,
        status: answer.status,
        message: `${where}: ${answer.status}${ready ? "" : ` (ready on ${check.httpStatusCodesForReady.join(", ")})`}`,
        ...(check.preserveLastResponse ? { lastResponse: { status: answer.status, body: answer.body } } : {})
      }
    }),
    Effect.withSpan("Health.readyOnce", { attributes: { taskId: target.taskId, check: check.name } })
  )
}
