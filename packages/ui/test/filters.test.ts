import { describe, expect, it } from "vitest"
import {
  decodeSaved,
  describeFilters,
  encodeSaved,
  type KeyValueStorage,
  SavedFilters,
  storageKey
} from "../app/filters/SavedFilters.js"
import { noFilters } from "../app/HashState.js"
import { ViewCache } from "../app/ViewCache.js"

/** An in-memory `Storage`; `full` makes writes throw like a browser over its quota. */
class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>()
  full = false
  getItem(key: string): string | null {
    return this.items.get(key) ?? null
  }
  setItem(key: string, value: string): void {
    if (this.full) throw new Error("QuotaExceededError")
    this.items.set(key, value)
  }
}

const busyWeb = { ...noFilters, search: "label:web cpu > 0%", status: "running" as const }
const stopped = { ...noFilters, status: "stopped" as const, hide: ["pseudo" as const] }

describe("SavedFilters", () => {
  it("saves, lists by name, applies and deletes filters, in the storage format", () => {
    const storage = new MemoryStorage()
    const store = new SavedFilters(storage)
    expect(store.list()).toEqual([])
    expect(store.save("  busy web ", busyWeb)).toEqual({ kind: "saved", name: "busy web" })
    expect(store.save("Anything stopped", stopped)).toEqual({ kind: "saved", name: "Anything stopped" })
    expect(store.list()).toEqual([
      { name: "Anything stopped", filters: stopped },
      { name: "busy web", filters: busyWeb }
    ])
    expect(JSON.parse(storage.items.get(storageKey)!)).toEqual({
      version: 1,
      filters: [
        { name: "busy web", filters: busyWeb },
        { name: "Anything stopped", filters: stopped }
      ]
    })
    expect(store.get("BUSY WEB")).toEqual({ name: "busy web", filters: busyWeb })
    expect(store.matching({ ...busyWeb, search: ` ${busyWeb.search} ` })).toEqual([
      { name: "busy web", filters: busyWeb }
    ])
    expect(store.remove("Busy Web")).toBe(true)
    expect(store.remove("busy web")).toBe(false)
    expect(store.list().map((f) => f.name)).toEqual(["Anything stopped"])
  })

  it("replaces a filter saved under the same name (ignoring case and spaces)", () => {
    const store = new SavedFilters(new MemoryStorage())
    store.save("web", busyWeb)
    expect(store.save(" WEB", stopped)).toEqual({ kind: "replaced", name: "WEB" })
    expect(store.list()).toEqual([{ name: "WEB", filters: stopped }])
  })

  it("refuses an empty or long name and filters that filter nothing", () => {
    const store = new SavedFilters(new MemoryStorage())
    expect(store.save("   ", busyWeb)).toEqual({ kind: "invalid", message: "Give the filter a name." })
    expect(store.save("x".repeat(61), busyWeb)).toEqual({
      kind: "invalid",
      message: "Use at most 60 characters for the name."
    })
    expect(store.save("nothing", { ...noFilters, search: "  " })).toEqual({
      kind: "invalid",
      message: "Nothing to save: no filter is set."
    })
    expect(store.list()).toEqual([])
  })

  it("reports a storage that refuses writes or does not exist, and keeps what it had", () => {
    const storage = new MemoryStorage()
    const store = new SavedFilters(storage)
    store.save("web", busyWeb)
    storage.full = true
    expect(store.save("stopped", stopped)).toEqual({
      kind: "failed",
      message: "The browser refused to store it (QuotaExceededError)."
    })
    expect(store.remove("web")).toBe(false)
    expect(store.list().map((f) => f.name)).toEqual(["web"])
    const none = new SavedFilters(undefined)
    expect(none.list()).toEqual([])
    expect(none.save("web", busyWeb)).toEqual({
      kind: "failed",
      message: "This browser does not offer local storage."
    })
    const throwing = new SavedFilters({
      getItem: () => {
        throw new Error("SecurityError")
      },
      setItem: () => {}
    })
    expect(throwing.list()).toEqual([])
  })

  it("sees what another tab saved (every call reads the storage)", () => {
    const storage = new MemoryStorage()
    const tabA = new SavedFilters(storage)
    const tabB = new SavedFilters(storage)
    tabA.save("web", busyWeb)
    expect(tabB.list().map((f) => f.name)).toEqual(["web"])
  })

  it("reads damaged or foreign storage as empty, and skips bad entries", () => {
    expect(decodeSaved(null)).toEqual([])
    expect(decodeSaved("{not json")).toEqual([])
    expect(decodeSaved("[]")).toEqual([])
    expect(decodeSaved(JSON.stringify({ version: 2, filters: [] }))).toEqual([])
    expect(
      decodeSaved(
        JSON.stringify({
          version: 1,
          filters: [
            { name: "ok", filters: { search: "web", status: "nope", hide: ["pseudo", "pseudo"] } },
            { name: "", filters: {} },
            { name: 3 },
            "junk",
            { name: "OK", filters: { search: "duplicate name" } }
          ]
        })
      )
    ).toEqual([{ name: "ok", filters: { search: "web", status: "all", kind: "all", hide: ["pseudo"] } }])
  })

  it("encodes only the filter fields", () => {
    const extra = { ...busyWeb, view: "containers", node: { topology: "containers", id: "x" } }
    expect(JSON.parse(encodeSaved([{ name: "web", filters: extra }]))).toEqual({
      version: 1,
      filters: [{ name: "web", filters: busyWeb }]
    })
  })

  it("describes filters in one line", () => {
    expect(describeFilters(noFilters)).toBe("no filters")
    expect(describeFilters(busyWeb)).toBe("“label:web cpu > 0%” · running")
    expect(describeFilters({ search: "", status: "stopped", kind: "system", hide: ["pseudo", "unconnected"] })).toBe(
      "stopped · system · no pseudo nodes · no unconnected nodes"
    )
    expect(describeFilters({ ...noFilters, kind: "application" })).toBe("application")
  })
})

describe("ViewCache", () => {
  const view = (id: string, renderedAt: number) => ({ view: id, nodes: [], edges: [], total: 0, renderedAt })

  it("keeps the last rendering per view and filters", () => {
    const cache = new ViewCache()
    cache.put("a", view("hosts", 1))
    cache.put("a", view("hosts", 2))
    cache.put("b", view("hosts", 3))
    expect(cache.get("hosts", "a")).toEqual(view("hosts", 2))
    expect(cache.get("hosts", "b")).toEqual(view("hosts", 3))
    expect(cache.get("containers", "a")).toBeUndefined()
    expect(cache.size).toBe(2)
  })

  it("drops the least recently used rendering beyond its capacity", () => {
    const cache = new ViewCache(2)
    cache.put("", view("hosts", 1))
    cache.put("", view("containers", 1))
    expect(cache.get("hosts", "")).toBeDefined()
    cache.put("", view("processes", 1))
    expect(cache.get("containers", "")).toBeUndefined()
    expect(cache.get("hosts", "")).toBeDefined()
    expect(cache.get("processes", "")).toBeDefined()
    expect(cache.size).toBe(2)
  })
})
