/**
 * Reading `/v2` request bodies: app and group JSON decoded strictly (an unknown field is an error naming it,
 * so a typo never goes unnoticed), except the read-only fields a `GET` answer adds, which are dropped so
 * that what `GET` returns can be `PUT` back.
 *
 * @since 0.1.0
 */
import { Effect, type Schema } from "effect"
import { decode } from "../../cluster/internal/decode.js"
import { InvalidApp } from "../plan/InvalidApp.js"

/** Fields of `GET /v2/apps/...` answers that are not part of a definition. */
const readOnlyAppFields = [
  "version",
  "versionInfo",
  "tasksStaged",
  "tasksRunning",
  "tasksHealthy",
  "tasksUnhealthy",
  "deployments",
  "lastTaskFailure",
  "tasks",
  "backoff",
  "servicePorts"
]

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * An app's JSON without the read-only fields of an answer.
 *
 * @since 0.1.0
 * @category decoding
 */
export const withoutReadOnly = (value: unknown): unknown => {
  if (!isRecord(value)) return value
  const copy: Record<string, unknown> = { ...value }
  for (const field of readOnlyAppFields) delete copy[field]
  return copy
}

/**
 * A group's JSON without the read-only fields of its apps (recursively).
 *
 * @since 0.1.0
 * @category decoding
 */
export const groupWithoutReadOnly = (value: unknown): unknown => {
  if (!isRecord(value)) return value
  const copy: Record<string, unknown> = { ...value }
  delete copy.version
  if (Array.isArray(copy.apps)) copy.apps = copy.apps.map(withoutReadOnly)
  if (Array.isArray(copy.groups)) copy.groups = copy.groups.map(groupWithoutReadOnly)
  return copy
}

/**
 * Decodes a request body into `InvalidApp` naming the field (its JSON path in the body) on failure; no body
 * at all is an error naming `body`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeBody = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S,
  body: unknown,
  prepare: (value: unknown) => unknown = (value) => value
): Effect.Effect<S["Type"], InvalidApp> =>
  body === undefined
    ? Effect.fail(new InvalidApp({ field: "body", reason: "expects a JSON body" }))
    : decode(
        schema,
        ""
      )(prepare(body)).pipe(
        Effect.mapError(
          (error) => new InvalidApp({ field: error.field === "" ? "body" : error.field, reason: error.reason })
        )
      )
