/**
 * Matching an offer against the apps waiting for tasks (pure): each task needs the app's cpus, mem and
 * disk, one host port per port of the app (`appPortsOf`: any port of the offer's ranges, or exactly the
 * required one: a port mapping's non-zero `hostPort`, a port definition's `port` with `requirePorts`), and a placement its constraints allow next to the app's other tasks. As many tasks as fit
 * are taken from one offer, apps in the order given.
 *
 * Whose resources: the offer's unreserved part and each of its (non-revocable) reserved parts are separate
 * pools; a task takes all its resources from one pool its app's `acceptedResourceRoles` accepts (`*`: the
 * unreserved part; a role: the parts reserved for it or for a parent role), reserved parts first, and is never
 * split across pools.
 *
 * @since 0.1.0
 */
import type { Offer } from "../../cluster/Protocol.js"
import type { Amounts } from "../../cluster/Resources.js"
import { type AppDefinition, appPortsOf, type Constraint } from "../model/AppDefinition.js"

/**
 * An agent as constraints see it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Slot {
  readonly agentId: string
  readonly hostname: string
  readonly attributes: Readonly<Record<string, string>>
}

/**
 * The constraint check: may one more task go on `candidate`, given the app's tasks already `placed`?
 *
 * @since 0.1.0
 * @category models
 */
export type Placement = (
  constraints: ReadonlyArray<Constraint>,
  candidate: Slot,
  placed: ReadonlyArray<Slot>
) => { readonly ok: true } | { readonly ok: false; readonly reason: string }

/**
 * An app waiting for `count` tasks, with where its tasks run now.
 *
 * @since 0.1.0
 * @category models
 */
export interface Demand {
  readonly app: AppDefinition
  readonly count: number
  readonly placed: ReadonlyArray<Slot>
}

/**
 * Where a task's resources come from: the reservation (role and type) of the offer's part it uses.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reservation {
  readonly role: string
  readonly type: "static" | "dynamic"
}

/**
 * One task to launch from the offer: for which app, on which host ports (by port mapping), and from which
 * reserved part of the offer (`reservation`), if not from its unreserved resources.
 *
 * @since 0.1.0
 * @category models
 */
export interface Launch {
  readonly appId: string
  readonly hostPorts: ReadonlyArray<number>
  readonly reservation?: Reservation
}

/**
 * What the offer gives: the launches, and why apps that wanted more got none or fewer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Match {
  readonly launches: ReadonlyArray<Launch>
  readonly unfit: ReadonlyArray<{ readonly appId: string; readonly reason: string }>
}

const epsilon = 1e-9

/** One ownership of the offer's resources (unreserved, or one reserved part), with what is left of it. */
interface Pool {
  readonly reservation: Reservation | undefined
  cpus: number
  mem: number
  disk: number
  readonly ports: ReadonlyArray<number>
}

const poolOf = (amounts: Amounts, reservation: Reservation | undefined): Pool => ({
  reservation,
  cpus: amounts.cpus ?? 0,
  mem: amounts.mem ?? 0,
  disk: amounts.disk ?? 0,
  ports: (amounts.ports ?? []).flatMap((r) => Array.from({ length: r.end - r.begin + 1 }, (_, i) => r.begin + i))
})

const label = (pool: Pool): string =>
  pool.reservation === undefined ? "unreserved" : `reserved for ${pool.reservation.role}`

/** Whether the app may use the pool: `*` for unreserved ones, its role (or a sub-role of the owner) for reserved. */
const accepts = (app: AppDefinition, pool: Pool): boolean => {
  const owner = pool.reservation?.role
  return app.acceptedResourceRoles.some((role) =>
    owner === undefined ? role === "*" : role !== "*" && (role === owner || role.startsWith(`${owner}/`))
  )
}

/** The host ports of one task from the pool, or why it does not fit. */
const fit = (app: AppDefinition, pool: Pool, used: ReadonlySet<number>): ReadonlyArray<number> | string => {
  if (pool.cpus + epsilon < app.cpus) return `not enough cpus (${app.cpus} needed, ${round(pool.cpus)} offered)`
  if (pool.mem + epsilon < app.mem) return `not enough mem (${app.mem} needed, ${round(pool.mem)} offered)`
  if (pool.disk + epsilon < app.disk) return `not enough disk (${app.disk} needed, ${round(pool.disk)} offered)`
  return pickPorts(app, pool.ports, used)
}

/** Why no task of the app fits in any pool it accepts. */
const whyUnfit = (app: AppDefinition, pools: ReadonlyArray<Pool>, used: ReadonlySet<number>): string => {
  const accepted = app.acceptedResourceRoles.map((r) => JSON.stringify(r)).join(", ")
  const others = pools.filter((p) => !accepts(app, p) && typeof fit(app, p, used) !== "string")
  if (others.length > 0)
    return `only resources of roles it does not accept fit (${others.map(label).join(", ")}; acceptedResourceRoles [${accepted}])`
  const own = pools.filter((p) => accepts(app, p))
  if (own.length === 0) return `no resources of its accepted roles offered (acceptedResourceRoles [${accepted}])`
  return own
    .map((p) => {
      const why = fit(app, p, used) as string
      return p.reservation === undefined ? why : `${why} (${label(p)})`
    })
    .join("; ")
}

/**
 * Matches one offer.
 *
 * @since 0.1.0
 * @category matching
 */
export const matchOffer = (offer: Offer, demands: ReadonlyArray<Demand>, placement: Placement): Match => {
  const reserved = (offer.resources.reserved ?? [])
    .filter((part) => part.revocable !== true)
    .map((part) => poolOf(part.resources, { role: part.role, type: part.type ?? "static" }))
  const pools = [...reserved, poolOf(offer.resources, undefined)]
  const used = new Set<number>()
  const slot: Slot = { agentId: offer.agentId, hostname: offer.hostname, attributes: { ...offer.attributes } }
  const launches: Array<Launch> = []
  const unfit: Array<{ appId: string; reason: string }> = []

  for (const demand of demands) {
    const app = demand.app
    const placed = [...demand.placed]
    let launched = 0
    let reason: string | undefined
    while (launched < demand.count) {
      let chosen: { readonly pool: Pool; readonly ports: ReadonlyArray<number> } | undefined
      for (const pool of pools) {
        if (!accepts(app, pool)) continue
        const ports = fit(app, pool, used)
        if (typeof ports !== "string") {
          chosen = { pool, ports }
          break
        }
      }
      if (chosen === undefined) {
        reason = whyUnfit(app, pools, used)
        break
      }
      const verdict = placement(app.constraints, slot, placed)
      if (!verdict.ok) {
        reason = `constraint: ${verdict.reason}`
        break
      }
      const { pool, ports } = chosen
      for (const p of ports) used.add(p)
      pool.cpus -= app.cpus
      pool.mem -= app.mem
      pool.disk -= app.disk
      placed.push(slot)
      launches.push({
        appId: app.id,
        hostPorts: ports,
        ...(pool.reservation === undefined ? {} : { reservation: pool.reservation })
      })
      launched++
    }
    if (reason !== undefined) unfit.push({ appId: app.id, reason })
  }
  return { launches, unfit }
}

const round = (n: number): number => Math.round(n * 1000) / 1000

const pickPorts = (
  app: AppDefinition,
  free: ReadonlyArray<number>,
  used: ReadonlySet<number>
): ReadonlyArray<number> | string => {
  const taken = new Set(used)
  const out: Array<number> = []
  const ports = appPortsOf(app)
  for (const { hostPort } of ports) {
    if (hostPort !== undefined) {
      if (!free.includes(hostPort) || taken.has(hostPort)) return `host port ${hostPort} is not offered`
      taken.add(hostPort)
      out.push(hostPort)
      continue
    }
    const port = free.find((p) => !taken.has(p))
    if (port === undefined) return `not enough ports (${ports.length} needed)`
    taken.add(port)
    out.push(port)
  }
  return out
}
