/**
 * The shared Docker and ZooKeeper layers (`@orchestrator/core/docker`, `@orchestrator/core/zookeeper`).
 * Each part reports what it found, or the typed error when the engine or ensemble is not there.
 *
 *   npx tsx --conditions=source docs/examples/shared-clients.ts
 *   DOCKER_SOCKET=/var/run/docker.sock ZK=127.0.0.1:2181 npx tsx --conditions=source docs/examples/shared-clients.ts
 */
import { DockerClient } from "@orchestrator/core/docker"
import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
import { Effect, Option } from "effect"

const docker = Effect.gen(function* () {
  const client = yield* DockerClient
  const containers = yield* client.use("listContainers", (d, signal) =>
    d.listContainers({ all: true, abortSignal: signal })
  )
  const missing = yield* client
    .use("inspect", (d, signal) => d.getContainer("no-such-container").inspect({ abortSignal: signal }))
    .pipe(Effect.flip)
  return `Docker at ${client.socketPath}: ${containers.length} containers; inspecting a missing one: ${missing.message}`
}).pipe(
  Effect.provide(
    DockerClient.layer({
      ...(process.env.DOCKER_SOCKET !== undefined ? { socketPath: process.env.DOCKER_SOCKET } : {}),
      pingTimeoutMs: 2_000
    })
  ),
  Effect.catchTag("DockerUnavailable", (error) => Effect.succeed(`DockerUnavailable: ${error.message}`)),
  Effect.catchTag("DockerError", (error) => Effect.succeed(`DockerError: ${error.message}`))
)

const zookeeper = Effect.gen(function* () {
  const zk = yield* ZooKeeperClient
  yield* zk.mkdirp("/orchestrator-docs-example")
  const path = yield* zk.create("/orchestrator-docs-example/item-", "v1", { mode: "ephemeralSequential" })
  const data = yield* zk.getData(path)
  const missing = yield* zk.exists("/orchestrator-docs-example/none")
  yield* zk.removeRecursive("/orchestrator-docs-example")
  return `ZooKeeper ${zk.connectString}: created ${path} = ${new TextDecoder().decode(data.data)} (version ${data.stat.version}); exists(none) = ${Option.isSome(missing)}`
}).pipe(
  Effect.provide(
    ZooKeeperClient.layer({
      connectString: process.env.ZK ?? "127.0.0.1:2181",
      connectTimeoutMs: 2_000,
      sessionTimeoutMs: 4_000
    })
  ),
  Effect.catchTag("ZooKeeperUnavailable", (error) => Effect.succeed(`ZooKeeperUnavailable: ${error.message}`)),
  Effect.catchTag("ZooKeeperError", (error) => Effect.succeed(`ZooKeeperError ${error.code}: ${error.message}`))
)

console.log(await Effect.runPromise(docker))
console.log(await Effect.runPromise(zookeeper))
