/**
 * The UI state that a link can share, kept in the URL hash: `#view=containers&search=web&status=running
 * &kind=application&hide=pseudo&hide=unconnected&topology=containers&node=9f1c…&sort=cpu&dir=desc`.
 * Pure (reads and writes strings), so it is tested directly.
 */
import type { ViewFilters } from "./Protocol.js"
import { type SortDirection, type SortKey, sortKeys } from "./ViewModel.js"

/** The status filter of the toolbar. */
export type StatusFilter = "all" | "running" | "stopped"

/** The application/system filter of the toolbar. */
export type KindFilter = "all" | "application" | "system"

/** Node types the toolbar can hide, in the order the hash lists them. */
export const hideableTypes = ["pseudo", "unconnected"] as const

/** A node type the toolbar can hide: pseudo nodes (The Internet, unknown peers...) or nodes without edges. */
export type HideableType = (typeof hideableTypes)[number]

/** How a view is drawn: the topology graph or the table. */
export type DisplayMode = "graph" | "table"

/** The mode of a link that names none. */
export const defaultMode: DisplayMode = "table"

/** Metrics the graph can size nodes by. */
export const sizeMetrics = ["cpu", "memory", "connections"] as const

/** A metric the graph sizes nodes by. */
export type SizeMetric = (typeof sizeMetrics)[number]

/** A node picked for the details panel. */
export interface NodeRef {
  readonly topology: string
  readonly id: string
}

/** What the filter toolbar sets: the part of the state a saved filter keeps. */
export interface FilterValues {
  readonly search: string
  readonly status: StatusFilter
  readonly kind: KindFilter
  /** Hidden node types, without duplicates, in {@link hideableTypes} order. */
  readonly hide: ReadonlyArray<HideableType>
}

/** Everything the hash holds. */
export interface UiState extends FilterValues {
  /** The view id, or `undefined` to pick the first view the server lists. */
  readonly view: string | undefined
  readonly node: NodeRef | undefined
  readonly sort: SortKey
  readonly dir: SortDirection
  readonly mode: DisplayMode
  /** The graph's grouping: `""` (none), a parent topology (`hosts`, `pods`...), `rank` or `label:<key>`. */
  readonly group: string
  /** Ids of the graph's groups shown expanded. */
  readonly open: ReadonlyArray<string>
  /** The metric that sizes graph nodes. */
  readonly size: SizeMetric
}

/** Filters that keep every node. */
export const noFilters: FilterValues = { search: "", status: "all", kind: "all", hide: [] }

/** The state of a fresh page. */
export const initialState: UiState = {
  view: undefined,
  ...noFilters,
  node: undefined,
  sort: "label",
  dir: "asc",
  mode: defaultMode,
  group: "",
  open: [],
  size: "cpu"
}

const isSortKey = (value: string | null): value is SortKey => sortKeys.some((k) => k === value)

const statusOf = (value: unknown): StatusFilter => (value === "running" || value === "stopped" ? value : "all")

const kindOf = (value: unknown): KindFilter => (value === "application" || value === "system" ? value : "all")

/** Known types only, each once, in canonical order. */
const hideOf = (values: ReadonlyArray<unknown>): ReadonlyArray<HideableType> =>
  hideableTypes.filter((type) => values.includes(type))

/**
 * Reads filter values from anything (a saved filter from localStorage, say): unknown or bad fields fall back
 * to "no filter".
 */
export const decodeFilterValues = (input: unknown): FilterValues => {
  const record = typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {}
  return {
    search: typeof record.search === "string" ? record.search : "",
    status: statusOf(record.status),
    kind: kindOf(record.kind),
    hide: Array.isArray(record.hide) ? hideOf(record.hide) : []
  }
}

/** The filter part of a state. */
export const filterValuesOf = (state: FilterValues): FilterValues => ({
  search: state.search,
  status: state.status,
  kind: state.kind,
  hide: state.hide
})

/** Whether no filter is set (whitespace-only search counts as none). */
export const isUnfiltered = (state: FilterValues): boolean =>
  state.search.trim() === "" && state.status === "all" && state.kind === "all" && state.hide.length === 0

/** Whether two states ask the server for the same nodes (the search compared without surrounding spaces). */
export const sameFilters = (a: FilterValues, b: FilterValues): boolean =>
  a.search.trim() === b.search.trim() &&
  a.status === b.status &&
  a.kind === b.kind &&
  a.hide.length === b.hide.length &&
  a.hide.every((type, i) => b.hide[i] === type)

/** A string equal for states that ask for the same nodes (for caches keyed by filters). */
export const filtersKey = (state: FilterValues): string =>
  JSON.stringify([state.search.trim(), state.status, state.kind, state.hide])

/** Reads the state from `location.hash` (with or without the `#`); unknown or bad values fall back to defaults. */
export const parseHash = (hash: string): UiState => {
  const q = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash)
  const sort = q.get("sort")
  const topology = q.get("topology")
  const node = q.get("node")
  const view = q.get("view")
  const mode = q.get("mode")
  const size = q.get("size")
  return {
    view: view === null || view === "" ? undefined : view,
    search: q.get("search") ?? "",
    status: statusOf(q.get("status")),
    kind: kindOf(q.get("kind")),
    hide: hideOf(q.getAll("hide").flatMap((value) => value.split(","))),
    node: topology !== null && topology !== "" && node !== null && node !== "" ? { topology, id: node } : undefined,
    sort: isSortKey(sort) ? sort : initialState.sort,
    dir: q.get("dir") === "desc" ? "desc" : "asc",
    mode: mode === "graph" || mode === "table" ? mode : defaultMode,
    group: q.get("group") ?? "",
    open: [...new Set(q.getAll("open"))].filter((id) => id !== ""),
    size: sizeMetrics.find((metric) => metric === size) ?? initialState.size
  }
}

/** Writes the state as a hash (`#…`), leaving out defaults so links stay short. */
export const formatHash = (state: UiState): string => {
  const q = new URLSearchParams()
  if (state.view !== undefined) q.set("view", state.view)
  if (state.search !== "") q.set("search", state.search)
  if (state.status !== "all") q.set("status", state.status)
  if (state.kind !== "all") q.set("kind", state.kind)
  for (const type of hideOf(state.hide)) q.append("hide", type)
  if (state.node !== undefined) {
    q.set("topology", state.node.topology)
    q.set("node", state.node.id)
  }
  if (state.sort !== initialState.sort) q.set("sort", state.sort)
  if (state.dir !== initialState.dir) q.set("dir", state.dir)
  if (state.mode !== defaultMode) q.set("mode", state.mode)
  if (state.group !== "") q.set("group", state.group)
  for (const id of state.open) q.append("open", id)
  if (state.size !== initialState.size) q.set("size", state.size)
  const text = q.toString()
  return text === "" ? "" : `#${text}`
}

/** The subscription filters the state asks for (fields at their default are left out: they do not filter). */
export const filtersOf = (state: FilterValues): ViewFilters => {
  const search = state.search.trim()
  return {
    ...(search !== "" ? { search } : {}),
    ...(state.status !== "all" ? { status: state.status } : {}),
    ...(state.kind !== "all" ? { kind: state.kind } : {}),
    ...(state.hide.includes("pseudo") ? { hidePseudo: true } : {}),
    ...(state.hide.includes("unconnected") ? { hideUnconnected: true } : {})
  }
}
