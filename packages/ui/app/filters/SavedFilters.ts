/**
 * Named saved filters, kept in the browser's `localStorage` (one list per origin, shared by every tab). Pure
 * apart from the storage it is given, so it is tested with an in-memory one.
 */
import { decodeFilterValues, type FilterValues, filterValuesOf, isUnfiltered, sameFilters } from "../HashState.js"

/** One saved filter: a name and the filter values it applies. */
export interface SavedFilter {
  readonly name: string
  readonly filters: FilterValues
}

/** The part of `Storage` the store uses (so tests can pass a `Map`-backed one). */
export interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/** The `localStorage` key; the value is `{ "version": 1, "filters": [{ name, filters }] }`. */
export const storageKey = "orchestrator.ui.savedFilters"

/** The longest name accepted (a name is a label in a menu, not a description). */
export const maxNameLength = 60

/** What {@link SavedFilters.save} did. */
export type SaveOutcome =
  | { readonly kind: "saved" | "replaced"; readonly name: string }
  | { readonly kind: "invalid" | "failed"; readonly message: string }

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" })

/** Names compare without case and surrounding spaces: "Busy web" and "busy web " are the same filter. */
const sameName = (a: string, b: string) => collator.compare(a.trim(), b.trim()) === 0

/** Reads the stored list; anything unreadable (bad JSON, another shape, a newer version) reads as empty. */
export const decodeSaved = (text: string | null): Array<SavedFilter> => {
  if (text === null) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return []
  }
  if (typeof parsed !== "object" || parsed === null) return []
  const { version, filters } = parsed as { version?: unknown; filters?: unknown }
  if (version !== 1 || !Array.isArray(filters)) return []
  const out: Array<SavedFilter> = []
  for (const entry of filters) {
    if (typeof entry !== "object" || entry === null) continue
    const { name, filters: values } = entry as { name?: unknown; filters?: unknown }
    if (typeof name !== "string" || name.trim() === "" || out.some((f) => sameName(f.name, name))) continue
    out.push({ name: name.trim(), filters: decodeFilterValues(values) })
  }
  return out
}

/** The stored form of a list. */
export const encodeSaved = (filters: ReadonlyArray<SavedFilter>): string =>
  JSON.stringify({ version: 1, filters: filters.map((f) => ({ name: f.name, filters: filterValuesOf(f.filters) })) })

/**
 * A one-line description of filter values for the saved-filter menu:
 * `"web cpu > 0%" · running · application · no pseudo nodes`.
 */
export const describeFilters = (filters: FilterValues): string => {
  if (isUnfiltered(filters)) return "no filters"
  const parts: Array<string> = []
  const search = filters.search.trim()
  if (search !== "") parts.push(`“${search}”`)
  if (filters.status !== "all") parts.push(filters.status)
  if (filters.kind !== "all") parts.push(filters.kind === "system" ? "system" : "application")
  if (filters.hide.includes("pseudo")) parts.push("no pseudo nodes")
  if (filters.hide.includes("unconnected")) parts.push("no unconnected nodes")
  return parts.join(" · ")
}

/**
 * The saved filters of this browser. Every call reads the storage again, so a filter saved in another tab shows
 * up the next time the list is drawn.
 *
 * **Gotchas**: storage can be missing or refuse writes (private windows, a full quota): reading then gives an
 * empty list and saving reports `failed` with the browser's reason.
 */
export class SavedFilters {
  constructor(
    private readonly storage: KeyValueStorage | undefined,
    private readonly key: string = storageKey
  ) {}

  /** The saved filters, sorted by name. */
  list(): Array<SavedFilter> {
    let text: string | null = null
    try {
      text = this.storage?.getItem(this.key) ?? null
    } catch {
      return []
    }
    return decodeSaved(text).sort((a, b) => collator.compare(a.name, b.name))
  }

  /** The saved filter with this name (case-insensitive), if any. */
  get(name: string): SavedFilter | undefined {
    return this.list().find((f) => sameName(f.name, name))
  }

  /** The saved filters whose values equal `filters` (to mark the one in use). */
  matching(filters: FilterValues): Array<SavedFilter> {
    return this.list().filter((f) => sameFilters(f.filters, filters))
  }

  /** Saves `filters` under `name`, replacing a filter of the same name. */
  save(name: string, filters: FilterValues): SaveOutcome {
    const trimmed = name.trim()
    if (trimmed === "") return { kind: "invalid", message: "Give the filter a name." }
    if (trimmed.length > maxNameLength) {
      return { kind: "invalid", message: `Use at most ${maxNameLength} characters for the name.` }
    }
    if (isUnfiltered(filters)) return { kind: "invalid", message: "Nothing to save: no filter is set." }
    const current = this.list()
    const replaced = current.some((f) => sameName(f.name, trimmed))
    const next = [...current.filter((f) => !sameName(f.name, trimmed)), { name: trimmed, filters }]
    const failure = this.write(next)
    if (failure !== undefined) return { kind: "failed", message: failure }
    return { kind: replaced ? "replaced" : "saved", name: trimmed }
  }

  /** Deletes the filter with this name; returns whether it existed (and the write worked). */
  remove(name: string): boolean {
    const current = this.list()
    const next = current.filter((f) => !sameName(f.name, name))
    return next.length !== current.length && this.write(next) === undefined
  }

  /** Writes the list; returns why it failed, if it did. */
  private write(filters: ReadonlyArray<SavedFilter>): string | undefined {
    if (this.storage === undefined) return "This browser does not offer local storage."
    try {
      this.storage.setItem(this.key, encodeSaved(filters))
      return undefined
    } catch (error) {
      return `The browser refused to store it (${error instanceof Error ? error.message : String(error)}).`
    }
  }
}
