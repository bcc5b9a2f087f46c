/**
 * Quotas: guarantees (served first, with headroom held back so unmet guarantees can still be met) and limits
 * (hard caps on a subtree's consumption). `Headroom` keeps the quota index and the free unreserved resources,
 * and cuts offers down; `checkQuota` validates a new quota against the others and the cluster.
 */
import { Result } from "effect"
import { InvalidQuota } from "../AllocatorError.js"
import { type Resource, Resources } from "../Resources.js"
import * as Role from "../Role.js"
import { addInto, type Dims, type Vec } from "./Dims.js"
import { floor3, type RoleNode } from "./State.js"

/** The quota index and the headroom it implies. */
export class Headroom {
  /** The topmost guaranteed roles. */
  guaranteeTops: ReadonlyArray<RoleNode> = []
  /** How many roles have a limit. */
  limitedRoles = 0
  /** Free unreserved resources of the cluster, per dimension. */
  readonly freeUnres: Vec = []
  /** `surplus()` until something changes; set to `undefined` on every change. */
  surplusCache: Vec | undefined = undefined

  constructor(private readonly dims: Dims) {}

  /** Whether any quota is set (eligibility then depends on allocations elsewhere). */
  active(): boolean {
    return this.guaranteeTops.length > 0 || this.limitedRoles > 0
  }

  /** Recomputes the quota index after a quota changed: tops, limited paths, who has guarantees below. */
  refresh(roles: ReadonlyMap<string, RoleNode>): void {
    const tops: Array<RoleNode> = []
    const paths = [...roles.keys()].sort()
    for (const path of paths) {
      const r = roles.get(path)!
      const p = r.parentRole
      r.limited = r.limit === undefined ? (p?.limited ?? []) : [...(p?.limited ?? []), r]
      r.quotaTop = p?.quotaTop ?? (r.guarantee === undefined ? undefined : r)
      if (r.quotaTop === r) tops.push(r)
      r.guaranteeBelow = false
    }
    for (const path of paths) {
      const r = roles.get(path)!
      if (r.guarantee !== undefined) for (let a: RoleNode | undefined = r; a; a = a.parentRole) a.guaranteeBelow = true
    }
    this.guaranteeTops = tops
    this.limitedRoles = paths.filter((p) => roles.get(p)!.limit !== undefined).length
    this.surplusCache = undefined
  }

  /** What a role's subtree consumes of dimension `d`: unreserved allocations plus reservations. */
  consumed(role: RoleNode, d: number): number {
    return (role.allocUnres[d] ?? 0) + (role.reserved[d] ?? 0)
  }

  /** What is left of a top role's guarantee of dimension `d`. */
  remainingGuarantee(top: RoleNode, d: number): number {
    return Math.max(0, (top.guarantee?.[d] ?? 0) - this.consumed(top, d))
  }

  /** Whether a top role's guarantee is not met yet. */
  unmet(top: RoleNode): boolean {
    const g = top.guarantee!
    for (let d = 0; d < g.length; d++) if ((g[d] ?? 0) > 0 && this.remainingGuarantee(top, d) > 0) return true
    return false
  }

  /** Free unreserved resources minus what unmet guarantees still need, per dimension. */
  surplus(): Vec {
    if (this.surplusCache !== undefined) return this.surplusCache
    const out: Vec = [...this.freeUnres]
    for (const top of this.guaranteeTops)
      for (let d = 0; d < top.guarantee!.length; d++) out[d] = (out[d] ?? 0) - this.remainingGuarantee(top, d)
    this.surplusCache = out
    return out
  }

  /** Cuts the unreserved scalars of an offer to the role's limits and to the headroom it may use. */
  cut(resources: Resources, role: RoleNode, stage: 1 | 2): Resources {
    const headroom = this.guaranteeTops.length > 0
    let changed = false
    const entries = resources.entries.map((e): Resource => {
      if (e.value._tag !== "Scalar" || e.reservation !== undefined || e.revocable) return e
      const d = this.dims.of(e.name)
      let allowed = Number.POSITIVE_INFINITY
      if (headroom) {
        const top = role.quotaTop
        const guaranteed = top !== undefined && (top.guarantee![d] ?? 0) > 0
        const own = top === undefined ? 0 : this.remainingGuarantee(top, d)
        allowed = stage === 1 && guaranteed ? own : (this.surplus()[d] ?? 0) + own
      }
      for (const l of role.limited) {
        const cap = l.limit![d]
        if (cap !== undefined) allowed = Math.min(allowed, cap - this.consumed(l, d))
      }
      if (e.value.value <= allowed) return e
      changed = true
      return { ...e, value: { _tag: "Scalar", value: floor3(allowed) } }
    })
    return changed ? Resources.unsafeFrom(entries) : resources
  }
}

/**
 * Validates a role's new quota against the cluster and the other roles' quotas: scalars only, unreserved and
 * non-revocable, resources some agent has, guarantee within limit, top guarantees within the cluster's total,
 * children's guarantees within their parent's. Returns the quota as vectors.
 */
export const checkQuota = (
  role: string,
  quota: { readonly guarantee?: Resources | undefined; readonly limit?: Resources | undefined } | undefined,
  roles: ReadonlyMap<string, RoleNode>,
  totalVec: Vec,
  dims: Dims
): Result.Result<{ readonly guarantee: Vec | undefined; readonly limit: Vec | undefined }, InvalidQuota> => {
  const fail = (reason: string) => Result.fail(new InvalidQuota({ role, reason }))
  const toVec = (what: string, r: Resources | undefined): Result.Result<Vec | undefined, InvalidQuota> => {
    if (r === undefined) return Result.succeed(undefined)
    for (const e of r.entries) {
      if (e.value._tag !== "Scalar") return fail(`${what} ${e.name} is not a scalar`)
      if (e.reservation !== undefined || e.revocable)
        return fail(`${what} ${e.name} must be unreserved and non-revocable`)
      if (!dims.has(e.name) || (totalVec[dims.of(e.name)] ?? 0) === 0)
        return fail(`${what} names ${e.name}, which no agent has`)
    }
    return Result.succeed(dims.vec(r))
  }
  const g = toVec("guarantee", quota?.guarantee)
  if (Result.isFailure(g)) return Result.fail(g.failure)
  const l = toVec("limit", quota?.limit)
  if (Result.isFailure(l)) return Result.fail(l.failure)
  const guarantee = g.success
  const limit = l.success
  if (guarantee !== undefined && limit !== undefined)
    for (let i = 0; i < guarantee.length; i++)
      if ((guarantee[i] ?? 0) > 0 && limit[i] !== undefined && (guarantee[i] ?? 0) > limit[i]!)
        return fail(`guarantee of ${dims.names[i]} (${guarantee[i]}) is above its limit (${limit[i]})`)
  // Capacity and nesting checks on the quotas as they would be.
  const guarantees = new Map<string, Vec>()
  for (const [path, r] of roles) if (r.guarantee !== undefined && path !== role) guarantees.set(path, r.guarantee)
  if (guarantee?.some((x) => x > 0)) guarantees.set(role, guarantee)
  const sumTop: Vec = []
  const children = new Map<string, Vec>()
  for (const [path, vec] of guarantees) {
    const ancestors = Role.ancestors(path)
    const parent = ancestors.find((a) => guarantees.has(a))
    if (parent === undefined) addInto(sumTop, vec)
    else {
      const sum = children.get(parent) ?? []
      addInto(sum, vec)
      children.set(parent, sum)
    }
  }
  for (let i = 0; i < sumTop.length; i++)
    if ((sumTop[i] ?? 0) > (totalVec[i] ?? 0))
      return fail(`guarantees of ${dims.names[i]} would total ${sumTop[i]}, above the cluster's ${totalVec[i] ?? 0}`)
  for (const [parent, sum] of children) {
    const pg = guarantees.get(parent)!
    for (let i = 0; i < sum.length; i++)
      if ((sum[i] ?? 0) > (pg[i] ?? 0))
        return fail(`children of ${parent} would be guaranteed ${sum[i]} ${dims.names[i]}, above its ${pg[i] ?? 0}`)
  }
  return Result.succeed({ guarantee, limit })
}
