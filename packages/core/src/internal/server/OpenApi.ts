import { Schema } from "effect"
import type { Route } from "./Router.js"

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
export const openApiDocument = (routes: ReadonlyArray<Route>, version: string): Json => {
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
          content: { "application/json": { schema: route.responseSchema ? toSchema(route.responseSchema) : {} } }
        },
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
