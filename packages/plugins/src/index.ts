/**
 * @orchestrator/plugins: what a plugin author and a host need, in one import: the plugin contract that
 * lives in `@orchestrator/core` (so that core's built-in collectors and views use it without a dependency
 * cycle) with the report helpers plugins build nodes with; loading plugins by name or path and from config
 * files (`PluginLoader`, `ConfigFile`); and the bridge that runs Weave Scope plugins (`ScopeBridge`...). The
 * testing kit is `@orchestrator/plugins/testing`.
 *
 * ```ts
 * import { definePlugin, Report } from "@orchestrator/plugins"
 *
 * export default definePlugin({
 *   name: "hello",
 *   version: "1.0.0",
 *   apiVersion: 1,
 *   collectors: [{
 *     name: "hello",
 *     collect: async (ctx) => ({
 *       topologies: { hosts: { [ctx.hostId]: Report.makeNode("hosts", ctx.hostId, {
 *         latest: Report.latestFields(ctx.now, { greeting: "hello" })
 *       }) } }
 *     })
 *   }]
 * })
 * ```
 *
 * @since 0.1.0
 */
import { Plugin } from "@orchestrator/core"

export * as ConfigFile from "./ConfigFile.js"
export { defineConfig, loadConfig } from "./ConfigFile.js"
export * as HostPlugins from "./HostPlugins.js"
export * as PluginFactory from "./PluginFactory.js"
export { definePluginFactory } from "./PluginFactory.js"
export * as PluginLoader from "./PluginLoader.js"
export { loadPlugins } from "./PluginLoader.js"
export * as ProcessPlugin from "./process/ProcessPlugin.js"
export * from "./scope/index.js"

export {
  /**
   * Well-known field and metric names collectors write and views read.
   *
   * @since 0.1.0
   */
  Fields,
  /**
   * The plugin contract: hook types, contexts, errors and health (the module `definePlugin` comes from).
   *
   * @since 0.1.0
   */
  Plugin,
  /**
   * The report model: `Node`, `makeNode`, `latestFields`, `ProbeHealth`...
   *
   * @since 0.1.0
   */
  Report
} from "@orchestrator/core"

/**
 * Declares a plugin: returns its argument, typed (literal name, typed `ctx.options` from the options Schema,
 * checked `apiVersion`). The same function as `Plugin.definePlugin` in `@orchestrator/core`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const definePlugin: typeof Plugin.definePlugin = Plugin.definePlugin

/**
 * Any plugin, whatever its name and options (`Plugin.Plugin<Name, Options, Input>` for a precise one).
 *
 * @since 0.1.0
 * @category models
 */
export type AnyPlugin = Plugin.AnyPlugin

/**
 * A collector hook: adds nodes, fields and metrics to the probe's report.
 *
 * @since 0.1.0
 * @category models
 */
export type Collector<Options = unknown> = Plugin.Collector<Options>

/**
 * A tagger hook: enriches nodes after every collector ran.
 *
 * @since 0.1.0
 * @category models
 */
export type Tagger<Options = unknown> = Plugin.Tagger<Options>

/**
 * A panel hook: adds panels (as data) to a node's details.
 *
 * @since 0.1.0
 * @category models
 */
export type PanelProvider<Options = unknown> = Plugin.PanelProvider<Options>

/**
 * A control hook: an action on nodes with its own permission name.
 *
 * @since 0.1.0
 * @category models
 */
export type Control<Options = unknown> = Plugin.Control<Options>

/**
 * What collectors produce and taggers transform.
 *
 * @since 0.1.0
 * @category models
 */
export type ReportFragment = Plugin.ReportFragment

/**
 * What a hook may return: a value, a Promise or an Effect.
 *
 * @since 0.1.0
 * @category models
 */
export type HookResult<A> = Plugin.HookResult<A>
