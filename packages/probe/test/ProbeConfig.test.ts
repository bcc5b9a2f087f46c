import { describe, expect, it } from "vitest"
import * as ProbeConfig from "../src/ProbeConfig.js"

describe("ProbeConfig.fromArgs", () => {
  it("reads flags over environment variables over defaults, and returns what it does not know", () => {
    const parsed = ProbeConfig.fromArgs(
      ["--app-url", "http://10.0.0.5:8080", "--interval=5s", "--no-controls", "--no-docker", "--plugin-x", "extra"],
      { PROBE_TOKEN: "tok", PROBE_INTERVAL: "1m" }
    )
    expect(parsed).toEqual({
      config: {
        ...ProbeConfig.defaults,
        appUrl: "http://10.0.0.5:8080",
        token: "tok",
        intervalMs: 5_000,
        controlsEnabled: false,
        docker: false
      },
      rest: ["--plugin-x", "extra"]
    })
  })

  it("names the flag and the problem for bad values", () => {
    expect(ProbeConfig.fromArgs(["--interval", "soon"])).toEqual(
      new ProbeConfig.ConfigError({
        setting: "--interval",
        reason: 'expects a duration like 15s, 1m, 1h or 500ms, got "soon"'
      })
    )
    expect(ProbeConfig.fromArgs(["--token"])).toEqual(
      new ProbeConfig.ConfigError({ setting: "--token", reason: "expects a value" })
    )
    expect(ProbeConfig.fromArgs(["--app-url", "--no-controls"])).toMatchObject({ setting: "--app-url" })
    expect(ProbeConfig.fromArgs(["--app-url", "ftp://x"])).toEqual(
      new ProbeConfig.ConfigError({ setting: "--app-url", reason: "must be an http:// or https:// URL" })
    )
    expect(ProbeConfig.fromArgs([], { PROBE_INTERVAL: "10ms" })).toEqual(
      new ProbeConfig.ConfigError({
        setting: "PROBE_INTERVAL",
        reason: "Expected a value greater than or equal to 100"
      })
    )
    expect(ProbeConfig.make({ maxQueued: 0 })).toEqual(
      new ProbeConfig.ConfigError({ setting: "maxQueued", reason: "Expected a value greater than or equal to 1" })
    )
  })

  it("parses durations with units or plain seconds", () => {
    expect(["500ms", "15s", "15", "1.5s", "2m", "1h", "x", "-1s"].map(ProbeConfig.parseDuration)).toEqual([
      500,
      15_000,
      15_000,
      1_500,
      120_000,
      3_600_000,
      undefined,
      undefined
    ])
  })
})

describe("ProbeConfig.effective", () => {
  const local = { ...ProbeConfig.defaults, intervalMs: 1_000, fullReportEvery: 5 }
  const agent = { configVersion: 1, intervalMs: 15_000, fullReportEvery: 10, collectors: {}, controlsEnabled: true }

  it("keeps local settings while the app's config is its untouched default (version 1)", () => {
    expect(ProbeConfig.effective(local, agent)).toEqual({
      intervalMs: 1_000,
      fullReportEvery: 5,
      controlsEnabled: true,
      collectors: {},
      configVersion: 1
    })
  })

  it("applies the app's values once changed, but never turns on controls refused locally", () => {
    const changed = { ...agent, configVersion: 3, intervalMs: 30_000, collectors: { host: { enabled: false } } }
    expect(ProbeConfig.effective(local, changed)).toEqual({
      intervalMs: 30_000,
      fullReportEvery: 10,
      controlsEnabled: true,
      collectors: { host: { enabled: false } },
      configVersion: 3
    })
    expect(ProbeConfig.effective({ ...local, controlsEnabled: false }, changed).controlsEnabled).toBe(false)
    expect(ProbeConfig.effective(local, { ...changed, controlsEnabled: false }).controlsEnabled).toBe(false)
  })

  it("finds a collector's setting by hook id, then collector name, then plugin name", () => {
    const settings = {
      ...ProbeConfig.effective(local, undefined),
      collectors: {
        docker: { enabled: false },
        images: { enabled: true },
        "docker/collector/stats": { enabled: true }
      }
    }
    expect(ProbeConfig.collectorEnabled(settings, "docker", "containers")).toBe(false)
    expect(ProbeConfig.collectorEnabled(settings, "docker", "images")).toBe(true)
    expect(ProbeConfig.collectorEnabled(settings, "docker", "stats")).toBe(true)
    expect(ProbeConfig.collectorEnabled(settings, "host", "host")).toBe(true)
  })
})

describe("ProbeConfig collector switches", () => {
  it("turns collectors off and conntrack on, and refuses a value on a switch", () => {
    const parsed = ProbeConfig.fromArgs([
      "--no-kubernetes",
      "--no-processes",
      "--conntrack",
      "--proc-root",
      "/host/proc"
    ])
    expect(parsed).toMatchObject({
      config: { kubernetes: false, processes: false, conntrack: true, docker: true, procRoot: "/host/proc" },
      rest: []
    })
    expect(ProbeConfig.fromArgs(["--no-docker=yes"])).toEqual(
      new ProbeConfig.ConfigError({ setting: "--no-docker", reason: "takes no value" })
    )
    expect(ProbeConfig.flags).toEqual(expect.arrayContaining(["--no-docker", "--no-kubernetes", "--conntrack"]))
  })
})
