/**
 * The weighted, hierarchical DRF allocator with quotas (Mesos' hierarchical allocator semantics), as a pure
 * state object: no I/O, no clock, no randomness. Every method either changes the state and succeeds, or
 * returns a typed error and changes nothing. `allocate(now)` runs one allocation cycle and returns the offers.
 *
 * The rules (worked examples in `docs/scheduler.md`):
 * - Offers go to the client with the lowest weighted dominant share. Roles form a tree (`eng/web`): siblings
 *   compete first, a role's weight applies to its whole subtree, and a role's own frameworks compete with its
 *   child roles as one virtual child of weight 1. Inside a role, frameworks compete by their own share.
 *   Ties: fewer allocations received first, then name. Agents are visited in registration order.
 * - A share is the largest fraction of the cluster total over the non-revocable scalars, except the names in
 *   `fairnessExcludedResourceNames` (e.g. `gpus`), divided by the weight.
 * - An offer holds everything the client may take from the agent: the unreserved resources, the resources
 *   reserved for its role or an ancestor, and revocable resources only if the framework opted in.
 * - Quotas: guarantees are served first (stage 1), and headroom is held back in stage 2 so unmet guarantees
 *   can still be met; limits are hard caps on the subtree's consumption (offers are cut down to fit).
 *   Consumption is the unreserved allocation plus all reservations of the subtree.
 * - An offer smaller than every `minAllocatable` set (default `cpus:0.01` or `mem:32`) is not made.
 * - Offered resources count as allocated until `recoverResources`. A decline with a filter keeps offers that
 *   fit inside the declined resources away from that framework, role and agent for `refuseSeconds`.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import {
  DuplicateId,
  InsufficientResources,
  InvalidOption,
  InvalidQuota,
  type InvalidRole,
  InvalidWeight,
  UnknownId
} from "./AllocatorError.js"
import { addInto, Dims, fixed, type Vec } from "./internal/Dims.js"
import { checkQuota, Headroom } from "./internal/Quota.js"
import { dominantShare, SortNode, Sorter } from "./internal/Sorter.js"
import { type AgentState, ClientNode, type FrameworkState, record, RoleNode } from "./internal/State.js"
import { Resources, scalars } from "./Resources.js"
import * as Role from "./Role.js"

/**
 * What an agent offers: its total resources (reserved ones included), a hostname and free-form attributes.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentInfo {
  readonly total: Resources
  /** Defaults to the agent id. */
  readonly hostname?: string
  readonly attributes?: Readonly<Record<string, string>>
}

/**
 * A framework (client): the roles it takes offers for, and whether it accepts revocable resources.
 *
 * @since 0.1.0
 * @category models
 */
export interface FrameworkInfo {
  /** Defaults to `["*"]`. */
  readonly roles?: ReadonlyArray<string>
  readonly capabilities?: { readonly revocable?: boolean }
}

/**
 * Resources held by a framework, for one role, on one agent.
 *
 * @since 0.1.0
 * @category models
 */
export interface Allocation {
  readonly frameworkId: string
  readonly role: string
  readonly agentId: string
  readonly resources: Resources
}

/**
 * An offer: resources of one agent allocated to a framework for one role. They stay allocated until the
 * framework gives them back through `recoverResources` (decline, or tasks that finish).
 *
 * @since 0.1.0
 * @category models
 */
export interface Offer extends Allocation {
  readonly hostname: string
}

/**
 * A role's quota. `guarantee`: resources served before anything else (headroom is held back for them).
 * `limit`: a hard cap on what the role's subtree consumes. Scalars only, unreserved.
 *
 * @since 0.1.0
 * @category models
 */
export interface Quota {
  readonly guarantee?: Resources
  readonly limit?: Resources
}

/**
 * A decline filter: offers that fit inside the declined resources are not made to the same framework and
 * role on that agent for `refuseSeconds` (default `defaultRefuseSeconds`, 5 s; 0 means no filter).
 * `now` is the time of the decline in milliseconds, on the clock passed to `allocate`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RefuseFilter {
  readonly now: number
  readonly refuseSeconds?: number
}

/**
 * Options of {@link DrfAllocator.make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface AllocatorOptions {
  /** An offer must hold at least one of these (as scalar quantities). Default `[cpus:0.01, mem:32]`. */
  readonly minAllocatable?: ReadonlyArray<Resources>
  /** Scalar names that do not count toward shares (Mesos' `--fair_sharing_excluded_resource_names`). */
  readonly fairnessExcludedResourceNames?: ReadonlyArray<string>
  /** Refuse time of a filter that names none. Default 5 s. */
  readonly defaultRefuseSeconds?: number
}

/**
 * A framework's standing inside one role, as reported by {@link DrfAllocator.shares}.
 *
 * @since 0.1.0
 * @category models
 */
export interface FrameworkShare {
  readonly frameworkId: string
  /** Dominant share of the framework's allocation in this role. */
  readonly share: number
  readonly allocated: Readonly<Record<string, number>>
}

/**
 * A role's standing, as reported by {@link DrfAllocator.shares}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RoleShare {
  readonly role: string
  readonly weight: number
  /** Dominant share of the subtree's allocation (unweighted). */
  readonly share: number
  readonly weightedShare: number
  /** Non-revocable scalars allocated to the subtree. */
  readonly allocated: Readonly<Record<string, number>>
  /** What counts against quota: unreserved allocation plus every reservation of the subtree. */
  readonly consumed: Readonly<Record<string, number>>
  readonly guarantee: Readonly<Record<string, number>> | undefined
  readonly limit: Readonly<Record<string, number>> | undefined
  readonly frameworks: ReadonlyArray<FrameworkShare>
}

/**
 * A registered agent, as reported by {@link DrfAllocator.agent}.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentView {
  readonly id: string
  readonly hostname: string
  readonly attributes: Readonly<Record<string, string>>
  readonly total: Resources
  /** Total minus everything allocated (offered or in use). */
  readonly available: Resources
}

const ok: Result.Result<void> = Result.succeed(undefined)

const defaultMinAllocatable: ReadonlyArray<Resources> = [
  Result.getOrThrow(scalars({ cpus: 0.01 })),
  Result.getOrThrow(scalars({ mem: 32 }))
]

/**
 * The allocator state. Build it with {@link DrfAllocator.make}.
 *
 * **When to use**: directly where allocation is driven by hand (tests, simulations, benchmarks); a master
 * uses the {@link AllocatorService} around it, which runs the cycles and publishes the offers.
 *
 * **Gotchas**: offered resources are allocated until recovered; a framework that neither launches nor
 * declines keeps them. Times are milliseconds on the caller's clock.
 *
 * @example
 * ```ts
 * import { DrfAllocator, Resources } from "@orchestrator/scheduler/allocator"
 * import { Result } from "effect"
 *
 * const allocator = Result.getOrThrow(DrfAllocator.make())
 * allocator.addAgent("a1", { total: Result.getOrThrow(Resources.parse("cpus:9;mem:18432")) })
 * allocator.addFramework("web", { roles: ["eng/web"] })
 * const offers = allocator.allocate(Date.now())
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class DrfAllocator {
  private readonly dims: Dims
  private readonly headroom: Headroom
  private readonly sorter = new Sorter()
  private readonly roles = new Map<string, RoleNode>()
  private readonly agents = new Map<string, AgentState>()
  private agentOrder: Array<AgentState> = []
  private readonly frameworks = new Map<string, FrameworkState>()
  private readonly minAllocatable: ReadonlyArray<ReadonlyArray<readonly [string, number]>>
  private readonly defaultRefuseMs: number
  private readonly totalVec: Vec = []
  private seq = 0
  /** Decline filters by the second they expire in, so expired ones are dropped even if never checked again. */
  private readonly expiries = new Map<number, Array<readonly [ClientNode, AgentState]>>()
  private expiredUpTo = Number.NEGATIVE_INFINITY
  /** Bumped by every change that can make a framework take what it did not take before. */
  private epoch = 0

  private constructor(options: Required<AllocatorOptions>) {
    this.dims = new Dims(new Set(options.fairnessExcludedResourceNames))
    this.headroom = new Headroom(this.dims)
    this.sorter.fair = this.dims.fair
    this.sorter.total = this.totalVec
    this.minAllocatable = options.minAllocatable.map((r) => Object.entries(r.quantities()))
    this.defaultRefuseMs = options.defaultRefuseSeconds * 1000
  }

  /**
   * A new, empty allocator. Fails with `InvalidOption` for a negative or non-finite refuse time or a
   * `minAllocatable` set without scalars.
   *
   * @since 0.1.0
   * @category constructors
   */
  static make(options: AllocatorOptions = {}): Result.Result<DrfAllocator, InvalidOption> {
    const refuse = options.defaultRefuseSeconds ?? 5
    if (!Number.isFinite(refuse) || refuse < 0)
      return Result.fail(new InvalidOption({ option: "defaultRefuseSeconds", reason: `must be >= 0, got ${refuse}` }))
    const min = options.minAllocatable ?? defaultMinAllocatable
    const bad = min.find((r) => Object.keys(r.quantities()).length === 0)
    if (bad !== undefined)
      return Result.fail(
        new InvalidOption({ option: "minAllocatable", reason: `each set needs a scalar, got "${bad.toString()}"` })
      )
    return Result.succeed(
      new DrfAllocator({
        minAllocatable: min,
        fairnessExcludedResourceNames: options.fairnessExcludedResourceNames ?? [],
        defaultRefuseSeconds: refuse
      })
    )
  }

  // ---- roles -------------------------------------------------------------------------------------------

  private role(path: string): RoleNode {
    const existing = this.roles.get(path)
    if (existing !== undefined) return existing
    const cut = path.lastIndexOf("/")
    const parentRole = cut > 0 ? this.role(path.slice(0, cut)) : undefined
    const node = new RoleNode(path, parentRole, parentRole ?? this.sorter.root)
    node.limited = parentRole?.limited ?? []
    node.quotaTop = parentRole?.quotaTop
    this.roles.set(path, node)
    this.sorter.flush()
    this.sorter.insert(node)
    return node
  }

  private validRole(role: string): Result.Result<string, InvalidRole> {
    return Role.validate(role)
  }

  private prune(role: RoleNode | undefined): void {
    for (let r = role; r !== undefined; r = r.parentRole) {
      const empty =
        r.children.size === 0 &&
        r.explicitWeight === undefined &&
        r.quota === undefined &&
        r.reserved.every((x) => x === 0)
      if (!empty) return
      this.sorter.remove(r)
      this.roles.delete(r.name)
    }
  }

  /**
   * Sets a role's weight (default 1): its subtree's share is divided by it, so weight 2 gets twice the
   * resources of a weight-1 sibling.
   *
   * @since 0.1.0
   * @category roles
   */
  setWeight(role: string, weight: number): Result.Result<void, InvalidRole | InvalidWeight> {
    this.epoch++
    const valid = this.validRole(role)
    if (Result.isFailure(valid)) return Result.fail(valid.failure)
    if (!Number.isFinite(weight) || weight <= 0) return Result.fail(new InvalidWeight({ role, weight }))
    const node = this.role(role)
    node.explicitWeight = weight
    node.weight = weight
    this.sorter.touch(node)
    this.sorter.flush()
    return ok
  }

  /**
   * Sets (or with `undefined`, removes) a role's quota. Fails, changing nothing, for reserved, revocable or
   * non-scalar resources, a guarantee above its limit, a resource no agent has, guarantees (summed over the
   * top guaranteed roles) above the cluster's total, or children guaranteed more than their parent.
   *
   * @since 0.1.0
   * @category roles
   */
  setQuota(role: string, quota: Quota | undefined): Result.Result<void, InvalidRole | InvalidQuota> {
    this.epoch++
    const valid = this.validRole(role)
    if (Result.isFailure(valid)) return Result.fail(valid.failure)
    if (role === Role.any) return Result.fail(new InvalidQuota({ role, reason: "the '*' role cannot have a quota" }))
    const checked = checkQuota(role, quota, this.roles, this.totalVec, this.dims)
    if (Result.isFailure(checked)) return Result.fail(checked.failure)
    const { guarantee, limit } = checked.success
    const node = this.role(role)
    node.quota = quota
    node.guarantee = guarantee
    node.limit = limit
    this.headroom.refresh(this.roles)
    if (quota === undefined) this.prune(node)
    return ok
  }

  // ---- agents ------------------------------------------------------------------------------------------

  private updateReserved(total: Resources, sign: 1 | -1): void {
    for (const e of total.entries) {
      if (e.reservation === undefined || e.revocable || e.value._tag !== "Scalar") continue
      const delta: Vec = []
      delta[this.dims.of(e.name)] = e.value.value
      for (let r: RoleNode | undefined = this.role(e.reservation.role); r; r = r.parentRole)
        addInto(r.reserved, delta, sign)
    }
  }

  private setTotal(agent: AgentState, total: Resources, sign: 1 | -1): void {
    addInto(this.totalVec, this.dims.vec(total), sign)
    this.updateReserved(total, sign)
    this.sorter.invalidate()
    this.headroom.surplusCache = undefined
    if (sign === 1) {
      agent.total = total
      agent.special = total.entries.some((e) => e.reservation !== undefined || e.revocable)
    }
  }

  private checkAllocations(
    operation: string,
    agentId: string,
    total: Resources,
    allocations: ReadonlyArray<Omit<Allocation, "agentId">>
  ): Result.Result<void, InvalidRole | InsufficientResources> {
    let sum = Resources.empty
    for (const a of allocations) {
      const role = this.validRole(a.role)
      if (Result.isFailure(role)) return Result.fail(role.failure)
      sum = sum.add(a.resources)
    }
    if (!total.contains(sum))
      return Result.fail(
        new InsufficientResources({ operation, agentId, needed: sum.toString(), available: total.toString() })
      )
    return ok
  }

  /**
   * Registers an agent with its total resources and what is already allocated on it (after a master
   * failover: the tasks it runs, by framework and role; frameworks not yet registered are tracked until they
   * are). Fails for a known id, an invalid role, or allocations that do not fit in the total.
   *
   * @since 0.1.0
   * @category agents
   */
  addAgent(
    id: string,
    info: AgentInfo,
    allocated: ReadonlyArray<Omit<Allocation, "agentId">> = []
  ): Result.Result<void, DuplicateId | InvalidRole | InsufficientResources> {
    if (this.agents.has(id)) return Result.fail(new DuplicateId({ kind: "agent", id }))
    const checked = this.checkAllocations("addAgent", id, info.total, allocated)
    if (Result.isFailure(checked)) return Result.fail(checked.failure)
    const agent: AgentState = {
      id,
      seq: this.seq++,
      hostname: info.hostname ?? id,
      attributes: info.attributes ?? {},
      total: info.total,
      available: info.total,
      special: false,
      clients: new Set(),
      version: 0,
      idleVersion: -1,
      idleEpoch: -1,
      idleUntil: 0
    }
    this.agents.set(id, agent)
    this.agentOrder.push(agent)
    this.setTotal(agent, info.total, 1)
    addInto(this.headroom.freeUnres, this.dims.vec(info.total, true))
    for (const a of allocated) {
      const fw = this.frameworkOrPlaceholder(a.frameworkId)
      this.track(this.client(fw, a.role), agent, a.resources, 1, false)
    }
    return ok
  }

  /**
   * Changes an agent's total, hostname or attributes. Fails for an unknown agent, or a total that no longer
   * holds what is allocated on the agent.
   *
   * @since 0.1.0
   * @category agents
   */
  updateAgent(
    id: string,
    update: {
      readonly total?: Resources
      readonly hostname?: string
      readonly attributes?: Readonly<Record<string, string>>
    }
  ): Result.Result<void, UnknownId | InsufficientResources> {
    const agent = this.agents.get(id)
    if (agent === undefined) return Result.fail(new UnknownId({ kind: "agent", id }))
    if (update.total !== undefined) {
      const allocated = agent.total.subtract(agent.available)
      if (!update.total.contains(allocated))
        return Result.fail(
          new InsufficientResources({
            operation: "updateAgent",
            agentId: id,
            needed: allocated.toString(),
            available: update.total.toString()
          })
        )
      const free = this.dims.vec(agent.available, true)
      addInto(this.headroom.freeUnres, free, -1)
      this.setTotal(agent, agent.total, -1)
      this.setTotal(agent, update.total, 1)
      agent.available = update.total.subtract(allocated)
      agent.version++
      addInto(this.headroom.freeUnres, this.dims.vec(agent.available, true), 1)
    }
    if (update.hostname !== undefined) agent.hostname = update.hostname
    if (update.attributes !== undefined) agent.attributes = update.attributes
    return ok
  }

  /**
   * Removes an agent; whatever was allocated on it is released (the frameworks' tasks there are lost).
   *
   * @since 0.1.0
   * @category agents
   */
  removeAgent(id: string): Result.Result<void, UnknownId> {
    const agent = this.agents.get(id)
    if (agent === undefined) return Result.fail(new UnknownId({ kind: "agent", id }))
    for (const client of [...agent.clients]) {
      this.track(client, agent, client.allocations.get(agent)!, -1, false)
      client.filters.delete(agent)
    }
    for (const fw of this.frameworks.values()) for (const c of fw.clients.values()) c.filters.delete(agent)
    this.setTotal(agent, agent.total, -1)
    addInto(this.headroom.freeUnres, this.dims.vec(agent.total, true), -1)
    this.agents.delete(id)
    this.agentOrder = this.agentOrder.filter((a) => a !== agent)
    for (const fw of [...this.frameworks.values()]) this.cleanup(fw)
    return ok
  }

  /**
   * Dynamically reserves `resources` (given unreserved, or already reserved for `role`) of an agent's free
   * unreserved resources for `role`. Fails, changing nothing, if they are not free on the agent.
   *
   * @since 0.1.0
   * @category agents
   */
  reserve(
    agentId: string,
    role: string,
    resources: Resources
  ): Result.Result<void, UnknownId | InvalidRole | InsufficientResources> {
    return this.convert("reserve", agentId, role, resources.toUnreserved(), resources.reserveFor(role, "dynamic"))
  }

  /**
   * Releases a dynamic reservation of `role` on an agent (resources given unreserved or as reserved); they
   * must not be allocated. Static reservations can only change with the agent's total.
   *
   * @since 0.1.0
   * @category agents
   */
  unreserve(
    agentId: string,
    role: string,
    resources: Resources
  ): Result.Result<void, UnknownId | InvalidRole | InsufficientResources> {
    return this.convert("unreserve", agentId, role, resources.reserveFor(role, "dynamic"), resources.toUnreserved())
  }

  private convert(
    operation: string,
    agentId: string,
    role: string,
    from: Resources,
    to: Resources
  ): Result.Result<void, UnknownId | InvalidRole | InsufficientResources> {
    const valid = this.validRole(role)
    if (Result.isFailure(valid)) return Result.fail(valid.failure)
    if (role === Role.any)
      return Result.fail(
        new InsufficientResources({ operation, agentId, needed: `a role other than '*'`, available: "" })
      )
    const agent = this.agents.get(agentId)
    if (agent === undefined) return Result.fail(new UnknownId({ kind: "agent", id: agentId }))
    if (!agent.available.contains(from))
      return Result.fail(
        new InsufficientResources({
          operation,
          agentId,
          needed: from.toString(),
          available: agent.available.toString()
        })
      )
    const allocated = agent.total.subtract(agent.available)
    const total = agent.total.subtract(from).add(to)
    addInto(this.headroom.freeUnres, this.dims.vec(agent.available, true), -1)
    this.setTotal(agent, agent.total, -1)
    this.setTotal(agent, total, 1)
    agent.available = total.subtract(allocated)
    agent.version++
    addInto(this.headroom.freeUnres, this.dims.vec(agent.available, true), 1)
    const node = this.roles.get(role)
    if (node !== undefined) this.prune(node)
    return ok
  }

  // ---- frameworks --------------------------------------------------------------------------------------

  private frameworkOrPlaceholder(id: string): FrameworkState {
    let fw = this.frameworks.get(id)
    if (fw === undefined) {
      fw = {
        id,
        roles: new Set(),
        revocable: false,
        registered: false,
        active: false,
        suppressed: new Set(),
        clients: new Map()
      }
      this.frameworks.set(id, fw)
    }
    return fw
  }

  private client(fw: FrameworkState, roleName: string): ClientNode {
    const existing = fw.clients.get(roleName)
    if (existing !== undefined) return existing
    const role = this.role(roleName)
    if (role.self === undefined) {
      role.self = new SortNode("self", `${roleName}/.`, role)
      this.sorter.flush()
      this.sorter.insert(role.self)
    }
    const client = new ClientNode(fw, role, role.self)
    fw.clients.set(roleName, client)
    this.sorter.flush()
    this.sorter.insert(client)
    return client
  }

  /** Drops client nodes that are neither subscribed nor holding resources, and placeholders that hold none. */
  private cleanup(fw: FrameworkState): void {
    for (const [roleName, client] of fw.clients) {
      if (client.subscribed || client.allocations.size > 0) continue
      this.sorter.remove(client)
      fw.clients.delete(roleName)
      const role = client.role
      if (role.self !== undefined && role.self.children.size === 0) {
        this.sorter.remove(role.self)
        role.self = undefined
      }
      this.prune(role)
    }
    if (!fw.registered && fw.clients.size === 0) this.frameworks.delete(fw.id)
  }

  private validRoles(info: FrameworkInfo): Result.Result<ReadonlySet<string>, InvalidRole> {
    const roles = info.roles ?? [Role.any]
    for (const role of roles) {
      const valid = this.validRole(role)
      if (Result.isFailure(valid)) return Result.fail(valid.failure)
    }
    return Result.succeed(new Set(roles))
  }

  private subscribe(fw: FrameworkState, info: FrameworkInfo, roles: ReadonlySet<string>): void {
    fw.roles = roles
    fw.revocable = info.capabilities?.revocable === true
    for (const [roleName, client] of fw.clients) client.subscribed = roles.has(roleName)
    for (const role of roles) this.client(fw, role).subscribed = true
    for (const role of fw.suppressed) if (!roles.has(role)) fw.suppressed.delete(role)
    this.cleanup(fw)
    this.sorter.flush()
  }

  /**
   * Registers a framework for its roles (active: it gets offers). A framework that agents already reported
   * allocations for takes them over. Fails for a known id or an invalid role.
   *
   * @since 0.1.0
   * @category frameworks
   */
  addFramework(id: string, info: FrameworkInfo = {}): Result.Result<void, DuplicateId | InvalidRole> {
    this.epoch++
    const existing = this.frameworks.get(id)
    if (existing?.registered === true) return Result.fail(new DuplicateId({ kind: "framework", id }))
    const roles = this.validRoles(info)
    if (Result.isFailure(roles)) return Result.fail(roles.failure)
    const fw = this.frameworkOrPlaceholder(id)
    fw.registered = true
    fw.active = true
    this.subscribe(fw, info, roles.success)
    return ok
  }

  /**
   * Changes a framework's roles or capabilities. Resources it holds in a role it leaves stay allocated (and
   * counted) until recovered, but that role gets no new offers for it.
   *
   * @since 0.1.0
   * @category frameworks
   */
  updateFramework(id: string, info: FrameworkInfo): Result.Result<void, UnknownId | InvalidRole> {
    this.epoch++
    const fw = this.registered(id)
    if (fw === undefined) return Result.fail(new UnknownId({ kind: "framework", id }))
    const roles = this.validRoles(info)
    if (Result.isFailure(roles)) return Result.fail(roles.failure)
    this.subscribe(fw, info, roles.success)
    return ok
  }

  private registered(id: string): FrameworkState | undefined {
    const fw = this.frameworks.get(id)
    return fw?.registered === true ? fw : undefined
  }

  /**
   * Removes a framework and releases everything allocated to it.
   *
   * @since 0.1.0
   * @category frameworks
   */
  removeFramework(id: string): Result.Result<void, UnknownId> {
    const fw = this.frameworks.get(id)
    if (fw === undefined) return Result.fail(new UnknownId({ kind: "framework", id }))
    for (const client of fw.clients.values()) {
      for (const [agent, resources] of [...client.allocations]) this.track(client, agent, resources, -1, false)
      client.subscribed = false
    }
    fw.registered = false
    this.cleanup(fw)
    this.frameworks.delete(id)
    this.sorter.flush()
    return ok
  }

  /**
   * Stops (`false`) or resumes (`true`) offers to a framework, e.g. while it is disconnected; its
   * allocations stay.
   *
   * @since 0.1.0
   * @category frameworks
   */
  setActive(id: string, active: boolean): Result.Result<void, UnknownId> {
    this.epoch++
    const fw = this.registered(id)
    if (fw === undefined) return Result.fail(new UnknownId({ kind: "framework", id }))
    fw.active = active
    return ok
  }

  /**
   * Stops offers to a framework for some roles (all of its roles when omitted) until `revive`.
   *
   * @since 0.1.0
   * @category frameworks
   */
  suppress(id: string, roles?: ReadonlyArray<string>): Result.Result<void, UnknownId> {
    const fw = this.registered(id)
    if (fw === undefined) return Result.fail(new UnknownId({ kind: "framework", id }))
    for (const role of roles ?? fw.roles) if (fw.roles.has(role)) fw.suppressed.add(role)
    return ok
  }

  /**
   * Resumes offers for some roles (all when omitted) and drops the framework's decline filters for them.
   *
   * @since 0.1.0
   * @category frameworks
   */
  revive(id: string, roles?: ReadonlyArray<string>): Result.Result<void, UnknownId> {
    this.epoch++
    const fw = this.registered(id)
    if (fw === undefined) return Result.fail(new UnknownId({ kind: "framework", id }))
    for (const role of roles ?? [...fw.roles]) {
      fw.suppressed.delete(role)
      fw.clients.get(role)?.filters.clear()
    }
    return ok
  }

  // ---- allocations -------------------------------------------------------------------------------------

  /** Adds (`sign` 1) or removes (-1) an allocation, updating every account. */
  private track(client: ClientNode, agent: AgentState, resources: Resources, sign: 1 | -1, counts: boolean): void {
    if (resources.isEmpty()) return
    const vec = this.dims.vec(resources)
    let reserved = false
    for (const e of resources.entries) if (e.reservation !== undefined) reserved = true
    const unres = reserved ? this.dims.vec(resources, true) : vec
    this.sorter.allocate(client, vec, sign, counts)
    for (let r: RoleNode | undefined = client.role; r; r = r.parentRole) addInto(r.allocUnres, unres, sign)
    addInto(this.headroom.freeUnres, unres, sign === 1 ? -1 : 1)
    this.headroom.surplusCache = undefined
    const held = client.allocations.get(agent)
    const next = sign === 1 ? (held === undefined ? resources : held.add(resources)) : held!.subtract(resources)
    if (next.isEmpty()) {
      client.allocations.delete(agent)
      agent.clients.delete(client)
    } else {
      client.allocations.set(agent, next)
      if (held === undefined) agent.clients.add(client)
    }
    agent.available = sign === 1 ? agent.available.subtract(resources) : agent.available.add(resources)
    agent.version++
    if (this.quotaMode()) this.epoch++
  }

  /** Quotas make eligibility depend on allocations elsewhere, so idle agents are not skipped then. */
  private quotaMode(): boolean {
    return this.headroom.active()
  }

  /**
   * Gives resources back (a declined offer, or finished tasks). With a `filter`, the framework declined:
   * offers that fit inside `resources` are kept from it on that agent, for that role, until the filter
   * expires. Fails, changing nothing, for an unknown framework or agent, or more than was allocated.
   *
   * @since 0.1.0
   * @category allocations
   */
  recoverResources(
    allocation: Allocation,
    filter?: RefuseFilter
  ): Result.Result<void, UnknownId | InsufficientResources> {
    const { frameworkId, agentId, role, resources } = allocation
    const fw = this.frameworks.get(frameworkId)
    if (fw === undefined) return Result.fail(new UnknownId({ kind: "framework", id: frameworkId }))
    const agent = this.agents.get(agentId)
    if (agent === undefined) return Result.fail(new UnknownId({ kind: "agent", id: agentId }))
    const client = fw.clients.get(role)
    const held = client?.allocations.get(agent) ?? Resources.empty
    if (!held.contains(resources))
      return Result.fail(
        new InsufficientResources({
          operation: "recoverResources",
          agentId,
          needed: resources.toString(),
          available: held.toString()
        })
      )
    if (client === undefined) return ok
    this.track(client, agent, resources, -1, false)
    if (filter !== undefined) {
      const seconds = filter.refuseSeconds ?? this.defaultRefuseMs / 1000
      const ms =
        Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 365 * 86_400) * 1000 : this.defaultRefuseMs
      if (ms > 0) {
        const list = client.filters.get(agent)
        const entry = { resources, until: filter.now + ms }
        if (list === undefined) client.filters.set(agent, [entry])
        else list.push(entry)
        const second = Math.floor(entry.until / 1000)
        const bucket = this.expiries.get(second)
        if (bucket === undefined) this.expiries.set(second, [[client, agent]])
        else bucket.push([client, agent])
      }
    }
    if (!client.subscribed) this.cleanup(fw)
    this.sorter.flush()
    return ok
  }

  private isAllocatable(resources: Resources): boolean {
    const entries = resources.entries
    if (entries.length === 0) return false
    for (const set of this.minAllocatable) {
      let all = true
      for (const [name, amount] of set) {
        let sum = 0
        for (const e of entries) if (e.name === name && e.value._tag === "Scalar") sum += e.value.value
        if (sum < amount - 1e-9) {
          all = false
          break
        }
      }
      if (all) return true
    }
    return false
  }

  private dropExpiredFilters(now: number): void {
    const upTo = Math.floor(now / 1000) - 1
    if (upTo <= this.expiredUpTo) return
    for (const [second, bucket] of this.expiries) {
      if (second > upTo) continue
      this.expiries.delete(second)
      for (const [client, agent] of bucket) {
        const list = client.filters.get(agent)
        if (list === undefined) continue
        const live = list.filter((f) => f.until > now)
        if (live.length === 0) client.filters.delete(agent)
        else if (live.length !== list.length) client.filters.set(agent, live)
      }
    }
    this.expiredUpTo = upTo
  }

  /** 0 when no live filter of the client covers `offer` on the agent, else when the covering filter expires. */
  private filteredUntil(client: ClientNode, agent: AgentState, offer: Resources, now: number): number {
    const list = client.filters.get(agent)
    if (list === undefined) return 0
    let until = 0
    for (let i = list.length - 1; i >= 0; i--) {
      const f = list[i]!
      if (f.until <= now) list.splice(i, 1)
      else if (until === 0 && f.resources.contains(offer)) until = f.until
    }
    if (list.length === 0) client.filters.delete(agent)
    return until
  }

  private offerable(agent: AgentState, client: ClientNode, stage: 1 | 2): Resources {
    let res = agent.available
    if (agent.special) {
      const role = client.role.name
      const revocable = client.framework.revocable
      res = res.filter(
        (r) => (r.reservation === undefined || Role.isWithin(role, r.reservation.role)) && (!r.revocable || revocable)
      )
    }
    if (client.role.limited.length > 0 || this.headroom.guaranteeTops.length > 0)
      res = this.headroom.cut(res, client.role, stage)
    return res
  }

  private allocateAgent(
    agent: AgentState,
    now: number,
    stage: 1 | 2,
    emit: (client: ClientNode, agent: AgentState, resources: Resources) => void
  ): void {
    const skippable = !this.quotaMode()
    if (skippable && agent.idleVersion === agent.version && agent.idleEpoch === this.epoch && now < agent.idleUntil)
      return
    if (!this.isAllocatable(agent.available)) return
    this.walkAgent = agent
    this.walkNow = now
    this.walkStage = stage
    this.walkEmit = emit
    this.walkOffered = false
    this.walkIdleUntil = Number.POSITIVE_INFINITY
    this.walk(this.sorter.root)
    this.walkEmit = undefined
    if (skippable && !this.walkOffered) {
      agent.idleVersion = agent.version
      agent.idleEpoch = this.epoch
      agent.idleUntil = this.walkIdleUntil
    }
    this.sorter.flush()
  }

  private walkAgent: AgentState | undefined = undefined
  private walkNow = 0
  private walkStage: 1 | 2 = 2
  private walkEmit: ((client: ClientNode, agent: AgentState, resources: Resources) => void) | undefined = undefined
  private walkOffered = false
  private walkIdleUntil = 0

  /** Visits clients in DRF order until the agent has nothing allocatable left; true means stop. */
  private walk(group: SortNode): boolean {
    return group.children.some(this.step)
  }

  private readonly step = (node: SortNode): boolean => {
    if (node.kind === "client") return this.visit(node as ClientNode)
    if (node.kind === "self") return this.walk(node)
    const role = node as RoleNode
    if (
      this.walkStage === 1 &&
      (!role.guaranteeBelow || (role.quotaTop !== undefined && !this.headroom.unmet(role.quotaTop)))
    )
      return false
    return this.walk(role)
  }

  private visit(client: ClientNode): boolean {
    const agent = this.walkAgent!
    const fw = client.framework
    if (!fw.active || !client.subscribed || fw.suppressed.has(client.role.name)) return false
    const stage = this.walkStage
    if (stage === 1 && (client.role.quotaTop === undefined || !this.headroom.unmet(client.role.quotaTop))) return false
    const offer = this.offerable(agent, client, stage)
    // during a walk the agent's available resources are always allocatable (checked before the walk, and
    // the walk stops once an offer leaves too little), so only a cut-down offer needs the check
    if (offer !== agent.available && !this.isAllocatable(offer)) return false
    const until = this.filteredUntil(client, agent, offer, this.walkNow)
    if (until > 0) {
      if (until < this.walkIdleUntil) this.walkIdleUntil = until
      return false
    }
    this.track(client, agent, offer, 1, true)
    this.walkOffered = true
    this.walkEmit!(client, agent, offer)
    return !this.isAllocatable(agent.available)
  }

  /**
   * Runs one allocation cycle at time `now` (milliseconds) over all agents, or only `agentIds` (unknown ids
   * are skipped), and returns the offers made: at most one per framework, role and agent. Stage 1 serves
   * unmet guarantees, stage 2 everything else, both in weighted DRF order.
   *
   * @since 0.1.0
   * @category allocations
   */
  allocate(now: number, agentIds?: Iterable<string>): ReadonlyArray<Offer> {
    this.sorter.flush()
    this.dropExpiredFilters(now)
    let agents = this.agentOrder
    if (agentIds !== undefined) {
      const picked = new Set<AgentState>()
      for (const id of agentIds) {
        const a = this.agents.get(id)
        if (a !== undefined) picked.add(a)
      }
      agents = [...picked].sort((a, b) => a.seq - b.seq)
    }
    const offers: Array<Offer> = []
    const index = new Map<ClientNode, Map<AgentState, number>>()
    const emit = (client: ClientNode, agent: AgentState, resources: Resources) => {
      let byAgent = index.get(client)
      if (byAgent === undefined) {
        byAgent = new Map()
        index.set(client, byAgent)
      }
      const at = byAgent.get(agent)
      if (at !== undefined) {
        const prev = offers[at]!
        offers[at] = { ...prev, resources: prev.resources.add(resources) }
        return
      }
      byAgent.set(agent, offers.length)
      offers.push({
        frameworkId: client.framework.id,
        role: client.role.name,
        agentId: agent.id,
        hostname: agent.hostname,
        resources
      })
    }
    if (this.headroom.guaranteeTops.length > 0) for (const agent of agents) this.allocateAgent(agent, now, 1, emit)
    for (const agent of agents) this.allocateAgent(agent, now, 2, emit)
    return offers
  }

  // ---- views -------------------------------------------------------------------------------------------

  /**
   * Everything allocated to a framework (offered or in use), by agent and role; empty for an unknown id.
   *
   * @since 0.1.0
   * @category views
   */
  allocation(frameworkId: string): ReadonlyArray<Allocation> {
    const fw = this.frameworks.get(frameworkId)
    if (fw === undefined) return []
    const out: Array<Allocation> = []
    for (const client of fw.clients.values())
      for (const [agent, resources] of client.allocations)
        out.push({ frameworkId, role: client.role.name, agentId: agent.id, resources })
    return out.sort((a, b) => (a.agentId === b.agentId ? (a.role < b.role ? -1 : 1) : a.agentId < b.agentId ? -1 : 1))
  }

  /**
   * The sum of everything allocated to a framework.
   *
   * @since 0.1.0
   * @category views
   */
  allocated(frameworkId: string): Resources {
    return this.allocation(frameworkId).reduce((sum, a) => sum.add(a.resources), Resources.empty)
  }

  /**
   * Every role's share, weight, consumption and quota, and its frameworks' shares, sorted by role name.
   *
   * @since 0.1.0
   * @category views
   */
  shares(): ReadonlyArray<RoleShare> {
    this.sorter.flush()
    const fair = this.dims.fair
    return [...this.roles.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((r) => {
        const consumed: Vec = []
        for (let d = 0; d < this.dims.names.length; d++) consumed[d] = fixed(this.headroom.consumed(r, d))
        const frameworks = (r.self?.children.toArray() ?? []).map((c) => ({
          frameworkId: c.name,
          share: dominantShare(c.alloc, this.totalVec, fair),
          allocated: record(this.dims, c.alloc)
        }))
        return {
          role: r.name,
          weight: r.weight,
          share: dominantShare(r.alloc, this.totalVec, fair),
          weightedShare: r.share,
          allocated: record(this.dims, r.alloc),
          consumed: record(this.dims, consumed),
          guarantee: r.guarantee === undefined ? undefined : record(this.dims, r.guarantee),
          limit: r.limit === undefined ? undefined : record(this.dims, r.limit),
          frameworks
        }
      })
  }

  /**
   * A registered agent, or `undefined`.
   *
   * @since 0.1.0
   * @category views
   */
  agent(id: string): AgentView | undefined {
    const a = this.agents.get(id)
    return a === undefined
      ? undefined
      : { id: a.id, hostname: a.hostname, attributes: a.attributes, total: a.total, available: a.available }
  }

  /**
   * The ids of the registered agents, in registration order.
   *
   * @since 0.1.0
   * @category views
   */
  agentIds(): ReadonlyArray<string> {
    return this.agentOrder.map((a) => a.id)
  }

  /**
   * The ids of the registered frameworks.
   *
   * @since 0.1.0
   * @category views
   */
  frameworkIds(): ReadonlyArray<string> {
    return [...this.frameworks.values()].filter((f) => f.registered).map((f) => f.id)
  }

  /**
   * The sum of every agent's total.
   *
   * @since 0.1.0
   * @category views
   */
  total(): Resources {
    return this.agentOrder.reduce((sum, a) => sum.add(a.total), Resources.empty)
  }
}
