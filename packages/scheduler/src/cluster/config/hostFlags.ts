/**
 * Flag reading shared by the master and agent hosts: a flag table, environment variables, `--help`, and an
 * error for anything unknown.
 *
 * @since 0.1.0
 */
import { Flags } from "@orchestrator/core"

/**
 * What a host's command line asked for: settings by key, or help.
 *
 * @since 0.1.0
 * @category models
 */
export type HostFlags =
  | { readonly _tag: "Help" }
  | { readonly _tag: "Settings"; readonly values: Readonly<Record<string, unknown>> }

/**
 * Reads `args` and `env` with `table` (plus `--help`); an unknown flag or argument is a `ConfigError`.
 *
 * @since 0.1.0
 * @category parsers
 */
export const read = (
  table: Flags.Table,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>,
  envToFlag: Readonly<Record<string, string>>
): HostFlags | Flags.ConfigError => {
  const parsed = Flags.parse({ ...table, "--help": { key: "help", kind: "switch", value: true } }, args, env, envToFlag)
  if (parsed instanceof Flags.ConfigError) return parsed
  if (parsed.values.help === true || parsed.rest.includes("-h")) return { _tag: "Help" }
  const unknown = parsed.rest[0]
  if (unknown !== undefined) {
    return new Flags.ConfigError({
      setting: unknown,
      reason: `unknown ${unknown.startsWith("-") ? "flag" : "argument"}`
    })
  }
  return { _tag: "Settings", values: parsed.values }
}

/**
 * The settings of `keys` that were given, for spreading into options.
 *
 * @since 0.1.0
 * @category getters
 */
export const pick = (values: Readonly<Record<string, unknown>>, keys: ReadonlyArray<string>): Record<string, unknown> =>
  Object.fromEntries(keys.filter((key) => values[key] !== undefined).map((key) => [key, values[key]]))

/**
 * A port setting checked to be 0-65535.
 *
 * @since 0.1.0
 * @category parsers
 */
export const checkPort = (values: Readonly<Record<string, unknown>>): Flags.ConfigError | undefined => {
  const port = values.port as number | undefined
  return port !== undefined && (port < 0 || port > 65_535)
    ? new Flags.ConfigError({ setting: "--port", reason: `expects 0-65535, got ${port}` })
    : undefined
}
