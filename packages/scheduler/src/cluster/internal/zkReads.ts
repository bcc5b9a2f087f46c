/** Reads of a JSON store in ZooKeeper where a missing node means "nothing stored" (the master's and the apps'). */
import type { ZooKeeperClient, ZooKeeperError } from "@orchestrator/core/zookeeper"
import { Effect, Option } from "effect"

const decoder = new TextDecoder()

/** UTF-8 text of node data. */
export const text = (data: Uint8Array): string => decoder.decode(data)

/** The children of `path`; none when it does not exist. */
export const childrenOrEmpty = (
  zk: ZooKeeperClient["Service"],
  path: string
): Effect.Effect<ReadonlyArray<string>, ZooKeeperError> =>
  zk.getChildren(path).pipe(
    Effect.catchIf(
      (error) => error.code === "NO_NODE",
      () => Effect.succeed<ReadonlyArray<string>>([])
    )
  )

/** The text of `path`; none when it does not exist. */
export const textOrNone = (
  zk: ZooKeeperClient["Service"],
  path: string
): Effect.Effect<Option.Option<string>, ZooKeeperError> =>
  zk.getData(path).pipe(
    Effect.map((node) => Option.some(text(node.data))),
    Effect.catchIf(
      (error) => error.code === "NO_NODE",
      () => Effect.succeed(Option.none<string>())
    )
  )
