/**
 * What service discovery hands out: one endpoint per healthy, ready task and port, the per-app view, the
 * events of a watch, and DNS-style names (`web.prod.orchestrator`, `_http._tcp.web.prod.orchestrator`).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { dnsName, PathId, resolvePath } from "../model/AppDefinition.js"

/**
 * One reachable port of one task: `host:port` is where clients connect (the agent's host and the task's host
 * port at `portIndex`). `name` is the app's DNS-style name; `servicePort` the load balancer's port for it.
 *
 * @since 0.1.0
 * @category models
 */
export const ServiceEndpoint = Schema.Struct({
  appId: Schema.String,
  name: Schema.String,
  taskId: Schema.String.check(Schema.isMinLength(1)),
  agentId: Schema.String,
  host: Schema.String.check(Schema.isMinLength(1)),
  port: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 65_535 })),
  portIndex: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  portName: Schema.optionalKey(Schema.String),
  /** `tcp` unless the port mapping says `udp` (extension of the contract; SRV names carry it). */
  protocol: Schema.optionalKey(Schema.Literals(["tcp", "udp"])),
  servicePort: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 65_535 }))),
  version: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export type ServiceEndpoint = typeof ServiceEndpoint.Type

/**
 * An app as discovery shows it: its id, DNS-style name and current endpoints (possibly none: the app exists
 * but no task is healthy and ready).
 *
 * @since 0.1.0
 * @category models
 */
export interface ServiceView {
  readonly appId: string
  readonly name: string
  readonly endpoints: ReadonlyArray<ServiceEndpoint>
}

/**
 * What a watch delivers, each with the registry's sequence number `seq` (increasing; a filtered watch sees
 * gaps):
 *
 * - `Snapshot`: every matching service as of `seq`; always first unless the watch resumed after a known `seq`.
 * - `Changed`: endpoints `added` to and `removed` from one app (an endpoint whose host, port or version
 *   changed is removed and added); `change` says whether the app appeared, changed or disappeared.
 * - `Dropped`: the last event of a watcher that fell more than its buffer behind: events after `seq` were
 *   not delivered; watch again to get a fresh snapshot.
 *
 * @since 0.1.0
 * @category models
 */
export type DiscoveryEvent =
  | { readonly _tag: "Snapshot"; readonly seq: number; readonly services: ReadonlyArray<ServiceView> }
  | {
      readonly _tag: "Changed"
      readonly seq: number
      readonly appId: string
      readonly name: string
      readonly change: "created" | "updated" | "deleted"
      readonly added: ReadonlyArray<ServiceEndpoint>
      readonly removed: ReadonlyArray<ServiceEndpoint>
    }
  | { readonly _tag: "Dropped"; readonly seq: number; readonly reason: string }

/**
 * Bad input to the registry: `field` names the value, `reason` what is wrong with it.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidEndpoint extends Schema.TaggedError<InvalidEndpoint>()("InvalidEndpoint", {
  appId: Schema.String,
  field: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `discovery: app ${JSON.stringify(this.appId)}: invalid ${this.field}: ${this.reason}`
  }
}

/**
 * The identity of an endpoint within its app: task id and port index.
 *
 * @since 0.1.0
 * @category utils
 */
export const endpointKey = (endpoint: Pick<ServiceEndpoint, "taskId" | "portIndex">): string =>
  `${endpoint.taskId}#${endpoint.portIndex}`

/**
 * A lookup key parsed from a name: the app, and the port name and protocol of an SRV-style name.
 *
 * @since 0.1.0
 * @category models
 */
export interface ParsedName {
  readonly appId: string
  readonly portName?: string
  readonly protocol?: "tcp" | "udp"
}

const isPathId = Schema.is(PathId)
const srvPrefix = /^_([a-z0-9-]{1,63})\._(tcp|udp)\.(.+)$/

/**
 * Parses what a client may look a service up by: an app id (`/prod/web`, `prod/web`), its DNS-style name
 * (`web.prod.orchestrator`, or without the domain: `web.prod`), or an SRV-style name with a port name and
 * protocol (`_http._tcp.web.prod.orchestrator`). `undefined` when it is none of these.
 *
 * **Gotchas**: app path segments cannot contain dots, so a DNS-style name maps back to exactly one app id,
 * whether or not that app exists.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseName = (input: string, domain = "orchestrator"): ParsedName | undefined => {
  const text = input.trim().toLowerCase().replace(/\.$/, "")
  if (text === "") return undefined
  if (text.includes("/"))
    return isPathId(text) && !text.split("/").includes("..") ? { appId: resolvePath(text) } : undefined
  const srv = srvPrefix.exec(text)
  const rest = srv === null ? text : srv[3]!
  const suffix = `.${domain}`
  const bare = rest === domain ? "" : rest.endsWith(suffix) ? rest.slice(0, -suffix.length) : rest
  const labels = bare.split(".")
  if (bare === "" || !labels.every((label) => /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(label))) return undefined
  const appId = `/${labels.reverse().join("/")}`
  if (srv === null) return { appId }
  return { appId, portName: srv[1]!, protocol: srv[2] as "tcp" | "udp" }
}

/**
 * The SRV-style name of one port of an app (`_http._tcp.web.prod.orchestrator`).
 *
 * @since 0.1.0
 * @category utils
 */
export const srvName = (appId: string, portName: string, protocol: "tcp" | "udp" = "tcp", domain = "orchestrator") =>
  `_${portName}._${protocol}.${dnsName(appId, domain)}`

/**
 * Whether an endpoint is the port a lookup asks for: a port name, a port index (number or digits), and/or
 * a protocol; `undefined` matches every port.
 *
 * @since 0.1.0
 * @category utils
 */
export const matchesPort = (
  endpoint: ServiceEndpoint,
  port: string | number | undefined,
  protocol?: "tcp" | "udp"
): boolean => {
  if (protocol !== undefined && (endpoint.protocol ?? "tcp") !== protocol) return false
  if (port === undefined || port === "") return true
  if (typeof port === "number" || /^\d+$/.test(port)) return endpoint.portIndex === Number(port)
  return endpoint.portName === port
}
