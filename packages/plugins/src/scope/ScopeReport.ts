/**
 * Weave Scope's report format, as Scope plugins return it from `GET /report`, and its translation into our
 * report model. The format is a JSON object of topologies (`Host`, `Container`, `Process`...) plus a
 * `Plugins` list describing the plugin; each topology has `nodes` (with `latest`, `latestControls`,
 * `metrics`, `sets`, `parents`, `adjacency`) and templates (`controls`, `metric_templates`,
 * `metadata_templates`, `table_templates`).
 *
 * The translation maps Scope topologies to ours (`Host` -> `hosts`), Scope node ids to ours
 * (`web-1;<host>` -> `web-1`, `<cid>;<container>` -> `<cid>`; process ids `host;pid` are the same), RFC 3339
 * timestamps to ms, and live controls (`latestControls` not `dead`) to control ids
 * `scope.<plugin>.<control>`. It is lenient: a malformed node or field is skipped and listed in `problems`.
 *
 * @since 0.1.0
 */
import { Report } from "@orchestrator/core"
import type { Plugin } from "@orchestrator/core"
import { Predicate } from "effect"

/**
 * The plugin description every Scope plugin puts in `Plugins`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScopePluginSpec {
  readonly id: string
  readonly label: string
  readonly description: string
  /** `reporter`, and `controller` when it handles `POST /control`. */
  readonly interfaces: ReadonlyArray<string>
  readonly apiVersion: string
}

/**
 * A control a Scope topology declares.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScopeControl {
  /** Our control id: `scope.<plugin>.<scope id>`. */
  readonly id: string
  /** The control id the plugin knows. */
  readonly scopeId: string
  /** Our topology. */
  readonly topology: string
  readonly label: string
  readonly icon?: string
  readonly rank: number
}

/**
 * A `table_templates` entry: latest fields whose key starts with `prefix` form one table (a multicolumn table
 * keys them `<prefix><row>___<column>`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ScopeTable {
  readonly id: string
  readonly topology: string
  readonly label: string
  readonly prefix: string
  readonly columns?: ReadonlyArray<{ readonly id: string; readonly label: string }>
}

/**
 * What a Scope report becomes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Translated {
  readonly fragment: Plugin.ReportFragment
  readonly spec: ScopePluginSpec | undefined
  readonly controls: ReadonlyArray<ScopeControl>
  readonly tables: ReadonlyArray<ScopeTable>
  /** Metric labels from `metric_templates`, by metric id. */
  readonly metricLabels: Readonly<Record<string, string>>
  /** Our `topology/id` -> the Scope node id, to address controls. */
  readonly scopeIds: ReadonlyMap<string, string>
  /** What was skipped, for the plugin's health. */
  readonly problems: ReadonlyArray<string>
}

/**
 * Scope topology names and ours, with the tag Scope appends to ids of that topology.
 *
 * @since 0.1.0
 * @category constants
 */
export const topologies: Readonly<Record<string, { readonly name: string; readonly tag?: string }>> = {
  Host: { name: "hosts", tag: "host" },
  Container: { name: "containers", tag: "container" },
  ContainerImage: { name: "container_images", tag: "container_image" },
  Process: { name: "processes" },
  Endpoint: { name: "endpoints" },
  Pod: { name: "pods", tag: "pod" },
  Service: { name: "services", tag: "service" },
  Deployment: { name: "deployments", tag: "deployment" },
  Namespace: { name: "namespaces" }
}

const notTopologies = new Set(["Plugins", "Window", "Shortcut", "ID", "DNS", "Sampling"])

const snake = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase()

/** Our topology for a Scope topology name (unknown ones become snake_case). */
export const topologyOf = (scope: string): string => topologies[scope]?.name ?? snake(scope)

/** Our node id for a Scope node id: drops the `;<tag>` suffix Scope uses for hosts, containers, pods... */
export const nodeIdOf = (scopeId: string): string => scopeId.replace(/;<[a-z_]+>$/, "")

/** The Scope id of one of our nodes: the `;<tag>` suffix of its topology appended. */
export const scopeIdOf = (topology: string, id: string): string => {
  const entry = Object.values(topologies).find((candidate) => candidate.name === topology)
  return entry?.tag !== undefined ? `${id};<${entry.tag}>` : id
}

/** The control id a Scope plugin's control gets in our registry. */
export const controlIdOf = (plugin: string, control: string): string => `scope.${plugin}.${control}`

const record = (value: unknown): Readonly<Record<string, unknown>> =>
  Predicate.isObject(value) && !Array.isArray(value) ? (value as Record<string, unknown>) : {}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined)

const timeOf = (value: unknown, now: number): number => {
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN
  return Number.isFinite(ms) ? ms : now
}

const specOf = (value: unknown): ScopePluginSpec | undefined => {
  const first = Array.isArray(value) ? record(value[0]) : {}
  const id = text(first.id)
  if (id === undefined) return undefined
  return {
    id,
    label: text(first.label) ?? id,
    description: text(first.description) ?? "",
    interfaces: Array.isArray(first.interfaces)
      ? first.interfaces.filter((x): x is string => typeof x === "string")
      : [],
    apiVersion: text(first.api_version) ?? ""
  }
}

interface NodeContext {
  readonly plugin: string
  readonly topology: string
  readonly now: number
  readonly problems: Array<string>
}

const latestOf = (value: unknown, where: string, ctx: NodeContext): Report.LatestMap => {
  const out: Record<string, Report.LatestValue> = {}
  for (const [key, entry] of Object.entries(record(value))) {
    const field = record(entry)
    const raw = field.value
    if (typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean") {
      out[key] = { value: String(raw), timestamp: timeOf(field.timestamp, ctx.now) }
    } else ctx.problems.push(`${where}.latest.${key}: expected { timestamp, value }`)
  }
  return out
}

const metricsOf = (value: unknown, where: string, ctx: NodeContext): Record<string, ReadonlyArray<Report.Sample>> => {
  const out: Record<string, ReadonlyArray<Report.Sample>> = {}
  for (const [key, entry] of Object.entries(record(value))) {
    const samples = record(entry).samples
    if (!Array.isArray(samples)) {
      ctx.problems.push(`${where}.metrics.${key}: expected { samples: [...] }`)
      continue
    }
    const list: Array<Report.Sample> = []
    for (const sample of samples) {
      const { date, value: number } = record(sample)
      if (typeof number === "number" && Number.isFinite(number)) list.push([timeOf(date, ctx.now), number])
    }
    out[key] = list.sort((a, b) => a[0] - b[0])
  }
  return out
}

const stringLists = (
  value: unknown,
  map: (id: string) => string = (id) => id
): Record<string, ReadonlyArray<string>> => {
  const out: Record<string, ReadonlyArray<string>> = {}
  for (const [key, list] of Object.entries(record(value))) {
    if (Array.isArray(list)) out[key] = list.filter((x): x is string => typeof x === "string").map(map)
  }
  return out
}

const nodeOf = (scopeId: string, value: unknown, ctx: NodeContext): Report.Node | undefined => {
  const where = `${ctx.topology}["${scopeId}"]`
  if (!Predicate.isObject(value)) {
    ctx.problems.push(`${where}: expected a node object`)
    return undefined
  }
  const raw = value as Record<string, unknown>
  const controls = Object.entries(record(raw.latestControls))
    .filter(([, entry]) => record(record(entry).value).dead !== true)
    .map(([control]) => controlIdOf(ctx.plugin, control))
  const parents: Record<string, ReadonlyArray<string>> = {}
  for (const [topology, ids] of Object.entries(stringLists(raw.parents, nodeIdOf))) {
    parents[topologies[topology]?.name ?? topology] = ids
  }
  return Report.makeNode(ctx.topology, nodeIdOf(scopeId), {
    latest: latestOf(raw.latest, where, ctx),
    sets: stringLists(raw.sets),
    metrics: metricsOf(raw.metrics, where, ctx),
    parents,
    adjacency: Array.isArray(raw.adjacency)
      ? raw.adjacency.filter((x): x is string => typeof x === "string").map(nodeIdOf)
      : [],
    controls
  })
}

/**
 * Translates a Scope report. `plugin` names the plugin (its socket's name) for control ids.
 *
 * @since 0.1.0
 * @category conversions
 */
export const translate = (report: unknown, plugin: string, now: number): Translated => {
  const problems: Array<string> = []
  const topologiesOut: Record<string, Record<string, Report.Node>> = {}
  const controls: Array<ScopeControl> = []
  const tables: Array<ScopeTable> = []
  const metricLabels: Record<string, string> = {}
  const scopeIds = new Map<string, string>()
  for (const [name, body] of Object.entries(record(report))) {
    if (notTopologies.has(name) || !Predicate.isObject(body) || Array.isArray(body)) continue
    const topology = topologyOf(name)
    const raw = body as Record<string, unknown>
    const ctx: NodeContext = { plugin, topology, now, problems }
    for (const [scopeId, value] of Object.entries(record(raw.nodes))) {
      const node = nodeOf(scopeId, value, ctx)
      if (node === undefined) continue
      const existing = topologiesOut[topology] ?? {}
      existing[node.id] = node
      topologiesOut[topology] = existing
      scopeIds.set(`${topology}/${node.id}`, scopeId)
    }
    for (const [id, value] of Object.entries(record(raw.controls))) {
      const control = record(value)
      const icon = text(control.icon)
      controls.push({
        id: controlIdOf(plugin, id),
        scopeId: text(control.id) ?? id,
        topology,
        label: text(control.human) ?? id,
        ...(icon !== undefined ? { icon } : {}),
        rank: typeof control.rank === "number" ? control.rank : 0
      })
    }
    for (const [id, value] of Object.entries(record(raw.table_templates))) {
      const table = record(value)
      const prefix = text(table.prefix)
      if (prefix === undefined) {
        problems.push(`${topology}.table_templates.${id}: no prefix`)
        continue
      }
      const columns = Array.isArray(table.columns)
        ? table.columns.map(record).map((column) => ({ id: text(column.id) ?? "", label: text(column.label) ?? "" }))
        : undefined
      tables.push({
        id,
        topology,
        label: text(table.label) ?? id,
        prefix,
        ...(columns !== undefined ? { columns } : {})
      })
    }
    for (const [id, value] of Object.entries(record(raw.metric_templates))) {
      metricLabels[id] = text(record(value).label) ?? id
    }
  }
  return {
    fragment: { topologies: topologiesOut },
    spec: specOf(record(report).Plugins),
    controls: controls.sort((a, b) => a.rank - b.rank),
    tables,
    metricLabels,
    scopeIds,
    problems
  }
}

/**
 * The rows of a Scope table on one node: for a property list `key -> value`, for a multicolumn table one row
 * per `<prefix><row>___<column>` group, its cells joined by `, `.
 *
 * @since 0.1.0
 * @category conversions
 */
export const tableRows = (
  table: ScopeTable,
  node: Report.Node
): ReadonlyArray<{ readonly key: string; readonly label: string; readonly value: string }> => {
  const rows = new Map<string, Array<string>>()
  for (const [key, field] of Object.entries(node.latest)) {
    if (!key.startsWith(table.prefix)) continue
    const rest = key.slice(table.prefix.length)
    const [row, column] = rest.split("___")
    const label = table.columns?.find((candidate) => candidate.id === column)?.label ?? column
    const cells = rows.get(row ?? rest) ?? []
    cells.push(column === undefined ? field.value : `${label}: ${field.value}`)
    rows.set(row ?? rest, cells)
  }
  return [...rows].map(([key, cells]) => ({ key, label: key, value: cells.join(", ") }))
}
