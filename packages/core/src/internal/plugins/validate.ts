/**
 * Cheap validation of what hooks return: a valid result passes through untouched (no copy); an invalid part
 * is dropped (or replaced by the input it came from) and described with its path.
 */
import { Cause, Exit, Predicate, Schema, SchemaIssue } from "effect"
import type { NodesByTopology } from "../../Merge.js"
import { Panel } from "../../NodeDetails.js"
import type { ReportFragment } from "../../Plugin.js"
import { Node, ProbeHealth } from "../../Report.js"
import { isNode } from "./isNode.js"

const identifier = /^[A-Za-z_$][\w$]*$/

/** Formats a path the way JavaScript would write it: `servers[0].host`, `nodes[";10.0.0.7;80"]`. */
export const formatPath = (path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>): string => {
  let out = ""
  for (const part of path) {
    const segment = typeof part === "object" ? part.key : part
    if (typeof segment === "number") out += `[${segment}]`
    else if (typeof segment === "string" && identifier.test(segment)) out += out === "" ? segment : `.${segment}`
    else out += `[${JSON.stringify(String(segment))}]`
  }
  return out
}

const standard = SchemaIssue.makeFormatterStandardSchemaV1()

/** The first issue of a failed decode, as a path and a message. */
export const firstIssue = (
  cause: Cause.Cause<Schema.SchemaError>,
  prefix: ReadonlyArray<PropertyKey> = []
): { readonly path: string; readonly message: string } => {
  const error = Cause.findErrorOption(cause)
  if (error._tag === "None") return { path: formatPath(prefix), message: Cause.pretty(cause) }
  const issue = standard(error.value.issue).issues[0]
  return {
    path: formatPath([...prefix, ...(issue?.path ?? [])]),
    message: issue?.message ?? error.value.message
  }
}

/** A short description of an unexpected value for messages. */
export const describeValue = (value: unknown): string => {
  if (value === null) return "null"
  if (Array.isArray(value)) return "an array"
  if (typeof value === "object") return "an object"
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  return typeof value === "function" ? "a function" : String(value)
}

const decodeNode = Schema.decodeUnknownExit(Node)
const isHealth = Schema.is(ProbeHealth)
const decodeHealth = Schema.decodeUnknownExit(ProbeHealth)
const isPanel = Schema.is(Panel)
const panelTypes: ReadonlyArray<unknown> = Panel.members.map((member) => member.fields.type.literal)

const problemOf = <A>(
  exit: Exit.Exit<A, Schema.SchemaError>,
  prefix: ReadonlyArray<PropertyKey>,
  fallback: string
): string => {
  if (Exit.isSuccess(exit)) return `${formatPath(prefix)}: ${fallback}`
  const { message, path } = firstIssue(exit.cause, prefix)
  return `${path}: ${message}`
}

/** A checked fragment: its valid parts and what was wrong with the rest. */
export interface CheckedFragment {
  readonly fragment: ReportFragment
  readonly problems: ReadonlyArray<string>
}

const nodeProblem = (value: unknown, topology: string, id: string): string | undefined => {
  const path = ["topologies", topology, id]
  if (!isNode(value)) return problemOf(decodeNode(value), path, "not a node")
  if (value.topology !== topology)
    return `${formatPath([...path, "topology"])}: expected "${topology}", got "${value.topology}"`
  if (value.id !== id) return `${formatPath([...path, "id"])}: expected "${id}", got "${value.id}"`
  return undefined
}

/**
 * Checks a hook's fragment. Returns a message when it is not a fragment at all; otherwise the fragment with
 * invalid nodes and health entries dropped, or replaced by the same node of `previous` (a tagger's input).
 * A valid fragment's topologies are returned as they are, without a copy.
 */
export const checkFragment = (value: unknown, previous?: NodesByTopology): CheckedFragment | string => {
  if (!Predicate.isObject(value) || !Predicate.isObject(value.topologies)) {
    const got = Predicate.isObject(value) ? `topologies: ${describeValue(value.topologies)}` : describeValue(value)
    return `expected { topologies: { [topology]: { [id]: Node } } }, got ${got}`
  }
  const raw = value.topologies
  const problems: Array<string> = []
  const badTopologies = new Set<string>()
  const badNodes: Array<readonly [string, string]> = []
  for (const topology in raw) {
    const nodes = raw[topology]
    if (!Predicate.isObject(nodes)) {
      problems.push(`${formatPath(["topologies", topology])}: expected { [id]: Node }, got ${describeValue(nodes)}`)
      badTopologies.add(topology)
      continue
    }
    for (const id in nodes) {
      const problem = nodeProblem(nodes[id], topology, id)
      if (problem === undefined) continue
      problems.push(problem)
      badNodes.push([topology, id])
    }
  }
  const topologies = problems.length === 0 ? (raw as NodesByTopology) : repair(raw, badTopologies, badNodes, previous)
  const health = checkHealth(value.health, problems)
  return { fragment: health === undefined ? { topologies } : { topologies, health }, problems }
}

const repair = (
  raw: { readonly [x: PropertyKey]: unknown },
  badTopologies: ReadonlySet<string>,
  badNodes: ReadonlyArray<readonly [string, string]>,
  previous: NodesByTopology | undefined
): NodesByTopology => {
  const out: Record<string, Record<string, Node>> = {}
  for (const topology in raw) {
    if (badTopologies.has(topology)) {
      const kept = previous?.[topology]
      if (kept !== undefined) out[topology] = { ...kept }
    } else {
      out[topology] = { ...(raw[topology] as Record<string, Node>) }
    }
  }
  for (const [topology, id] of badNodes) {
    const byId = out[topology]!
    const kept = previous?.[topology]?.[id]
    if (kept !== undefined) byId[id] = kept
    else delete byId[id]
  }
  return out
}

const checkHealth = (value: unknown, problems: Array<string>): ReadonlyArray<ProbeHealth> | undefined => {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) {
    problems.push(`health: expected an array of ProbeHealth, got ${describeValue(value)}`)
    return undefined
  }
  const health: Array<ProbeHealth> = []
  for (let i = 0; i < value.length; i++) {
    const entry: unknown = value[i]
    if (isHealth(entry)) health.push(entry)
    else problems.push(problemOf(decodeHealth(entry), ["health", i], "not a health entry"))
  }
  return health
}

/** A checked list of panels: the valid ones and what was wrong with the rest. */
export interface CheckedPanels {
  readonly panels: ReadonlyArray<Panel>
  readonly problems: ReadonlyArray<string>
}

/** Checks a panel hook's result. Returns a message when it is not an array at all. */
export const checkPanels = (value: unknown): CheckedPanels | string => {
  if (!Array.isArray(value)) return `expected an array of panels, got ${describeValue(value)}`
  const panels: Array<Panel> = []
  const problems: Array<string> = []
  for (let i = 0; i < value.length; i++) {
    const panel: unknown = value[i]
    if (isPanel(panel)) panels.push(panel)
    else if (Predicate.isObject(panel) && !panelTypes.includes(panel.type)) {
      problems.push(`[${i}].type: expected one of ${panelTypes.join(", ")}, got ${describeValue(panel.type)}`)
    } else {
      const member = Panel.members.find((m) => Predicate.isObject(panel) && m.fields.type.literal === panel.type)
      problems.push(problemOf(Schema.decodeUnknownExit(member ?? Panel)(panel), [i], "not a panel"))
    }
  }
  return { panels, problems }
}

const isMapLike = (value: unknown): boolean =>
  Predicate.isObject(value) && Predicate.isFunction(value.get) && Predicate.isFunction(value.values)

/** Checks a view's rendering; returns a message when it is not one. */
export const checkRendering = (value: unknown): string | undefined => {
  if (Predicate.isObject(value) && isMapLike(value.nodes) && isMapLike(value.edges)) return undefined
  return `expected { nodes: Map, edges: Map }, got ${describeValue(value)}`
}

/** Summarises problems for a health message: the count and the first few paths. */
export const summarise = (what: string, problems: ReadonlyArray<string>): string => {
  const shown = problems.slice(0, 3).join("; ")
  const more = problems.length > 3 ? `; and ${problems.length - 3} more` : ""
  return `dropped ${problems.length} invalid ${what}${problems.length === 1 ? "" : "s"}: ${shown}${more}`
}
