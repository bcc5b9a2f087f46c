/**
 * The endpoint table: every endpoint of the report in a numbered slot, with its process, container, pod and
 * host resolved, and its connections as slot numbers. Shared by every view rendered in the same report state,
 * so a render walks flat arrays instead of chasing `node -> parents -> array -> id -> map` for every
 * connection (the cost that dominates at 100k+ connections: it is all cache misses).
 *
 * Kept incrementally, per report object: when the report changes, the table brings the slots of the
 * topologies it reads in step (see `slots.ts`; by replaying the report's list of changes when it has one),
 * then re-resolves only the endpoints whose node object changed, the ones whose owners changed in a way that
 * matters (a process moved to another container, a pod left), and the ones waiting for an owner that arrived.
 * So the first render after a delta from one probe pays for what the delta touched, not for the 300k
 * endpoints of the other probes. The result is always what a build from scratch would give (slot numbers
 * aside), which the incremental tests check on random deltas.
 *
 * @since 0.1.0
 */
import type { MergedReport } from "../../MergedReport.js"
import type { Node } from "../../Report.js"
import { Topologies } from "../../Topology.js"
import { endpointParts } from "./address.js"
import { ensure, Slots, type SlotsView } from "./slots.js"

/**
 * The endpoints of one report state in slots (report order, with holes), their owners resolved, and their
 * connections.
 *
 * @since 0.1.0
 * @category internal
 */
export interface EndpointTable {
  /** Number of endpoint slots, holes included (a hole has no owners and no connections). */
  readonly size: number
  readonly endpoints: SlotsView
  /** The owner topologies, in slots: renderers number their nodes by these slots. */
  readonly processes: SlotsView
  readonly containers: SlotsView
  readonly pods: SlotsView
  readonly hosts: SlotsView
  /** The owners of each endpoint as slots of their topology, or -1 when the owner is not in the report. */
  readonly at: {
    readonly processes: Int32Array
    readonly containers: Int32Array
    readonly pods: Int32Array
    readonly hosts: Int32Array
  }
  /** The pod id of each endpoint (`undefined` when unknown), in the report or not. */
  readonly pod: ReadonlyArray<string | undefined>
  /** The host: the `hosts` parent, else the process's, else the scope of a host-local address. */
  readonly host: ReadonlyArray<string | undefined>
  /** `pool[start[e] .. start[e] + count[e]]` are the targets of endpoint `e`, in adjacency order. */
  readonly start: Int32Array
  readonly count: Int32Array
  /** A target endpoint slot, or `-(k + 1)` for `absent[k]`, a target id not in the report. */
  readonly pool: Int32Array
  /** Pool entries in use (at least the number of connections). */
  readonly used: number
  readonly absent: ReadonlyArray<string>
}

const first = (values: ReadonlyArray<string> | undefined): string | undefined =>
  values !== undefined && values.length > 0 ? values[0] : undefined

/** The owner topologies, in the order of `Table.owners`, then endpoints: the topologies the table reads. */
const reads = [
  Topologies.processes,
  Topologies.containers,
  Topologies.pods,
  Topologies.hosts,
  Topologies.endpoints
] as const

const slotIn = (slots: Slots, id: string | undefined): number => (id === undefined ? -1 : (slots.slotOf.get(id) ?? -1))

const grow8 = (array: Uint8Array, size: number): Uint8Array => {
  if (size <= array.length) return array
  const next = new Uint8Array(Math.max(size, array.length * 2, 64))
  next.set(array)
  return next
}

/**
 * Whether replacing an owner node can change how endpoints resolve: a process's container, pod or host, or
 * a container's pod. Pods and hosts matter by their id only (their removal is handled apart).
 */
const movedOwner = (topology: number, before: Node, after: Node): boolean => {
  const a = before.parents
  const b = after.parents
  if (topology === 0)
    return (
      first(a[Topologies.containers]) !== first(b[Topologies.containers]) ||
      first(a[Topologies.pods]) !== first(b[Topologies.pods]) ||
      first(a[Topologies.hosts]) !== first(b[Topologies.hosts])
    )
  if (topology === 1) return first(a[Topologies.pods]) !== first(b[Topologies.pods])
  return false
}

/** The table's state for one report object; it is its own read-only {@link EndpointTable} face. */
class Table implements EndpointTable {
  readonly endpoints = new Slots()
  readonly processes = new Slots()
  readonly containers = new Slots()
  readonly pods = new Slots()
  readonly hosts = new Slots()
  readonly owners = [this.processes, this.containers, this.pods, this.hosts] as const
  at: EndpointTable["at"] = {
    processes: new Int32Array(0),
    containers: new Int32Array(0),
    pods: new Int32Array(0),
    hosts: new Int32Array(0)
  }
  readonly pod: Array<string | undefined> = []
  readonly host: Array<string | undefined> = []
  /** Per owner topology, the sync in which each slot changed in a way its endpoints must re-resolve for. */
  moved: Array<Int32Array> = [new Int32Array(0), new Int32Array(0), new Int32Array(0), new Int32Array(0)]
  /** 1 when an owner id of the endpoint is not in the report (yet): it re-resolves when owners arrive. */
  pending: Uint8Array = new Uint8Array(0)
  /** The endpoints marked pending (some may since have resolved or gone). */
  pendingList: Array<number> = []
  start: Int32Array = new Int32Array(0)
  count: Int32Array = new Int32Array(0)
  pool: Int32Array = new Int32Array(1024)
  /** Pool entries in use (`pool.length` is the capacity). */
  used = 0
  /** Pool entries no endpoint points at any more. */
  garbage = 0
  /** How many connections point at each endpoint slot. */
  refs: Int32Array = new Int32Array(0)
  absent: Array<string> = []
  absentIndex = new Map<string, number>()
  /** The slot an absent id got since it was numbered (-1 while it stays absent). */
  absentSlot: Int32Array = new Int32Array(0)
  /** How many connections point at each absent id. */
  absentRefs: Int32Array = new Int32Array(0)
  /** Absent ids after the last compaction, to tell when stale ones piled up. */
  absentBase = 0
  /** Sync number, stamped on the slots each sync changes. */
  stamp = 0
  generations: Array<number> = []

  get size(): number {
    return this.endpoints.size
  }

  /** Brings the table in step with the report. Returns `false` when it cannot (the table must be rebuilt). */
  sync(report: MergedReport): boolean {
    const generations = reads.map((topology) => report.generation(topology))
    if (this.stamp > 0 && generations.every((g, t) => g === this.generations[t])) return true
    const stamp = ++this.stamp
    let ownersAdded = false
    let ownersMoved = false
    for (let t = 0; t < 4; t++) {
      const slots = this.owners[t]!
      if (stamp > 1 && generations[t] === this.generations[t]) {
        slots.clearChanges()
        continue
      }
      if (!this.syncSlots(slots, report, reads[t]!, stamp)) return false
      ownersAdded ||= slots.added > 0
      ownersMoved = this.markMoved(t, stamp) || ownersMoved
    }
    const E = this.endpoints
    if (stamp === 1 || generations[4] !== this.generations[4]) {
      if (!this.syncSlots(E, report, Topologies.endpoints, stamp)) return false
    } else E.clearChanges()
    this.generations = generations
    this.reserve(E.size)
    const removedReferenced = this.forgetRemoved()
    const fixup = this.numberArrived() || removedReferenced
    if (ownersMoved) this.resolveMoved(stamp)
    if (ownersAdded) this.resolvePending()
    if (E.fresh) {
      for (let e = 0; e < E.size; e++) {
        if (E.nodes[e] === undefined) continue
        this.resolve(e)
        this.encode(e)
      }
    } else {
      for (const e of E.touched) {
        if (E.nodes[e] === undefined) continue
        this.resolve(e)
        this.encode(e)
      }
    }
    if (fixup) this.fixup(stamp)
    if (stamp === 1) this.absentBase = this.absent.length
    for (let t = 0; t < 4; t++) if (this.owners[t]!.sparse) this.compactOwner(t)
    if (
      E.sparse ||
      (this.garbage > 4096 && this.garbage * 2 > this.used) ||
      (this.absent.length > 4096 && this.absent.length > 2 * this.absentBase)
    )
      this.compactEndpoints()
    return true
  }

  /** Syncs one topology's slots: by replaying the report's changes when it lists them, else by comparing. */
  private syncSlots(slots: Slots, report: MergedReport, topology: string, stamp: number): boolean {
    const nodes = report.nodes(topology)
    const t = reads.indexOf(topology as (typeof reads)[number])
    const changes = stamp === 1 ? undefined : report.changes?.(topology, this.generations[t]!)
    if (changes === undefined) {
      slots.sync(nodes, stamp)
      return true
    }
    return slots.replay(changes, nodes, stamp)
  }

  /** Stamps the owner slots of topology `t` whose change its endpoints must re-resolve for; returns whether any. */
  private markMoved(t: number, stamp: number): boolean {
    const slots = this.owners[t]!
    let any = false
    this.moved[t] = ensure(this.moved[t]!, slots.size)
    const moved = this.moved[t]!
    for (const slot of slots.removed) {
      moved[slot] = stamp
      any = true
    }
    for (let i = 0; i < slots.touched.length; i++) {
      const before = slots.previous[i]
      const slot = slots.touched[i]!
      const after = slots.nodes[slot]
      if (before !== undefined && after !== undefined && movedOwner(t, before, after)) {
        moved[slot] = stamp
        any = true
      }
    }
    return any
  }

  /** Re-resolves the endpoints whose process, container, pod or host moved or left (a scan of every endpoint). */
  private resolveMoved(stamp: number): void {
    const { processes, containers, pods, hosts } = this.at
    const [mp, mc, md, mh] = this.moved as [Int32Array, Int32Array, Int32Array, Int32Array]
    const stamps = this.endpoints.stamps
    for (let e = 0; e < this.size; e++) {
      const p = processes[e]!
      const c = containers[e]!
      const d = pods[e]!
      const h = hosts[e]!
      if (
        stamps[e] !== stamp &&
        ((p >= 0 && mp[p] === stamp) ||
          (c >= 0 && mc[c] === stamp) ||
          (d >= 0 && md[d] === stamp) ||
          (h >= 0 && mh[h] === stamp))
      )
        this.resolve(e)
    }
  }

  /** Re-resolves the endpoints waiting for an owner, now that owners arrived. */
  private resolvePending(): void {
    const list = this.pendingList
    this.pendingList = []
    for (const e of list) {
      if (this.pending[e] === 0) continue
      this.pending[e] = 0
      this.resolve(e)
    }
  }

  /**
   * Forgets the owners and connections of the endpoints removed in this sync. Returns whether connections
   * point at some of them (they must then point at their ids as absent ones).
   */
  private forgetRemoved(): boolean {
    const E = this.endpoints
    let referenced = false
    for (const e of E.removed) {
      this.at.processes[e] = -1
      this.at.containers[e] = -1
      this.at.pods[e] = -1
      this.at.hosts[e] = -1
      this.pod[e] = undefined
      this.host[e] = undefined
      this.pending[e] = 0
      this.release(e)
      const id = E.ids[e]!
      const k = this.absentIndex.get(id)
      if (k !== undefined) this.absentSlot[k] = -1
      if (this.refs[e]! > 0) {
        if (k === undefined) this.absentOf(id)
        referenced = true
      }
    }
    return referenced
  }

  /** Gives absent ids that arrived in this sync their slot. Returns whether connections point at some of them. */
  private numberArrived(): boolean {
    const E = this.endpoints
    if (E.added === 0 || this.absentIndex.size === 0) return false
    let referenced = false
    const arrived = (e: number) => {
      if (E.nodes[e] === undefined) return
      const k = this.absentIndex.get(E.ids[e]!)
      if (k === undefined) return
      this.absentSlot[k] = e
      if (this.absentRefs[k]! > 0) referenced = true
    }
    if (E.fresh) for (let e = 0; e < E.size; e++) arrived(e)
    else for (const e of E.touched) arrived(e)
    return referenced
  }

  /** Makes room for `size` endpoint slots. */
  private reserve(size: number): void {
    if (size <= this.start.length) return
    const capacity = Math.max(size, this.start.length * 2, 64)
    const at = this.at
    this.at = {
      processes: ensure(at.processes, capacity),
      containers: ensure(at.containers, capacity),
      pods: ensure(at.pods, capacity),
      hosts: ensure(at.hosts, capacity)
    }
    this.start = ensure(this.start, capacity)
    this.count = ensure(this.count, capacity)
    this.refs = ensure(this.refs, capacity)
    this.pending = grow8(this.pending, capacity)
  }

  /** The number of an absent id, numbering it on first sight. */
  private absentOf(id: string): number {
    let k = this.absentIndex.get(id)
    if (k === undefined) {
      k = this.absent.length
      this.absent.push(id)
      this.absentIndex.set(id, k)
      this.absentSlot = ensure(this.absentSlot, k + 1)
      this.absentRefs = ensure(this.absentRefs, k + 1)
      this.absentSlot[k] = -1
      this.absentRefs[k] = 0
    }
    return k
  }

  /** Resolves the owners of endpoint `e`: the same rules as `owners.ts`, in one pass. */
  private resolve(e: number): void {
    const node = this.endpoints.nodes[e]!
    const parents = node.parents
    const processId = first(parents[Topologies.processes])
    const p = slotIn(this.processes, processId)
    const processNode = p < 0 ? undefined : this.processes.nodes[p]
    const containerId = first(parents[Topologies.containers]) ?? first(processNode?.parents[Topologies.containers])
    const c = slotIn(this.containers, containerId)
    let podId = first(processNode?.parents[Topologies.pods])
    if (podId === undefined && c >= 0) podId = first(this.containers.nodes[c]!.parents[Topologies.pods])
    podId ??= first(parents[Topologies.pods])
    const d = slotIn(this.pods, podId)
    let hostId = first(parents[Topologies.hosts]) ?? first(processNode?.parents[Topologies.hosts])
    if (hostId === undefined) {
      const scope = endpointParts(node.id)?.scope
      if (scope !== undefined && scope !== "") hostId = scope
    }
    const h = slotIn(this.hosts, hostId)
    this.at.processes[e] = p
    this.at.containers[e] = c
    this.at.pods[e] = d
    this.at.hosts[e] = h
    // Store the owners' own id strings: renderers key their maps by them, so lookups compare pointers.
    this.pod[e] = d < 0 ? podId : this.pods.ids[d]
    this.host[e] = h < 0 ? hostId : this.hosts.ids[h]
    const pending =
      (processId !== undefined && p < 0) ||
      (containerId !== undefined && c < 0) ||
      (podId !== undefined && d < 0) ||
      (hostId !== undefined && h < 0)
    if (pending && this.pending[e] === 0) this.pendingList.push(e)
    this.pending[e] = pending ? 1 : 0
  }

  /** Drops the connections of endpoint `e` (their pool entries become garbage). */
  private release(e: number): void {
    const from = this.start[e]!
    const n = this.count[e]!
    for (let a = from; a < from + n; a++) {
      const t = this.pool[a]!
      if (t >= 0) this.refs[t]!--
      else this.absentRefs[-t - 1]!--
    }
    this.garbage += n
    this.count[e] = 0
  }

  /** Numbers the targets of endpoint `e` into the pool (in place when they fit, else at its end). */
  private encode(e: number): void {
    const adjacency = (this.endpoints.nodes[e] as Node).adjacency
    const n = adjacency.length
    const old = this.count[e]!
    this.release(e)
    let at = this.start[e]!
    if (n > old) {
      at = this.used
      this.used += n
      this.pool = ensure(this.pool, this.used)
      this.start[e] = at
    } else this.garbage -= n
    this.count[e] = n
    const slotOf = this.endpoints.slotOf
    for (let i = 0; i < n; i++) {
      const id = adjacency[i]!
      const slot = slotOf.get(id)
      if (slot !== undefined) {
        this.pool[at + i] = slot
        this.refs[slot]!++
      } else {
        const k = this.absentOf(id)
        this.pool[at + i] = -(k + 1)
        this.absentRefs[k]!++
      }
    }
  }

  /**
   * Points the connections to endpoints removed in this sync at their ids as absent ones, and connections
   * to absent ids that arrived at their slots.
   */
  private fixup(stamp: number): void {
    const E = this.endpoints
    const { start, count, pool, refs, absentRefs } = this
    const stamps = E.stamps
    for (let e = 0; e < this.size; e++) {
      const n = count[e]!
      for (let a = start[e]!; a < start[e]! + n; a++) {
        const t = pool[a]!
        if (t >= 0) {
          if (stamps[t] !== stamp || E.nodes[t] !== undefined) continue
          const k = this.absentIndex.get(E.ids[t]!)!
          refs[t]!--
          const slot = this.absentSlot[k]!
          if (slot >= 0) {
            pool[a] = slot
            refs[slot]!++
          } else {
            pool[a] = -(k + 1)
            absentRefs[k]!++
          }
        } else {
          const slot = this.absentSlot[-t - 1]!
          if (slot < 0) continue
          absentRefs[-t - 1]!--
          pool[a] = slot
          refs[slot]!++
        }
      }
    }
  }

  private compactOwner(t: number): void {
    const slots = this.owners[t]!
    const at = [this.at.processes, this.at.containers, this.at.pods, this.at.hosts][t]!
    const remap = slots.compact()
    for (let e = 0; e < this.size; e++) {
      const o = at[e]!
      if (o >= 0) at[e] = remap[o]!
    }
  }

  /** Drops endpoint holes, unused pool entries and absent ids nothing points at any more. */
  private compactEndpoints(): void {
    const E = this.endpoints
    const old = E.size
    const remap = E.compact()
    const size = E.size
    const { processes, containers, pods, hosts } = this.at
    const start = new Int32Array(this.start.length)
    const count = new Int32Array(this.count.length)
    const refs = new Int32Array(this.refs.length)
    let total = 0
    for (let e = 0; e < old; e++) if (remap[e]! >= 0) total += this.count[e]!
    const pool = new Int32Array(Math.max(1024, total))
    const absent: Array<string> = []
    const absentIndex = new Map<string, number>()
    const absentRefs: Array<number> = []
    const pendingList: Array<number> = []
    let used = 0
    for (let e = 0; e < old; e++) {
      const to = remap[e]!
      if (to < 0) continue
      processes[to] = processes[e]!
      containers[to] = containers[e]!
      pods[to] = pods[e]!
      hosts[to] = hosts[e]!
      this.pod[to] = this.pod[e]
      this.host[to] = this.host[e]
      this.pending[to] = this.pending[e]!
      if (this.pending[to] === 1) pendingList.push(to)
      const n = this.count[e]!
      const from = this.start[e]!
      start[to] = used
      count[to] = n
      for (let i = 0; i < n; i++) {
        const target = this.pool[from + i]!
        if (target >= 0) {
          const slot = remap[target]!
          pool[used++] = slot
          refs[slot]!++
        } else {
          const id = this.absent[-target - 1]!
          let k = absentIndex.get(id)
          if (k === undefined) {
            k = absent.length
            absent.push(id)
            absentIndex.set(id, k)
            absentRefs.push(0)
          }
          absentRefs[k]!++
          pool[used++] = -(k + 1)
        }
      }
    }
    this.pending.fill(0, size)
    this.pod.length = size
    this.host.length = size
    this.pendingList = pendingList
    this.start = start
    this.count = count
    this.refs = refs
    this.pool = pool
    this.used = used
    this.garbage = 0
    this.absent = absent
    this.absentIndex = absentIndex
    this.absentSlot = new Int32Array(Math.max(64, absent.length)).fill(-1)
    this.absentRefs = ensure(Int32Array.from(absentRefs), 64)
    this.absentBase = absent.length
  }
}

const tables = new WeakMap<MergedReport, Table>()

/**
 * The endpoint table of a report, brought in step with it when endpoints, processes, containers, pods or
 * hosts changed (by their `generation`). One table per report object, kept across changes.
 *
 * @since 0.1.0
 * @category internal
 */
export const endpointTable = (report: MergedReport): EndpointTable => {
  let table = tables.get(report)
  if (table === undefined || !table.sync(report)) {
    // First sight of the report, or its list of changes did not add up: build the table from scratch.
    table = new Table()
    table.sync(report)
    tables.set(report, table)
  }
  return table
}
