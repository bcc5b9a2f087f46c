import { Schema } from "effect"
import {
  AgentConfig,
  AgentConfigPatch,
  AgentInfo,
  HeartbeatResponse,
  RegisterRequest,
  RegisterResponse
} from "../../../AgentConfig.js"
import { UnknownAgent } from "../../../AgentRegistry.js"
import type { AppContext } from "../AppContext.js"
import { HttpError, sendJson } from "../HttpError.js"
import type { Route } from "../Router.js"
import { decodeBody } from "./decode.js"

const unknownAgent = (error: UnknownAgent) =>
  new HttpError(404, "unknown_agent", error.message, { agentId: error.agentId })

/** Registration, heartbeats, configuration and the agent list. */
export const agentRoutes = (app: AppContext): ReadonlyArray<Route> => [
  {
    method: "POST",
    path: "/api/v1/agents/register",
    summary: "Register a probe (or re-register after an app restart); returns its id and configuration",
    tag: "agents",
    requestSchema: RegisterRequest,
    responseSchema: RegisterResponse,
    handle: async ({ req, res }) => {
      const body = await decodeBody(app, req, RegisterRequest)
      const result = app.agents.register(body, Date.now())
      if (!("agentId" in result)) throw new HttpError(429, "too_many_agents", result.message)
      sendJson(res, 200, result)
    }
  },
  {
    method: "POST",
    path: "/api/v1/agents/heartbeat/:agent_id",
    summary: "Heartbeat; answers the current config version and the next report sequence the app expects",
    tag: "agents",
    responseSchema: HeartbeatResponse,
    handle: ({ res, params }) => {
      const agentId = params.agent_id!
      const config = app.agents.heartbeat(agentId, Date.now())
      if (config instanceof UnknownAgent) throw unknownAgent(config)
      sendJson(res, 200, {
        ok: true,
        configVersion: config.configVersion,
        expectedSeq: app.aggregator.expectedSeq(agentId)
      })
    }
  },
  {
    method: "GET",
    path: "/api/v1/agents/config/:agent_id",
    summary: "The probe's configuration",
    tag: "agents",
    responseSchema: AgentConfig,
    handle: ({ res, params }) => {
      const config = app.agents.config(params.agent_id!)
      if (config instanceof UnknownAgent) throw unknownAgent(config)
      sendJson(res, 200, config)
    }
  },
  {
    method: "PUT",
    path: "/api/v1/agents/config/:agent_id",
    summary: "Change the probe's configuration; the probe applies it at its next heartbeat without restarting",
    tag: "agents",
    mutates: true,
    requestSchema: AgentConfigPatch,
    responseSchema: AgentConfig,
    handle: async ({ req, res, params }) => {
      const patch = await decodeBody(app, req, AgentConfigPatch)
      const config = app.agents.updateConfig(params.agent_id!, patch)
      if (config instanceof UnknownAgent) throw unknownAgent(config)
      sendJson(res, 200, config)
    }
  },
  {
    method: "GET",
    path: "/api/v1/agents/list",
    summary: "Registered probes",
    tag: "agents",
    responseSchema: Schema.Struct({ agents: Schema.Array(AgentInfo) }),
    handle: ({ res }) => sendJson(res, 200, { agents: app.agents.list() })
  }
]
