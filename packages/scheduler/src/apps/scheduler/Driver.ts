/**
 * The framework API as the app scheduler uses it, over either an in-process `Master` or a remote master
 * through `FrameworkClient`: one small interface, so the runtime does not care which.
 *
 * @since 0.1.0
 */
import { Data, Effect, Option, Schema, Stream } from "effect"
import { FrameworkClient } from "../../cluster/framework/FrameworkClient.js"
import { requestJson } from "../../cluster/http/HttpClient.js"
import { Master } from "../../cluster/master/Master.js"
import type {
  AcceptOffer,
  AgentView,
  DeclineOffer,
  FrameworkInfo,
  FrameworkRegistration,
  Offer,
  StatusUpdates
} from "../../cluster/Protocol.js"
import type { TaskStatus } from "../../cluster/Task.js"

/**
 * A framework API call failed; `notLeader` when the master does not lead (the scheduler then waits).
 *
 * @since 0.1.0
 * @category errors
 */
export class DriverError extends Data.TaggedError("DriverError")<{
  readonly operation: string
  readonly reason: string
  readonly notLeader: boolean
  readonly notFound: boolean
}> {
  override get message(): string {
    return `${this.operation}: ${this.reason}`
  }
}

/**
 * An agent as the scheduler needs it: where its tasks are reached, and its attributes for constraints.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentInfo {
  readonly agentId: string
  readonly hostname: string
  /** The host tasks' published ports are reached at (the agent URL's host). */
  readonly address: string
  readonly url: string
  readonly attributes: Readonly<Record<string, string>>
}

/**
 * The framework API the runtime drives.
 *
 * @since 0.1.0
 * @category models
 */
export interface Driver {
  /** `true` while the scheduler may act (its master leads, or a remote leader is known). */
  readonly leadership: Stream.Stream<boolean>
  /** Whether the scheduler may act right now (checked before every change). */
  readonly isLeading: Effect.Effect<boolean>
  readonly leaderUrl: Effect.Effect<string | undefined>
  readonly register: (registration: FrameworkRegistration) => Effect.Effect<FrameworkInfo, DriverError>
  readonly offers: (frameworkId: string, waitMs: number) => Effect.Effect<ReadonlyArray<Offer>, DriverError>
  readonly accept: (frameworkId: string, accept: AcceptOffer) => Effect.Effect<ReadonlyArray<TaskStatus>, DriverError>
  readonly decline: (frameworkId: string, decline: DeclineOffer) => Effect.Effect<void, DriverError>
  readonly suppress: (frameworkId: string, suppressed: boolean) => Effect.Effect<void, DriverError>
  readonly updates: (frameworkId: string, after: number, waitMs: number) => Effect.Effect<StatusUpdates, DriverError>
  readonly reconcile: (
    frameworkId: string,
    taskIds?: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<TaskStatus>, DriverError>
  readonly kill: (taskId: string) => Effect.Effect<TaskStatus, DriverError>
  readonly agents: Effect.Effect<ReadonlyArray<AgentInfo>, DriverError>
}

const hostOf = (url: string, fallback: string): string => {
  try {
    const host = new URL(url).hostname
    return host.startsWith("[") ? host.slice(1, -1) : host
  } catch {
    return fallback
  }
}

const agentInfo = (view: AgentView): AgentInfo => ({
  agentId: view.agentId,
  hostname: view.hostname,
  address: hostOf(view.url, view.hostname),
  url: view.url,
  attributes: view.attributes
})

const fail =
  (operation: string) =>
  (error: { readonly message: string }): DriverError => {
    const fields = error as { readonly _tag?: unknown; readonly error?: unknown; readonly status?: unknown }
    return new DriverError({
      operation,
      reason: error.message,
      notLeader: fields._tag === "NotLeader" || fields.error === "NotLeader",
      notFound: fields._tag === "NotFound" || fields.status === 404
    })
  }

/**
 * The driver over the in-process master.
 *
 * @since 0.1.0
 * @category constructors
 */
export const driverFromMaster: Effect.Effect<Driver, never, Master> = Master.useSync((master) => ({
  leadership: master.leadership,
  isLeading: master.isLeader,
  leaderUrl: Effect.map(master.leaderUrl, Option.getOrUndefined),
  register: (r) => Effect.mapError(master.registerFramework(r), fail("register")),
  offers: (id, waitMs) => Effect.mapError(master.offers(id, waitMs), fail("offers")),
  accept: (id, a) => Effect.mapError(master.accept(id, a), fail("accept")),
  decline: (id, d) => Effect.mapError(master.decline(id, d), fail("decline")),
  suppress: (id, s) => Effect.mapError(master.suppress(id, s), fail("suppress")),
  updates: (id, after, waitMs) => Effect.mapError(master.updates(id, after, waitMs), fail("updates")),
  reconcile: (id, ids) => Effect.mapError(master.reconcile(id, ids), fail("reconcile")),
  kill: (taskId) => Effect.mapError(master.kill(taskId), fail("kill")),
  agents: Effect.mapError(
    Effect.map(master.agents, (list) => list.map(agentInfo)),
    fail("agents")
  )
}))

const AgentList = Schema.Array(
  Schema.Struct({
    agentId: Schema.String,
    hostname: Schema.String,
    url: Schema.String,
    attributes: Schema.Record(Schema.String, Schema.String)
  })
)

/**
 * The driver over `FrameworkClient` (a master in another process). Suppress/revive and the agent list,
 * which the client does not offer, go to the leader's REST API directly.
 *
 * @since 0.1.0
 * @category constructors
 */
export const driverFromClient: Effect.Effect<Driver, never, FrameworkClient> = FrameworkClient.useSync((client) => {
  const atLeader = <A>(operation: string, f: (url: string) => Effect.Effect<A, DriverError>) =>
    Effect.flatMap(client.leader, (leader) =>
      Option.isNone(leader)
        ? Effect.fail(
            new DriverError({ operation, reason: "no leading master known", notLeader: true, notFound: false })
          )
        : f(leader.value)
    )
  return {
    leadership: Stream.succeed(true),
    isLeading: Effect.map(client.leader, Option.isSome),
    leaderUrl: Effect.map(client.leader, Option.getOrUndefined),
    register: (r) => Effect.mapError(client.register(r), fail("register")),
    offers: (id, waitMs) => Effect.mapError(client.offers(id, waitMs), fail("offers")),
    accept: (id, a) => Effect.mapError(client.accept(id, a), fail("accept")),
    decline: (id, d) => Effect.mapError(client.decline(id, d), fail("decline")),
    suppress: (id, s) =>
      atLeader("suppress", (url) =>
        Effect.mapError(
          requestJson("POST", `${url}/api/v1/frameworks/${id}/${s ? "suppress" : "revive"}`),
          fail("suppress")
        ).pipe(Effect.asVoid)
      ),
    updates: (id, after, waitMs) => Effect.mapError(client.updates(id, after, waitMs), fail("updates")),
    reconcile: (id, ids) => Effect.mapError(client.reconcile(id, ids), fail("reconcile")),
    kill: (taskId) => Effect.mapError(client.kill(taskId), fail("kill")),
    agents: atLeader("agents", (url) =>
      requestJson("GET", `${url}/api/v1/agents`).pipe(
        Effect.mapError(fail("agents")),
        Effect.flatMap((body) =>
          Schema.decodeUnknownEffect(AgentList)(body).pipe(
            Effect.mapError(
              (e) => new DriverError({ operation: "agents", reason: e.message, notLeader: false, notFound: false })
            )
          )
        ),
        Effect.map((list) =>
          list.map((a) => ({
            agentId: a.agentId,
            hostname: a.hostname,
            address: hostOf(a.url, a.hostname),
            url: a.url,
            attributes: a.attributes
          }))
        )
      )
    )
  }
})
