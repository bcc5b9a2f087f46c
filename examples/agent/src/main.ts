#!/usr/bin/env node
/**
 * The agent host: reads flags and environment (`AgentConfig`), runs a scheduler agent that registers with the
 * master (given by URL, or the leader elected in ZooKeeper) and runs its tasks as Docker containers, until
 * SIGINT/SIGTERM. Its containers keep running when it stops; started again with the same `--agent-id`, it
 * re-attaches to them.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Flags } from "@orchestrator/core"
import { Agent, AgentConfig } from "@orchestrator/scheduler/cluster"
import { Effect, Layer } from "effect"

const config = AgentConfig.fromArgs(process.argv.slice(2), process.env)
if (config instanceof Flags.ConfigError) {
  process.stderr.write(`orchestrator-agent: ${config.message}\n\n${AgentConfig.usage}`)
  process.exit(2)
}
if ("_tag" in config) {
  process.stdout.write(AgentConfig.usage)
  process.exit(0)
}

const announce = Layer.effectDiscard(
  Effect.gen(function* () {
    const agent = yield* Agent
    yield* Effect.logInfo(`agent ${agent.agentId} listening on ${agent.url}`)
  })
)
NodeRuntime.runMain(
  Layer.launch(announce.pipe(Layer.provideMerge(AgentConfig.layer(config)))).pipe(
    Effect.tapCause((cause) => Effect.logError("agent stopped", cause))
  )
)
