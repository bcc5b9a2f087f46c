/**
 * The master's REST API (under `/api/v1`, plus `/health` and `/metrics`): request bodies are decoded with
 * the protocol schemas, and every error is a 4xx/5xx answer with `{ error, message }`.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { InvalidRequest } from "../ClusterError.js"
import { type Request, type Route, route } from "../http/HttpServer.js"
import { decode } from "../internal/decode.js"
import {
  AcceptOffer,
  AgentRegistration,
  DeclineOffer,
  FrameworkRegistration,
  Reconcile,
  Reservation,
  RoleConfig
} from "../Protocol.js"
import { TaskStatus } from "../Task.js"
import type { Master } from "./Master.js"

const numberParam = (request: Request, name: string): Effect.Effect<number, InvalidRequest> => {
  const text = request.query.get(name)
  if (text === null) return Effect.succeed(0)
  const n = Number(text)
  return text.trim() !== "" && Number.isFinite(n) && n >= 0
    ? Effect.succeed(n)
    : Effect.fail(new InvalidRequest({ field: name, reason: `expects a number >= 0, got "${text}"` }))
}

const waitParam = (request: Request) => numberParam(request, "wait")

/**
 * The routes of a master.
 *
 * @since 0.1.0
 * @category constructors
 */
export const masterRoutes = (master: Master["Service"]): ReadonlyArray<Route> => [
  {
    method: "GET",
    pattern: "/health",
    handle: () =>
      Effect.gen(function* () {
        const leading = yield* master.isLeader
        const leader = yield* master.leaderUrl
        return {
          status: 200,
          body: { status: "ok", master: master.info, leading, leader: Option.getOrNull(leader) }
        }
      })
  },
  {
    method: "GET",
    pattern: "/metrics",
    handle: () =>
      Effect.map(master.metrics, (text) => ({ status: 200, body: text, contentType: "text/plain; version=0.0.4" }))
  },
  route("GET", "/api/v1/leader", () =>
    Effect.map(master.leaderUrl, (url) => ({ leader: Option.getOrNull(url), self: master.info.url }))
  ),

  // agents
  route("POST", "/api/v1/agents", (r) => Effect.flatMap(decode(AgentRegistration)(r.body), master.registerAgent)),
  route("GET", "/api/v1/agents", () => master.agents),
  route("GET", "/api/v1/agents/:agentId", (r) => master.agent(r.params.agentId!)),
  route("POST", "/api/v1/agents/:agentId/heartbeat", (r) =>
    Effect.as(master.heartbeat(r.params.agentId!), { ok: true })
  ),
  route("POST", "/api/v1/agents/:agentId/status", (r) =>
    Effect.flatMap(decode(TaskStatus)(r.body), (status) =>
      Effect.as(master.statusUpdate(r.params.agentId!, status), { ok: true })
    )
  ),

  // frameworks
  route("POST", "/api/v1/frameworks", (r) =>
    Effect.flatMap(decode(FrameworkRegistration)(r.body), master.registerFramework)
  ),
  route("GET", "/api/v1/frameworks", () => master.frameworks),
  route("DELETE", "/api/v1/frameworks/:frameworkId", (r) =>
    Effect.as(master.removeFramework(r.params.frameworkId!), { ok: true })
  ),
  route("GET", "/api/v1/frameworks/:frameworkId/offers", (r) =>
    Effect.flatMap(waitParam(r), (wait) => master.offers(r.params.frameworkId!, wait))
  ),
  route("POST", "/api/v1/frameworks/:frameworkId/accept", (r) =>
    Effect.flatMap(decode(AcceptOffer)(r.body), (accept) => master.accept(r.params.frameworkId!, accept))
  ),
  route("POST", "/api/v1/frameworks/:frameworkId/decline", (r) =>
    Effect.flatMap(decode(DeclineOffer)(r.body), (decline) =>
      Effect.as(master.decline(r.params.frameworkId!, decline), { ok: true })
    )
  ),
  route("POST", "/api/v1/frameworks/:frameworkId/suppress", (r) =>
    Effect.as(master.suppress(r.params.frameworkId!, true), { ok: true })
  ),
  route("POST", "/api/v1/frameworks/:frameworkId/revive", (r) =>
    Effect.as(master.suppress(r.params.frameworkId!, false), { ok: true })
  ),
  route("POST", "/api/v1/frameworks/:frameworkId/reconcile", (r) =>
    Effect.flatMap(decode(Reconcile)(r.body ?? {}), (body) => master.reconcile(r.params.frameworkId!, body.taskIds))
  ),

  route("GET", "/api/v1/frameworks/:frameworkId/updates", (r) =>
    Effect.flatMap(Effect.all([numberParam(r, "after"), waitParam(r)]), ([after, wait]) =>
      master.updates(r.params.frameworkId!, after, wait)
    )
  ),

  // reservations
  route("GET", "/api/v1/reservations", () => master.reservations),
  route("POST", "/api/v1/agents/:agentId/reserve", (r) =>
    Effect.flatMap(decode(Reservation)(r.body), (reservation) => master.reserve(r.params.agentId!, reservation))
  ),
  route("POST", "/api/v1/agents/:agentId/unreserve", (r) =>
    Effect.flatMap(decode(Reservation)(r.body), (reservation) => master.unreserve(r.params.agentId!, reservation))
  ),

  // roles
  route("GET", "/api/v1/roles", () => master.roles),
  route("PUT", "/api/v1/roles/:role", (r) =>
    Effect.flatMap(decode(RoleConfig)(r.body), (config) => master.setRole(r.params.role!, config))
  ),

  // offers and tasks
  route("GET", "/api/v1/offers", (r) => Effect.flatMap(waitParam(r), (wait) => master.offers(undefined, wait))),
  route("GET", "/api/v1/tasks", (r) => master.tasks(r.query.get("framework") ?? undefined)),
  route("GET", "/api/v1/tasks/:taskId", (r) => master.task(r.params.taskId!)),
  route("POST", "/api/v1/tasks/:taskId/kill", (r) => master.kill(r.params.taskId!))
]
