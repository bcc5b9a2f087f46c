#!/usr/bin/env node
/**
 * The app server host: parses flags and environment, assembles the app server from @orchestrator/core,
 * serves the web UI from @orchestrator/ui and embeds a probe of this host, then runs until SIGINT/SIGTERM.
 */
import { NodeRuntime } from "@effect/platform-node"
import { AppServer, AppServerConfig } from "@orchestrator/core"
import { HostPlugins } from "@orchestrator/plugins"
import { Effect, Layer } from "effect"
import { embeddedProbe, uiAssets } from "./optional.js"
import { appPlugins } from "./plugins.js"

const usage = `Usage: orchestrator-app [flags]

  --host <addr>                 address to bind (default 127.0.0.1; env APP_HOST)
  --port <n>                    port (default 8080; env APP_PORT)
  --token <secret>              require this token from probes and browsers (env APP_TOKEN)
  --max-data-age <dur>          keep time series this long (default 1h; env MAX_DATA_AGE)
  --cleanup-interval <dur>      time-series cleanup interval (default 1m; env CLEANUP_INTERVAL)
  --stale-node-threshold <dur>  drop probes silent this long (default 60s; env STALE_NODE_THRESHOLD)
  --max-body-bytes <n>          largest accepted request body (default 16 MiB)
  --cors-origin <a,b>           origins allowed by CORS (credentials only for origins named explicitly)
  --max-nodes-per-topology <n>  cap on merged nodes per topology (default 1000000)
  --ui-assets <dir>             serve the web UI from this folder (default: @orchestrator/ui)
  --no-probe                    do not embed a probe of this host
  --no-ui                       do not serve the web UI
${HostPlugins.usage}  --help                        show this help
`

const fail = (message: string): never => {
  process.stderr.write(`orchestrator-app: ${message}\n\n${usage}`)
  process.exit(2)
}

const main = async () => {
  const flags = HostPlugins.extractFlags(process.argv.slice(2))
  if (flags instanceof HostPlugins.FlagError) return fail(flags.message)
  const parsed = AppServerConfig.fromArgs(flags.rest, process.env)
  if (parsed instanceof AppServerConfig.ConfigError) return fail(parsed.message)
  const rest = new Set(parsed.rest)
  if (rest.has("--help") || rest.has("-h")) {
    process.stdout.write(usage)
    return
  }
  const unknown = [...rest].filter((flag) => !["--no-probe", "--no-ui"].includes(flag))
  if (unknown.length > 0) return fail(`unknown flag ${unknown[0]}`)
  // A bad plugin or option stops the app before it listens, naming the plugin and the option.
  const setup = await HostPlugins.loadPromise(flags).catch((error: { readonly message: string }) => fail(error.message))
  const config = { ...parsed.config }
  if (!rest.has("--no-ui") && config.uiAssetsDir === undefined) {
    const assets = await uiAssets()
    if (assets !== undefined) config.uiAssetsDir = assets
  }
  const server = AppServer.AppServer.layerAll(config)
  const probe = rest.has("--no-probe") ? Layer.empty : await embeddedProbe(config, setup)
  const program = Layer.launch(
    Layer.mergeAll(server, appPlugins(setup).pipe(Layer.provide(server)), probe.pipe(Layer.provide(server)))
  )
  NodeRuntime.runMain(program.pipe(Effect.tapCause((cause) => Effect.logError("app stopped", cause))))
}

void main()
