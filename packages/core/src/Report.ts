/**
 * The report model: what a probe sends and what the app merges. Defined once as Effect Schemas and shared by
 * the probe (encoder) and the app (decoder), so decoding is validation and its errors name the field path.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The report format version this library writes. The app accepts every version listed in
 * {@link supportedVersions}, so older probes keep working after an upgrade.
 *
 * @since 0.1.0
 * @category constants
 */
export const currentVersion = 1

/**
 * Report format versions the app decodes.
 *
 * @since 0.1.0
 * @category constants
 */
export const supportedVersions = [1] as const

const Timestamp = Schema.Finite.annotate({ description: "Milliseconds since the Unix epoch" })

/**
 * A field value with the time it was observed. When two probes report the same field, the newer one wins.
 *
 * @since 0.1.0
 * @category models
 */
export const LatestValue = Schema.Struct({
  value: Schema.String,
  timestamp: Timestamp
})

/**
 * @since 0.1.0
 * @category models
 */
export type LatestValue = typeof LatestValue.Type

/**
 * Named latest-value fields, e.g. `{ name: { value: "web", timestamp } }`.
 *
 * @since 0.1.0
 * @category models
 */
export const LatestMap = Schema.Record(Schema.String, LatestValue)

/**
 * @since 0.1.0
 * @category models
 */
export type LatestMap = typeof LatestMap.Type

/**
 * A metric sample: `[timestamp, value]`.
 *
 * @since 0.1.0
 * @category models
 */
export const Sample = Schema.Tuple([Timestamp, Schema.Finite])

/**
 * @since 0.1.0
 * @category models
 */
export type Sample = typeof Sample.Type

/**
 * Samples of one metric, oldest first. Units follow the metric name: `cpu` is percent (of one core for
 * processes and containers, of total capacity for hosts),
 * `memory` bytes, `*_bytes_per_second` bytes per second, `connections` a count.
 *
 * @since 0.1.0
 * @category models
 */
export const Samples = Schema.Array(Sample)

/**
 * A node in one topology of a report.
 *
 * - `latest`: scalar fields (name, state, image, command line...), newest wins per field.
 * - `labels`: key/value labels (Docker and Kubernetes labels), newest wins per key.
 * - `sets`: string sets (IPs, ports, mounts), merged by union.
 * - `metrics`: time-stamped samples per metric, merged by time.
 * - `parents`: ids of parent nodes per topology (a process's container and host), merged by union.
 * - `adjacency`: ids of nodes in the same topology this node connects to, directed from the side that
 *   opened the connection to the side that accepted it; merged by union.
 * - `controls`: ids of the controls the probe offers on this node (e.g. `docker.stop`).
 *
 * @since 0.1.0
 * @category models
 */
export const Node = Schema.Struct({
  id: Schema.String,
  topology: Schema.String,
  latest: LatestMap,
  labels: LatestMap,
  sets: Schema.Record(Schema.String, Schema.Array(Schema.String)),
  metrics: Schema.Record(Schema.String, Samples),
  parents: Schema.Record(Schema.String, Schema.Array(Schema.String)),
  adjacency: Schema.Array(Schema.String),
  controls: Schema.Array(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Node = typeof Node.Type

/**
 * The nodes of one topology, keyed by node id. In a delta, `removed` lists tombstones: ids of nodes that are
 * gone since the previous report.
 *
 * @since 0.1.0
 * @category models
 */
export const TopologyNodes = Schema.Struct({
  nodes: Schema.Record(Schema.String, Node),
  removed: Schema.optionalKey(Schema.Array(Schema.String))
})

/**
 * @since 0.1.0
 * @category models
 */
export type TopologyNodes = typeof TopologyNodes.Type

/**
 * The health of one collector or plugin in the probe that sent the report.
 *
 * @since 0.1.0
 * @category models
 */
export const ProbeHealth = Schema.Struct({
  name: Schema.String,
  status: Schema.Literals(["ok", "degraded", "failed", "disabled"]),
  message: Schema.optionalKey(Schema.String),
  durationMs: Schema.optionalKey(Schema.Finite),
  timestamp: Timestamp
})

/**
 * @since 0.1.0
 * @category models
 */
export type ProbeHealth = typeof ProbeHealth.Type

/**
 * A report from one probe, version 1.
 *
 * `kind: "full"` replaces everything the app holds for the probe; `kind: "delta"` patches it and must carry
 * `seq` one greater than the last report the app accepted from that probe (see `ProbeState`).
 *
 * @since 0.1.0
 * @category models
 */
export const Report = Schema.Struct({
  version: Schema.Literals(supportedVersions),
  probeId: Schema.String.check(Schema.isMinLength(1)),
  hostname: Schema.String,
  kind: Schema.Literals(["full", "delta"]),
  seq: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  timestamp: Timestamp,
  intervalMs: Schema.optionalKey(Schema.Finite),
  topologies: Schema.Record(Schema.String, TopologyNodes),
  health: Schema.optionalKey(Schema.Array(ProbeHealth))
})

/**
 * @since 0.1.0
 * @category models
 */
export type Report = typeof Report.Type

/**
 * Builds an empty node with the given id and topology, for collectors to fill.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeNode = (topology: string, id: string, fields: Partial<Omit<Node, "id" | "topology">> = {}): Node => ({
  id,
  topology,
  latest: fields.latest ?? {},
  labels: fields.labels ?? {},
  sets: fields.sets ?? {},
  metrics: fields.metrics ?? {},
  parents: fields.parents ?? {},
  adjacency: fields.adjacency ?? [],
  controls: fields.controls ?? []
})

/**
 * Builds latest-value fields that share one timestamp from a plain record.
 *
 * @since 0.1.0
 * @category constructors
 */
export const latestFields = (timestamp: number, values: Record<string, string | number | undefined>): LatestMap => {
  const out: Record<string, LatestValue> = {}
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) out[key] = { value: String(value), timestamp }
  }
  return out
}

/**
 * Reads a latest-value field, or `undefined`.
 *
 * @since 0.1.0
 * @category getters
 */
export const latest = (node: Node, key: string): string | undefined => node.latest[key]?.value

/**
 * The latest sample of a metric, or `undefined`.
 *
 * @since 0.1.0
 * @category getters
 */
export const lastSample = (node: Node, metric: string): number | undefined => {
  const samples = node.metrics[metric]
  return samples && samples.length > 0 ? samples[samples.length - 1]![1] : undefined
}

/**
 * Decodes an unknown value (parsed JSON) into a report; fails with a `SchemaError` naming the field path.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = Schema.decodeUnknownEffect(Report)

/**
 * Decodes synchronously, throwing a `SchemaError` naming the field path.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeSync = Schema.decodeUnknownSync(Report)

/**
 * Checks what the Schema cannot: that every node sits under its own id and topology. Returns a message
 * naming the first offending path, or `undefined` when the report is consistent.
 *
 * @since 0.1.0
 * @category decoding
 */
export const inconsistency = (report: Report): string | undefined => {
  for (const topology in report.topologies) {
    const nodes = report.topologies[topology]!.nodes
    for (const id in nodes) {
      const node = nodes[id]!
      const at = `at ["topologies"]["${topology}"]["nodes"]["${id}"]`
      if (node.id !== id) return `node id "${node.id}" differs from its key ${at}`
      if (node.topology !== topology) return `node topology "${node.topology}" differs from its topology ${at}`
    }
  }
  return undefined
}
