import { defaultMaxSamples, mergeNode } from "../../Merge.js"
import type { MergedReport, ProbeSummary, TopologyChange } from "../../MergedReport.js"
import type { NodeChange, ProbeState } from "../../ProbeState.js"
import type { Node } from "../../Report.js"

const emptyNodes: ReadonlyMap<string, Node> = new Map()

/** What applying one probe's changes did to the merged report. */
export interface MergeOutcome {
  readonly topologies: ReadonlySet<string>
  readonly changed: number
  /** Nodes that could not be added because their topology is at its cap. */
  readonly dropped: number
}

/** How many changes per topology {@link MergedStore.changes} can go back (at least). */
const changesKept = 1 << 16

/** Removes the first `n` items of `items` in place (`splice` would also build an array of the removed ones). */
const dropFront = <A>(items: Array<A>, n: number): void => {
  items.copyWithin(0, n)
  items.length -= n
}

/**
 * The recent changes to one topology, grouped by the generation they produced. Kept as ids and removal flags
 * (no object per change: every change lives until it falls out of the log, long enough to be promoted);
 * {@link ChangeLog.since} builds the `TopologyChange`s a reader asks for.
 */
class ChangeLog {
  ids: Array<string> = []
  removed: Array<boolean> = []
  /** The generation the topology was at before `ids[0]`. */
  base: number
  /** `ends[k]` is where the changes of generation `base + k + 1` end in `ids`. */
  ends: Array<number> = []

  constructor(generation: number) {
    this.base = generation
  }

  push(id: string, removed: boolean): void {
    this.ids.push(id)
    this.removed.push(removed)
  }

  /** Closes the changes of one generation, forgetting the oldest generations when there are too many. */
  close(): void {
    this.ends.push(this.ids.length)
    if (this.ids.length <= 2 * changesKept) return
    let dropped = 0
    let cut = 0
    while (dropped < this.ends.length - 1 && this.ids.length - cut > changesKept) cut = this.ends[dropped++]!
    // In place: a fresh copy of a log this long would be allocated straight into the old generation.
    dropFront(this.ids, cut)
    dropFront(this.removed, cut)
    dropFront(this.ends, dropped)
    for (let k = 0; k < this.ends.length; k++) this.ends[k] = this.ends[k]! - cut
    this.base += dropped
  }

  since(generation: number, current: number): ReadonlyArray<TopologyChange> | undefined {
    if (generation === current) return []
    if (generation < this.base || generation > current) return undefined
    const out: Array<TopologyChange> = []
    for (let i = generation === this.base ? 0 : this.ends[generation - this.base - 1]!; i < this.ids.length; i++) {
      out.push({ id: this.ids[i]!, removed: this.removed[i]! })
    }
    return out
  }
}

/**
 * The merged report kept incrementally: a node is re-merged only when a probe that reports it changes it,
 * so ingesting one probe's report costs what that report holds, not what all probes hold.
 */
export class MergedStore implements MergedReport {
  readonly topologies = new Map<string, Map<string, Node>>()
  readonly probes = new Map<string, ProbeSummary>()
  private readonly states = new Map<string, ProbeState>()
  /** Which probes report each node; a string for the common single-owner case. */
  private readonly owners = new Map<string, Map<string, string | Array<string>>>()
  private readonly generations = new Map<string, number>()
  private readonly logs = new Map<string, ChangeLog>()
  droppedTotal = 0

  constructor(
    private readonly maxNodesPerTopology: number,
    private readonly maxSamples: number = defaultMaxSamples
  ) {}

  generation(topology: string): number {
    return this.generations.get(topology) ?? 0
  }

  nodes(topology: string): ReadonlyMap<string, Node> {
    return this.topologies.get(topology) ?? emptyNodes
  }

  node(id: string, topology?: string): Node | undefined {
    if (topology !== undefined) return this.topologies.get(topology)?.get(id)
    for (const byId of this.topologies.values()) {
      const found = byId.get(id)
      if (found !== undefined) return found
    }
    return undefined
  }

  changes(topology: string, generation: number): ReadonlyArray<TopologyChange> | undefined {
    const current = this.generation(topology)
    if (generation === current) return []
    return this.logs.get(topology)?.since(generation, current)
  }

  /** The probes that report a node. */
  ownersOf(topology: string, id: string): ReadonlyArray<string> {
    const owners = this.owners.get(topology)?.get(id)
    return owners === undefined ? [] : typeof owners === "string" ? [owners] : owners
  }

  state(probeId: string): ProbeState | undefined {
    return this.states.get(probeId)
  }

  nodeCount(): number {
    let n = 0
    for (const byId of this.topologies.values()) n += byId.size
    return n
  }

  /** Replaces a probe's state and re-merges the nodes it changed. */
  apply(state: ProbeState, changes: ReadonlyArray<NodeChange>, now: number): MergeOutcome {
    this.states.set(state.probeId, state)
    this.probes.set(state.probeId, {
      probeId: state.probeId,
      hostname: state.hostname,
      seq: state.seq,
      lastSeen: now,
      reportTimestamp: state.reportTimestamp,
      intervalMs: state.intervalMs,
      nodeCount: state.nodeCount,
      health: state.health
    })
    return this.applyChanges(state.probeId, changes)
  }

  /** Forgets a probe and everything only it reported. */
  remove(probeId: string): MergeOutcome {
    const state = this.states.get(probeId)
    if (state === undefined) return { topologies: new Set(), changed: 0, dropped: 0 }
    const changes: Array<NodeChange> = []
    for (const [topology, byId] of state.topologies) {
      for (const id of byId.keys()) changes.push({ topology, id, node: undefined })
    }
    this.states.delete(probeId)
    this.probes.delete(probeId)
    return this.applyChanges(probeId, changes)
  }

  private log(topology: string): ChangeLog {
    let log = this.logs.get(topology)
    if (log === undefined) {
      log = new ChangeLog(this.generation(topology))
      this.logs.set(topology, log)
    }
    return log
  }

  private applyChanges(probeId: string, changes: ReadonlyArray<NodeChange>): MergeOutcome {
    const touched = new Set<string>()
    let dropped = 0
    for (const change of changes) {
      let owners = this.owners.get(change.topology)
      if (owners === undefined) {
        owners = new Map()
        this.owners.set(change.topology, owners)
      }
      let merged = this.topologies.get(change.topology)
      if (merged === undefined) {
        merged = new Map()
        this.topologies.set(change.topology, merged)
      }
      const current = owners.get(change.id)
      const next = change.node === undefined ? withoutOwner(current, probeId) : withOwner(current, probeId)
      if (next === undefined) {
        owners.delete(change.id)
        if (merged.delete(change.id)) {
          touched.add(change.topology)
          this.log(change.topology).push(change.id, true)
        }
        continue
      }
      if (current === undefined && merged.size >= this.maxNodesPerTopology) {
        dropped++
        continue
      }
      owners.set(change.id, next)
      const node = this.mergeOwners(change.topology, change.id, next)
      if (node !== undefined) {
        merged.set(change.id, node)
        touched.add(change.topology)
        this.log(change.topology).push(change.id, false)
      }
    }
    for (const topology of touched) {
      this.generations.set(topology, (this.generations.get(topology) ?? 0) + 1)
      this.log(topology).close()
      if (this.topologies.get(topology)?.size === 0) {
        this.topologies.delete(topology)
        this.owners.delete(topology)
      }
    }
    this.droppedTotal += dropped
    return { topologies: touched, changed: changes.length, dropped }
  }

  private mergeOwners(topology: string, id: string, owners: string | ReadonlyArray<string>): Node | undefined {
    if (typeof owners === "string") return this.states.get(owners)?.topologies.get(topology)?.get(id)
    let out: Node | undefined
    for (const owner of owners) {
      const node = this.states.get(owner)?.topologies.get(topology)?.get(id)
      if (node === undefined) continue
      out = out === undefined ? node : mergeNode(out, node, this.maxSamples)
    }
    return out
  }
}

const withOwner = (current: string | Array<string> | undefined, probeId: string): string | Array<string> => {
  if (current === undefined || current === probeId) return probeId
  if (typeof current === "string") return [current, probeId].sort()
  return current.includes(probeId) ? current : [...current, probeId].sort()
}

const withoutOwner = (
  current: string | Array<string> | undefined,
  probeId: string
): string | Array<string> | undefined => {
  if (current === undefined || current === probeId) return undefined
  if (typeof current === "string") return current
  const rest = current.filter((owner) => owner !== probeId)
  return rest.length === 1 ? rest[0] : rest
}
