/**
 * Calls to an agent's REST API from elsewhere (the app scheduler's command health checks).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { RemoteError } from "../ClusterError.js"
import { requestJson } from "../http/HttpClient.js"
import { decode } from "../internal/decode.js"
import { type ExecRequest, ExecResult } from "../Protocol.js"

/**
 * Runs `request.command` in the container of `taskId` through the agent at `agentUrl`
 * (`POST /api/v1/tasks/:taskId/exec`). The HTTP call waits 5 s longer than the command's own timeout.
 *
 * @since 0.1.0
 * @category requests
 */
export const exec = (
  agentUrl: string,
  taskId: string,
  request: ExecRequest
): Effect.Effect<ExecResult, RemoteError> => {
  const url = `${agentUrl}/api/v1/tasks/${encodeURIComponent(taskId)}/exec`
  return requestJson("POST", url, request, (request.timeoutMs ?? 30_000) + 5_000).pipe(
    Effect.flatMap((answer) =>
      decode(
        ExecResult,
        "answer"
      )(answer).pipe(
        Effect.mapError((error) => new RemoteError({ url, reason: `unexpected answer: ${error.message}` }))
      )
    )
  )
}
