/**
 * Command health checks: `sh -c <command.value>` inside the task's container, through its agent's exec API;
 * exit code 0 is healthy.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { exec } from "../../../cluster/agent/AgentClient.js"
import type { HealthCheck } from "../../model/AppDefinition.js"
import type { HealthTarget } from "../HealthTarget.js"
import type { Verdict } from "./timed.js"

const lastLine = (output: string): string => {
  const lines = output.trim().split("\n")
  const line = lines[lines.length - 1] ?? ""
  return line.length > 200 ? `${line.slice(0, 200)}...` : line
}

/**
 * Runs the check's command in the task's container; a command still running after `timeoutSeconds` is
 * killed and unhealthy. A check without `command` is unhealthy and says so.
 *
 * @since 0.1.0
 * @category checks
 */
export const commandVerdict = (check: HealthCheck, target: HealthTarget): Effect.Effect<Verdict> => {
  if (check.command === undefined) {
    return Effect.succeed({ healthy: false, message: "COMMAND check without command.value" })
  }
  const timeoutMs = Math.max(1, Math.round(check.timeoutSeconds * 1000))
  return exec(target.agentUrl, target.taskId, { command: ["sh", "-c", check.command.value], timeoutMs }).pipe(
    Effect.map((result): Verdict => {
      if (result.timedOut === true) {
        return { healthy: false, message: `command timed out after ${timeoutMs} ms` }
      }
      const output = lastLine(result.output)
      return {
        healthy: result.exitCode === 0,
        message: `command exited with code ${result.exitCode}${output === "" ? "" : `: ${output}`}`
      }
    }),
    Effect.catch((error) => Effect.succeed({ healthy: false, message: `command could not run: ${error.message}` }))
  )
}
