import { Flags } from "@orchestrator/core"
import { describe, expect, it } from "vitest"
import * as AppsConfig from "../../../src/apps/config/AppsConfig.js"

describe("AppsConfig (the master host's flags with the app scheduler's)", () => {
  it("runs the app scheduler by default, with the master's flags and environment", () => {
    const config = AppsConfig.fromArgs(["--port", "6060", "--service-ports", "20000-20010", "--apps-role", "apps"], {
      MASTER_HOST: "127.0.0.1"
    })
    expect(config).toEqual({
      master: { options: { host: "127.0.0.1", port: 6060 } },
      apps: { options: { servicePortRange: { begin: 20000, end: 20010 }, role: "apps" } }
    })
  })

  it("stores apps under the ZooKeeper root of the master group, or where asked", () => {
    const config = AppsConfig.fromArgs([
      "--zk",
      "127.0.0.1:2181",
      "--apps-zk-root",
      "/apps",
      "--apps-domain",
      "svc",
      "--autoscale-docker",
      "/run/docker.sock"
    ])
    expect(config).toMatchObject({
      master: { zookeeper: { connectString: "127.0.0.1:2181", root: "/orchestrator/scheduler" } },
      apps: { options: { domain: "svc" }, zkRoot: "/apps", autoscaleDocker: "/run/docker.sock" }
    })
  })

  it("runs the master alone with --no-apps", () => {
    expect(AppsConfig.fromArgs(["--no-apps"])).toEqual({ master: { options: {} } })
  })

  it("names the flag that is wrong", () => {
    for (const [args, setting] of [
      [["--service-ports", "5-1"], "--service-ports"],
      [["--service-ports", "10000"], "--service-ports"],
      [["--service-ports", "0-10"], "--service-ports"],
      [["--port", "70000"], "--port"],
      [["--apps-colour", "red"], "--apps-colour"]
    ] as const) {
      const config = AppsConfig.fromArgs(args)
      expect(config).toBeInstanceOf(Flags.ConfigError)
      expect((config as Flags.ConfigError).setting).toBe(setting)
    }
    expect(AppsConfig.fromArgs(["--help"])).toEqual({ _tag: "Help" })
    expect(AppsConfig.usage).toContain("--service-ports")
    expect(AppsConfig.usage).toContain("--zk ")
    expect(AppsConfig.usage.trimEnd().endsWith("show this help")).toBe(true)
  })
})
