import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { ConfigError, decodeConfig, defaults, fromArgs, isLoopback, parseDuration } from "../src/AppServerConfig.js"

describe("AppServerConfig", () => {
  it("reads env then flags, flags winning, and passes unknown flags through", () => {
    expect(
      fromArgs(["--port=9090", "--no-probe", "--max-data-age", "2h", "--cors-origin", "http://a, http://b"], {
        APP_HOST: "0.0.0.0",
        APP_PORT: "1",
        STALE_NODE_THRESHOLD: "30s"
      })
    ).toEqual({
      config: {
        ...defaults,
        host: "0.0.0.0",
        port: 9090,
        maxDataAgeMs: 7_200_000,
        staleNodeThresholdMs: 30_000,
        corsOrigins: ["http://a", "http://b"]
      },
      rest: ["--no-probe"]
    })
  })

  it("names the flag or variable that is wrong", () => {
    expect(fromArgs(["--port", "99999"])).toEqual(
      new ConfigError({ setting: "--port", reason: "Expected a value less than or equal to 65535" })
    )
    expect(fromArgs([], { MAX_DATA_AGE: "soon" })).toEqual(
      new ConfigError({ setting: "MAX_DATA_AGE", reason: 'expects a duration like 15s, 1m, 1h or 500ms, got "soon"' })
    )
    expect(fromArgs(["--port", "x"])).toEqual(
      new ConfigError({ setting: "--port", reason: 'expects a whole number, got "x"' })
    )
    expect(fromArgs(["--token"])).toEqual(new ConfigError({ setting: "--token", reason: "expects a value" }))
  })

  it("validates configs given in code", () => {
    const exit = Effect.runSyncExit(decodeConfig({ ...defaults, maxClients: 0 }))
    expect(exit).toEqual(
      Exit.fail(new ConfigError({ setting: "maxClients", reason: "Expected a value greater than or equal to 1" }))
    )
  })

  it("parses durations and knows loopback addresses", () => {
    expect(["500ms", "15s", "2m", "1h", "7", "1.5s", "x"].map(parseDuration)).toEqual([
      500,
      15_000,
      120_000,
      3_600_000,
      7_000,
      1_500,
      undefined
    ])
    expect(["127.0.0.1", "localhost", "::1", "0.0.0.0", "10.0.0.1"].map(isLoopback)).toEqual([
      true,
      true,
      true,
      false,
      false
    ])
  })
})
