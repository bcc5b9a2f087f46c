/**
 * Loads plugins named by hosts' flags and config files: a package name (`@acme/orchestrator-redis`) or a path
 * (`./my-plugin.js`, `/opt/plugins/zk.mjs`, `./my-plugin.ts` on Node 22.18+), optionally with options.
 *
 * A plugin module exports the plugin as its default export (or as `plugin`), or a factory `(options) =>
 * plugin`. The loader imports it, checks it against the plugin contract and decodes its options with the
 * plugin's options Schema, so a host refuses a bad plugin or option before it starts, with an error naming
 * the plugin, where it came from and the bad option.
 *
 * ```ts
 * const loaded = await loadPlugins(["./zk.js", ["@acme/redis", { port: 6379 }]], { cwd: process.cwd() })
 * Probe.layer({ plugins: loaded.map((entry) => [entry.plugin, entry.options]) })
 * ```
 *
 * @since 0.1.0
 */
import { createRequire } from "node:module"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { type Plugin, PluginRegistry } from "@orchestrator/core"
import { Effect, Predicate, Schema } from "effect"
import { isPluginFactory } from "./PluginFactory.js"

/**
 * One plugin to load: a package name or path, a plugin object, or either with the options to register it
 * with.
 *
 * @since 0.1.0
 * @category models
 */
export type PluginSpec = string | Plugin.AnyPlugin | readonly [source: string | Plugin.AnyPlugin, options: unknown]

/**
 * A loaded and checked plugin with the options it was given (as given: the registry decodes them again when
 * it registers the plugin).
 *
 * @since 0.1.0
 * @category models
 */
export interface LoadedPlugin {
  readonly plugin: Plugin.AnyPlugin
  readonly options: unknown
  /** Where it came from: the spec's name or path, or `<inline>` for a plugin object. */
  readonly source: string
}

/**
 * Where a loader resolves names and relative paths from.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoadOptions {
  /** Relative paths and package names resolve from here (default `process.cwd()`). */
  readonly cwd?: string
}

/**
 * A plugin could not be loaded: not found, its module threw, it exports no plugin, the plugin is malformed,
 * or its options are invalid. `plugin` is the plugin's name when known, else the source; `path` the bad
 * option's path (`servers.0.port`) for an option error.
 *
 * @since 0.1.0
 * @category errors
 */
export class PluginLoadError extends Schema.TaggedError<PluginLoadError>()("PluginLoadError", {
  source: Schema.String,
  plugin: Schema.String,
  reason: Schema.Literals(["not-found", "import-failed", "no-plugin", "invalid", "options"]),
  path: Schema.optionalKey(Schema.String),
  message: Schema.String
}) {}

const isPath = (source: string): boolean =>
  source.startsWith(".") || path.isAbsolute(source) || source.startsWith("file:")

/** The URL to import for a source: a file URL for a path, the resolved entry point for a package name. */
const resolveSource = (source: string, cwd: string): Effect.Effect<string, PluginLoadError> =>
  Effect.try({
    try: () => {
      if (source.startsWith("file:")) return source
      if (isPath(source)) return pathToFileURL(path.resolve(cwd, source)).href
      return pathToFileURL(createRequire(path.join(cwd, "package.json")).resolve(source)).href
    },
    catch: (error) =>
      new PluginLoadError({
        source,
        plugin: source,
        reason: "not-found",
        message: `cannot find plugin "${source}" from ${cwd}: ${message(error)}`
      })
  })

/** The first line of an error's message (Node's resolution errors append a multi-line require stack). */
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split("\n")[0]!

const isPluginLike = (value: unknown): value is Plugin.AnyPlugin =>
  Predicate.isObject(value) && typeof (value as { readonly name?: unknown }).name === "string"

/** The plugin a module exports: its default export or `plugin`, called with the options if it is a factory. */
const pluginOf = (
  module: Record<string, unknown>,
  source: string,
  options: unknown
): Effect.Effect<{ readonly plugin: unknown; readonly factory: boolean }, PluginLoadError> => {
  const exported = module.default ?? module.plugin
  if (isPluginFactory(exported)) {
    // Validate the options with the factory's Schema first, so the error names the plugin and the option.
    return exported.decode(options).pipe(
      Effect.mapError((error) => fromPluginError(source, error)),
      Effect.map((decoded) => ({ plugin: exported.make(decoded), factory: true }))
    )
  }
  if (typeof exported === "function") {
    return Effect.try({
      try: () => ({ plugin: (exported as (options: unknown) => unknown)(options), factory: true }),
      catch: (error) =>
        new PluginLoadError({
          source,
          plugin: source,
          reason: "import-failed",
          message: `the plugin factory of "${source}" threw: ${message(error)}`
        })
    })
  }
  if (exported === undefined) {
    return Effect.fail(
      new PluginLoadError({
        source,
        plugin: source,
        reason: "no-plugin",
        message: `"${source}" exports no plugin: export it (or a factory returning it) as the default export or as \`plugin\``
      })
    )
  }
  return Effect.succeed({ plugin: exported, factory: false })
}

const fromPluginError = (source: string, error: Plugin.PluginError): PluginLoadError =>
  new PluginLoadError({
    source,
    plugin: error.plugin,
    reason: error._tag === "PluginOptionsError" ? "options" : "invalid",
    ...(error._tag === "PluginOptionsError" || error._tag === "PluginInvalidError" ? { path: error.path } : {}),
    message: `${error.message}${source === "<inline>" ? "" : ` (loaded from ${source})`}`
  })

/**
 * Loads one plugin and checks it with its options.
 *
 * @since 0.1.0
 * @category loading
 */
export const loadPlugin = (spec: PluginSpec, options: LoadOptions = {}): Effect.Effect<LoadedPlugin, PluginLoadError> =>
  Effect.gen(function* () {
    const [target, input] = Array.isArray(spec)
      ? (spec as readonly [string | Plugin.AnyPlugin, unknown])
      : [spec as string | Plugin.AnyPlugin, undefined]
    const cwd = options.cwd ?? process.cwd()
    let source = "<inline>"
    let plugin: unknown = target
    let factory = false
    if (typeof target === "string") {
      source = target
      const url = yield* resolveSource(target, cwd)
      const module = yield* Effect.tryPromise({
        try: () => import(url) as Promise<Record<string, unknown>>,
        catch: (error) =>
          new PluginLoadError({
            source: target,
            plugin: target,
            reason:
              (error as { readonly code?: unknown }).code === "ERR_MODULE_NOT_FOUND" ? "not-found" : "import-failed",
            message: `cannot import plugin "${target}": ${message(error)}`
          })
      })
      ;({ plugin, factory } = yield* pluginOf(module, target, input))
    }
    if (!isPluginLike(plugin)) {
      return yield* new PluginLoadError({
        source,
        plugin: source,
        reason: "no-plugin",
        message: `"${source}" does not export a plugin object (with a name), got ${plugin === null ? "null" : typeof plugin}`
      })
    }
    // A factory received the options itself; its plugin is registered with none unless it declares a Schema.
    const registered = factory && plugin.options === undefined ? undefined : input
    yield* Effect.mapError(PluginRegistry.check(plugin, registered), (error) => fromPluginError(source, error))
    return { plugin, options: registered, source }
  })

/**
 * Fails when two loaded plugins have the same name (a registry would refuse the second), naming both sources.
 *
 * @since 0.1.0
 * @category loading
 */
export const checkUnique = (
  loaded: ReadonlyArray<LoadedPlugin>
): Effect.Effect<ReadonlyArray<LoadedPlugin>, PluginLoadError> => {
  const seen = new Map<string, LoadedPlugin>()
  for (const entry of loaded) {
    const twin = seen.get(entry.plugin.name)
    if (twin !== undefined) {
      return Effect.fail(
        new PluginLoadError({
          source: entry.source,
          plugin: entry.plugin.name,
          reason: "invalid",
          message: `plugin "${entry.plugin.name}" is loaded twice (from ${twin.source} and ${entry.source})`
        })
      )
    }
    seen.set(entry.plugin.name, entry)
  }
  return Effect.succeed(loaded)
}

/**
 * Loads plugins in order; fails with the first that does not load. Two specs naming the same plugin fail too.
 *
 * @since 0.1.0
 * @category loading
 */
export const loadPlugins = (
  specs: ReadonlyArray<PluginSpec>,
  options: LoadOptions = {}
): Effect.Effect<ReadonlyArray<LoadedPlugin>, PluginLoadError> =>
  Effect.flatMap(
    Effect.forEach(specs, (spec) => loadPlugin(spec, options)),
    checkUnique
  )

/**
 * `loadPlugins` for hosts without Effect: rejects with the `PluginLoadError`.
 *
 * @since 0.1.0
 * @category facades
 */
export const loadPluginsPromise = (
  specs: ReadonlyArray<PluginSpec>,
  options: LoadOptions = {}
): Promise<ReadonlyArray<LoadedPlugin>> => Effect.runPromise(loadPlugins(specs, options))

/**
 * The `[plugin, options]` pairs hosts register (`Probe.layer({ plugins })`).
 *
 * @since 0.1.0
 * @category conversions
 */
export const toEntries = (
  loaded: ReadonlyArray<LoadedPlugin>
): ReadonlyArray<readonly [plugin: Plugin.AnyPlugin, options: unknown]> =>
  loaded.map((entry) => [entry.plugin, entry.options] as const)
