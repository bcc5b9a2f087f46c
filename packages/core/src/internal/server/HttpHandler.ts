import type { IncomingMessage, ServerResponse } from "node:http"
import type { AppContext } from "./AppContext.js"
import { HttpError, sendError } from "./HttpError.js"
import { controlsLockedError } from "./routes/control.js"
import type { Router } from "./Router.js"
import { serveStatic } from "./StaticAssets.js"

const corsHeaders = (app: AppContext, req: IncomingMessage): Record<string, string> => {
  const origin = req.headers.origin
  if (origin === undefined || app.config.corsOrigins.length === 0) return {}
  const allowed = app.config.corsOrigins.includes("*") || app.config.corsOrigins.includes(origin)
  if (!allowed) return {}
  // Credentials only for origins named explicitly: `*` opens reads to any page, never the session.
  const credentials: Record<string, string> = app.config.corsOrigins.includes(origin)
    ? { "access-control-allow-credentials": "true" }
    : {}
  return {
    "access-control-allow-origin": origin,
    ...credentials,
    "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
    "access-control-allow-headers": "authorization, content-type, content-encoding",
    "access-control-max-age": "600",
    vary: "Origin"
  }
}

/**
 * The request path: CORS, static UI assets, authentication, the mutation guard, routing, and errors as JSON.
 * Roles, TLS and audit slot in between authentication and routing (the `principal` is decided once here and
 * handed to every handler).
 */
export const makeHttpHandler =
  (app: AppContext, router: Router) =>
  async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? "/", "http://localhost")
      const cors = corsHeaders(app, req)
      for (const [k, v] of Object.entries(cors)) res.setHeader(k, v)
      if (req.method === "OPTIONS") {
        res.writeHead(204)
        res.end()
        return
      }
      const matched = router.match(req.method ?? "GET", url.pathname)
      if (matched === undefined) {
        if (
          app.config.uiAssetsDir !== undefined &&
          (req.method === "GET" || req.method === "HEAD") &&
          !url.pathname.startsWith("/api/") &&
          (await serveStatic(app.config.uiAssetsDir, req, res, url.pathname))
        ) {
          return
        }
        throw new HttpError(404, "not_found", `no route for ${req.method} ${url.pathname}`)
      }
      if ("allowed" in matched) {
        res.setHeader("allow", matched.allowed.join(", "))
        throw new HttpError(405, "method_not_allowed", `${req.method} is not allowed on ${url.pathname}`, {
          allowed: matched.allowed
        })
      }
      const { route, params } = matched
      const principal = app.auth.principal(req, Date.now())
      if (principal === undefined && !route.public) {
        throw new HttpError(401, "unauthorized", "this app requires a token: send Authorization: Bearer <token>")
      }
      const who = principal ?? { kind: "anonymous" as const, canMutate: false }
      if (route.mutates === true) {
        if (app.controlsLocked) throw controlsLockedError()
        if (!who.canMutate) throw new HttpError(403, "forbidden", "this caller may not change state")
        if (who.kind === "session" && !sameOrigin(req)) {
          throw new HttpError(403, "cross_origin", "state-changing browser requests must come from the app's origin")
        }
      }
      await route.handle({ req, res, url, params, principal: who })
    } catch (error) {
      if (error instanceof HttpError) {
        sendError(res, error)
      } else {
        console.error("app server: request failed", error)
        sendError(res, new HttpError(500, "internal", "internal error; see the app server log"))
      }
    }
  }

const sameOrigin = (req: IncomingMessage): boolean => {
  const origin = req.headers.origin
  if (origin === undefined) return true
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}
