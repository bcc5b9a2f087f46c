import type { Report } from "../../Report.js"

// A structural check equivalent to the `Report` Schema, for the ingest hot path: it allocates nothing and lets
// the app keep the parsed objects instead of the copies a Schema decode builds (about a third less heap at
// 1,000 probes). It must accept exactly what the Schema accepts; a property test holds the two together.
// When it says no, the caller runs the Schema decode for an error that names the field path.

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const isFiniteNumber = (u: unknown): u is number => typeof u === "number" && Number.isFinite(u)

const isStringArray = (u: unknown): boolean => {
  if (!Array.isArray(u)) return false
  for (const s of u) if (typeof s !== "string") return false
  return true
}

const isLatestMap = (u: unknown): boolean => {
  if (!isRecord(u)) return false
  for (const key in u) {
    const v = u[key]
    if (!isRecord(v) || typeof v.value !== "string" || !isFiniteNumber(v.timestamp)) return false
  }
  return true
}

const isSetMap = (u: unknown): boolean => {
  if (!isRecord(u)) return false
  for (const key in u) if (!isStringArray(u[key])) return false
  return true
}

const isMetrics = (u: unknown): boolean => {
  if (!isRecord(u)) return false
  for (const key in u) {
    const samples = u[key]
    if (!Array.isArray(samples)) return false
    for (const sample of samples) {
      if (!Array.isArray(sample) || sample.length !== 2 || !isFiniteNumber(sample[0]) || !isFiniteNumber(sample[1])) {
        return false
      }
    }
  }
  return true
}

const isNode = (u: unknown): boolean =>
  isRecord(u) &&
  typeof u.id === "string" &&
  typeof u.topology === "string" &&
  isLatestMap(u.latest) &&
  isLatestMap(u.labels) &&
  isSetMap(u.sets) &&
  isMetrics(u.metrics) &&
  isSetMap(u.parents) &&
  isStringArray(u.adjacency) &&
  isStringArray(u.controls)

const isHealth = (u: unknown): boolean =>
  isRecord(u) &&
  typeof u.name === "string" &&
  (u.status === "ok" || u.status === "degraded" || u.status === "failed" || u.status === "disabled") &&
  (!("message" in u) || typeof u.message === "string") &&
  (!("durationMs" in u) || isFiniteNumber(u.durationMs)) &&
  isFiniteNumber(u.timestamp)

/** Whether a parsed JSON value is a valid report, exactly as the `Report` Schema decides. */
export const isReport = (u: unknown): u is Report => {
  if (!isRecord(u)) return false
  if (u.version !== 1) return false
  if (typeof u.probeId !== "string" || u.probeId.length < 1) return false
  if (typeof u.hostname !== "string") return false
  if (u.kind !== "full" && u.kind !== "delta") return false
  if (typeof u.seq !== "number" || !Number.isInteger(u.seq) || u.seq < 0) return false
  if (!isFiniteNumber(u.timestamp)) return false
  if ("intervalMs" in u && !isFiniteNumber(u.intervalMs)) return false
  if ("health" in u) {
    if (!Array.isArray(u.health)) return false
    for (const h of u.health) if (!isHealth(h)) return false
  }
  const topologies = u.topologies
  if (!isRecord(topologies)) return false
  for (const name in topologies) {
    const topology = topologies[name]
    if (!isRecord(topology) || !isRecord(topology.nodes)) return false
    if ("removed" in topology && !isStringArray(topology.removed)) return false
    const nodes = topology.nodes
    for (const id in nodes) if (!isNode(nodes[id])) return false
  }
  return true
}
