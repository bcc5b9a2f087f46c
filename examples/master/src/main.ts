#!/usr/bin/env node
/**
 * The master host: reads flags and environment (`AppsConfig`: the master's flags and the app scheduler's),
 * runs a scheduler master (alone, or in a highly available group through ZooKeeper) with the Marathon-style
 * app scheduler (its `/v2` API on the master's port, the load balancer on the service ports) until
 * SIGINT/SIGTERM. `--no-apps` runs the master alone.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Flags } from "@orchestrator/core"
import { AppsConfig } from "@orchestrator/scheduler/apps"
import { Master } from "@orchestrator/scheduler/cluster"
import { Effect, Layer } from "effect"

const config = AppsConfig.fromArgs(process.argv.slice(2), process.env)
if (config instanceof Flags.ConfigError) {
  process.stderr.write(`orchestrator-master: ${config.message}\n\n${AppsConfig.usage}`)
  process.exit(2)
}
if ("_tag" in config) {
  process.stdout.write(AppsConfig.usage)
  process.exit(0)
}

const announce = Layer.effectDiscard(
  Effect.gen(function* () {
    const master = yield* Master
    yield* Effect.logInfo(
      `master ${master.info.id} listening on ${master.info.url}${config.apps === undefined ? "" : " (apps API at /v2)"}`
    )
  })
)
NodeRuntime.runMain(
  Layer.launch(announce.pipe(Layer.provideMerge(AppsConfig.layer(config)))).pipe(
    Effect.tapCause((cause) => Effect.logError("master stopped", cause))
  )
)
