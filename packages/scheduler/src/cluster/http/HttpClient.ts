/**
 * JSON calls between cluster members (agent -> master, master -> agent, framework -> master) over `fetch`,
 * with a timeout, and error answers turned into a {@link RemoteError} that keeps the other side's error tag and,
 * for `NotLeader`, where the leader is.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { RemoteError } from "../ClusterError.js"

/**
 * Sends one JSON request and resolves with the parsed answer.
 *
 * @since 0.1.0
 * @category requests
 */
export const requestJson = (
  method: string,
  url: string,
  body?: unknown,
  timeoutMs = 10_000
): Effect.Effect<unknown, RemoteError> =>
  Effect.tryPromise({
    try: async (signal) => {
      const response = await fetch(url, {
        method,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } })
      })
      const text = await response.text()
      let parsed: unknown
      try {
        parsed = text === "" ? undefined : JSON.parse(text)
      } catch {
        parsed = text
      }
      return { status: response.status, body: parsed }
    },
    catch: (cause) => new RemoteError({ url, reason: cause instanceof Error ? cause.message : String(cause) })
  }).pipe(
    Effect.flatMap(({ status, body: answer }) => {
      if (status < 300) return Effect.succeed(answer)
      const fields = typeof answer === "object" && answer !== null ? (answer as Record<string, unknown>) : {}
      return Effect.fail(
        new RemoteError({
          url,
          status,
          reason: typeof fields.message === "string" ? fields.message : String(answer),
          ...(typeof fields.error === "string" ? { error: fields.error } : {}),
          ...(typeof fields.leader === "string" ? { leader: fields.leader } : {})
        })
      )
    })
  )
