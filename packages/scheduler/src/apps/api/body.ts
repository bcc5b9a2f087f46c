/**
 * Reading `/v2` request bodies: app and group JSON decoded strictly (an unknown field is an error naming it,
 * so a typo never goes unnoticed), except the read-only fields a `GET` answer adds (ours and Marathon's),
 * which are dropped so that what `GET` returns, here or on a Marathon, can be `PUT` back. A top-level `null`
 * Marathon writes for an unset field (`"cmd": null`, `"user": null`, ...) counts as absent.
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
  "tasksKilling",
  "deployments",
  "lastTaskFailure",
  "tasks",
  "backoff",
  "servicePorts",
  "taskStats",
  "readinessCheckResults",
  "canaryPorts",
  "canaries"
]

/** Fields older Marathon versions write as `null` when unset. */
const nullMeansAbsent = [
  "cmd",
  "args",
  "user",
  "acceptedResourceRoles",
  "container",
  "ipAddress",
  "residency",
  "taskKillGracePeriodSeconds"
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
  for (const field of nullMeansAbsent) if (copy[field] === null) delete copy[field]
  return copy
}

/**
 * A group's JSON without its `version`, the read-only fields of its apps, and Marathon's empty `pods` and
 * `enforceRole: false` (recursively).
 *
 * @since 0.1.0
 * @category decoding
 */
export const groupWithoutReadOnly = (value: unknown): unknown => {
  if (!isRecord(value)) return value
  const copy: Record<string, unknown> = { ...value }
  delete copy.version
  // what Marathon writes into every group: no pods, the role not enforced (other values stay and are refused)
  if (Array.isArray(copy.pods) && copy.pods.length === 0) delete copy.pods
  if (copy.enforceRole === false) delete copy.enforceRole
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
