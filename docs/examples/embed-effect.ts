/**
 * Embedding the app server in an Effect program: AppServer.layerAll with the web UI's assets, a plugin
 * registered through the PluginRegistry service, the server's own ingest, then a clean shutdown when the
 * program's scope closes. For a long-running service, use `Layer.launch(layer)` with `NodeRuntime.runMain`
 * instead (that is what examples/app/src/main.ts does).
 *
 *   npx tsx --conditions=source docs/examples/embed-effect.ts
 */
import { AppServer, Aggregator, PluginRegistry } from "@orchestrator/core"
import { assetsDir, isBuilt } from "@orchestrator/ui"
import { Effect } from "effect"
import { fullReportA, fullReportB } from "./fixture.js"
import { teamPlugin } from "./team-plugin.js"

const layer = AppServer.AppServer.layerAll({
  port: 0,
  staleNodeThresholdMs: 5 * 60_000,
  ...(isBuilt() ? { uiAssetsDir: assetsDir } : {})
})

const program = Effect.gen(function* () {
  const server = yield* AppServer.AppServer
  const plugins = yield* PluginRegistry.PluginRegistry
  const aggregator = yield* Aggregator.Aggregator

  // Unregistered when the program's scope closes.
  yield* plugins.registerScoped(teamPlugin, { team: "payments" })

  const now = Date.now()
  // server.ingest does what POST /api/v1/reports does after decoding (aggregator, time series, agent
  // bookkeeping); aggregator.ingest would skip the time series.
  yield* Effect.promise(() => server.ingest(fullReportA(now)))
  yield* Effect.promise(() => server.ingest(fullReportB(now)))
  console.log("server", server.url, "controlsLocked:", server.controlsLocked)
  console.log("stats", aggregator.stats().nodes)
  console.log(
    "views",
    server.views.summaries().map((v) => `${v.id}:${v.count}`)
  )

  const page = yield* Effect.promise(() => fetch(`${server.url}/`))
  console.log("GET /", page.status, page.headers.get("content-type"))
  const tiers = yield* Effect.promise(() =>
    fetch(`${server.url}/api/v1/query/topology?view=tiers`).then((r) => r.json())
  )
  console.log(
    "tiers view over HTTP",
    (tiers as { nodes: Array<{ label: string }> }).nodes.map((n) => n.label)
  )
})

await Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(layer)))
console.log("stopped: the layer's scope closed the server, WebSockets and loops")
