/**
 * What a host CLI needs to load plugins: the `--plugin`, `--config` and `--scope-plugins` flags taken out of
 * its arguments, then the plugins they name loaded and checked (flags after the config file's plugins).
 *
 * ```ts
 * const flags = HostPlugins.extractFlags(process.argv.slice(2))
 * if (flags instanceof HostPlugins.FlagError) fail(flags.message)
 * const { plugins, scope } = await HostPlugins.loadPromise(flags)
 * ```
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { type ConfigFileError, type LoadedConfig, loadConfig } from "./ConfigFile.js"
import { checkUnique, type LoadedPlugin, loadPlugins, type PluginLoadError } from "./PluginLoader.js"
import type { ScopeBridgeOptions } from "./scope/ScopeBridge.js"

/**
 * The plugin flags of a host.
 *
 * @since 0.1.0
 * @category models
 */
export interface PluginFlags {
  /** `--plugin <name-or-path>`, repeatable, in order. */
  readonly plugins: ReadonlyArray<string>
  /** `--config <file>`. */
  readonly config?: string
  /** `--scope-plugins[=<dir>]`: bridge Weave Scope plugins (from `dir`, default `/var/run/scope/plugins`). */
  readonly scopePlugins?: true | string
  /** The arguments that are not plugin flags, in order. */
  readonly rest: ReadonlyArray<string>
}

/**
 * A plugin flag without its value.
 *
 * @since 0.1.0
 * @category errors
 */
export class FlagError extends Schema.TaggedError<FlagError>()("FlagError", {
  flag: Schema.String,
  message: Schema.String
}) {}

/**
 * The usage lines of the plugin flags, for a host's `--help`.
 *
 * @since 0.1.0
 * @category constants
 */
export const usage = `  --plugin <name-or-path>       load a plugin (package name or path; repeatable)
  --config <file>               orchestrator.config.{ts,js,mjs,json}: plugins with options, Scope plugins
  --scope-plugins[=<dir>]       run Weave Scope plugins from their sockets (default /var/run/scope/plugins)
`

/**
 * Takes `--plugin`, `--config` and `--scope-plugins` (also `--flag=value`) out of a host's arguments.
 *
 * @since 0.1.0
 * @category parsing
 */
export const extractFlags = (args: ReadonlyArray<string>): PluginFlags | FlagError => {
  const plugins: Array<string> = []
  const rest: Array<string> = []
  let config: string | undefined
  let scopePlugins: true | string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined]
    if (flag === "--scope-plugins") {
      scopePlugins = inline ?? true
      continue
    }
    if (flag !== "--plugin" && flag !== "--config") {
      rest.push(arg)
      continue
    }
    const value = inline ?? args[i + 1]
    if (value === undefined || value === "" || (inline === undefined && value.startsWith("--"))) {
      return new FlagError({
        flag,
        message: `${flag} needs a value (${flag === "--plugin" ? "a package name or path" : "a config file"})`
      })
    }
    if (inline === undefined) i++
    if (flag === "--plugin") plugins.push(value)
    else config = value
  }
  return {
    plugins,
    rest,
    ...(config !== undefined ? { config } : {}),
    ...(scopePlugins !== undefined ? { scopePlugins } : {})
  }
}

/**
 * The plugins and Scope bridge settings a host runs with.
 *
 * @since 0.1.0
 * @category models
 */
export interface HostPluginSetup {
  readonly plugins: ReadonlyArray<LoadedPlugin>
  /** Set when Scope plugins are to be bridged. */
  readonly scope?: ScopeBridgeOptions
  readonly config?: LoadedConfig
}

/**
 * Loads the config file (if any) and every plugin: the config's first (resolved from its folder), then the
 * `--plugin` ones (resolved from `cwd`).
 *
 * @since 0.1.0
 * @category loading
 */
export const load = (
  flags: Pick<PluginFlags, "plugins" | "config" | "scopePlugins">,
  cwd: string = process.cwd()
): Effect.Effect<HostPluginSetup, ConfigFileError | PluginLoadError> =>
  Effect.gen(function* () {
    const config = flags.config !== undefined ? yield* loadConfig(flags.config, cwd) : undefined
    const fromConfig = config !== undefined ? yield* loadPlugins(config.config.plugins ?? [], { cwd: config.cwd }) : []
    const fromFlags = yield* loadPlugins(flags.plugins, { cwd })
    const plugins = yield* checkUnique([...fromConfig, ...fromFlags])
    const configured = config?.config.scopePlugins
    const scope: ScopeBridgeOptions | undefined =
      flags.scopePlugins !== undefined
        ? flags.scopePlugins === true
          ? typeof configured === "object"
            ? configured
            : {}
          : { ...(typeof configured === "object" ? configured : {}), dir: flags.scopePlugins }
        : configured === true
          ? {}
          : typeof configured === "object"
            ? configured
            : undefined
    return {
      plugins,
      ...(scope !== undefined ? { scope } : {}),
      ...(config !== undefined ? { config } : {})
    }
  })

/**
 * `load` for hosts without Effect; rejects with the `ConfigFileError` or `PluginLoadError`.
 *
 * @since 0.1.0
 * @category facades
 */
export const loadPromise = (
  flags: Pick<PluginFlags, "plugins" | "config" | "scopePlugins">,
  cwd?: string
): Promise<HostPluginSetup> => Effect.runPromise(load(flags, cwd))
