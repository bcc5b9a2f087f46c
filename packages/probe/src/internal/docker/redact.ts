/**
 * Redaction of secrets in container environments before they leave the probe:
 *
 * - the values of the variables a container's `orchestrator.secret-env` label lists (the scheduler marks the
 *   variables it filled from secrets), always, whatever their names;
 * - the values of variables whose names look secret, and passwords written into URLs
 *   (`postgres://app:hunter2@db/app`), unless the `redactEnv` option turns this name rule off;
 * - the listed variables' values wherever else they occur in what the probe shows of the container (other env
 *   values, the command, labels, the whole inspect answer), when at least {@link minScrubLength} long.
 */
import { secretEnvNames } from "@orchestrator/core/docker"

/** What a redacted value reads. */
export const redacted = "<redacted>"

/**
 * Names that look secret. Over-redacting a harmless variable (`KEYBOARD_LAYOUT`) is the accepted price of
 * never shipping `DB_PASSWORD`.
 */
const secretName =
  /pass(word|wd|phrase)?|secret|token|key|credential|auth|private|cert|salt|signature|cookie|session|dsn|connection_?string/i

/** Whether a variable name looks like it holds a secret. */
export const looksSecret = (name: string): boolean => secretName.test(name)

/** How one container's environment is redacted. */
export interface EnvRules {
  /** The names its `orchestrator.secret-env` label lists: their values are always redacted. */
  readonly listed: ReadonlySet<string>
  /** Also redact by the name rule ({@link looksSecret}) and URL passwords (the `redactEnv` option). */
  readonly byName: boolean
}

const noNames: ReadonlySet<string> = new Set()

/** The name rule alone (a container without the label). */
export const nameRule: EnvRules = { listed: noNames, byName: true }

/** The rules for a container with these labels. */
export const rulesFor = (labels: Readonly<Record<string, string>> | undefined, byName: boolean): EnvRules => ({
  listed: secretEnvNames(labels),
  byName
})

const urlPassword = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s/@]+@/gi

/**
 * Redacts one `NAME=value` entry: the whole value when the label lists the name or (by the name rule) the name
 * looks secret, else URL passwords in it (by the name rule).
 */
export const redactEntry = (entry: string, rules: EnvRules = nameRule): string => {
  const eq = entry.indexOf("=")
  if (eq < 0) return entry
  const name = entry.slice(0, eq)
  if (rules.listed.has(name) || (rules.byName && looksSecret(name))) return `${name}=${redacted}`
  if (!rules.byName) return entry
  const value = entry.slice(eq + 1)
  return value.includes("://") ? `${name}=${value.replace(urlPassword, `$1:${redacted}@`)}` : entry
}

/**
 * Values shorter than this are redacted as env values but not looked for elsewhere: replacing `1` or `on` in
 * every string would garble the text and tell more than it hides.
 */
export const minScrubLength = 4

/** The values of the listed variables long enough to look for in other text, longest first. */
export const secretValues = (env: ReadonlyArray<string>, listed: ReadonlySet<string>): ReadonlyArray<string> => {
  if (listed.size === 0) return []
  const values = new Set<string>()
  for (const entry of env) {
    const eq = entry.indexOf("=")
    if (eq >= 0 && listed.has(entry.slice(0, eq)) && entry.length - eq - 1 >= minScrubLength) {
      values.add(entry.slice(eq + 1))
    }
  }
  return [...values].sort((a, b) => b.length - a.length)
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")

/**
 * A global pattern of `values` (non-empty), trying longer ones first, so that where two start at the same
 * place the longer one is replaced whole.
 */
export const valuesPattern = (values: ReadonlyArray<string>): RegExp =>
  new RegExp(
    [...values]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join("|"),
    "g"
  )

/** The values of the variables a container's secret-env label (in `labels`) lists, as {@link secretValues}. */
export const secretEnvValues = (
  env: ReadonlyArray<string>,
  labels: Readonly<Record<string, string>> | undefined
): ReadonlyArray<string> => secretValues(env, secretEnvNames(labels))

/** A function replacing every occurrence of `values` in a text by {@link redacted} (the identity for none). */
export const scrubber = (values: ReadonlyArray<string>): ((text: string) => string) => {
  const given = values.filter((value) => value !== "")
  if (given.length === 0) return (text) => text
  const pattern = valuesPattern(given)
  return (text) => text.replace(pattern, redacted)
}

/** Redacts a container environment (`Config.Env`), then removes listed values from the other entries. */
export const redactEnv = (env: ReadonlyArray<string>, rules: EnvRules = nameRule): ReadonlyArray<string> => {
  const scrub = scrubber(secretValues(env, rules.listed))
  return env.map((entry) => scrub(redactEntry(entry, rules)))
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const scrubDeep = (value: unknown, scrub: (text: string) => string): unknown => {
  if (typeof value === "string") return scrub(value)
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, scrub))
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubDeep(item, scrub)]))
  }
  return value
}

/** The env entries and labels of an inspect answer (`GET /containers/{id}/json`), when it has them. */
export const inspectEnv = (
  json: unknown
): { readonly env: ReadonlyArray<string>; readonly labels: Readonly<Record<string, string>> } => {
  const config = isObject(json) && isObject(json.Config) ? json.Config : {}
  const env = Array.isArray(config.Env) ? config.Env.filter((entry) => typeof entry === "string") : []
  const labels: Record<string, string> = {}
  if (isObject(config.Labels)) {
    for (const [key, value] of Object.entries(config.Labels)) if (typeof value === "string") labels[key] = value
  }
  return { env, labels }
}

/** The values of an inspect answer's listed variables (see {@link secretValues}), for scrubbing its streams. */
export const inspectSecretValues = (json: unknown): ReadonlyArray<string> => {
  const { env, labels } = inspectEnv(json)
  return secretEnvValues(env, labels)
}

/**
 * A copy of `GET /containers/{id}/json` with `Config.Env` redacted (by the container's
 * `orchestrator.secret-env` label, and by the name rule when `byName`), and the listed variables' values
 * removed from every other string of the answer.
 */
export const redactInspect = (json: unknown, byName = true): unknown => {
  if (!isObject(json) || !isObject(json.Config)) return json
  const config = json.Config
  const { env, labels } = inspectEnv(json)
  const rules = rulesFor(labels, byName)
  const values = secretValues(env, rules.listed)
  const redactedEnv = Array.isArray(config.Env)
    ? { Env: config.Env.map((entry) => (typeof entry === "string" ? redactEntry(entry, rules) : entry)) }
    : {}
  const out = { ...json, Config: { ...config, ...redactedEnv } }
  return values.length === 0 ? out : scrubDeep(out, scrubber(values))
}
