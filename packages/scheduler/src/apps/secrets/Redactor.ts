/**
 * Keeping secret values out of text: every known value (and the forms it takes when embedded elsewhere: JSON
 * string escaping, base64, URL encoding, and each long line of a multi-line value) is replaced by
 * `<redacted>`. The app scheduler passes through it the text that can carry a secret before it leaves the
 * process: every string of every event, task status messages, health-check failure causes, readiness
 * responses, secret-resolution errors and the errors its autoscaler logs. It is not a log filter: the
 * scheduler's other log lines are written as they are (they name ids and carry errors of the master,
 * ZooKeeper or Docker).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"

/**
 * What replaces a secret value.
 *
 * @since 0.1.0
 * @category constants
 */
export const replacement = "<redacted>"

/**
 * Values shorter than this are not redacted: replacing `1` or `on` everywhere would destroy text and reveal
 * more than it hides. Lines of multi-line values are redacted from twice this length.
 *
 * @since 0.1.0
 * @category constants
 */
export const minLength = 4

/**
 * A redaction over a fixed set of values.
 *
 * @since 0.1.0
 * @category models
 */
export interface Redaction {
  /** The text with every known value replaced. */
  readonly redact: (text: string) => string
  /** A copy of a JSON-like value (strings, arrays, plain objects; keys too) with every string redacted. */
  readonly redactDeep: <A>(value: A) => A
  /** How many patterns (values and their encoded forms) it looks for. */
  readonly size: number
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")

const encodings = (text: string): ReadonlyArray<string> => [
  text,
  JSON.stringify(text).slice(1, -1),
  Buffer.from(text, "utf8").toString("base64"),
  encodeURIComponent(text)
]

const formsOf = (value: string): ReadonlyArray<string> => {
  if (value.length < minLength) return []
  const lines = value.split(/\r?\n/).filter((line) => line !== value && line.trim().length >= minLength * 2)
  return [...new Set([value, ...lines].flatMap(encodings))]
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype

/**
 * A redaction of `values` (values shorter than {@link minLength} are ignored).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromValues = (values: Iterable<string>): Redaction => {
  const patterns = [...new Set([...values].flatMap(formsOf))].sort((a, b) => b.length - a.length)
  const regex = patterns.length === 0 ? undefined : new RegExp(patterns.map(escapeRegExp).join("|"), "g")
  const redact = (text: string): string => (regex === undefined ? text : text.replace(regex, replacement))
  const deep = (value: unknown): unknown => {
    if (typeof value === "string") return redact(value)
    if (Array.isArray(value)) return value.map(deep)
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), deep(v)]))
    return value
  }
  return {
    redact,
    redactDeep: <A>(value: A): A => (regex === undefined ? value : (deep(value) as A)),
    size: patterns.length
  }
}

/**
 * The secrets every app currently uses, by owner (an app id), as one redaction.
 *
 * **When to use**: one per app scheduler; `set(appId, resolved.values)` after resolving an app's secrets,
 * `remove(appId)` when the app is deleted; pass every text that may leave the process through `redact`.
 *
 * **Gotchas**: `redact` is synchronous (for log formatters); it sees values set before it is called.
 *
 * @since 0.1.0
 * @category services
 */
export class Redactor extends Context.Service<
  Redactor,
  {
    readonly redact: (text: string) => string
    readonly redactDeep: <A>(value: A) => A
    /** Replaces the values of `owner`. */
    readonly set: (owner: string, values: ReadonlyArray<string>) => Effect.Effect<void>
    readonly remove: (owner: string) => Effect.Effect<void>
  }
>()("@orchestrator/scheduler/apps/secrets/Redactor") {
  /**
   * A redactor that knows no value yet.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer: Layer.Layer<Redactor> = Layer.sync(Redactor, () => make())
}

/**
 * Builds a redactor (plain: no scope needed).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (): Redactor["Service"] => {
  const owners = new Map<string, ReadonlyArray<string>>()
  let current = fromValues([])
  const rebuild = () => {
    current = fromValues([...owners.values()].flat())
  }
  return Redactor.of({
    redact: (text) => current.redact(text),
    redactDeep: (value) => current.redactDeep(value),
    set: (owner, values) =>
      Effect.sync(() => {
        owners.set(owner, [...values])
        rebuild()
      }),
    remove: (owner) =>
      Effect.sync(() => {
        if (owners.delete(owner)) rebuild()
      })
  })
}
