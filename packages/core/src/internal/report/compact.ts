import type { Report } from "../../Report.js"

// Shrinks a freshly parsed report in place before the app keeps it. Two kinds of waste dominate the heap of
// an app holding 1,000 probes (measured with heap snapshots, see docs/benchmarks.md): equal strings held as
// separate copies (node ids in adjacency and parents, repeated `latest` values, each parsed again from every
// report) and empty `{}` records for sets, labels, metrics and parents. Equal strings become one shared copy
// through a bounded intern table; empty records and arrays become one frozen shared instance.
//
// Only for objects the app owns (a body it parsed itself): a caller's objects are never rewritten.

const emptyRecord: Readonly<Record<string, never>> = Object.freeze({})
const emptyArray: ReadonlyArray<never> = Object.freeze([])

/** Strings longer than this are rarely repeated (command lines, environment dumps): not interned. */
const maxInternedLength = 160

/**
 * A bounded table of shared strings. When it holds `capacity` strings it starts over: strings already
 * shared stay shared, new ones are shared from then on, and memory stays bounded whatever probes send.
 */
export class StringInterner {
  private table = new Map<string, string>()
  constructor(private readonly capacity: number = 1_000_000) {}

  /** The shared copy of `s`. */
  intern(s: string): string {
    if (s.length > maxInternedLength) return s
    const shared = this.table.get(s)
    if (shared !== undefined) return shared
    if (this.table.size >= this.capacity) this.table = new Map()
    this.table.set(s, s)
    return s
  }

  /** How many strings the table holds now. */
  get size(): number {
    return this.table.size
  }
}

const isEmpty = (record: object): boolean => {
  for (const _ in record) return false
  return true
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type MutableRecord = Record<string, unknown>

const internArray = (values: ReadonlyArray<string>, interner: StringInterner): ReadonlyArray<string> => {
  if (values.length === 0) return emptyArray
  const mutable = values as Array<string>
  for (let i = 0; i < mutable.length; i++) mutable[i] = interner.intern(mutable[i]!)
  return values
}

const compactSetMap = <T extends Readonly<Record<string, ReadonlyArray<string>>>>(
  map: T,
  interner: StringInterner
): T => {
  if (isEmpty(map)) return emptyRecord as T
  const mutable = map as MutableRecord
  for (const key in map) mutable[key] = internArray(map[key]!, interner)
  return map
}

const compactLatest = <T extends Readonly<Record<string, { readonly value: string }>>>(
  map: T,
  interner: StringInterner
): T => {
  if (isEmpty(map)) return emptyRecord as T
  for (const key in map) {
    const entry = map[key] as Mutable<{ value: string }>
    entry.value = interner.intern(entry.value)
  }
  return map
}

/**
 * Shares equal strings and empty records of a report the caller has just parsed and owns.
 * The report stays equal (deeply) to what it was.
 */
export const compactReport = (report: Report, interner: StringInterner): Report => {
  for (const topologyName in report.topologies) {
    const topology = report.topologies[topologyName]!
    const nodes = topology.nodes
    for (const id in nodes) {
      const node = nodes[id] as Mutable<(typeof nodes)[string]>
      // The record key is already a V8-internalized string, shared by every report naming this node.
      if (node.id === id) node.id = id
      node.topology = interner.intern(node.topology)
      node.latest = compactLatest(node.latest, interner)
      node.labels = compactLatest(node.labels, interner)
      node.sets = compactSetMap(node.sets, interner)
      node.parents = compactSetMap(node.parents, interner)
      if (isEmpty(node.metrics)) node.metrics = emptyRecord
      node.adjacency = internArray(node.adjacency, interner)
      node.controls = internArray(node.controls, interner)
    }
    if (topology.removed !== undefined) internArray(topology.removed, interner)
  }
  return report
}
