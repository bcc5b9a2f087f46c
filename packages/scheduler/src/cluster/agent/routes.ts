/**
 * The agent's REST API, called by the master: launch and kill tasks, list them; run a command in a task's
 * container (for command health checks); plus `/health`.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { type Route, route } from "../http/HttpServer.js"
import { decode } from "../internal/decode.js"
import { ExecRequest, LaunchTask } from "../Protocol.js"
import type { Agent } from "./Agent.js"

/**
 * The routes of an agent.
 *
 * @since 0.1.0
 * @category constructors
 */
export const agentRoutes = (agent: Agent["Service"]): ReadonlyArray<Route> => [
  route("GET", "/health", () =>
    Effect.gen(function* () {
      return {
        status: "ok",
        agentId: agent.agentId,
        registered: yield* agent.registered,
        master: Option.getOrNull(yield* agent.masterUrl),
        resources: agent.resources
      }
    })
  ),
  route("GET", "/api/v1/tasks", () => agent.tasks),
  route("POST", "/api/v1/tasks", (r) => Effect.flatMap(decode(LaunchTask)(r.body), agent.launch)),
  route("POST", "/api/v1/tasks/:taskId/kill", (r) => agent.kill(r.params.taskId!)),
  route("POST", "/api/v1/tasks/:taskId/exec", (r) =>
    Effect.flatMap(decode(ExecRequest)(r.body), (request) => agent.exec(r.params.taskId!, request))
  )
]
