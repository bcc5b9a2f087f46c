/**
 * The per-request step of HTTP mode: pick a backend and send the request through the upstream that backend is
 * on (undici for backends that keep connections alive, node:http for those that close them; see
 * `BackendState.upstream`), or answer 502 when no backend is left.
 *
 * @since 0.1.0
 */
import type { Pool } from "../internal/Pool.js"
import type { Route } from "./exchange.js"
import { sendNode } from "./nodeUpstream.js"
import { replyError } from "./reply.js"
import { sendUndici } from "./undiciUpstream.js"

/**
 * The route of one HTTP listener.
 *
 * @since 0.1.0
 * @category constructors
 */
export class HttpRoute implements Route {
  constructor(
    readonly pool: Pool,
    readonly requestTimeoutMs: number,
    readonly maxSocketsPerBackend: number
  ) {}

  readonly forward: Route["forward"] = (req, res, headers, body, tried) => {
    const pool = this.pool
    const b = pool.pick(tried)
    if (b === undefined) {
      pool.turnAway()
      const error =
        tried === undefined
          ? `no backend available for ${pool.spec.name} (service port ${pool.spec.servicePort})`
          : `backend ${tried.id} failed and no other backend is available for ${pool.spec.name}`
      replyError(res, 502, { error, service: pool.spec.name, servicePort: pool.spec.servicePort })
      return
    }
    // undici takes origin-form paths only ("/..."); `OPTIONS *` and absolute forms go over node:http as they came
    if (b.upstream === "undici" && req.url?.charCodeAt(0) === 47) sendUndici(this, req, res, headers, body, b, tried)
    else sendNode(this, req, res, headers, body, b, tried)
  }
}
