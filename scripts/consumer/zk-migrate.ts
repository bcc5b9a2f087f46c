// Consumer check of @orchestrator/zk-migrate from its packed tarball: the Promise facade's errors for bad
// input always; with ZK_CONNECT (a ZooKeeper on loopback) also copy, verify, sync and cutover of a small
// subtree onto another path of the same server.
import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
import { createMigration, Errors } from "@orchestrator/zk-migrate"
import { Context, Effect, Layer } from "effect"

const check = (condition: boolean, what: string): void => {
  if (!condition) throw new Error(`consumer check failed: ${what}`)
  console.log(`ok - ${what}`)
}

const bad = await createMigration({
  source: { connectString: "zk1:2181,:x" },
  target: { connectString: "zk2:2181" }
}).then(
  () => undefined,
  (error: unknown) => error
)
check(bad instanceof Errors.InvalidConnectString, "a connection string that does not parse is an InvalidConnectString")

const connect = process.env.ZK_CONNECT
if (connect !== undefined && connect !== "") {
  const base = `/zk-migrate-consumer-${process.pid}`
  const withClient = <A>(f: (zk: ZooKeeperClient["Service"]) => Effect.Effect<A, unknown>) =>
    Effect.runPromise(
      Effect.scoped(
        Layer.build(ZooKeeperClient.layer({ connectString: connect })).pipe(
          Effect.flatMap((context) => f(Context.get(context, ZooKeeperClient)))
        )
      )
    )
  await withClient((zk) =>
    Effect.gen(function* () {
      yield* zk.mkdirp(`${base}/src/app`)
      yield* zk.setData(`${base}/src/app`, "v1")
    })
  )
  const migration = await createMigration({
    source: { connectString: connect, path: `${base}/src` },
    target: { connectString: connect, path: `${base}/dst` },
    stateFile: `/tmp/zk-migrate-consumer-${process.pid}.json`
  })
  try {
    const copied = await migration.copy()
    check(copied.created === 2, "copy creates the subtree on the target path")
    check((await migration.verify()).equal, "verify reports both sides equal")
    const sync = await migration.startSync({ reconcileIntervalMs: 0 })
    await withClient((zk) => zk.setData(`${base}/src/app`, "v2"))
    await sync.drain(10_000)
    const data = await withClient((zk) => zk.getData(`${base}/dst/app`))
    check(new TextDecoder().decode(data.data) === "v2", "a write on the source reaches the target while syncing")
    const cut = await sync.cutover()
    check(cut.durationMs >= 0, "cutover completes")
    await sync.stop()
  } finally {
    await migration.close()
    await withClient((zk) => zk.removeRecursive(base))
  }
}
console.log("consumer zk-migrate: all checks passed")
