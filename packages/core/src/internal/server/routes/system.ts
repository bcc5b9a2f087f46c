import { Schema } from "effect"
import type { AppContext } from "../AppContext.js"
import { sendJson } from "../HttpError.js"
import { openApiDocument } from "../OpenApi.js"
import type { Route, SocketEndpoint } from "../Router.js"
import { AppToProbe, ProbeToApp } from "../../../ControlProtocol.js"
import { ClientMessage, ServerMessage } from "../../../ClientProtocol.js"

/** The WebSocket endpoints, described in /openapi.json with the messages each side sends. */
const socketEndpoints: ReadonlyArray<SocketEndpoint> = [
  {
    path: "/api/v1/ws",
    summary:
      "UI clients: subscribe to a view (with filters) for a snapshot then add/update/remove deltas; " +
      "attach to control pipes (logs, terminals)",
    tag: "websocket",
    clientMessages: ClientMessage,
    serverMessages: ServerMessage
  },
  {
    path: "/api/v1/probe/ws",
    summary: "A probe's control channel: the app sends control requests and pipe input, the probe answers",
    tag: "websocket",
    query: [{ name: "agent_id", description: "the registered agent id", required: true }],
    clientMessages: ProbeToApp,
    serverMessages: AppToProbe
  }
]

/** Health, ping, Prometheus metrics and the OpenAPI document. */
export const systemRoutes = (app: AppContext, allRoutes: () => ReadonlyArray<Route>, version: string) => {
  let openapi: string | undefined
  const routes: ReadonlyArray<Route> = [
    {
      method: "GET",
      path: "/health",
      summary: "Liveness: 200 while the server runs",
      tag: "system",
      public: true,
      responseSchema: Schema.Struct({ status: Schema.Literal("ok"), uptimeMs: Schema.Finite }),
      handle: ({ res }) => sendJson(res, 200, { status: "ok", uptimeMs: Date.now() - app.startedAt })
    },
    {
      method: "GET",
      path: "/api/v1/ping",
      summary: "Ping; answers the app version and the server time",
      tag: "system",
      public: true,
      responseSchema: Schema.Struct({ pong: Schema.Boolean, version: Schema.String, time: Schema.Finite }),
      handle: ({ res }) => sendJson(res, 200, { pong: true, version, time: Date.now() })
    },
    {
      method: "GET",
      path: "/metrics",
      summary: "Prometheus exposition: ingest rate, report sizes, nodes per topology, clients, render time",
      tag: "system",
      responseContentType: "text/plain; version=0.0.4",
      handle: async ({ res }) => {
        const text = await app.metrics.registry.metrics()
        res.writeHead(200, { "content-type": app.metrics.registry.contentType })
        res.end(text)
      }
    },
    {
      method: "GET",
      path: "/openapi.json",
      summary: "This API as OpenAPI 3.1, generated from the Schemas the server decodes with",
      tag: "system",
      public: true,
      responseSchema: Schema.Record(Schema.String, Schema.Unknown).annotate({ description: "OpenAPI 3.1" }),
      handle: ({ res }) => {
        openapi ??= JSON.stringify(openApiDocument(allRoutes(), version, socketEndpoints))
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" })
        res.end(openapi)
      }
    }
  ]
  return routes
}
