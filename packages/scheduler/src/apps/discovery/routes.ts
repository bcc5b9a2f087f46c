/**
 * The discovery REST API (JSON) and its server-sent event watch, served by the master next to `/v2/apps`:
 *
 * - `GET /v2/discovery`: every service (`{ epoch, seq, services }`).
 * - `GET /v2/discovery/:name?port=`: one service by DNS-style or SRV-style name or app id (`/v2/discovery/prod/web`,
 *   or URL-encoded); an app that exists (in the registry, or per `knownApp`) but has no healthy task answers 200
 *   with no endpoints; 404 for a name no app has, and (with `knownPorts`) for a port the app does not have.
 * - `GET /v2/discovery/watch?name=&port=`: `text/event-stream` of `snapshot`, `changed` and `dropped` events,
 *   each with `id: <epoch>:<seq>`; a client that reconnects with `Last-Event-ID` (or `?lastEventId=`) gets
 *   the changes it missed when the registry still has them, otherwise a fresh snapshot.
 *
 * @since 0.1.0
 */
import { Effect, Option, Stream } from "effect"
import { InvalidRequest } from "../../cluster/ClusterError.js"
import type { Request, Response, Route } from "../../cluster/http/HttpServer.js"
import type { DiscoveryEvent } from "./ServiceEndpoint.js"
import { dnsName } from "../model/AppDefinition.js"
import { parseName } from "./ServiceEndpoint.js"
import type { ServiceRegistry } from "./ServiceRegistry.js"
import { heartbeatMs, type SseEvent, withHeartbeat } from "./sse.js"

/**
 * Options of {@link discoveryRoutes}.
 *
 * @since 0.1.0
 * @category models
 */
export interface DiscoveryRoutesOptions {
  /** Heartbeat comment interval of the watch stream. Default 15 s. */
  readonly heartbeatMs?: number
  /** Path prefix. Default `/v2/discovery`. */
  readonly prefix?: string
  /**
   * Whether an app exists although the registry has no entry for it (e.g. the app scheduler's apps before
   * their first healthy task): such an app answers 200 with no endpoints instead of 404.
   */
  readonly knownApp?: (appId: string) => Effect.Effect<boolean>
  /**
   * The ports of an app (`undefined`: unknown app), so that a port it does not have (`?port=`, or the port of an
   * SRV-style name) answers 404 naming its ports instead of 200 with no endpoints.
   */
  readonly knownPorts?: (appId: string) => Effect.Effect<ReadonlyArray<KnownPort> | undefined>
}

/**
 * A port of an app as discovery names it: by index, by name, with its protocol.
 *
 * @since 0.1.0
 * @category models
 */
export interface KnownPort {
  readonly index: number
  readonly name?: string | undefined
  readonly protocol: string
}

/** Whether `port` (`?port=`: a name or an index; an SRV name's port: a name and a protocol) is one of `ports`. */
const hasPort = (ports: ReadonlyArray<KnownPort>, port: string, protocol: string | undefined): boolean =>
  ports.some(
    (p) => (p.name === port || String(p.index) === port) && (protocol === undefined || p.protocol === protocol)
  )

const portList = (ports: ReadonlyArray<KnownPort>): string =>
  ports.length === 0
    ? "none"
    : ports.map((p) => `${p.index}${p.name === undefined ? "" : ` ${p.name}`}/${p.protocol}`).join(", ")

/**
 * The SSE id of an event: the registry's epoch and the event's sequence number.
 *
 * @since 0.1.0
 * @category formatting
 */
export const eventId = (epoch: string, seq: number): string => `${epoch}:${seq}`

/**
 * The sequence number to resume after, from a `Last-Event-ID` of this registry; `undefined` for none, a
 * malformed id, or an id of another registry (sequence numbers restart with it).
 *
 * @since 0.1.0
 * @category parsing
 */
export const resumeSeq = (epoch: string, lastEventId: string | undefined): number | undefined => {
  const match = /^([0-9a-f]+):(\d{1,15})$/.exec(lastEventId?.trim() ?? "")
  return match === null || match[1] !== epoch ? undefined : Number(match[2])
}

/**
 * An event as SSE: `event:` is the lower-case tag, `data:` the event as JSON.
 *
 * @since 0.1.0
 * @category formatting
 */
export const toSse = (epoch: string, event: DiscoveryEvent): SseEvent => ({
  id: eventId(epoch, event.seq),
  event: event._tag.toLowerCase(),
  data: JSON.stringify(event)
})

type Headers = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

const lastEventIdOf = (request: Request): string | undefined => {
  // `headers` is read when the server's request carries them; `?lastEventId=` works with every server
  const headers = (request as Request & { readonly headers?: Headers }).headers
  const header = headers?.["last-event-id"]
  const fromHeader = typeof header === "string" ? header : header?.[0]
  return fromHeader ?? request.query.get("lastEventId") ?? undefined
}

const portOf = (request: Request): string | undefined => {
  const port = request.query.get("port")
  return port === null || port === "" ? undefined : port
}

const notFound = (name: string): Response => ({
  status: 404,
  body: { error: "NotFound", message: `unknown service ${JSON.stringify(name)}` }
})

/**
 * The discovery routes over a registry, for `HttpServer.serve` or `Master.mount`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const discoveryRoutes = (
  registry: ServiceRegistry["Service"],
  options: DiscoveryRoutesOptions = {}
): ReadonlyArray<Route> => {
  const prefix = options.prefix ?? "/v2/discovery"
  const checkName = (name: string) =>
    parseName(name, registry.domain) === undefined
      ? Effect.fail(
          new InvalidRequest({
            field: "name",
            reason: `${JSON.stringify(name)} is not an app id, a name like web.prod.${registry.domain} or _http._tcp.web.prod.${registry.domain}`
          })
        )
      : Effect.void

  return [
    {
      method: "GET",
      pattern: prefix,
      handle: () =>
        Effect.gen(function* () {
          const services = yield* registry.services
          return { status: 200, body: { epoch: registry.epoch, seq: yield* registry.seq, services } }
        })
    },
    // before `:name`, which would match it too
    {
      method: "GET",
      pattern: `${prefix}/watch`,
      handle: (request) =>
        Effect.gen(function* () {
          const name = request.query.get("name") ?? undefined
          if (name !== undefined && name !== "") yield* checkName(name)
          const port = portOf(request)
          const since = resumeSeq(registry.epoch, lastEventIdOf(request))
          const events = registry
            .watch({
              ...(name !== undefined && name !== "" ? { name } : {}),
              ...(port !== undefined ? { port } : {}),
              ...(since !== undefined ? { since } : {})
            })
            .pipe(Stream.map((event) => toSse(registry.epoch, event)))
          return {
            status: 200,
            body: undefined,
            contentType: "text/event-stream",
            stream: withHeartbeat(events, options.heartbeatMs ?? heartbeatMs)
          }
        })
    },
    {
      method: "GET",
      // an app id may have any number of segments (`prod/web`); one segment may also be a DNS or SRV name
      pattern: `${prefix}/:name*`,
      handle: (request) =>
        Effect.gen(function* () {
          const raw = request.params.name ?? ""
          const name = raw.includes("/") && !raw.startsWith("/") ? `/${raw}` : raw
          yield* checkName(name)
          const port = portOf(request)
          const parsed = parseName(name, registry.domain)
          const appId = parsed?.appId
          const asked = port ?? parsed?.portName
          if (appId !== undefined && asked !== undefined && options.knownPorts !== undefined) {
            const ports = yield* options.knownPorts(appId)
            if (ports !== undefined && !hasPort(ports, asked, port === undefined ? parsed?.protocol : undefined))
              return {
                status: 404,
                body: {
                  error: "NotFound",
                  message: `app ${appId} has no port ${JSON.stringify(asked)} (its ports: ${portList(ports)})`
                }
              }
          }
          const found = yield* registry.get(name, port)
          if (Option.isSome(found)) return { status: 200, body: found.value }
          const known = appId !== undefined && options.knownApp !== undefined && (yield* options.knownApp(appId))
          return known
            ? { status: 200, body: { appId, name: dnsName(appId, registry.domain), endpoints: [] } }
            : notFound(name)
        })
    }
  ]
}
