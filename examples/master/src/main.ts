#!/usr/bin/env node
/**
 * The master host: reads flags and environment (`MasterConfig`), runs a scheduler master (alone, or in a
 * highly available group through ZooKeeper) until SIGINT/SIGTERM.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Flags } from "@orchestrator/core"
import { Master, MasterConfig } from "@orchestrator/scheduler/cluster"
import { Effect, Layer } from "effect"

const config = MasterConfig.fromArgs(process.argv.slice(2), process.env)
if (config instanceof Flags.ConfigError) {
  process.stderr.write(`orchestrator-master: ${config.message}\n\n${MasterConfig.usage}`)
  process.exit(2)
}
if ("_tag" in config) {
  process.stdout.write(MasterConfig.usage)
  process.exit(0)
}

const announce = Layer.effectDiscard(
  Effect.gen(function* () {
    const master = yield* Master
    yield* Effect.logInfo(`master ${master.info.id} listening on ${master.info.url}`)
  })
)
NodeRuntime.runMain(
  Layer.launch(announce.pipe(Layer.provideMerge(MasterConfig.layer(config)))).pipe(
    Effect.tapCause((cause) => Effect.logError("master stopped", cause))
  )
)
