/**
 * The HTTP call shared by the Prometheus and web providers: `fetch` with a deadline, a size-bounded body,
 * and errors that name the provider and the metric (never the secret values).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { ProviderError } from "../RolloutError.js"

/**
 * What an HTTP call needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface HttpRequest {
  readonly provider: string
  readonly metric: string
  readonly url: string
  readonly method: string
  readonly headers: ReadonlyArray<{ readonly key: string; readonly value: string }>
  readonly body?: string
  readonly timeoutMs: number
}

/**
 * The most bytes read from a provider's answer (8 MiB).
 *
 * @since 0.1.0
 * @category constants
 */
export const maxResponseBytes = 8 * 1024 * 1024

/**
 * Calls `url` and returns the status and the text of the answer; fails with a {@link ProviderError} on a
 * network error, a timeout, or an answer larger than {@link maxResponseBytes}.
 *
 * @since 0.1.0
 * @category requests
 */
export const request = (
  req: HttpRequest
): Effect.Effect<{ readonly status: number; readonly text: string }, ProviderError> => {
  const fail = (reason: string) => new ProviderError({ provider: req.provider, metric: req.metric, reason })
  const call = Effect.tryPromise({
    try: async (signal) => {
      const headers = new Headers()
      for (const { key, value } of req.headers) headers.append(key, value)
      const response = await fetch(req.url, {
        method: req.method,
        headers,
        signal,
        ...(req.body === undefined ? {} : { body: req.body })
      })
      const length = Number(response.headers.get("content-length") ?? "0")
      if (length > maxResponseBytes) {
        await response.body?.cancel()
        throw new Error(`answer of ${length} bytes exceeds ${maxResponseBytes}`)
      }
      const buffer = await response.arrayBuffer()
      if (buffer.byteLength > maxResponseBytes) throw new Error(`answer exceeds ${maxResponseBytes} bytes`)
      return { status: response.status, text: new TextDecoder().decode(buffer) }
    },
    catch: (cause) => fail(describeCause(cause))
  })
  return Effect.timeoutOrElse(call, {
    duration: req.timeoutMs,
    orElse: () => Effect.fail(fail(`no answer within ${req.timeoutMs} ms`))
  })
}

const describeCause = (cause: unknown): string => {
  if (cause instanceof Error) {
    const inner = (cause as Error & { cause?: unknown }).cause
    return inner instanceof Error ? `${cause.message}: ${inner.message}` : cause.message
  }
  return String(cause)
}
