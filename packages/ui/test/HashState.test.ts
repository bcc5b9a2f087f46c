import { describe, expect, it } from "vitest"
import { filtersOf, formatHash, initialState, parseHash } from "../app/HashState.js"

describe("HashState", () => {
  it("reads an empty hash as the initial state", () => {
    expect(parseHash("")).toEqual(initialState)
    expect(parseHash("#")).toEqual(initialState)
  })

  it("round-trips every field, including ids with separators", () => {
    const state = {
      view: "processes-by-name",
      search: "web cpu > 50%",
      status: "running" as const,
      node: { topology: "endpoints", id: "node-1;10.0.0.2;80" },
      sort: "cpu" as const,
      dir: "desc" as const
    }
    expect(parseHash(formatHash(state))).toEqual(state)
  })

  it("leaves defaults out of the hash", () => {
    expect(formatHash(initialState)).toBe("")
    expect(formatHash({ ...initialState, view: "containers" })).toBe("#view=containers")
  })

  it("falls back to defaults for values it does not know", () => {
    expect(parseHash("#status=sleeping&sort=colour&dir=sideways&topology=containers")).toEqual(initialState)
  })

  it("turns the state into subscription filters, leaving out what does not filter", () => {
    expect(filtersOf(initialState)).toEqual({})
    expect(filtersOf({ ...initialState, search: "  web  ", status: "stopped" })).toEqual({
      search: "web",
      status: "stopped"
    })
  })
})
