import type { IncomingMessage } from "node:http"
import { Schema } from "effect"
import type { AppContext } from "../AppContext.js"
import { sessionCookie } from "../Auth.js"
import { HttpError, sendJson } from "../HttpError.js"
import type { Route } from "../Router.js"
import { decodeBody } from "./decode.js"

/** Whether the browser reached us over HTTPS (directly or through a proxy that says so). */
const isHttps = (req: IncomingMessage): boolean =>
  ("encrypted" in req.socket && req.socket.encrypted === true) || req.headers["x-forwarded-proto"] === "https"

const SessionRequest = Schema.Struct({ token: Schema.String })
const SessionState = Schema.Struct({ authRequired: Schema.Boolean, authenticated: Schema.Boolean })

/** Browser auth: exchange the token for an HttpOnly session cookie (WebSocket upgrades use the cookie). */
export const authRoutes = (app: AppContext): ReadonlyArray<Route> => [
  {
    method: "GET",
    path: "/api/v1/auth/session",
    summary: "Whether a token is required and whether this caller is authenticated",
    tag: "auth",
    public: true,
    responseSchema: SessionState,
    handle: ({ req, res }) =>
      sendJson(res, 200, {
        authRequired: app.auth.required,
        authenticated: app.auth.principal(req, Date.now()) !== undefined
      })
  },
  {
    method: "POST",
    path: "/api/v1/auth/session",
    summary: "Exchange the token for an HttpOnly session cookie",
    tag: "auth",
    public: true,
    requestSchema: SessionRequest,
    responseSchema: SessionState,
    handle: async ({ req, res }) => {
      const { token } = await decodeBody(app, req, SessionRequest)
      if (!app.auth.required) return sendJson(res, 200, { authRequired: false, authenticated: true })
      if (!app.auth.checkToken(token)) throw new HttpError(401, "bad_token", "the token is not valid")
      const id = app.auth.openSession(Date.now())
      const maxAge = Math.floor(app.auth.sessionTtlMs / 1000)
      const secure = isHttps(req) ? "; Secure" : ""
      sendJson(
        res,
        200,
        { authRequired: true, authenticated: true },
        { "set-cookie": `${sessionCookie}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${secure}` }
      )
    }
  },
  {
    method: "DELETE",
    path: "/api/v1/auth/session",
    summary: "End the browser session",
    tag: "auth",
    public: true,
    responseSchema: SessionState,
    handle: ({ req, res }) => {
      app.auth.closeSession(req)
      sendJson(
        res,
        200,
        { authRequired: app.auth.required, authenticated: false },
        { "set-cookie": `${sessionCookie}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` }
      )
    }
  }
]
