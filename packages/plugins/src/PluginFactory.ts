/**
 * Plugins whose hooks are built from their options, such as views (a view has no `ctx.options`: a "group by
 * label" view needs the label when it is made). `definePluginFactory` declares the options Schema next to the
 * factory, so hosts and loaders validate the options, with an error naming the plugin and the bad option,
 * before the factory runs.
 *
 * ```ts
 * export default definePluginFactory({
 *   name: "group-by-label",
 *   options: Schema.Struct({ label: Schema.String }),
 *   make: (options) => definePlugin({ name: "group-by-label", version: "1.0.0", apiVersion: 1, views: [view(options.label)] })
 * })
 * ```
 *
 * @since 0.1.0
 */
import { type Plugin, PluginRegistry } from "@orchestrator/core"
import { Cause, Effect, Exit } from "effect"

/**
 * A plugin factory with its options Schema: call it with options (it throws the `PluginOptionsError` for bad
 * ones), or let a loader validate and call it.
 *
 * @since 0.1.0
 * @category models
 */
export interface PluginFactory<Name extends string, Options, Input, P extends Plugin.AnyPlugin> {
  (input: Input): P
  /** The name of the plugins it makes, for errors. */
  readonly pluginName: Name
  readonly options: Plugin.OptionsSchema<Options, Input>
  /** Validates options; fails with a `PluginOptionsError` naming the plugin and the option. */
  readonly decode: (input: unknown) => Effect.Effect<Options, Plugin.PluginError>
  /** Makes the plugin from decoded options. */
  readonly make: (options: Options) => P
}

/**
 * Declares a plugin factory. The factory's parameter is typed by the Schema's encoded side, `make` receives
 * the decoded options.
 *
 * @since 0.1.0
 * @category constructors
 */
export const definePluginFactory = <const Name extends string, Options, Input, P extends Plugin.AnyPlugin>(spec: {
  readonly name: Name
  readonly options: Plugin.OptionsSchema<Options, Input>
  readonly make: (options: Options) => P
}): PluginFactory<Name, Options, Input, P> => {
  const probe = { name: spec.name, version: "0.0.0", apiVersion: 1, options: spec.options } as Plugin.AnyPlugin
  const decode = (input: unknown) => PluginRegistry.check(probe, input) as Effect.Effect<Options, Plugin.PluginError>
  const factory = (input: Input): P => {
    const exit = Effect.runSyncExit(decode(input))
    if (Exit.isFailure(exit)) throw Cause.squash(exit.cause)
    return spec.make(exit.value)
  }
  return Object.assign(factory, { pluginName: spec.name, options: spec.options, decode, make: spec.make })
}

/**
 * Whether a value is a factory made by `definePluginFactory`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isPluginFactory = (value: unknown): value is PluginFactory<string, unknown, unknown, Plugin.AnyPlugin> =>
  typeof value === "function" &&
  typeof (value as { readonly pluginName?: unknown }).pluginName === "string" &&
  typeof (value as { readonly decode?: unknown }).decode === "function"
