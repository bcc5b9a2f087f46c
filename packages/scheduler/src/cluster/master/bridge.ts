/**
 * How the master maps the wire resources of tasks and reservations onto the allocator's resource model: which
 * entries of an offer (or of an agent) a task takes, and stored dynamic reservations applied to an agent.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { Resources as Model } from "../../allocator/index.js"
import * as Resources from "../Resources.js"

/**
 * Wire resources as allocator resources (see {@link Resources.toModel}).
 *
 * @since 0.1.0
 * @category conversions
 */
export const toAllocator = Resources.toModel

/**
 * Allocator resources as wire resources (see {@link Resources.fromModel}).
 *
 * @since 0.1.0
 * @category conversions
 */
export const fromAllocator = Resources.fromModel

/** Whether a resource reserved for `owner` may serve a task of `role` (the role itself or a sub-role). */
const servesRole = (owner: string, role: string): boolean => owner === role || role.startsWith(`${owner}/`)

/** Whether pool entry `have` may serve the wanted entry `want` of a task of `role`. */
const serves = (have: Model.Resource, want: Model.Resource, role: string): boolean => {
  if (have.name !== want.name || have.value._tag !== want.value._tag || have.revocable !== want.revocable) return false
  if (want.reservation !== undefined) return have.reservation?.role === want.reservation.role
  return have.reservation === undefined || servesRole(have.reservation.role, role)
}

/** The part of `have` that `want` can use, and what of `want` is still missing afterwards. */
const takeFrom = (have: Model.Value, want: Model.Value): { readonly got: Model.Value; readonly rest: Model.Value } => {
  if (have._tag === "Scalar" && want._tag === "Scalar") {
    const got = Math.min(have.value, want.value)
    return {
      got: { _tag: "Scalar", value: got },
      rest: { _tag: "Scalar", value: Math.round((want.value - got) * 1000) / 1000 }
    }
  }
  if (have._tag === "Ranges" && want._tag === "Ranges") {
    const got: Array<Model.Range> = []
    const rest: Array<Model.Range> = []
    for (const [begin, end] of want.ranges) {
      let lo = begin
      for (const [hb, he] of have.ranges) {
        if (he < lo || hb > end) continue
        if (hb > lo) rest.push([lo, hb - 1])
        got.push([Math.max(lo, hb), Math.min(end, he)])
        lo = Math.min(end, he) + 1
        if (lo > end) break
      }
      if (lo <= end) rest.push([lo, end])
    }
    return { got: { _tag: "Ranges", ranges: got }, rest: { _tag: "Ranges", ranges: rest } }
  }
  if (have._tag === "Set" && want._tag === "Set") {
    const present = new Set(have.items)
    return {
      got: { _tag: "Set", items: want.items.filter((x) => present.has(x)) },
      rest: { _tag: "Set", items: want.items.filter((x) => !present.has(x)) }
    }
  }
  return { got: { ...want, ...emptyOf(want) }, rest: want }
}

const emptyOf = (v: Model.Value): Model.Value =>
  v._tag === "Scalar"
    ? { _tag: "Scalar", value: 0 }
    : v._tag === "Ranges"
      ? { _tag: "Ranges", ranges: [] }
      : { _tag: "Set", items: [] }

const isNothing = (v: Model.Value): boolean =>
  v._tag === "Scalar" ? v.value <= 1e-9 : v._tag === "Ranges" ? v.ranges.length === 0 : v.items.length === 0

/**
 * The allocator resources a task of `role` takes from `pool` for its `wanted` resources. Unreserved amounts
 * the task asks for come from unreserved ones first, then from what is reserved for its role (or a parent
 * role), so that a reservation stays for the tasks that ask for it; reserved amounts only from that role's
 * reservation; revocable only from revocable ones. Fails with the first shortfall (`cpus 2 asked, 0.5
 * available`).
 *
 * @since 0.1.0
 * @category conversions
 */
export const carve = (
  pool: Model.Resources,
  wanted: Model.Resources,
  role: string
): Result.Result<Model.Resources, string> => {
  const taken: Array<Model.Resource> = []
  for (const want of wanted.entries) {
    const usable = pool.entries
      .filter((have) => serves(have, want, role))
      .sort((a, b) => (a.reservation === undefined ? 0 : 1) - (b.reservation === undefined ? 0 : 1))
    let rest = want.value
    for (const have of usable) {
      if (isNothing(rest)) break
      const step = takeFrom(have.value, rest)
      if (!isNothing(step.got)) taken.push({ ...have, value: step.got })
      rest = step.rest
    }
    if (!isNothing(rest)) return Result.fail(Resources.describeShortfall(want, usable))
  }
  return Result.succeed(Model.Resources.unsafeFrom(taken))
}

/**
 * An agent's total with `reservations` applied (each one that fits in what is still unreserved becomes
 * dynamically reserved for its role); also says which did not fit.
 *
 * @since 0.1.0
 * @category conversions
 */
export const withReservations = (
  total: Model.Resources,
  reservations: ReadonlyArray<{ readonly role: string; readonly resources: Resources.Resources }>
): { readonly total: Model.Resources; readonly skipped: ReadonlyArray<string> } => {
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
