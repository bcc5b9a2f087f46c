import * as ProbeState from "../../ProbeState.js"
import type { Node, Report } from "../../Report.js"
import { sameRecord, sameStrings } from "../report/equality.js"

// The aggregator's own way to apply a report: like `ProbeState.apply`, except that a delta patches the
// probe's state (the object and its node maps) in place instead of copying the maps. `ProbeState.apply` copies every map a delta touches so
// that a caller holding the previous state sees a stable value; the aggregator holds each state alone, and at
// 1,000 probes that copy (~18 KB of map tables per delta, kept until the probe's next delta 15 s later, so
// promoted to the old generation) was a quarter of the old-generation garbage of steady ingest.
//
// A node a delta replaces is a new object (readers such as the views' caches tell changed nodes by identity),
// but what it is made of is reused where it can be:
// - the parts of the previous node that did not change (parents, sets, labels, adjacency, controls) are shared:
//   they are never written over, so sharing equal ones is invisible;
// - its `latest` and `metrics` are written over the previous node's when they have the same fields (a delta
//   typically moves values and timestamps, not fields). Only objects the app owns are written over: those of
//   reports the app parsed itself (see `adopt`), or copies the aggregator made of a caller's report the first
//   time one of its nodes was replaced (a caller's objects are never modified).
// Parsed anew from every report, these objects would otherwise be promoted with the node and left as garbage
// by the probe's next delta (~25 KB per delta at 1,000 probes).

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type MutableState = Mutable<ProbeState.ProbeState>
type Samples = Node["metrics"][string]

/** Node objects whose `latest` and `metrics` (records, values, samples) the aggregator made and may rewrite. */
const owned = new WeakSet<Node>()

/** Reports the app parsed itself: their objects are the app's to keep and rewrite. */
const adopted = new WeakSet<Report>()

/**
 * States (by their node maps, which a delta patches in place) all of whose nodes came from adopted reports or
 * were made by the aggregator: any of their nodes' `latest` and `metrics` may be rewritten.
 */
const ownedStates = new WeakSet<ProbeState.ProbeState["topologies"]>()

/**
 * Marks a report that the app has just parsed from a request body and that nobody else holds: the aggregator
 * may keep its objects and later write new values over them. Returns the report.
 */
export const adopt = (report: Report): Report => {
  adopted.add(report)
  return report
}

const isEmpty = (record: object): boolean => {
  for (const _ in record) return false
  return true
}

/** Whether two records have the same keys in the same order. */
const sameKeys = (a: object, b: object): boolean => {
  const keys = Object.keys(b)
  let i = 0
  for (const key in a) if (keys[i++] !== key) return false
  return i === keys.length
}

const sameLatestValue = (a: Node["labels"][string], b: Node["labels"][string]): boolean =>
  a.value === b.value && a.timestamp === b.timestamp

const ownLatest = (source: Node["latest"]): Node["latest"] => {
  if (isEmpty(source)) return source
  const out: Record<string, { value: string; timestamp: number }> = {}
  for (const key in source) out[key] = { value: source[key]!.value, timestamp: source[key]!.timestamp }
  return out
}

/** Writes `source`'s values over `target`'s (same keys, in order), which the aggregator owns. */
const overwriteLatest = (target: Node["latest"], source: Node["latest"]): Node["latest"] => {
  for (const key in source) {
    const into = target[key] as Mutable<Node["latest"][string]>
    const from = source[key]!
    into.value = from.value
    into.timestamp = from.timestamp
  }
  return target
}

const ownMetrics = (source: Node["metrics"]): Node["metrics"] => {
  if (isEmpty(source)) return source
  const out: Record<string, Samples> = {}
  for (const key in source) out[key] = source[key]!.map(([t, v]) => [t, v] as const)
  return out
}

const sameShape = (a: Node["metrics"], b: Node["metrics"]): boolean => {
  if (!sameKeys(a, b)) return false
  for (const key in a) if (a[key]!.length !== b[key]!.length) return false
  return true
}

/** Writes `source`'s samples over `target`'s (same metrics, same lengths), which the aggregator owns. */
const overwriteMetrics = (target: Node["metrics"], source: Node["metrics"]): Node["metrics"] => {
  for (const key in source) {
    const into = target[key]!
    const from = source[key]!
    for (let i = 0; i < from.length; i++) {
      const sample = into[i] as unknown as Array<number>
      sample[0] = from[i]![0]
      sample[1] = from[i]![1]
    }
  }
  return target
}

/**
 * The node to keep when a delta replaces `previous` (same id and topology) with `next`: a new object equal to
 * `next`, made of `previous`'s parts where they are equal and of `previous`'s own `latest` and `metrics`
 * rewritten in place where they have the same fields. Never modifies `next`, nor any object the app does
 * not own. With `allOwned` (both nodes come from adopted reports) `previous`'s records are rewritten and
 * `next`'s kept without copies; otherwise only records this function made are rewritten, and `next`'s are
 * copied when taken.
 *
 * **Gotchas**: a node object replaced this way no longer describes what it did: whoever keeps node objects
 * across deltas (beyond identity) must copy them.
 */
export const replaceNode = (previous: Node, next: Node, allOwned = false): Node => {
  const mine = allOwned || owned.has(previous)
  /** `previous`'s record rewritten when it may and can be, else `next`'s (copied unless the app owns it). */
  const values = <A extends object>(
    before: A,
    after: A,
    fits: (a: A, b: A) => boolean,
    overwrite: (into: A, from: A) => A,
    copy: (a: A) => A
  ): A => (mine && fits(before, after) ? overwrite(before, after) : allOwned ? after : copy(after))
  const node: Node = {
    id: next.id,
    topology: next.topology,
    latest: values(previous.latest, next.latest, sameKeys, overwriteLatest, ownLatest),
    labels: sameRecord(next.labels, previous.labels, sameLatestValue) ? previous.labels : next.labels,
    sets: sameRecord(next.sets, previous.sets, sameStrings) ? previous.sets : next.sets,
    metrics: values(previous.metrics, next.metrics, sameShape, overwriteMetrics, ownMetrics),
    parents: sameRecord(next.parents, previous.parents, sameStrings) ? previous.parents : next.parents,
    adjacency: sameStrings(next.adjacency, previous.adjacency) ? previous.adjacency : next.adjacency,
    controls: sameStrings(next.controls, previous.controls) ? previous.controls : next.controls
  }
  if (!allOwned) owned.add(node)
  return node
}

const patch = (previous: ProbeState.ProbeState, report: Report): ProbeState.ApplyResult => {
  // The maps of a state the aggregator holds are its own (`ProbeState.apply` builds them for a full report).
  const topologies = previous.topologies as Map<string, Map<string, Node>>
  let allOwned = ownedStates.has(topologies)
  if (allOwned && !adopted.has(report)) {
    // A caller's nodes join the state: from now on only nodes the aggregator made are rewritten.
    ownedStates.delete(topologies)
    allOwned = false
  }
  const changes: Array<ProbeState.NodeChange> = []
  let nodeCount = previous.nodeCount
  for (const topology in report.topologies) {
    const delta = report.topologies[topology]!
    let byId = topologies.get(topology)
    if (byId === undefined) {
      byId = new Map()
      topologies.set(topology, byId)
    }
    for (const id of delta.removed ?? []) {
      if (byId.delete(id)) {
        nodeCount--
        changes.push({ topology, id, node: undefined })
      }
    }
    for (const id in delta.nodes) {
      const before = byId.get(id)
      const node = before === undefined ? delta.nodes[id]! : replaceNode(before, delta.nodes[id]!, allOwned)
      if (before === undefined) nodeCount++
      byId.set(id, node)
      changes.push({ topology, id, node })
    }
    if (byId.size === 0) topologies.delete(topology)
  }
  // The state object is the aggregator's too: updated like its maps (its `probeId` is the report's).
  const state = previous as MutableState
  Object.assign(state, {
    hostname: report.hostname,
    seq: report.seq,
    reportTimestamp: report.timestamp,
    intervalMs: report.intervalMs,
    health: report.health ?? [],
    nodeCount
  })
  return { _tag: "Applied", state, changes }
}

/**
 * Applies a report to a probe's state the way `ProbeState.apply` does (same results, same changes), but a
 * delta that follows the state patches the state's maps in place: the previous state is used up.
 *
 * **Gotchas**: only for states that nobody else holds (the aggregator's own); a full report, a duplicate or
 * a gap goes through `ProbeState.apply` unchanged.
 */
export const applyInPlace = (previous: ProbeState.ProbeState | undefined, report: Report): ProbeState.ApplyResult => {
  if (report.kind === "delta" && previous !== undefined && report.seq === previous.seq + 1) {
    return patch(previous, report)
  }
  const result = ProbeState.apply(previous, report)
  if (result._tag === "Applied" && adopted.has(report)) ownedStates.add(result.state.topologies)
  return result
}
