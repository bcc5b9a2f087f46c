/**
 * The parts of the host that come from optional packages: the web UI's static assets and the embedded
 * probe. Each is loaded only when installed, so the app server runs with what exists.
 */
import { AppServer, type AppServerConfig } from "@orchestrator/core"
import { Effect, Layer } from "effect"

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

/** A probe of this host publishing to the app server, when `@orchestrator/probe` is installed. */
export const embeddedProbe = async (
  config: AppServerConfig.AppServerConfig
): Promise<Layer.Layer<never, never, AppServer.AppServer>> => {
  try {
    const { Probe } = await import("@orchestrator/probe")
    return Layer.unwrap(
      Effect.gen(function* () {
        const server = yield* AppServer.AppServer
        return Probe.layerEmbedded({
          appUrl: server.url,
          ...(config.token !== undefined ? { token: config.token } : {})
        })
      })
    )
  } catch (error) {
    process.stderr.write(`orchestrator-app: no embedded probe (${(error as Error).message})\n`)
    return Layer.empty
  }
}
