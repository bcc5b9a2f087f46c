/**
 * The leading master's state, without I/O: agents, frameworks, roles, outstanding offers and tasks, over the
 * DRF allocator. Every operation validates first and changes nothing when it fails; operations that need I/O
 * (launching or killing on an agent) return what to send, and `Master` sends it.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import type { AllocatorError } from "../../allocator/index.js"
import {
  type Allocation,
  type AllocatorOptions,
  DrfAllocator,
  type Quota,
  type RefuseFilter
} from "../../allocator/index.js"
import type { Resources as AllocResources } from "../../allocator/index.js"
import { Conflict, InvalidRequest, NotFound, type RequestError } from "../ClusterError.js"
import type {
  AgentRegistration,
  AgentView,
  FrameworkInfo,
  FrameworkRegistration,
  Offer,
  Reservation,
  RoleConfig
} from "../Protocol.js"
import * as Resources from "../Resources.js"
import { isTerminal, type TaskSpec, type TaskStatus } from "../Task.js"
import { carve, fromAllocator, toAllocator, withReservations } from "./bridge.js"

/**
 * A task the master sends to an agent.
 *
 * @since 0.1.0
 * @category models
 */
export interface Launch {
  readonly agentId: string
  readonly agentUrl: string
  readonly frameworkId: string
  readonly task: TaskSpec
}

interface AgentRecord {
  registration: AgentRegistration
  registeredAt: number
  lastHeartbeatAt: number
  active: boolean
}

interface TaskRecord {
  status: TaskStatus
  readonly role: string
  /** What it holds in the allocator (reservations included), `undefined` once given back. */
  held: AllocResources.Resources | undefined
}

interface OfferRecord extends Offer {
  readonly role: string
  readonly allocated: AllocResources.Resources
}

/**
 * Counters the master exports on `/metrics`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Counters {
  tasksLaunched: number
  statusUpdates: number
  offersMade: number
  offersDeclined: number
  allocationCycles: number
  agentsLost: number
}

const fromAllocError = (field: string, error: AllocatorError): RequestError => {
  switch (error._tag) {
    case "UnknownId":
      return new NotFound({ kind: error.kind, id: error.id })
    case "DuplicateId":
      return new Conflict({ reason: error.message })
    default:
      return new InvalidRequest({ field, reason: error.message })
  }
}

const reservationError = (error: AllocatorError): RequestError =>
  error._tag === "InsufficientResources"
    ? new Conflict({ reason: `${error.message} (reservations take free resources only)` })
    : fromAllocError("role", error)

const keepCompleted = 1_000
const keepUpdates = 10_000

/**
 * The state of a leading master.
 *
 * @since 0.1.0
 * @category models
 */
export class MasterState {
  readonly allocator: DrfAllocator
  readonly agents = new Map<string, AgentRecord>()
  readonly frameworks = new Map<string, FrameworkInfo>()
  readonly roles = new Map<string, RoleConfig>()
  readonly offers = new Map<string, OfferRecord>()
  readonly tasks = new Map<string, TaskRecord>()
  readonly counters: Counters = {
    tasksLaunched: 0,
    statusUpdates: 0,
    offersMade: 0,
    offersDeclined: 0,
    allocationCycles: 0,
    agentsLost: 0
  }
  private offerSeq = 0
  private frameworkSeq = 0
  private completed: Array<string> = []
  private updateLog: Array<{ readonly seq: number; readonly status: TaskStatus }> = []
  private updateSeq = 0
  /** Called after every task status change (the master wakes long polls with it). */
  onStatus: () => void = () => {}
  private readonly pendingRoles = new Set<string>()
  /** Dynamic reservations by agent (wire form, as stored); applied whenever the agent registers. */
  readonly reservations = new Map<string, ReadonlyArray<Reservation>>()

  constructor(
    readonly masterId: string,
    options: AllocatorOptions = {}
  ) {
    const made = DrfAllocator.make(options)
    if (Result.isFailure(made)) throw made.failure
    this.allocator = made.success
  }

  // ---- agents ------------------------------------------------------------------------------------------

  /**
   * Registers an agent, or re-registers it (after its restart or a master failover): its reported tasks
   * become the truth; tasks the master had on it that it no longer reports (other than `staging`) are lost.
   */
  registerAgent(registration: AgentRegistration, now: number): Result.Result<AgentView, RequestError> {
    const total = toAllocator(registration.resources, "resources")
    if (Result.isFailure(total)) return Result.fail(total.failure)
    if (total.success.isEmpty()) {
      return Result.fail(new InvalidRequest({ field: "resources", reason: "an agent must offer some resources" }))
    }
    // tasks asking for reserved resources are booked first: the others can fall back on unreserved ones
    const running = registration.tasks
      .filter((task) => !isTerminal(task.state))
      .sort((a, b) => (b.resources.reserved?.length ?? 0) - (a.resources.reserved?.length ?? 0))
    const agentId = registration.agentId
    // a stored reservation that no longer fits (the agent shrank) is kept and tried again at its next registration
    const { total: reservedTotal } = withReservations(total.success, this.reservations.get(agentId) ?? [])
    const allocated: Array<Omit<Allocation, "agentId">> = []
    const held = new Map<string, AllocResources.Resources>()
    let pool = reservedTotal
    for (const task of running) {
      const role = this.roleOf(task.frameworkId, task.taskId)
      const wanted = toAllocator(task.resources, `tasks[${task.taskId}].resources`)
      if (Result.isFailure(wanted)) return Result.fail(wanted.failure)
      const taken = carve(pool, wanted.success, role)
      if (Result.isFailure(taken)) {
        return Result.fail(
          new InvalidRequest({
            field: "tasks",
            reason: `the running tasks need more than the agent has: ${taken.failure} (task ${task.taskId})`
          })
        )
      }
      pool = pool.subtract(taken.success)
      held.set(task.taskId, taken.success)
      allocated.push({ frameworkId: task.frameworkId, role, resources: taken.success })
    }
    const previous = this.agents.get(agentId)
    if (previous !== undefined) this.dropAgentFromAllocator(agentId)
    const added = this.allocator.addAgent(
      agentId,
      { total: reservedTotal, hostname: registration.hostname, attributes: registration.attributes },
      allocated
    )
    if (Result.isFailure(added)) {
      if (previous !== undefined) this.deactivate(agentId, now, "re-registration refused")
      return Result.fail(fromAllocError("resources", added.failure))
    }
    this.agents.set(agentId, {
      registration,
      registeredAt: previous?.registeredAt ?? now,
      lastHeartbeatAt: now,
      active: true
    })
    const reported = new Set(registration.tasks.map((task) => task.taskId))
    for (const [taskId, record] of this.tasks) {
      if (record.status.agentId !== agentId || reported.has(taskId) || isTerminal(record.status.state)) continue
      if (record.status.state === "staging") continue
      this.setStatus(
        taskId,
        { ...record.status, state: "lost", message: "the agent no longer knows the task", updatedAt: now },
        false
      )
    }
    for (const status of registration.tasks) {
      const role = this.roleOf(status.frameworkId, status.taskId)
      this.tasks.set(status.taskId, { status, role, held: held.get(status.taskId) })
      if (isTerminal(status.state)) this.remember(status.taskId)
    }
    if (this.pendingRoles.size > 0) this.retryPendingRoles()
    return Result.succeed(this.agentView(agentId)!)
  }

  /** Records a heartbeat; an unknown or inactive agent must register again. */
  heartbeat(agentId: string, now: number): Result.Result<void, NotFound> {
    const agent = this.agents.get(agentId)
    if (agent === undefined || !agent.active) return Result.fail(new NotFound({ kind: "agent", id: agentId }))
    agent.lastHeartbeatAt = now
    return Result.succeed(undefined)
  }

  /** Agents whose last heartbeat is older than `timeoutMs`: marked inactive, their tasks lost. */
  expireAgents(now: number, timeoutMs: number): ReadonlyArray<string> {
    const expired: Array<string> = []
    for (const [agentId, agent] of this.agents) {
      if (agent.active && now - agent.lastHeartbeatAt > timeoutMs) {
        this.deactivate(agentId, now, `no heartbeat for ${timeoutMs} ms`)
        expired.push(agentId)
      }
    }
    this.counters.agentsLost += expired.length
    return expired
  }

  private deactivate(agentId: string, now: number, reason: string): void {
    const agent = this.agents.get(agentId)
    if (agent === undefined) return
    agent.active = false
    this.dropAgentFromAllocator(agentId)
    for (const [taskId, record] of this.tasks) {
      if (record.status.agentId === agentId && !isTerminal(record.status.state)) {
        this.setStatus(
          taskId,
          { ...record.status, state: "lost", message: `agent lost: ${reason}`, updatedAt: now },
          false
        )
      }
    }
  }

  private dropAgentFromAllocator(agentId: string): void {
    for (const [offerId, offer] of this.offers) if (offer.agentId === agentId) this.offers.delete(offerId)
    for (const record of this.tasks.values()) if (record.status.agentId === agentId) record.held = undefined
    this.allocator.removeAgent(agentId)
  }

  agentView(agentId: string): AgentView | undefined {
    const agent = this.agents.get(agentId)
    if (agent === undefined) return undefined
    const view = this.allocator.agent(agentId)
    const total = agent.registration.resources
    return {
      agentId,
      hostname: agent.registration.hostname,
      url: agent.registration.url,
      attributes: agent.registration.attributes,
      resources: total,
      used: view === undefined ? Resources.empty : fromAllocator(view.total.subtract(view.available)),
      registeredAt: agent.registeredAt,
      lastHeartbeatAt: agent.lastHeartbeatAt,
      active: agent.active
    }
  }

  // ---- reservations -------------------------------------------------------------------------------------

  /** Dynamically reserves free resources of an agent for a role; returns the agent's reservations. */
  reserve(agentId: string, reservation: Reservation): Result.Result<ReadonlyArray<Reservation>, RequestError> {
    const agent = this.agents.get(agentId)
    if (agent === undefined || !agent.active) return Result.fail(new NotFound({ kind: "agent", id: agentId }))
    const resources = toAllocator(reservation.resources)
    if (Result.isFailure(resources)) return Result.fail(resources.failure)
    const done = this.allocator.reserve(agentId, reservation.role, resources.success)
    if (Result.isFailure(done)) return Result.fail(reservationError(done.failure))
    const list = [...(this.reservations.get(agentId) ?? [])]
    const at = list.findIndex((r) => r.role === reservation.role)
    if (at < 0) list.push(reservation)
    else list[at] = { role: reservation.role, resources: Resources.add(list[at]!.resources, reservation.resources) }
    this.reservations.set(agentId, list)
    return Result.succeed(list)
  }

  /** Releases (part of) a role's dynamic reservation on an agent; it must not be in use. */
  unreserve(agentId: string, reservation: Reservation): Result.Result<ReadonlyArray<Reservation>, RequestError> {
    const agent = this.agents.get(agentId)
    if (agent === undefined || !agent.active) return Result.fail(new NotFound({ kind: "agent", id: agentId }))
    const resources = toAllocator(reservation.resources)
    if (Result.isFailure(resources)) return Result.fail(resources.failure)
    const list = [...(this.reservations.get(agentId) ?? [])]
    const at = list.findIndex((r) => r.role === reservation.role)
    const missing = at < 0 ? "nothing is reserved" : Resources.shortfall(list[at]!.resources, reservation.resources)
    if (missing !== undefined) {
      return Result.fail(
        new InvalidRequest({ field: "resources", reason: `not reserved for ${reservation.role}: ${missing}` })
      )
    }
    const done = this.allocator.unreserve(agentId, reservation.role, resources.success)
    if (Result.isFailure(done)) return Result.fail(reservationError(done.failure))
    const left = Resources.subtract(list[at]!.resources, reservation.resources)
    if (Resources.isEmpty(left)) list.splice(at, 1)
    else list[at] = { role: reservation.role, resources: left }
    if (list.length === 0) this.reservations.delete(agentId)
    else this.reservations.set(agentId, list)
    return Result.succeed(list)
  }

  // ---- frameworks and roles ------------------------------------------------------------------------------

  /** Registers a framework (or re-registers a known id, keeping its role). */
  registerFramework(registration: FrameworkRegistration, now: number): Result.Result<FrameworkInfo, RequestError> {
    const role = registration.role ?? "*"
    const known = registration.frameworkId === undefined ? undefined : this.frameworks.get(registration.frameworkId)
    if (known !== undefined) {
      if (known.role !== role) {
        return Result.fail(
          new Conflict({ reason: `framework ${known.frameworkId} is registered in role ${known.role}, not ${role}` })
        )
      }
      return Result.succeed(known)
    }
    const frameworkId =
      registration.frameworkId ?? `${this.masterId}-fw-${now.toString(36)}-${(this.frameworkSeq++).toString(36)}`
    const added = this.allocator.addFramework(frameworkId, { roles: [role] })
    if (Result.isFailure(added)) {
      // a framework known to the allocator only through an agent's tasks (after a failover) is a placeholder
      if (added.failure._tag !== "DuplicateId") return Result.fail(fromAllocError("role", added.failure))
      const updated = this.allocator.updateFramework(frameworkId, { roles: [role] })
      if (Result.isFailure(updated)) return Result.fail(fromAllocError("role", updated.failure))
    }
    const info: FrameworkInfo = { frameworkId, name: registration.name, role, registeredAt: now }
    this.frameworks.set(frameworkId, info)
    return Result.succeed(info)
  }

  /** Removes a framework; returns its tasks to kill. */
  removeFramework(frameworkId: string): Result.Result<ReadonlyArray<TaskStatus>, NotFound> {
    if (!this.frameworks.has(frameworkId)) return Result.fail(new NotFound({ kind: "framework", id: frameworkId }))
    for (const [offerId, offer] of this.offers) if (offer.frameworkId === frameworkId) this.offers.delete(offerId)
    this.allocator.removeFramework(frameworkId)
    this.frameworks.delete(frameworkId)
    const tasks = [...this.tasks.values()]
      .filter((record) => record.status.frameworkId === frameworkId && !isTerminal(record.status.state))
      .map((record) => record.status)
    for (const record of this.tasks.values()) if (record.status.frameworkId === frameworkId) record.held = undefined
    return Result.succeed(tasks)
  }

  framework(frameworkId: string): Result.Result<FrameworkInfo, NotFound> {
    const info = this.frameworks.get(frameworkId)
    return info === undefined ? Result.fail(new NotFound({ kind: "framework", id: frameworkId })) : Result.succeed(info)
  }

  suppress(frameworkId: string, suppressed: boolean): Result.Result<void, NotFound> {
    const result = suppressed ? this.allocator.suppress(frameworkId) : this.allocator.revive(frameworkId)
    if (Result.isFailure(result)) return Result.fail(new NotFound({ kind: "framework", id: frameworkId }))
    if (suppressed) {
      for (const [offerId, offer] of this.offers) if (offer.frameworkId === frameworkId) this.rescind(offerId)
    }
    return Result.succeed(undefined)
  }

  /** Sets a role's weight and quota (both validated before either changes). */
  setRole(role: string, config: RoleConfig): Result.Result<RoleConfig, RequestError> {
    const previous = this.roles.get(role) ?? {}
    const next: RoleConfig = { ...previous, ...config }
    const guarantee = next.guarantee === undefined ? undefined : toAllocator(next.guarantee, "guarantee")
    const limit = next.limit === undefined ? undefined : toAllocator(next.limit, "limit")
    if (guarantee !== undefined && Result.isFailure(guarantee)) return Result.fail(guarantee.failure)
    if (limit !== undefined && Result.isFailure(limit)) return Result.fail(limit.failure)
    if (next.guarantee?.ports !== undefined || next.limit?.ports !== undefined) {
      return Result.fail(
        new InvalidRequest({
          field: next.guarantee?.ports !== undefined ? "guarantee.ports" : "limit.ports",
          reason: "a quota holds scalars only"
        })
      )
    }
    const quota: Quota | undefined =
      guarantee === undefined && limit === undefined
        ? undefined
        : {
            ...(guarantee === undefined ? {} : { guarantee: guarantee.success }),
            ...(limit === undefined ? {} : { limit: limit.success })
          }
    const hadQuota = previous.guarantee !== undefined || previous.limit !== undefined
    if (quota !== undefined || hadQuota) {
      const set = this.allocator.setQuota(role, quota)
      if (Result.isFailure(set)) return Result.fail(fromAllocError("quota", set.failure))
    }
    if (next.weight !== undefined) {
      const set = this.allocator.setWeight(role, next.weight)
      if (Result.isFailure(set)) {
        // undo the quota so that nothing changed
        if (quota !== undefined || hadQuota) {
          const back =
            previous.guarantee === undefined && previous.limit === undefined ? undefined : this.quotaOf(previous)
          this.allocator.setQuota(role, back)
        }
        return Result.fail(fromAllocError("weight", set.failure))
      }
    }
    this.roles.set(role, next)
    return Result.succeed(next)
  }

  /**
   * Restores a stored role after a failover. A quota naming resources no agent has registered yet is kept
   * and applied again after each agent registration until it fits.
   */
  restoreRole(role: string, config: RoleConfig): void {
    const applied = this.setRole(role, config)
    if (Result.isFailure(applied)) {
      this.roles.set(role, config)
      this.pendingRoles.add(role)
    }
  }

  private retryPendingRoles(): void {
    for (const role of [...this.pendingRoles]) {
      const config = this.roles.get(role)
      this.roles.delete(role)
      if (config === undefined || Result.isSuccess(this.setRole(role, config))) this.pendingRoles.delete(role)
      else this.roles.set(role, config)
    }
  }

  private quotaOf(config: RoleConfig): Quota {
    const g = config.guarantee === undefined ? undefined : toAllocator(config.guarantee)
    const l = config.limit === undefined ? undefined : toAllocator(config.limit)
    return {
      ...(g !== undefined && Result.isSuccess(g) ? { guarantee: g.success } : {}),
      ...(l !== undefined && Result.isSuccess(l) ? { limit: l.success } : {})
    }
  }

  private roleOf(frameworkId: string, taskId: string): string {
    return this.tasks.get(taskId)?.role ?? this.frameworks.get(frameworkId)?.role ?? "*"
  }

  // ---- offers --------------------------------------------------------------------------------------------

  /** Runs an allocation cycle and records the offers made. */
  allocate(now: number, agentIds?: Iterable<string>): ReadonlyArray<Offer> {
    this.counters.allocationCycles++
    const made: Array<Offer> = []
    for (const offer of this.allocator.allocate(now, agentIds)) {
      const agent = this.agents.get(offer.agentId)
      if (agent === undefined) continue
      const record: OfferRecord = {
        offerId: `${this.masterId}-o${(this.offerSeq++).toString(36)}`,
        frameworkId: offer.frameworkId,
        agentId: offer.agentId,
        hostname: offer.hostname,
        attributes: agent.registration.attributes,
        resources: fromAllocator(offer.resources),
        ...(offer.resources.reserved().isEmpty()
          ? {}
          : { reserved: fromAllocator(offer.resources.reserved().toUnreserved()) }),
        createdAt: now,
        role: offer.role,
        allocated: offer.resources
      }
      this.offers.set(record.offerId, record)
      made.push(publicOffer(record))
    }
    this.counters.offersMade += made.length
    return made
  }

  offersFor(frameworkId?: string): ReadonlyArray<Offer> {
    return [...this.offers.values()]
      .filter((o) => frameworkId === undefined || o.frameworkId === frameworkId)
      .map(publicOffer)
  }

  private ownOffer(frameworkId: string, offerId: string): Result.Result<OfferRecord, RequestError> {
    if (!this.frameworks.has(frameworkId)) return Result.fail(new NotFound({ kind: "framework", id: frameworkId }))
    const offer = this.offers.get(offerId)
    if (offer === undefined || offer.frameworkId !== frameworkId)
      return Result.fail(new NotFound({ kind: "offer", id: offerId }))
    return Result.succeed(offer)
  }

  /** Gives an offer's resources back (with a refuse filter when the framework declined). */
  private rescind(offerId: string, filter?: RefuseFilter): void {
    const offer = this.offers.get(offerId)
    if (offer === undefined) return
    this.offers.delete(offerId)
    this.allocator.recoverResources(
      { frameworkId: offer.frameworkId, role: offer.role, agentId: offer.agentId, resources: offer.allocated },
      filter
    )
  }

  decline(
    frameworkId: string,
    offerId: string,
    refuseSeconds: number | undefined,
    now: number
  ): Result.Result<void, RequestError> {
    const offer = this.ownOffer(frameworkId, offerId)
    if (Result.isFailure(offer)) return Result.fail(offer.failure)
    this.rescind(offerId, { now, ...(refuseSeconds === undefined ? {} : { refuseSeconds }) })
    this.counters.offersDeclined++
    return Result.succeed(undefined)
  }

  /** Rescinds offers older than `maxAgeMs` (a framework that never answers does not keep resources). */
  expireOffers(now: number, maxAgeMs: number): number {
    let expired = 0
    for (const [offerId, offer] of this.offers) {
      if (now - offer.createdAt > maxAgeMs) {
        this.rescind(offerId)
        expired++
      }
    }
    return expired
  }

  /**
   * Uses an offer to launch tasks: every task must be new, valid and, all together, fit in the offer; what is
   * left is given back (filtered for the default refuse time). Returns the launches to send.
   */
  accept(
    frameworkId: string,
    offerId: string,
    specs: ReadonlyArray<TaskSpec>,
    now: number
  ): Result.Result<ReadonlyArray<Launch>, RequestError> {
    const found = this.ownOffer(frameworkId, offerId)
    if (Result.isFailure(found)) return Result.fail(found.failure)
    const offer = found.success
    const agent = this.agents.get(offer.agentId)
    if (agent === undefined || !agent.active) return Result.fail(new NotFound({ kind: "agent", id: offer.agentId }))
    const ids = new Set<string>()
    let rest = offer.allocated
    const held: Array<AllocResources.Resources> = []
    for (const [i, spec] of specs.entries()) {
      if (ids.has(spec.taskId) || this.tasks.has(spec.taskId)) {
        return Result.fail(new Conflict({ reason: `task id ${JSON.stringify(spec.taskId)} is already in use` }))
      }
      ids.add(spec.taskId)
      const wanted = toAllocator(spec.resources, `tasks[${i}].resources`)
      if (Result.isFailure(wanted)) return Result.fail(wanted.failure)
      if ((spec.containerPorts ?? []).length > Resources.portList(spec.resources).length) {
        return Result.fail(
          new InvalidRequest({
            field: `tasks[${i}].containerPorts`,
            reason: "more container ports than host ports in resources.ports"
          })
        )
      }
      if (wanted.success.isEmpty()) {
        return Result.fail(
          new InvalidRequest({ field: `tasks[${i}].resources`, reason: "a task must use some resources" })
        )
      }
      const taken = carve(rest, wanted.success, offer.role)
      if (Result.isFailure(taken)) {
        return Result.fail(
          new InvalidRequest({
            field: `tasks[${i}].resources`,
            reason: `the tasks ask for more than offer ${offerId} holds: ${taken.failure}`
          })
        )
      }
      held.push(taken.success)
      rest = rest.subtract(taken.success)
    }
    this.offers.delete(offerId)
    if (!rest.isEmpty()) {
      this.allocator.recoverResources(
        { frameworkId, role: offer.role, agentId: offer.agentId, resources: rest },
        specs.length === 0 ? { now } : undefined
      )
    }
    const launches = specs.map((task, i): Launch => {
      this.tasks.set(task.taskId, {
        role: offer.role,
        held: held[i],
        status: {
          taskId: task.taskId,
          frameworkId,
          agentId: offer.agentId,
          state: "staging",
          resources: task.resources,
          updatedAt: now
        }
      })
      this.log(this.tasks.get(task.taskId)!.status)
      return { agentId: offer.agentId, agentUrl: agent.registration.url, frameworkId, task }
    })
    this.counters.tasksLaunched += launches.length
    return Result.succeed(launches)
  }

  // ---- tasks ---------------------------------------------------------------------------------------------

  /** Applies a status from an agent (or the master's own `lost`/`failed`); terminal states free the resources. */
  setStatus(taskId: string, status: TaskStatus, fromAgent = true): void {
    const record = this.tasks.get(taskId)
    if (fromAgent) this.counters.statusUpdates++
    this.log(status)
    if (record === undefined) {
      this.tasks.set(taskId, { status, role: this.roleOf(status.frameworkId, taskId), held: undefined })
      if (isTerminal(status.state)) this.remember(taskId)
      return
    }
    record.status = status
    if (isTerminal(status.state)) {
      if (record.held !== undefined) {
        this.allocator.recoverResources({
          frameworkId: status.frameworkId,
          role: record.role,
          agentId: status.agentId,
          resources: record.held
        })
        record.held = undefined
      }
      this.remember(taskId)
    }
  }

  /** A status update from an agent: the agent must be registered and the task on it. */
  statusUpdate(agentId: string, status: TaskStatus): Result.Result<void, RequestError> {
    const agent = this.agents.get(agentId)
    if (agent === undefined || !agent.active) return Result.fail(new NotFound({ kind: "agent", id: agentId }))
    if (status.agentId !== agentId) {
      return Result.fail(
        new InvalidRequest({ field: "agentId", reason: `the status names agent ${status.agentId}, sent by ${agentId}` })
      )
    }
    const record = this.tasks.get(status.taskId)
    // a terminal state is final; the agent brings a task the master gave up on back by registering again
    if (record !== undefined && isTerminal(record.status.state)) return Result.succeed(undefined)
    this.setStatus(status.taskId, status)
    return Result.succeed(undefined)
  }

  task(taskId: string): Result.Result<TaskStatus, NotFound> {
    const record = this.tasks.get(taskId)
    return record === undefined
      ? Result.fail(new NotFound({ kind: "task", id: taskId }))
      : Result.succeed(record.status)
  }

  /** The task's agent, to send a kill to; a terminal task needs none. */
  killTarget(
    taskId: string
  ): Result.Result<{ readonly status: TaskStatus; readonly agentUrl: string | undefined }, NotFound> {
    const record = this.tasks.get(taskId)
    if (record === undefined) return Result.fail(new NotFound({ kind: "task", id: taskId }))
    const agent = this.agents.get(record.status.agentId)
    return Result.succeed({
      status: record.status,
      agentUrl:
        isTerminal(record.status.state) || agent === undefined || !agent.active ? undefined : agent.registration.url
    })
  }

  taskList(frameworkId?: string): ReadonlyArray<TaskStatus> {
    return [...this.tasks.values()]
      .map((record) => record.status)
      .filter((status) => frameworkId === undefined || status.frameworkId === frameworkId)
  }

  /** The framework's tasks (or those named); a name the master does not know is reported `lost`. */
  reconcile(
    frameworkId: string,
    taskIds: ReadonlyArray<string> | undefined,
    now: number
  ): Result.Result<ReadonlyArray<TaskStatus>, NotFound> {
    if (!this.frameworks.has(frameworkId)) return Result.fail(new NotFound({ kind: "framework", id: frameworkId }))
    if (taskIds === undefined) return Result.succeed(this.taskList(frameworkId))
    return Result.succeed(
      taskIds.map((taskId): TaskStatus => {
        const record = this.tasks.get(taskId)
        return record !== undefined && record.status.frameworkId === frameworkId
          ? record.status
          : {
              taskId,
              frameworkId,
              agentId: "unknown",
              state: "lost",
              resources: {},
              message: "unknown task",
              updatedAt: now
            }
      })
    )
  }

  private log(status: TaskStatus): void {
    this.updateLog.push({ seq: ++this.updateSeq, status })
    if (this.updateLog.length > keepUpdates * 2) this.updateLog = this.updateLog.slice(-keepUpdates)
    this.onStatus()
  }

  /**
   * Status changes of a framework's tasks after sequence number `after` (0: from the oldest kept), and the
   * sequence number to ask from next.
   */
  updatesSince(
    frameworkId: string,
    after: number
  ): Result.Result<{ readonly seq: number; readonly updates: ReadonlyArray<TaskStatus> }, NotFound> {
    if (!this.frameworks.has(frameworkId)) return Result.fail(new NotFound({ kind: "framework", id: frameworkId }))
    const updates: Array<TaskStatus> = []
    for (let i = this.updateLog.length - 1; i >= 0 && this.updateLog[i]!.seq > after; i--) {
      const entry = this.updateLog[i]!
      if (entry.status.frameworkId === frameworkId) updates.push(entry.status)
    }
    return Result.succeed({ seq: this.updateSeq, updates: updates.reverse() })
  }

  private remember(taskId: string): void {
    this.completed.push(taskId)
    if (this.completed.length > keepCompleted * 2) {
      const drop = this.completed.slice(0, this.completed.length - keepCompleted)
      this.completed = this.completed.slice(-keepCompleted)
      for (const id of drop) {
        const record = this.tasks.get(id)
        if (record !== undefined && isTerminal(record.status.state)) this.tasks.delete(id)
      }
    }
  }
}

const publicOffer = (offer: OfferRecord): Offer => ({
  offerId: offer.offerId,
  frameworkId: offer.frameworkId,
  agentId: offer.agentId,
  hostname: offer.hostname,
  attributes: offer.attributes,
  resources: offer.resources,
  ...(offer.reserved === undefined ? {} : { reserved: offer.reserved }),
  createdAt: offer.createdAt
})
