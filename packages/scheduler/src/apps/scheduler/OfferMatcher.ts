/**
 * Matching an offer against the apps waiting for tasks (pure): each task needs the app's cpus, mem and
 * disk, one host port per port mapping (any port of the offer's ranges for `hostPort` 0, exactly `hostPort`
 * otherwise), and a placement its constraints allow next to the app's other tasks. As many tasks as fit
 * are taken from one offer, apps in the order given.
 *
 * @since 0.1.0
 */
import type { Offer } from "../../cluster/Protocol.js"
import type { Constraint, AppDefinition } from "../model/AppDefinition.js"

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
 * One task to launch from the offer: for which app, on which host ports (by port mapping).
 *
 * @since 0.1.0
 * @category models
 */
export interface Launch {
  readonly appId: string
  readonly hostPorts: ReadonlyArray<number>
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

/**
 * Matches one offer.
 *
 * @since 0.1.0
 * @category matching
 */
export const matchOffer = (offer: Offer, demands: ReadonlyArray<Demand>, placement: Placement): Match => {
  let cpus = offer.resources.cpus ?? 0
  let mem = offer.resources.mem ?? 0
  let disk = offer.resources.disk ?? 0
  const freePorts: Array<number> = []
  for (const range of offer.resources.ports ?? []) for (let p = range.begin; p <= range.end; p++) freePorts.push(p)
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
      if (cpus + epsilon < app.cpus) reason = `not enough cpus (${app.cpus} needed, ${round(cpus)} offered)`
      else if (mem + epsilon < app.mem) reason = `not enough mem (${app.mem} needed, ${round(mem)} offered)`
      else if (disk + epsilon < app.disk) reason = `not enough disk (${app.disk} needed, ${round(disk)} offered)`
      if (reason !== undefined) break
      const ports = pickPorts(app, freePorts, used)
      if (typeof ports === "string") {
        reason = ports
        break
      }
      const verdict = placement(app.constraints, slot, placed)
      if (!verdict.ok) {
        reason = `constraint: ${verdict.reason}`
        break
      }
      for (const p of ports) used.add(p)
      cpus -= app.cpus
      mem -= app.mem
      disk -= app.disk
      placed.push(slot)
      launches.push({ appId: app.id, hostPorts: ports })
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
  for (const mapping of app.container.portMappings) {
    if (mapping.hostPort !== 0) {
      if (!free.includes(mapping.hostPort) || taken.has(mapping.hostPort))
        return `host port ${mapping.hostPort} is not offered`
      taken.add(mapping.hostPort)
      out.push(mapping.hostPort)
      continue
    }
    const port = free.find((p) => !taken.has(p))
    if (port === undefined) return `not enough ports (${app.container.portMappings.length} needed)`
    taken.add(port)
    out.push(port)
  }
  return out
}
