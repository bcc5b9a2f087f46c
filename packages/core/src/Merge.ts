/**
 * Merge rules for reports from many probes. Every function here is pure and the merge is associative,
 * commutative and idempotent (on canonical values: sets sorted, samples ordered by time), so the order in
 * which reports arrive never changes the result:
 *
 * - latest-value fields and labels: the newer timestamp wins; on a tie the greater value wins;
 * - sets, parents, adjacency and controls: union (sorted);
 * - metric samples: union by timestamp (the greater value on a tie), keeping the newest `maxSamples`.
 *
 * @since 0.1.0
 */
import type { LatestMap, LatestValue, Node, Sample } from "./Report.js"

/**
 * How many samples per metric a merged node keeps by default.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxSamples = 120

/**
 * Nodes of every topology, keyed by topology name then node id: the shape of a merged report.
 *
 * @since 0.1.0
 * @category models
 */
export type NodesByTopology = Readonly<Record<string, Readonly<Record<string, Node>>>>

const pickLatest = (a: LatestValue, b: LatestValue): LatestValue => {
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp ? a : b
  return a.value >= b.value ? a : b
}

/**
 * Merges two latest-value maps field by field.
 *
 * @since 0.1.0
 * @category merging
 */
export const mergeLatest = (a: LatestMap, b: LatestMap): LatestMap => {
  if (a === b) return a
  const out: Record<string, LatestValue> = { ...a }
  for (const key in b) {
    const theirs = b[key]!
    const ours = out[key]
    out[key] = ours === undefined ? theirs : pickLatest(ours, theirs)
  }
  return out
}

/**
 * The sorted union of two string lists, without duplicates.
 *
 * @since 0.1.0
 * @category merging
 */
export const unionSorted = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): ReadonlyArray<string> => {
  if (a === b) return canonicalSet(a)
  return canonicalSet([...a, ...b])
}

/**
 * A string list sorted and without duplicates: the canonical form of a set.
 *
 * @since 0.1.0
 * @category merging
 */
export const canonicalSet = (a: ReadonlyArray<string>): ReadonlyArray<string> => {
  const sorted = [...new Set(a)].sort()
  return sorted
}

/**
 * Merges two records of sets key by key.
 *
 * @since 0.1.0
 * @category merging
 */
export const mergeSetMap = (
  a: Readonly<Record<string, ReadonlyArray<string>>>,
  b: Readonly<Record<string, ReadonlyArray<string>>>
): Record<string, ReadonlyArray<string>> => {
  const out: Record<string, ReadonlyArray<string>> = {}
  for (const key in a) out[key] = key in b ? unionSorted(a[key]!, b[key]!) : canonicalSet(a[key]!)
  for (const key in b) if (!(key in a)) out[key] = canonicalSet(b[key]!)
  return out
}

/**
 * Merges two sample lists by timestamp, keeping the newest `maxSamples`.
 *
 * @since 0.1.0
 * @category merging
 */
export const mergeSamples = (
  a: ReadonlyArray<Sample>,
  b: ReadonlyArray<Sample>,
  maxSamples: number = defaultMaxSamples
): ReadonlyArray<Sample> => {
  const out: Array<Sample> = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    const x = a[i]
    const y = b[j]
    let next: Sample
    if (y === undefined || (x !== undefined && x[0] < y[0])) {
      next = x!
      i++
    } else if (x === undefined || y[0] < x[0]) {
      next = y
      j++
    } else {
      next = x[1] >= y[1] ? x : y
      i++
      j++
    }
    const prev = out[out.length - 1]
    if (prev !== undefined && prev[0] === next[0]) {
      if (next[1] > prev[1]) out[out.length - 1] = next
    } else {
      out.push(next)
    }
  }
  return out.length > maxSamples ? out.slice(out.length - maxSamples) : out
}

/**
 * Merges two metric maps metric by metric.
 *
 * @since 0.1.0
 * @category merging
 */
export const mergeMetrics = (
  a: Node["metrics"],
  b: Node["metrics"],
  maxSamples: number = defaultMaxSamples
): Record<string, ReadonlyArray<Sample>> => {
  const out: Record<string, ReadonlyArray<Sample>> = {}
  for (const key in a) out[key] = mergeSamples(a[key]!, b[key] ?? [], maxSamples)
  for (const key in b) if (!(key in a)) out[key] = mergeSamples([], b[key]!, maxSamples)
  return out
}

/**
 * Merges two views of the same node (same id and topology).
 *
 * @since 0.1.0
 * @category merging
 */
export const mergeNode = (a: Node, b: Node, maxSamples: number = defaultMaxSamples): Node => ({
  id: a.id,
  topology: a.topology,
  latest: mergeLatest(a.latest, b.latest),
  labels: mergeLatest(a.labels, b.labels),
  sets: mergeSetMap(a.sets, b.sets),
  metrics: mergeMetrics(a.metrics, b.metrics, maxSamples),
  parents: mergeSetMap(a.parents, b.parents),
  adjacency: unionSorted(a.adjacency, b.adjacency),
  controls: unionSorted(a.controls, b.controls)
})

/**
 * Brings a node into canonical form (sets sorted and unique, samples ordered and capped), the form that
 * {@link mergeNode} returns. `mergeNode(a, a)` equals `canonicalNode(a)`.
 *
 * @since 0.1.0
 * @category merging
 */
export const canonicalNode = (a: Node, maxSamples: number = defaultMaxSamples): Node => ({
  ...mergeNode(a, { ...a, metrics: {} }, maxSamples)
})

/**
 * Merges the nodes of two topology maps.
 *
 * @since 0.1.0
 * @category merging
 */
export const mergeTopology = (
  a: Readonly<Record<string, Node>>,
  b: Readonly<Record<string, Node>>,
  maxSamples: number = defaultMaxSamples
): Record<string, Node> => {
  const out: Record<string, Node> = { ...a }
  for (const id in b) {
    const ours = out[id]
    out[id] = ours === undefined ? b[id]! : mergeNode(ours, b[id]!, maxSamples)
  }
  return out
}

/**
 * Merges two reports' nodes, topology by topology.
 *
 * @since 0.1.0
 * @category merging
 */
export const mergeNodesByTopology = (
  a: NodesByTopology,
  b: NodesByTopology,
  maxSamples: number = defaultMaxSamples
): Record<string, Record<string, Node>> => {
  const out: Record<string, Record<string, Node>> = { ...a }
  for (const topology in b) {
    const ours = out[topology]
    out[topology] = ours === undefined ? { ...b[topology]! } : mergeTopology(ours, b[topology]!, maxSamples)
  }
  return out
}
