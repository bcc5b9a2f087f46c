/**
 * Redaction of secrets in container environments: values of variables whose names look secret, and
 * passwords written into URLs (`postgres://app:hunter2@db/app`), are replaced before they leave the probe.
 */

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

const urlPassword = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s/@]+@/gi

/** Redacts one `NAME=value` entry: the whole value when the name looks secret, else URL passwords in it. */
export const redactEntry = (entry: string): string => {
  const eq = entry.indexOf("=")
  if (eq < 0) return entry
  const name = entry.slice(0, eq)
  if (looksSecret(name)) return `${name}=${redacted}`
  const value = entry.slice(eq + 1)
  return value.includes("://") ? `${name}=${value.replace(urlPassword, `$1:${redacted}@`)}` : entry
}

/** Redacts a container environment (`Config.Env`). */
export const redactEnv = (env: ReadonlyArray<string>): ReadonlyArray<string> => env.map(redactEntry)

/**
 * A copy of `GET /containers/{id}/json` with `Config.Env` redacted (the rest is left as the engine sent it).
 */
export const redactInspect = (json: unknown): unknown => {
  if (typeof json !== "object" || json === null) return json
  const inspect = json as { readonly Config?: unknown }
  const config = inspect.Config
  if (typeof config !== "object" || config === null) return json
  const env = (config as { readonly Env?: unknown }).Env
  if (!Array.isArray(env)) return json
  return {
    ...inspect,
    Config: { ...config, Env: env.map((entry) => (typeof entry === "string" ? redactEntry(entry) : entry)) }
  }
}
