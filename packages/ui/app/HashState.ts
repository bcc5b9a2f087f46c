/**
 * The UI state that a link can share, kept in the URL hash: `#view=containers&search=web&status=running
 * &topology=containers&node=9f1c…&sort=cpu&dir=desc`. Pure (reads and writes strings), so it is tested directly.
 */
import type { ViewFilters } from "./Protocol.js"
import { type SortDirection, type SortKey, sortKeys } from "./ViewModel.js"

/** The status filter of the toolbar. */
export type StatusFilter = "all" | "running" | "stopped"

/** A node picked for the details panel. */
export interface NodeRef {
  readonly topology: string
  readonly id: string
}

/** Everything the hash holds. */
export interface UiState {
  /** The view id, or `undefined` to pick the first view the server lists. */
  readonly view: string | undefined
  readonly search: string
  readonly status: StatusFilter
  readonly node: NodeRef | undefined
  readonly sort: SortKey
  readonly dir: SortDirection
}

/** The state of a fresh page. */
export const initialState: UiState = {
  view: undefined,
  search: "",
  status: "all",
  node: undefined,
  sort: "label",
  dir: "asc"
}

const isSortKey = (value: string | null): value is SortKey => sortKeys.some((k) => k === value)

/** Reads the state from `location.hash` (with or without the `#`); unknown or bad values fall back to defaults. */
export const parseHash = (hash: string): UiState => {
  const q = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash)
  const status = q.get("status")
  const sort = q.get("sort")
  const topology = q.get("topology")
  const node = q.get("node")
  const view = q.get("view")
  return {
    view: view === null || view === "" ? undefined : view,
    search: q.get("search") ?? "",
    status: status === "running" || status === "stopped" ? status : "all",
    node: topology !== null && topology !== "" && node !== null && node !== "" ? { topology, id: node } : undefined,
    sort: isSortKey(sort) ? sort : initialState.sort,
    dir: q.get("dir") === "desc" ? "desc" : "asc"
  }
}

/** Writes the state as a hash (`#…`), leaving out defaults so links stay short. */
export const formatHash = (state: UiState): string => {
  const q = new URLSearchParams()
  if (state.view !== undefined) q.set("view", state.view)
  if (state.search !== "") q.set("search", state.search)
  if (state.status !== "all") q.set("status", state.status)
  if (state.node !== undefined) {
    q.set("topology", state.node.topology)
    q.set("node", state.node.id)
  }
  if (state.sort !== initialState.sort) q.set("sort", state.sort)
  if (state.dir !== initialState.dir) q.set("dir", state.dir)
  const text = q.toString()
  return text === "" ? "" : `#${text}`
}

/** The subscription filters the state asks for (empty fields are left out: they do not filter). */
export const filtersOf = (state: UiState): ViewFilters => {
  const search = state.search.trim()
  return {
    ...(search !== "" ? { search } : {}),
    ...(state.status !== "all" ? { status: state.status } : {})
  }
}
