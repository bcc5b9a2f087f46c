/**
 * The typed errors of the load balancer and of the service-port table. Every message names the service
 * port, backend or field that was wrong.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * A service spec or a backend list that cannot be used (`field` is a path such as `backends[2].port`).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidLbInput extends Data.TaggedError("InvalidLbInput")<{
  readonly field: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.field}: ${this.reason}`
  }
}

/**
 * The proxy could not listen on its service port (in use, permission, bad address).
 *
 * @since 0.1.0
 * @category errors
 */
export class ListenFailed extends Data.TaggedError("ListenFailed")<{
  readonly servicePort: number
  readonly host: string
  readonly reason: string
}> {
  override get message(): string {
    return `load balancer cannot listen on ${this.host}:${this.servicePort}: ${this.reason}`
  }
}

/**
 * An operation named a service port the load balancer does not serve (call `ensure` first).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownService extends Data.TaggedError("UnknownService")<{
  readonly servicePort: number
}> {
  override get message(): string {
    return `no load-balanced service on port ${this.servicePort} (ensure it first)`
  }
}

/**
 * A service port asked for explicitly is already held by another owner.
 *
 * @since 0.1.0
 * @category errors
 */
export class PortConflict extends Data.TaggedError("PortConflict")<{
  readonly port: number
  readonly heldBy: string
  readonly requestedBy: string
}> {
  override get message(): string {
    return `service port ${this.port} requested by "${this.requestedBy}" is already used by "${this.heldBy}"`
  }
}

/**
 * Every port of the service-port range is taken.
 *
 * @since 0.1.0
 * @category errors
 */
export class PortsExhausted extends Data.TaggedError("PortsExhausted")<{
  readonly from: number
  readonly to: number
  readonly requestedBy: string
}> {
  override get message(): string {
    return `no free service port left in ${this.from}-${this.to} for "${this.requestedBy}" (all ${this.to - this.from + 1} are assigned)`
  }
}

/**
 * Any error of the load balancer.
 *
 * @since 0.1.0
 * @category errors
 */
export type LbError = InvalidLbInput | ListenFailed | UnknownService

/**
 * Any error of the service-port table.
 *
 * @since 0.1.0
 * @category errors
 */
export type PortError = InvalidLbInput | PortConflict | PortsExhausted
