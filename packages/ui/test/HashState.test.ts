import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  decodeFilterValues,
  filtersKey,
  filtersOf,
  formatHash,
  hideableTypes,
  initialState,
  isUnfiltered,
  noFilters,
  parseHash,
  sameFilters,
  type UiState
} from "../app/HashState.js"
import { sortKeys } from "../app/ViewModel.js"

/**
 * Any state of the fields tested here (text fields include separators, `#`, `%`, spaces and non-ASCII); the
 * graph's fields (mode, grouping) keep their defaults, their own tests vary them.
 */
const state: fc.Arbitrary<UiState> = fc
  .record({
    view: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
    search: fc.string({ unit: fc.constantFrom("a", " ", "&", "=", "#", "%", ":", ">", '"', "é", "1") }),
    status: fc.constantFrom("all", "running", "stopped"),
    kind: fc.constantFrom("all", "application", "system"),
    hide: fc.subarray([...hideableTypes]),
    node: fc.option(fc.record({ topology: fc.string({ minLength: 1 }), id: fc.string({ minLength: 1 }) }), {
      nil: undefined
    }),
    sort: fc.constantFrom(...sortKeys),
    dir: fc.constantFrom("asc", "desc")
  })
  .map((fields): UiState => ({ ...initialState, ...fields }))

describe("HashState", () => {
  it("reads an empty hash as the initial state", () => {
    expect(parseHash("")).toEqual(initialState)
    expect(parseHash("#")).toEqual(initialState)
  })

  it("round-trips every field, including ids with separators", () => {
    const full: UiState = {
      ...initialState,
      view: "processes-by-name",
      search: 'web cpu > 50% label:"a b" & x=1 #2',
      status: "running",
      kind: "system",
      hide: ["pseudo", "unconnected"],
      node: { topology: "endpoints", id: "node-1;10.0.0.2;80" },
      sort: "cpu",
      dir: "desc"
    }
    expect(parseHash(formatHash(full))).toEqual(full)
  })

  it("round-trips any state (property)", () => {
    fc.assert(
      fc.property(state, (s) => {
        expect(parseHash(formatHash(s))).toEqual(s)
      })
    )
  })

  it("writes one hash per state: formatting what it parsed gives the same text back (property)", () => {
    fc.assert(
      fc.property(state, (s) => {
        const hash = formatHash(s)
        expect(formatHash(parseHash(hash))).toBe(hash)
      })
    )
  })

  it("leaves defaults out of the hash and lists hidden types as repeated keys", () => {
    expect(formatHash(initialState)).toBe("")
    expect(formatHash({ ...initialState, view: "containers" })).toBe("#view=containers")
    expect(formatHash({ ...initialState, view: "hosts", kind: "application", hide: ["pseudo", "unconnected"] })).toBe(
      "#view=hosts&kind=application&hide=pseudo&hide=unconnected"
    )
  })

  it("reads hidden types written comma-separated, once each, in a fixed order", () => {
    expect(parseHash("#hide=unconnected,pseudo&hide=pseudo").hide).toEqual(["pseudo", "unconnected"])
  })

  it("falls back to defaults for values it does not know", () => {
    expect(
      parseHash("#status=sleeping&kind=robots&hide=everything&sort=colour&dir=sideways&topology=containers")
    ).toEqual(initialState)
  })

  it("turns the state into subscription filters, leaving out what does not filter", () => {
    expect(filtersOf(initialState)).toEqual({})
    expect(
      filtersOf({ ...initialState, search: "  web  ", status: "stopped", kind: "system", hide: ["unconnected"] })
    ).toEqual({ search: "web", status: "stopped", kind: "system", hideUnconnected: true })
    expect(filtersOf({ ...initialState, kind: "application", hide: ["pseudo"] })).toEqual({
      kind: "application",
      hidePseudo: true
    })
  })

  it("compares filters the way the server does: surrounding spaces in the search do not matter", () => {
    expect(sameFilters({ ...noFilters, search: " web " }, { ...noFilters, search: "web" })).toBe(true)
    expect(filtersKey({ ...noFilters, search: " web " })).toBe(filtersKey({ ...noFilters, search: "web" }))
    expect(sameFilters(noFilters, { ...noFilters, hide: ["pseudo"] })).toBe(false)
    expect(sameFilters({ ...noFilters, kind: "system" }, noFilters)).toBe(false)
    expect(filtersKey({ ...noFilters, status: "running" })).not.toBe(filtersKey(noFilters))
    expect(isUnfiltered({ ...noFilters, search: "   " })).toBe(true)
    expect(isUnfiltered({ ...noFilters, hide: ["unconnected"] })).toBe(false)
  })

  it("decodes filter values from anything, keeping only what it knows", () => {
    expect(decodeFilterValues(null)).toEqual(noFilters)
    expect(decodeFilterValues("web")).toEqual(noFilters)
    expect(
      decodeFilterValues({ search: "db", status: "stopped", kind: "system", hide: ["unconnected", "x", "pseudo"] })
    ).toEqual({ search: "db", status: "stopped", kind: "system", hide: ["pseudo", "unconnected"] })
    expect(decodeFilterValues({ search: 5, status: "paused", kind: 1, hide: "pseudo" })).toEqual(noFilters)
  })
})
