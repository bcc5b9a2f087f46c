import { Schema } from "effect"
import type { Route, SocketEndpoint } from "./Router.js"

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

const rewriteRefs = (value: unknown): Json => {
  if (Array.isArray(value)) return value.map(rewriteRefs)
  if (value !== null && typeof value === "object") {
    const out: Record<string, Json> = {}
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        k === "$ref" && typeof v === "string" ? v.replace(/^#\/\$defs\//, "#/components/schemas/") : rewriteRefs(v)
    }
    return out
  }
  return value as Json
}

/**
 * Builds the OpenAPI 3.1 document from the route table: every request and response body is the JSON Schema
 * generated from the same Effect Schema the server decodes with.
 */
export const openApiDocument = (
  routes: ReadonlyArray<Route>,
  version: string,
  sockets: ReadonlyArray<SocketEndpoint> = []
): Json => {
  const components: Record<string, Json> = {}
  const toSchema = (schema: unknown): Json => {
    const doc = Schema.toJsonSchemaDocument(schema as Schema.Top)
    for (const [name, definition] of Object.entries(doc.definitions)) components[name] = rewriteRefs(definition)
    return rewriteRefs(doc.schema)
  }
  const errorSchema: Json = {
    type: "object",
    properties: {
      error: {
        type: "object",
        properties: { code: { type: "string" }, message: { type: "string" }, details: {} },
        required: ["code", "message"]
      }
    },
    required: ["error"]
  }
  const paths: Record<string, Record<string, Json>> = {}
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z_]+)/g, "{$1}")
    const pathParams = [...route.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({
      name: m[1]!,
      in: "path",
      required: true,
      schema: { type: "string" }
    }))
    const queryParams = (route.query ?? []).map((q) => ({
      name: q.name,
      in: "query",
      required: false,
      description: q.description,
      schema: { type: "string" }
    }))
    const operation: Record<string, Json> = {
      summary: route.summary,
      tags: [route.tag],
      parameters: [...pathParams, ...queryParams],
      responses: {
        "200": {
          description: "OK",
          content:
            route.responseContentType === undefined
              ? { "application/json": { schema: route.responseSchema ? toSchema(route.responseSchema) : {} } }
              : { [route.responseContentType]: { schema: { type: "string" } } }
        },
        ...Object.fromEntries(
          (route.otherResponses ?? []).map((other) => [
            String(other.status),
            {
              description: other.description,
              ...(other.schema === undefined
                ? {}
                : { content: { "application/json": { schema: toSchema(other.schema) } } })
            }
          ])
        ),
        "4XX": { description: "Bad request", content: { "application/json": { schema: errorSchema } } }
      }
    }
    if (route.requestSchema !== undefined) {
      operation.requestBody = {
        required: true,
        content: { "application/json": { schema: toSchema(route.requestSchema) } }
      }
    }
    if (!route.public) operation.security = [{ bearer: [] }, { session: [] }]
    paths[path] = { ...(paths[path] ?? {}), [route.method.toLowerCase()]: operation }
  }
  for (const socket of sockets) {
    paths[socket.path] = {
      get: {
        summary: socket.summary,
        description:
          "A WebSocket endpoint (GET with Upgrade: websocket). Messages are JSON text frames: " +
          "x-websocket-messages describes what each side sends.",
        tags: [socket.tag],
        parameters: (socket.query ?? []).map((q) => ({
          name: q.name,
          in: "query",
          required: q.required ?? false,
          description: q.description,
          schema: { type: "string" }
        })),
        responses: {
          "101": { description: "Switching Protocols: the WebSocket is open" },
          "4XX": { description: "Refused before the upgrade (unauthorised, unknown agent...)" }
        },
        security: [{ bearer: [] }, { session: [] }],
        "x-websocket-messages": {
          client: toSchema(socket.clientMessages),
          server: toSchema(socket.serverMessages)
        }
      }
    }
  }
  return {
    openapi: "3.1.0",
    info: { title: "Orchestrator app server", version },
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        session: { type: "apiKey", in: "cookie", name: "orch_session" }
      }
    }
  }
}
