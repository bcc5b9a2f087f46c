import type { IncomingMessage, ServerResponse } from "node:http"

/** What a route handler receives. */
export interface RequestContext {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly url: URL
  readonly params: Readonly<Record<string, string>>
  /** Who made the request (see Auth). */
  readonly principal: Principal
}

/** The caller of a request: the authorisation decision, made before routing, that handlers can consult. */
export interface Principal {
  readonly kind: "anonymous" | "token" | "session"
  /** Whether the caller may run state-changing operations (controls, config changes). */
  readonly canMutate: boolean
}

/** A route: method, path pattern with `:params`, handler, and what the OpenAPI document says about it. */
export interface Route {
  readonly method: "GET" | "POST" | "PUT" | "DELETE"
  readonly path: string
  readonly summary: string
  readonly tag: string
  /** Whether the route changes state (refused for callers that may not mutate). */
  readonly mutates?: boolean
  /** Whether the route is open without a token (health checks, auth). */
  readonly public?: boolean
  readonly requestSchema?: unknown
  readonly responseSchema?: unknown
  /** The 200 answer's media type when it is not JSON (`/metrics` answers Prometheus text). */
  readonly responseContentType?: string
  /** Answers besides 200 and the JSON error of 4xx that are part of the contract (409 resync). */
  readonly otherResponses?: ReadonlyArray<{
    readonly status: number
    readonly description: string
    readonly schema?: unknown
  }>
  readonly query?: ReadonlyArray<{ readonly name: string; readonly description: string }>
  readonly handle: (ctx: RequestContext) => Promise<void> | void
}

interface Compiled {
  readonly route: Route
  readonly regex: RegExp
  readonly names: ReadonlyArray<string>
}

/** Matches request paths against routes. */
export class Router {
  private readonly compiled: Array<Compiled>

  constructor(readonly routes: ReadonlyArray<Route>) {
    this.compiled = routes.map((route) => {
      const names: Array<string> = []
      const pattern = route.path
        .split("/")
        .map((part) => {
          if (!part.startsWith(":")) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
          names.push(part.slice(1))
          return "([^/]+)"
        })
        .join("/")
      return { route, regex: new RegExp(`^${pattern}/?$`), names }
    })
  }

  /** The route for a method and path, `"method"` when only the method is wrong, or undefined. */
  match(
    method: string,
    path: string
  ): { route: Route; params: Record<string, string> } | { allowed: ReadonlyArray<string> } | undefined {
    const allowed: Array<string> = []
    for (const { route, regex, names } of this.compiled) {
      const m = regex.exec(path)
      if (m === null) continue
      if (route.method !== method && !(method === "HEAD" && route.method === "GET")) {
        allowed.push(route.method)
        continue
      }
      const params: Record<string, string> = {}
      names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1]!)
      })
      return { route, params }
    }
    return allowed.length > 0 ? { allowed } : undefined
  }
}

/**
 * A WebSocket endpoint, for the API description only (upgrades are served by the upgrade handler): the
 * messages each side sends, as Schemas.
 */
export interface SocketEndpoint {
  readonly path: string
  readonly summary: string
  readonly tag: string
  readonly query?: ReadonlyArray<{ readonly name: string; readonly description: string; readonly required?: boolean }>
  /** Messages the client sends. */
  readonly clientMessages: unknown
  /** Messages the server sends. */
  readonly serverMessages: unknown
}
