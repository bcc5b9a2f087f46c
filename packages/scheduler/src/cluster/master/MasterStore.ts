/**
 * Where the master keeps what must survive a failover: frameworks, role settings (weights, quotas) and dynamic
 * reservations. In ZooKeeper for masters in high availability; in memory for a single master. Tasks are not
 * stored: agents report them when they register with the new leader.
 *
 * @since 0.1.0
 */
import type { ZooKeeperClient, ZooKeeperError } from "@orchestrator/core/zookeeper"
import { Effect, Option, Schema } from "effect"
import { childrenOrEmpty, textOrNone } from "../internal/zkReads.js"
import { FrameworkInfo, Reservation, RoleConfig } from "../Protocol.js"

/**
 * The stored state.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoredState {
  readonly frameworks: ReadonlyArray<FrameworkInfo>
  readonly roles: ReadonlyArray<{ readonly role: string; readonly config: RoleConfig }>
  readonly reservations: ReadonlyArray<{ readonly agentId: string; readonly reservations: ReadonlyArray<Reservation> }>
}

/**
 * A store of master state.
 *
 * @since 0.1.0
 * @category models
 */
export interface MasterStore {
  readonly load: Effect.Effect<StoredState, ZooKeeperError>
  readonly saveFramework: (framework: FrameworkInfo) => Effect.Effect<void, ZooKeeperError>
  readonly removeFramework: (frameworkId: string) => Effect.Effect<void, ZooKeeperError>
  readonly saveRole: (role: string, config: RoleConfig) => Effect.Effect<void, ZooKeeperError>
  /** Replaces an agent's reservations (an empty list removes them). */
  readonly saveReservations: (
    agentId: string,
    reservations: ReadonlyArray<Reservation>
  ) => Effect.Effect<void, ZooKeeperError>
}

/**
 * A store that keeps nothing beyond the process (a single master).
 *
 * @since 0.1.0
 * @category constructors
 */
export const memory = (): MasterStore => {
  const frameworks = new Map<string, FrameworkInfo>()
  const roles = new Map<string, RoleConfig>()
  const reservations = new Map<string, ReadonlyArray<Reservation>>()
  return {
    load: Effect.sync(() => ({
      frameworks: [...frameworks.values()],
      roles: [...roles].map(([role, config]) => ({ role, config })),
      reservations: [...reservations].map(([agentId, list]) => ({ agentId, reservations: list }))
    })),
    saveReservations: (agentId, list) =>
      Effect.sync(() => void (list.length === 0 ? reservations.delete(agentId) : reservations.set(agentId, list))),
    saveFramework: (framework) => Effect.sync(() => void frameworks.set(framework.frameworkId, framework)),
    removeFramework: (frameworkId) => Effect.sync(() => void frameworks.delete(frameworkId)),
    saveRole: (role, config) => Effect.sync(() => void roles.set(role, config))
  }
}

const decodeFramework = Schema.decodeUnknownOption(Schema.fromJsonString(FrameworkInfo))
const decodeRole = Schema.decodeUnknownOption(Schema.fromJsonString(RoleConfig))
const decodeReservations = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Array(Reservation)))

/**
 * A store in ZooKeeper under `root` (`<root>/frameworks/<id>`, `<root>/roles/<role, URI-encoded>`,
 * `<root>/reservations/<agent id>`, JSON).
 * Entries that do not decode are skipped with a warning.
 *
 * @since 0.1.0
 * @category constructors
 */
export const zookeeper = (zk: ZooKeeperClient["Service"], root: string): MasterStore => {
  const upsert = (path: string, data: string) =>
    zk.setData(path, data).pipe(
      Effect.catchIf(
        (error) => error.code === "NO_NODE",
        () =>
          zk.mkdirp(path.slice(0, path.lastIndexOf("/"))).pipe(
            Effect.andThen(zk.create(path, data)),
            Effect.catchIf(
              (error) => error.code === "NODE_EXISTS",
              () => zk.setData(path, data)
            )
          )
      ),
      Effect.asVoid
    )
  const children = (path: string) => childrenOrEmpty(zk, path)
  const read = (path: string) => Effect.map(textOrNone(zk, path), Option.getOrUndefined)
  return {
    load: Effect.gen(function* () {
      const frameworkIds = yield* children(`${root}/frameworks`)
      const frameworks: Array<FrameworkInfo> = []
      for (const id of frameworkIds) {
        const data = yield* read(`${root}/frameworks/${id}`)
        const decoded = data === undefined ? undefined : decodeFramework(data)
        if (decoded?._tag === "Some") frameworks.push(decoded.value)
        else if (data !== undefined) yield* Effect.logWarning(`skipping stored framework ${id}: not a framework`)
      }
      const roleNames = yield* children(`${root}/roles`)
      const roles: Array<{ role: string; config: RoleConfig }> = []
      for (const name of roleNames) {
        const data = yield* read(`${root}/roles/${name}`)
        const decoded = data === undefined ? undefined : decodeRole(data)
        if (decoded?._tag === "Some") roles.push({ role: decodeURIComponent(name), config: decoded.value })
        else if (data !== undefined) yield* Effect.logWarning(`skipping stored role ${name}: not a role config`)
      }
      const agentIds = yield* children(`${root}/reservations`)
      const reservations: Array<{ agentId: string; reservations: ReadonlyArray<Reservation> }> = []
      for (const agentId of agentIds) {
        const data = yield* read(`${root}/reservations/${agentId}`)
        const decoded = data === undefined ? undefined : decodeReservations(data)
        if (decoded?._tag === "Some") reservations.push({ agentId, reservations: decoded.value })
        else if (data !== undefined)
          yield* Effect.logWarning(`skipping stored reservations of ${agentId}: not reservations`)
      }
      return { frameworks, roles, reservations }
    }),
    saveReservations: (agentId, list) =>
      list.length === 0
        ? zk.remove(`${root}/reservations/${agentId}`).pipe(
            Effect.catchIf(
              (error) => error.code === "NO_NODE",
              () => Effect.void
            )
          )
        : upsert(`${root}/reservations/${agentId}`, JSON.stringify(list)),
    saveFramework: (framework) => upsert(`${root}/frameworks/${framework.frameworkId}`, JSON.stringify(framework)),
    removeFramework: (frameworkId) =>
      zk.remove(`${root}/frameworks/${frameworkId}`).pipe(
        Effect.catchIf(
          (error) => error.code === "NO_NODE",
          () => Effect.void
        )
      ),
    saveRole: (role, config) => upsert(`${root}/roles/${encodeURIComponent(role)}`, JSON.stringify(config))
  }
}
