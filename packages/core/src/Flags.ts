/**
 * Command-line flags and environment variables for hosts (the app server, the probe, the master...): a table
 * says which flag sets which setting and how its text is read; {@link parse} applies environment variables
 * first, then flags (`--port 8080` or `--port=8080`), flags winning, and returns what it does not know in
 * `rest` for the host to handle or refuse.
 *
 * ```ts
 * import { Flags } from "@orchestrator/core"
 *
 * const table: Flags.Table = {
 *   "--port": { key: "port", kind: "int" },
 *   "--no-controls": { key: "controlsEnabled", kind: "switch", value: false }
 * }
 * const parsed = Flags.parse(table, process.argv.slice(2), process.env, { APP_PORT: "--port" })
 * ```
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Raised for a bad flag, environment variable or setting; the message names it.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  setting: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid setting ${this.setting}: ${this.reason}`
  }
}

/**
 * Parses a duration such as `15s`, `1h`, `500ms` or a plain number of seconds into ms.
 *
 * @since 0.1.0
 * @category parsers
 */
export const parseDuration = (text: string): number | undefined => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim())
  if (m === null) return undefined
  const n = Number(m[1])
  const unit = m[2] ?? "s"
  return Math.round(n * (unit === "ms" ? 1 : unit === "s" ? 1_000 : unit === "m" ? 60_000 : 3_600_000))
}

/**
 * How a flag's text becomes a setting: text, a whole number, a duration in ms (`15s`, `500ms`, `1h`), a
 * comma-separated list, or a switch that takes no value and sets a fixed one.
 *
 * @since 0.1.0
 * @category models
 */
export type Spec =
  | { readonly key: string; readonly kind: "string" | "int" | "duration" | "list" }
  | { readonly key: string; readonly kind: "switch"; readonly value: unknown }

/**
 * Flags by name (with the leading `--`).
 *
 * @since 0.1.0
 * @category models
 */
export type Table = Readonly<Record<string, Spec>>

/**
 * What {@link parse} read: settings by key, where each came from (the flag or variable, for error
 * messages), and the arguments it does not know.
 *
 * @since 0.1.0
 * @category models
 */
export interface Parsed {
  readonly values: Readonly<Record<string, unknown>>
  /** The flag or environment variable that set each key last. */
  readonly sources: Readonly<Record<string, string>>
  readonly rest: ReadonlyArray<string>
}

const readValue = (spec: Spec, text: string, source: string): unknown => {
  switch (spec.kind) {
    case "string":
      return text
    case "list":
      return text
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "")
    case "int": {
      const n = Number(text)
      if (text.trim() === "" || !Number.isInteger(n)) {
        return new ConfigError({ setting: source, reason: `expects a whole number, got "${text}"` })
      }
      return n
    }
    case "duration": {
      const ms = parseDuration(text)
      if (ms === undefined) {
        return new ConfigError({
          setting: source,
          reason: `expects a duration like 15s, 1m, 1h or 500ms, got "${text}"`
        })
      }
      return ms
    }
    case "switch":
      return spec.value
  }
}

/**
 * Reads environment variables (`envToFlag` names the flag each one stands for) then `args`. A flag that needs
 * a value and has none (or is followed by another flag) is an error naming the flag; a bad value is an error
 * naming the flag or variable it came from.
 *
 * @since 0.1.0
 * @category parsers
 */
export const parse = (
  table: Table,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>> = {},
  envToFlag: Readonly<Record<string, string>> = {}
): Parsed | ConfigError => {
  const values: Record<string, unknown> = {}
  const sources: Record<string, string> = {}
  const set = (spec: Spec, text: string, source: string): ConfigError | undefined => {
    const value = readValue(spec, text, source)
    if (value instanceof ConfigError) return value
    values[spec.key] = value
    sources[spec.key] = source
    return undefined
  }
  for (const [name, flag] of Object.entries(envToFlag)) {
    const text = env[name]
    const spec = table[flag]
    if (text === undefined || text === "" || spec === undefined) continue
    const error = spec.kind === "switch" ? undefined : set(spec, text, name)
    if (spec.kind === "switch" && /^(1|true|yes)$/i.test(text)) set(spec, "", name)
    if (error !== undefined) return error
  }
  const rest: Array<string> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const eq = arg.indexOf("=")
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    const spec = table[flag]
    if (spec === undefined) {
      rest.push(arg)
      continue
    }
    if (spec.kind === "switch") {
      if (eq > 0) return new ConfigError({ setting: flag, reason: "takes no value" })
      set(spec, "", flag)
      continue
    }
    const text = eq > 0 ? arg.slice(eq + 1) : args[++i]
    if (text === undefined || (eq < 0 && text.startsWith("--"))) {
      return new ConfigError({ setting: flag, reason: "expects a value" })
    }
    const error = set(spec, text, flag)
    if (error !== undefined) return error
  }
  return { values, sources, rest }
}

/**
 * Renames the setting of a validation error to the flag or variable its value came from, so that the user
 * reads `--port: expected ...` rather than the field name.
 *
 * @since 0.1.0
 * @category combinators
 */
export const blameSource = (error: ConfigError, parsed: Parsed): ConfigError => {
  const source = parsed.sources[error.setting]
  return source === undefined ? error : new ConfigError({ setting: source, reason: error.reason })
}
