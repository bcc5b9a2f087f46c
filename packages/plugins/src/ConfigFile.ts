/**
 * The config file of the example hosts: `orchestrator.config.{ts,js,mjs,json}`, naming the plugins to load
 * and where Scope plugins' sockets live.
 *
 * ```ts
 * // orchestrator.config.ts
 * import { defineConfig } from "@orchestrator/plugins"
 *
 * export default defineConfig({
 *   plugins: ["./plugins/zk.js", ["@acme/redis", { port: 6379 }]],
 *   scopePlugins: { dir: "/var/run/scope/plugins" }
 * })
 * ```
 *
 * A `.ts` config is imported by Node itself: Node 22.18+ strips TypeScript types natively
 * (`process.features.typescript`); on older Nodes use `.js`, `.mjs` or `.json`.
 *
 * @since 0.1.0
 */
import { readFile } from "node:fs/promises"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { Effect, Predicate, Schema } from "effect"
import type { PluginSpec } from "./PluginLoader.js"

/**
 * The contents of a config file. Every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface OrchestratorConfig {
  /** Plugins to load, in registration order; package names and relative paths resolve from the file's folder. */
  readonly plugins?: ReadonlyArray<PluginSpec>
  /** Bridge Weave Scope plugins (Unix sockets under `dir`, default `/var/run/scope/plugins`); off when omitted. */
  readonly scopePlugins?: boolean | { readonly dir?: string; readonly timeoutMs?: number; readonly maxBytes?: number }
}

/**
 * A loaded config with the folder its relative paths resolve from.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoadedConfig {
  readonly config: OrchestratorConfig
  readonly path: string
  /** The config file's folder. */
  readonly cwd: string
}

/**
 * The config file names looked for, in order, when none is given.
 *
 * @since 0.1.0
 * @category constants
 */
export const configFileNames = [
  "orchestrator.config.ts",
  "orchestrator.config.mjs",
  "orchestrator.config.js",
  "orchestrator.config.json"
] as const

/**
 * The config file could not be read or does not have the expected shape; `field` names the offending field.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigFileError extends Schema.TaggedError<ConfigFileError>()("ConfigFileError", {
  path: Schema.String,
  field: Schema.optionalKey(Schema.String),
  message: Schema.String
}) {}

/**
 * Declares a config: returns its argument, typed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defineConfig = <const C extends OrchestratorConfig>(config: C): C => config

const fail = (file: string, message: string, field?: string) =>
  Effect.fail(new ConfigFileError({ path: file, message, ...(field !== undefined ? { field } : {}) }))

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error))

const isSpec = (value: unknown): boolean =>
  typeof value === "string" ||
  (Predicate.isObject(value) && !Array.isArray(value)) ||
  (Array.isArray(value) && value.length === 2 && (typeof value[0] === "string" || Predicate.isObject(value[0])))

/** Checks the shape of a config value. */
const checkConfig = (file: string, value: unknown): Effect.Effect<OrchestratorConfig, ConfigFileError> => {
  if (!Predicate.isObject(value) || Array.isArray(value)) {
    return fail(file, `${file}: expected the config object (the default export), got ${typeof value}`)
  }
  const known = new Set(["plugins", "scopePlugins"])
  const unknown = Object.keys(value).find((key) => !known.has(key))
  if (unknown !== undefined) {
    return fail(file, `${file}: unknown field "${unknown}" (known: plugins, scopePlugins)`, unknown)
  }
  const plugins = (value as { readonly plugins?: unknown }).plugins
  if (plugins !== undefined) {
    if (!Array.isArray(plugins)) return fail(file, `${file}: "plugins" must be an array`, "plugins")
    const bad = plugins.findIndex((spec) => !isSpec(spec))
    if (bad >= 0) {
      return fail(
        file,
        `${file}: plugins.${bad} must be a package name or path, a plugin, or [name-or-plugin, options]`,
        `plugins.${bad}`
      )
    }
  }
  const scope = (value as { readonly scopePlugins?: unknown }).scopePlugins
  if (scope !== undefined && typeof scope !== "boolean") {
    if (!Predicate.isObject(scope))
      return fail(file, `${file}: "scopePlugins" must be a boolean or an object`, "scopePlugins")
    const { dir, timeoutMs, maxBytes } = scope as Record<string, unknown>
    if (dir !== undefined && typeof dir !== "string") {
      return fail(file, `${file}: scopePlugins.dir must be a string`, "scopePlugins.dir")
    }
    for (const [key, number] of [
      ["timeoutMs", timeoutMs],
      ["maxBytes", maxBytes]
    ] as const) {
      if (number !== undefined && !(typeof number === "number" && number > 0)) {
        return fail(file, `${file}: scopePlugins.${key} must be a positive number`, `scopePlugins.${key}`)
      }
    }
  }
  return Effect.succeed(value as OrchestratorConfig)
}

/**
 * Reads a config file: `.json` is parsed, `.ts`/`.js`/`.mjs` imported (their default export).
 *
 * @since 0.1.0
 * @category loading
 */
export const loadConfig = (file: string, cwd: string = process.cwd()): Effect.Effect<LoadedConfig, ConfigFileError> =>
  Effect.gen(function* () {
    const absolute = path.resolve(cwd, file)
    const ext = path.extname(absolute)
    let value: unknown
    if (ext === ".json") {
      const text = yield* Effect.tryPromise({
        try: () => readFile(absolute, "utf8"),
        catch: (error) =>
          new ConfigFileError({ path: absolute, message: `cannot read ${absolute}: ${errorText(error)}` })
      })
      value = yield* Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (error) =>
          new ConfigFileError({ path: absolute, message: `${absolute} is not valid JSON: ${errorText(error)}` })
      })
    } else if ([".ts", ".mts", ".js", ".mjs"].includes(ext)) {
      const features = process.features as { readonly typescript?: unknown }
      if ((ext === ".ts" || ext === ".mts") && !features.typescript && process.env.VITEST === undefined) {
        return yield* fail(
          absolute,
          `${absolute}: this Node (${process.version}) cannot import TypeScript; use Node 22.18+ or a .js/.mjs/.json config`
        )
      }
      const module = yield* Effect.tryPromise({
        try: () => import(pathToFileURL(absolute).href) as Promise<{ readonly default?: unknown }>,
        catch: (error) =>
          new ConfigFileError({ path: absolute, message: `cannot load ${absolute}: ${errorText(error)}` })
      })
      value = module.default
    } else {
      return yield* fail(absolute, `${absolute}: unsupported config file type "${ext}" (use .ts, .js, .mjs or .json)`)
    }
    const config = yield* checkConfig(absolute, value)
    return { config, path: absolute, cwd: path.dirname(absolute) }
  })
