/**
 * The parts of the host that come from optional packages: the web UI's static assets and the embedded
 * probe. Each is loaded only when installed, so the app server runs with what exists.
 */
import * as os from "node:os"
import { AppServer, type AppServerConfig, PluginRegistry } from "@orchestrator/core"
import { type HostPlugins, PluginLoader } from "@orchestrator/plugins"
import { Effect, Layer } from "effect"
import { scopeBridge } from "./plugins.js"

/** The folder of the built web UI, when `@orchestrator/ui` is installed and built. */
export const uiAssets = async (): Promise<string | undefined> => {
  try {
    const ui = await import("@orchestrator/ui")
    if (ui.isBuilt()) return ui.assetsDir
    process.stderr.write("orchestrator-app: the web UI is not built (run `npm run build`); serving the API only\n")
    return undefined
  } catch {
    return undefined
  }
}

/**
 * A probe of this host publishing to the app server, when `@orchestrator/probe` is installed, running the
 * loaded plugins' collectors and controls and, when asked for, the Scope bridge.
 */
export const embeddedProbe = async (
  config: AppServerConfig.AppServerConfig,
  setup: HostPlugins.HostPluginSetup
): Promise<Layer.Layer<never, never, AppServer.AppServer | PluginRegistry.PluginRegistry>> => {
  try {
    const { Probe } = await import("@orchestrator/probe")
    return Layer.unwrap(
      Effect.gen(function* () {
        const server = yield* AppServer.AppServer
        const app = yield* PluginRegistry.PluginRegistry
        // The probe has a registry of its own (`Probe.layer`): it runs the plugins' collectors, taggers and
        // controls, while the app's registry holds their views and panels (see plugins.ts).
        const probe = Probe.Probe.layer({
          probeId: `app@${os.hostname()}`,
          appUrl: server.url,
          plugins: PluginLoader.toEntries(setup.plugins),
          ...(config.token !== undefined ? { token: config.token } : {})
        })
        const running =
          setup.scope === undefined ? probe : scopeBridge(setup.scope, app).pipe(Layer.provideMerge(probe))
        return Layer.effectDiscard(Layer.build(running)).pipe(Layer.orDie)
      })
    )
  } catch (error) {
    process.stderr.write(`orchestrator-app: no embedded probe (${(error as Error).message})\n`)
    return Layer.empty
  }
}
