/**
 * Finds the leading master in ZooKeeper: the candidate with the lowest sequence number under the election
 * path, and the master info it published. Agents and frameworks follow it.
 *
 * @since 0.1.0
 */
import type { ZooKeeperClient, ZooKeeperError } from "@orchestrator/core/zookeeper"
import { Effect, Option, Schema, Stream } from "effect"
import { MasterInfo } from "../Protocol.js"
import { candidates } from "./LeaderElection.js"

const decodeInfo = Schema.decodeUnknownOption(Schema.fromJsonString(MasterInfo))

/**
 * The current leader's info, `None` when there is no candidate (or its data is not a master info).
 *
 * @since 0.1.0
 * @category getters
 */
export const currentLeader = (
  zk: ZooKeeperClient["Service"],
  path: string
): Effect.Effect<Option.Option<MasterInfo>, ZooKeeperError> =>
  zk.getChildren(path).pipe(
    Effect.catchIf(
      (error) => error.code === "NO_NODE",
      () => Effect.succeed([])
    ),
    Effect.flatMap((children) => leaderOf(zk, path, children))
  )

const leaderOf = (
  zk: ZooKeeperClient["Service"],
  path: string,
  children: ReadonlyArray<string>
): Effect.Effect<Option.Option<MasterInfo>, ZooKeeperError> => {
  const first = candidates(children)[0]
  if (first === undefined) return Effect.succeed(Option.none())
  return zk.getData(`${path}/${first}`).pipe(
    Effect.map((node) => decodeInfo(new TextDecoder().decode(node.data))),
    Effect.catchIf(
      (error) => error.code === "NO_NODE",
      () => Effect.succeed(Option.none<MasterInfo>())
    )
  )
}

/**
 * The leader now and after every change of candidates (consecutive equal leaders emitted once).
 *
 * @since 0.1.0
 * @category streams
 */
export const leaderChanges = (
  zk: ZooKeeperClient["Service"],
  path: string
): Stream.Stream<Option.Option<MasterInfo>, ZooKeeperError> =>
  zk.watchChildren(path).pipe(
    Stream.mapEffect((children) => leaderOf(zk, path, children)),
    Stream.changesWith((a, b) =>
      Option.isNone(a) ? Option.isNone(b) : Option.isSome(b) && a.value.url === b.value.url && a.value.id === b.value.id
    )
  )
