import { randomBytes, timingSafeEqual } from "node:crypto"
import type { IncomingMessage } from "node:http"
import type { Principal } from "./Router.js"

/** The cookie that carries a browser session. */
export const sessionCookie = "orch_session"

/** Decides who a request comes from: a bearer token, a session cookie, or nobody. */
export class Auth {
  private readonly sessions = new Map<string, number>()

  constructor(
    private readonly token: string | undefined,
    /** Without a token, whether anonymous callers may mutate (true only when bound to loopback). */
    private readonly anonymousMayMutate: boolean,
    readonly sessionTtlMs: number = 12 * 60 * 60 * 1000,
    private readonly maxSessions: number = 10_000
  ) {}

  /** Whether requests must carry credentials. */
  get required(): boolean {
    return this.token !== undefined
  }

  /** The caller of a request, or undefined when credentials are required and missing or wrong. */
  principal(req: IncomingMessage, now: number): Principal | undefined {
    if (this.token === undefined) return { kind: "anonymous", canMutate: this.anonymousMayMutate }
    const header = req.headers.authorization
    if (header?.startsWith("Bearer ") && this.checkToken(header.slice(7).trim())) {
      return { kind: "token", canMutate: true }
    }
    const session = readCookie(req.headers.cookie, sessionCookie)
    if (session !== undefined) {
      const expires = this.sessions.get(session)
      if (expires !== undefined && expires > now) return { kind: "session", canMutate: true }
      if (expires !== undefined) this.sessions.delete(session)
    }
    return undefined
  }

  /** Compares a presented token with the configured one in constant time. */
  checkToken(presented: string): boolean {
    if (this.token === undefined) return true
    const a = Buffer.from(presented)
    const b = Buffer.from(this.token)
    return a.length === b.length && timingSafeEqual(a, b)
  }

  /** Opens a session for a caller that presented the token; returns the session id. */
  openSession(now: number): string {
    if (this.sessions.size >= this.maxSessions) {
      for (const [id, expires] of this.sessions) {
        if (expires <= now || this.sessions.size >= this.maxSessions) this.sessions.delete(id)
        if (this.sessions.size < this.maxSessions) break
      }
    }
    const id = randomBytes(32).toString("base64url")
    this.sessions.set(id, now + this.sessionTtlMs)
    return id
  }

  /** Ends a session. */
  closeSession(req: IncomingMessage): void {
    const session = readCookie(req.headers.cookie, sessionCookie)
    if (session !== undefined) this.sessions.delete(session)
  }
}

/** Reads one cookie from a Cookie header. */
export const readCookie = (header: string | undefined, name: string): string | undefined => {
  if (header === undefined) return undefined
  for (const part of header.split(";")) {
    const eq = part.indexOf("=")
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim())
  }
  return undefined
}
