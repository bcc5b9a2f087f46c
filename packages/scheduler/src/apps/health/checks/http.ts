/**
 * HTTP and HTTPS health checks: `GET path` on the task's port; 200-399 is healthy, as in Marathon.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { HealthCheck } from "../../model/AppDefinition.js"
import type { HealthTarget } from "../HealthTarget.js"
import { httpGet } from "./httpGet.js"
import type { Verdict } from "./timed.js"

/**
 * Checks `GET path` on `host:port` within the check's `timeoutSeconds`. A final status 200-399 is healthy;
 * an informational (1xx) status with no final one after it is healthy only when `ignoreHttp1xx`.
 *
 * @since 0.1.0
 * @category checks
 */
export const httpVerdict = (
  check: HealthCheck & { readonly protocol: "HTTP" | "HTTPS" },
  target: HealthTarget,
  port: number
): Effect.Effect<Verdict> =>
  httpGet({
    protocol: check.protocol,
    host: target.host,
    port,
    path: check.path,
    timeoutMs: check.timeoutSeconds * 1000,
    bodyBytes: 0
  }).pipe(
    Effect.map((answer): Verdict => {
      if (answer._tag === "Answered") {
        return {
          healthy: answer.status >= 200 && answer.status < 400,
          message: `${check.protocol} ${answer.status} from ${target.host}:${port}${check.path}`
        }
      }
      if (answer._tag === "Informational") {
        return check.ignoreHttp1xx
          ? { healthy: true, message: `${check.protocol} ${answer.status} (informational, ignored)` }
          : { healthy: false, message: `${check.protocol} ${answer.status} (informational) and no final status` }
      }
      return { healthy: false, message: `${check.protocol} ${target.host}:${port}${check.path}: ${answer.reason}` }
    })
  )
