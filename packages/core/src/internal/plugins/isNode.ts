/**
 * A check that a collector's value is a report `Node`, without the allocations of `Schema.is(Node)` (which were
 * most of a probe's garbage per report and ~20% of its CPU): a structural walk that accepts only what the
 * Schema accepts; anything it does not accept is left to the Schema, which also describes what is wrong.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Node } from "../../Report.js"

const isPlainRecord = (value: unknown): value is { readonly [key: string]: unknown } =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const isStringArray = (value: unknown): boolean => {
  if (!Array.isArray(value)) return false
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== "string") return false
  return true
}

const isLatestMap = (value: unknown): boolean => {
  if (!isPlainRecord(value)) return false
  for (const key of Object.keys(value)) {
    const entry = value[key]
    if (!isPlainRecord(entry) || typeof entry.value !== "string" || !Number.isFinite(entry.timestamp)) return false
  }
  return true
}

const isListMap = (value: unknown): boolean => {
  if (!isPlainRecord(value)) return false
  for (const key of Object.keys(value)) if (!isStringArray(value[key])) return false
  return true
}

const isMetrics = (value: unknown): boolean => {
  if (!isPlainRecord(value)) return false
  for (const key of Object.keys(value)) {
    const samples = value[key]
    if (!Array.isArray(samples)) return false
    for (let i = 0; i < samples.length; i++) {
      const sample: unknown = samples[i]
      if (!Array.isArray(sample) || sample.length !== 2 || !Number.isFinite(sample[0]) || !Number.isFinite(sample[1]))
        return false
    }
  }
  return true
}

/**
 * The structural walk alone: `true` only for values `Schema.is(Node)` also accepts (`false` says nothing).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isNodeStructurally = (value: unknown): value is Node =>
  isPlainRecord(value) &&
  typeof value.id === "string" &&
  typeof value.topology === "string" &&
  isLatestMap(value.latest) &&
  isLatestMap(value.labels) &&
  isListMap(value.sets) &&
  isMetrics(value.metrics) &&
  isListMap(value.parents) &&
  isStringArray(value.adjacency) &&
  isStringArray(value.controls)

const isSchemaNode = Schema.is(Node)

/**
 * Whether `value` is a `Node`: the structural walk first, the Schema for the rest.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isNode = (value: unknown): value is Node => isNodeStructurally(value) || isSchemaNode(value)
