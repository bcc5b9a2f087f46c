import { ControlProbesResponse } from "./responses.js"
import { Schema } from "effect"
import { ControlCall, ControlResult } from "../../../ControlProtocol.js"
import type { AppContext } from "../AppContext.js"
import { HttpError, sendJson } from "../HttpError.js"
import type { Route } from "../Router.js"
import { decodeBody } from "./decode.js"

/** The answer to a control call: one result per target, in the order given. */
export const ControlCallResponse = Schema.Struct({
  results: Schema.Array(
    Schema.Struct({ probeId: Schema.String, nodeId: Schema.String, topology: Schema.String, result: ControlResult })
  )
})

/** Running controls on nodes through their probes. */
export const controlRoutes = (app: AppContext): ReadonlyArray<Route> => [
  {
    method: "POST",
    path: "/api/v1/control",
    summary:
      "Run a control (e.g. docker.stop) on one or many nodes; each target's probe executes it. " +
      "Streams (logs, terminals) answer a pipeId to attach to over /api/v1/ws",
    tag: "control",
    mutates: true,
    requestSchema: ControlCall,
    responseSchema: ControlCallResponse,
    handle: async ({ req, res }) => {
      const call = await decodeBody(app, req, ControlCall)
      const results = await Promise.all(
        call.targets.map(async (target) => ({
          ...target,
          result: await app.controls.request(target.probeId, {
            nodeId: target.nodeId,
            topology: target.topology,
            action: call.action,
            args: call.args ?? {}
          })
        }))
      )
      sendJson(res, 200, { results })
    }
  },
  {
    method: "GET",
    path: "/api/v1/control/probes",
    summary: "Probes with an open control channel",
    tag: "control",
    responseSchema: ControlProbesResponse,
    handle: ({ res }) => sendJson(res, 200, { probes: app.controls.connected(), locked: app.controlsLocked })
  }
]

/** Refusal for state-changing requests when the app is exposed without a token. */
export const controlsLockedError = () =>
  new HttpError(
    403,
    "controls_disabled",
    "state-changing requests are disabled: the app is bound to a non-loopback address without a token " +
      "(start it with --token or APP_TOKEN)"
  )
