/**
 * The app host's plugins (`--plugin`, `--config`, `--scope-plugins`): views and panels run in the app server's
 * registry; collectors, taggers and controls run in the embedded probe's. Weave Scope plugins are bridged into
 * both: their collectors and controls into the probe, their table panels into the app.
 */
import { type Plugin, PluginRegistry } from "@orchestrator/core"
import type { HostPlugins } from "@orchestrator/plugins"
import { ScopeBridge } from "@orchestrator/plugins"
import { Effect, Layer } from "effect"

/** The part of a plugin the app server runs: its views and panels (with its options Schema). */
export const appSide = (plugin: Plugin.AnyPlugin): Plugin.AnyPlugin => ({
  name: plugin.name,
  version: plugin.version,
  apiVersion: plugin.apiVersion,
  ...(plugin.description !== undefined ? { description: plugin.description } : {}),
  ...(plugin.options !== undefined ? { options: plugin.options } : {}),
  ...(plugin.views !== undefined ? { views: plugin.views } : {}),
  ...(plugin.panels !== undefined ? { panels: plugin.panels } : {})
})

/** Registers the loaded plugins' app side in the app server's registry for as long as the app runs. */
export const appPlugins = (
  setup: HostPlugins.HostPluginSetup
): Layer.Layer<never, Plugin.PluginError, PluginRegistry.PluginRegistry> =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const registry = yield* PluginRegistry.PluginRegistry
      for (const { plugin, options } of setup.plugins) {
        if (plugin.views === undefined && plugin.panels === undefined) continue
        yield* registry.registerScoped(appSide(plugin), options as never)
      }
    })
  )

/**
 * The Scope bridge of an app with an embedded probe: each Scope plugin is registered in the probe's registry
 * (collector, controls) and its app side in the app's registry (table panels).
 */
export const scopeBridge = (
  options: ScopeBridge.ScopeBridgeOptions,
  app: PluginRegistry.PluginRegistryService
): Layer.Layer<never, never, PluginRegistry.PluginRegistry> =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const probe = yield* PluginRegistry.PluginRegistry
      yield* ScopeBridge.make(
        {
          register: (plugin) =>
            Effect.gen(function* () {
              const offProbe = yield* probe.register(plugin)
              const offApp = yield* app.register(appSide(plugin)).pipe(Effect.onError(() => offProbe))
              return Effect.andThen(offProbe, offApp)
            })
        },
        options
      )
    })
  )
