/**
 * The app server's REST API as the UI uses it. Paths are resolved against the page, so the UI also works when a
 * proxy mounts the app under a sub-path (`https://ops.example/scope/`).
 */
import type { ControlCall, ControlCallResponse, NodeDetails, SessionState, ViewSummary } from "./Protocol.js"

/** A failed request: the HTTP status and the server's `{ error: { code, message } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message)
    this.name = "ApiError"
  }
}

/** An absolute URL for an API path such as `api/v1/query/views`, relative to where the UI is mounted. */
export const apiUrl = (path: string): URL => new URL(path, new URL(".", location.href))

/** The WebSocket URL (`ws:` or `wss:` to match the page). */
export const socketUrl = (): string => {
  const url = apiUrl("api/v1/ws")
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:"
  return url.href
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const request = async <A>(path: string, init: RequestInit = {}): Promise<A> => {
  const headers = new Headers(init.headers)
  headers.set("accept", "application/json")
  if (init.body !== undefined) headers.set("content-type", "application/json")
  let response: Response
  try {
    response = await fetch(apiUrl(path), { ...init, headers, credentials: "same-origin" })
  } catch (cause) {
    throw new ApiError(0, "network", `cannot reach the app server (${String(cause)})`)
  }
  const text = await response.text()
  let body: unknown
  try {
    body = text === "" ? undefined : JSON.parse(text)
  } catch {
    body = undefined
  }
  if (!response.ok) {
    const error = isRecord(body) && isRecord(body.error) ? body.error : {}
    throw new ApiError(
      response.status,
      typeof error.code === "string" ? error.code : `http_${response.status}`,
      typeof error.message === "string" ? error.message : `${response.status} ${response.statusText}`
    )
  }
  return body as A
}

/** Whether a token is needed and whether this browser already has a session. */
export const getSession = (): Promise<SessionState> => request("api/v1/auth/session")

/** Exchanges the token for an HttpOnly session cookie; rejects with 401 `bad_token` for a wrong token. */
export const login = (token: string): Promise<SessionState> =>
  request("api/v1/auth/session", { method: "POST", body: JSON.stringify({ token }) })

/** The views with data and their node counts. */
export const getViews = async (): Promise<ReadonlyArray<ViewSummary>> =>
  (await request<{ views: ReadonlyArray<ViewSummary> }>("api/v1/query/views")).views

/** A node's details as panels. */
export const getNode = (topology: string, id: string): Promise<NodeDetails> =>
  request(`api/v1/query/nodes/${encodeURIComponent(topology)}/${encodeURIComponent(id)}`)

/** Runs a control on one or many nodes; resolves with one result per target. */
export const runControl = (call: ControlCall): Promise<ControlCallResponse> =>
  request("api/v1/control", { method: "POST", body: JSON.stringify(call) })
