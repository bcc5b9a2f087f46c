/**
 * Conversions between the cluster's wire resources (`Resources` of this module: cpus, mem, disk, gpus, ports)
 * and the allocator's resource model.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { Resources as AllocResources } from "../../allocator/index.js"
import { InvalidRequest } from "../ClusterError.js"
import * as Resources from "../Resources.js"

/**
 * Wire resources as allocator resources (unreserved, non-revocable).
 *
 * @since 0.1.0
 * @category conversions
 */
export const toAllocator = (
  resources: Resources.Resources,
  field = "resources"
): Result.Result<AllocResources.Resources, InvalidRequest> => {
  const json: Record<string, unknown> = {}
  for (const name of Resources.scalarNames) {
    const value = resources[name]
    if (value !== undefined && value > 0) json[name] = value
  }
  if ((resources.ports ?? []).length > 0) json.ports = (resources.ports ?? []).map((r) => [r.begin, r.end])
  const converted = AllocResources.fromJson(json)
  return Result.isFailure(converted)
    ? Result.fail(new InvalidRequest({ field, reason: converted.failure.reason }))
    : Result.succeed(converted.success)
}

/**
 * Allocator resources as wire resources (reservations and revocability dropped; other names ignored).
 *
 * @since 0.1.0
 * @category conversions
 */
export const fromAllocator = (resources: AllocResources.Resources): Resources.Resources => {
  const scalars: Record<string, number> = {}
  const ports: Array<Resources.PortRange> = []
  for (const entry of resources.entries) {
    if (entry.value._tag === "Scalar" && (Resources.scalarNames as ReadonlyArray<string>).includes(entry.name)) {
      scalars[entry.name] = (scalars[entry.name] ?? 0) + entry.value.value
    } else if (entry.value._tag === "Ranges" && entry.name === "ports") {
      for (const [begin, end] of entry.value.ranges) ports.push({ begin, end })
    }
  }
  return Resources.add(scalars, { ports })
}

/**
 * The allocator resources a task of `role` takes from `pool` for its wire `wanted` resources: reserved for the
 * role first, then unreserved (never revocable ones or another role's). `undefined` when the pool falls short.
 *
 * @since 0.1.0
 * @category conversions
 */
export const carve = (
  pool: AllocResources.Resources,
  wanted: Resources.Resources,
  role: string
): AllocResources.Resources | undefined => {
  const need: Record<string, number> = {}
  for (const name of Resources.scalarNames) need[name] = wanted[name] ?? 0
  let ports: ReadonlyArray<Resources.PortRange> = wanted.ports ?? []
  const usable = pool.entries
    .filter((e) => !e.revocable && (e.reservation === undefined || e.reservation.role === role))
    .sort((a, b) => (a.reservation === undefined ? 1 : 0) - (b.reservation === undefined ? 1 : 0))
  const taken: Array<AllocResources.Resource> = []
  for (const entry of usable) {
    if (entry.value._tag === "Scalar" && (need[entry.name] ?? 0) > 0) {
      const take = Math.min(need[entry.name]!, entry.value.value)
      need[entry.name] = need[entry.name]! - take
      taken.push({ ...entry, value: { _tag: "Scalar", value: take } })
    } else if (entry.value._tag === "Ranges" && entry.name === "ports" && ports.length > 0) {
      const have = { ports: entry.value.ranges.map(([begin, end]) => ({ begin, end })) }
      const left = Resources.subtract({ ports }, have).ports ?? []
      const got = Resources.subtract({ ports }, { ports: left }).ports ?? []
      if (got.length > 0)
        taken.push({ ...entry, value: { _tag: "Ranges", ranges: got.map((r) => [r.begin, r.end] as const) } })
      ports = left
    }
  }
  if (Object.values(need).some((n) => n > 1e-9) || ports.length > 0) return undefined
  const made = AllocResources.make(taken)
  return Result.isSuccess(made) ? made.success : undefined
}

/**
 * An agent's total with `reservations` applied (each one that fits in what is still unreserved becomes
 * dynamically reserved for its role); also says which did not fit.
 *
 * @since 0.1.0
 * @category conversions
 */
export const withReservations = (
  total: AllocResources.Resources,
  reservations: ReadonlyArray<{ readonly role: string; readonly resources: Resources.Resources }>
): { readonly total: AllocResources.Resources; readonly skipped: ReadonlyArray<string> } => {
  let out = total
  const skipped: Array<string> = []
  for (const reservation of reservations) {
    const wanted = toAllocator(reservation.resources)
    if (Result.isFailure(wanted) || !out.unreserved().contains(wanted.success)) {
      skipped.push(reservation.role)
      continue
    }
    out = out.subtract(wanted.success).add(wanted.success.reserveFor(reservation.role, "dynamic"))
  }
  return { total: out, skipped }
}
