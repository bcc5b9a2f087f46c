import { describe, expect, it } from "vitest"
import * as Flags from "../src/Flags.js"

const table: Flags.Table = {
  "--name": { key: "name", kind: "string" },
  "--count": { key: "count", kind: "int" },
  "--every": { key: "everyMs", kind: "duration" },
  "--tags": { key: "tags", kind: "list" },
  "--quiet": { key: "verbose", kind: "switch", value: false }
}

describe("Flags.parse", () => {
  it("reads each kind, environment first and flags winning, and remembers where each value came from", () => {
    const parsed = Flags.parse(
      table,
      ["--count=3", "--tags", "a, b,,c", "--quiet", "positional", "--other"],
      { APP_COUNT: "9", APP_EVERY: "2m", APP_QUIET: "true" },
      { APP_COUNT: "--count", APP_EVERY: "--every", APP_QUIET: "--quiet" }
    )
    expect(parsed).toEqual({
      values: { count: 3, everyMs: 120_000, tags: ["a", "b", "c"], verbose: false },
      sources: { count: "--count", everyMs: "APP_EVERY", tags: "--tags", verbose: "--quiet" },
      rest: ["positional", "--other"]
    })
  })

  it("names the flag or variable of a bad value, a missing value or a value given to a switch", () => {
    expect(Flags.parse(table, ["--count", "many"])).toEqual(
      new Flags.ConfigError({ setting: "--count", reason: 'expects a whole number, got "many"' })
    )
    expect(Flags.parse(table, [], { EVERY: "soon" }, { EVERY: "--every" })).toMatchObject({ setting: "EVERY" })
    expect(Flags.parse(table, ["--name", "--count", "1"])).toMatchObject({
      setting: "--name",
      reason: "expects a value"
    })
    expect(Flags.parse(table, ["--quiet=1"])).toMatchObject({ setting: "--quiet", reason: "takes no value" })
  })

  it("blames the source of a value that fails validation later", () => {
    const parsed = Flags.parse(table, [], { N: "-1" }, { N: "--count" })
    if (parsed instanceof Flags.ConfigError) throw parsed
    const error = Flags.blameSource(new Flags.ConfigError({ setting: "count", reason: "must be >= 0" }), parsed)
    expect(error.message).toBe("invalid setting N: must be >= 0")
    expect(Flags.parseDuration("1.5s")).toBe(1_500)
    expect(Flags.parseDuration("later")).toBeUndefined()
  })
})
