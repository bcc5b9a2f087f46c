/**
 * The allocator's internal state: frameworks, agents, and the role and client nodes of its sort tree.
 */
import type { Quota } from "../DrfAllocator.js"
import type { Resources } from "../Resources.js"
import type { Dims, Vec } from "./Dims.js"
import { SortNode } from "./Sorter.js"

/** A decline filter: offers inside `resources` are kept from the client on the agent until `until`. */
export interface Filter {
  readonly resources: Resources
  readonly until: number
}

/** A framework as the allocator tracks it. */
export interface FrameworkState {
  readonly id: string
  roles: ReadonlySet<string>
  revocable: boolean
  /** False for a framework only known from allocations reported by an agent (`addAgent`). */
  registered: boolean
  active: boolean
  readonly suppressed: Set<string>
  readonly clients: Map<string, ClientNode>
}

/** An agent as the allocator tracks it. */
export interface AgentState {
  readonly id: string
  readonly seq: number
  hostname: string
  attributes: Readonly<Record<string, string>>
  total: Resources
  available: Resources
  /** The total has reservations or revocable resources, so offers differ by role and framework. */
  special: boolean
  readonly clients: Set<ClientNode>
  /** Bumped whenever `available` changes. */
  version: number
  /**
   * The last walk over this agent found no taker: until `idleUntil` (the first decline filter to expire),
   * and while neither the agent (`idleVersion`) nor the frameworks (`idleEpoch`) change, another walk
   * would find none either, so it is skipped.
   */
  idleVersion: number
  idleEpoch: number
  idleUntil: number
}

/** A role in the sort tree, with its weight, quota and consumption. */
export class RoleNode extends SortNode {
  self: SortNode | undefined = undefined
  explicitWeight: number | undefined = undefined
  quota: Quota | undefined = undefined
  guarantee: Vec | undefined = undefined
  limit: Vec | undefined = undefined
  readonly allocUnres: Vec = []
  readonly reserved: Vec = []
  /** The topmost role on the path (this one included) with a guarantee. */
  quotaTop: RoleNode | undefined = undefined
  /** The roles on the path (this one included) with a limit. */
  limited: ReadonlyArray<RoleNode> = []
  /** This role or one below it has a guarantee. */
  guaranteeBelow = false
  constructor(
    name: string,
    readonly parentRole: RoleNode | undefined,
    parent: SortNode
  ) {
    super("role", name, parent)
  }
}

/** A framework in one of its roles: what it holds per agent and its decline filters. */
export class ClientNode extends SortNode {
  subscribed = false
  readonly allocations = new Map<AgentState, Resources>()
  readonly filters = new Map<AgentState, Array<Filter>>()
  constructor(
    readonly framework: FrameworkState,
    readonly role: RoleNode,
    self: SortNode
  ) {
    super("client", framework.id, self)
  }
}

/** A vector as a record by resource name (zeros left out). */
export const record = (dims: Dims, vec: Vec | undefined): Readonly<Record<string, number>> => {
  const out: Record<string, number> = {}
  if (vec === undefined) return out
  for (let i = 0; i < vec.length; i++) if ((vec[i] ?? 0) !== 0) out[dims.names[i]!] = vec[i]!
  return out
}

/** Rounds down to three decimals, never below zero. */
export const floor3 = (x: number): number => Math.max(0, Math.floor(x * 1000 + 1e-6) / 1000)
