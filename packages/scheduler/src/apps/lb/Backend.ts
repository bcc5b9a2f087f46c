/**
 * What the load balancer balances: service specs (one listening proxy per service port) and backends (the
 * task endpoints behind it), with their validation.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { InvalidLbInput } from "./LbError.js"

/**
 * One endpoint behind a service port: a task's host port.
 *
 * **Gotchas**: `weight` 0 takes no new traffic (open connections continue); the default is 1.
 *
 * @since 0.1.0
 * @category models
 */
export interface Backend {
  /** The task id; unique within a service. */
  readonly id: string
  readonly host: string
  readonly port: number
  /** Share of new traffic relative to the other backends; default 1, 0 = none. */
  readonly weight?: number
}

/**
 * How a service port is balanced.
 *
 * @since 0.1.0
 * @category models
 */
export type Strategy = "round-robin" | "least-connections"

/**
 * `tcp` proxies whole connections; `http` balances each request over keep-alive pools.
 *
 * @since 0.1.0
 * @category models
 */
export type Mode = "tcp" | "http"

/**
 * How HTTP mode sends requests to a backend: `undici` (its undici `Pool`) while the backend keeps connections
 * alive, `node` (its node:http `Agent`) while it closes them after every answer.
 *
 * @since 0.1.0
 * @category models
 */
export type Upstream = "undici" | "node"

/**
 * One load-balanced service port.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServiceSpec {
  readonly servicePort: number
  /** Shown in stats, metrics and error answers (usually the app's DNS name). */
  readonly name: string
  readonly mode: Mode
  readonly strategy: Strategy
  /** Listen address; default `0.0.0.0`. */
  readonly host?: string
}

/**
 * Computes effective weights for a backend list (a canary split); an `undefined` entry keeps that backend's
 * own weight.
 *
 * @since 0.1.0
 * @category models
 */
export type Weighting = (backends: ReadonlyArray<Backend>) => ReadonlyArray<number | undefined>

const isPort = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65_535

/**
 * Checks a service spec; fails naming the bad field.
 *
 * @since 0.1.0
 * @category validation
 */
export const validateSpec = (spec: ServiceSpec): Effect.Effect<ServiceSpec, InvalidLbInput> => {
  const bad = (field: string, reason: string) => Effect.fail(new InvalidLbInput({ field, reason }))
  if (!isPort(spec.servicePort)) return bad("servicePort", `must be an integer in 1-65535, got ${spec.servicePort}`)
  if (typeof spec.name !== "string" || spec.name.length === 0) return bad("name", "must be a non-empty string")
  if (spec.mode !== "tcp" && spec.mode !== "http") return bad("mode", `must be "tcp" or "http", got ${spec.mode}`)
  if (spec.strategy !== "round-robin" && spec.strategy !== "least-connections")
    return bad("strategy", `must be "round-robin" or "least-connections", got ${spec.strategy}`)
  if (spec.host !== undefined && (typeof spec.host !== "string" || spec.host.length === 0))
    return bad("host", "must be a non-empty address")
  return Effect.succeed(spec)
}

/**
 * Checks a backend list (ids unique, ports valid, weights finite and >= 0); fails naming the bad entry.
 *
 * @since 0.1.0
 * @category validation
 */
export const validateBackends = (
  backends: ReadonlyArray<Backend>
): Effect.Effect<ReadonlyArray<Backend>, InvalidLbInput> => {
  const seen = new Set<string>()
  for (let i = 0; i < backends.length; i++) {
    const b = backends[i]!
    const bad = (field: string, reason: string) =>
      Effect.fail(new InvalidLbInput({ field: `backends[${i}].${field}`, reason }))
    if (typeof b.id !== "string" || b.id.length === 0) return bad("id", "must be a non-empty string")
    if (seen.has(b.id)) return bad("id", `"${b.id}" appears twice`)
    seen.add(b.id)
    if (typeof b.host !== "string" || b.host.length === 0) return bad("host", "must be a non-empty address")
    if (!isPort(b.port)) return bad("port", `must be an integer in 1-65535, got ${b.port}`)
    if (b.weight !== undefined && !(Number.isFinite(b.weight) && b.weight >= 0))
      return bad("weight", `must be a finite number >= 0, got ${b.weight}`)
  }
  return Effect.succeed(backends)
}
