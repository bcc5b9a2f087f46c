import { Flags } from "@orchestrator/core"
import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { requireZooKeeper, zookeeperFixture } from "../../../../../test/fixtures/index.js"
import * as AppsConfig from "../../../src/apps/config/AppsConfig.js"
import { withMasterHost } from "../masterHost.js"

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

describe.skipIf(zookeeperFixture() === null)("AppsConfig.layer with ZooKeeper (real server)", () => {
  it("runs the master, the app scheduler with its store in ZooKeeper and the discovery registration", async () => {
    const root = `/apps-config-test-${process.pid}-${Date.now()}`
    const config = AppsConfig.fromArgs([
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--zk",
      requireZooKeeper().standalone.connectString,
      "--zk-root",
      root,
      "--zk-session-timeout",
      "4s",
      "--discovery-zk-root",
      `${root}/services`
    ])
    await withMasterHost(config, async (base) => {
      const created = await fetch(`${base}/v2/apps`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id: "/cfg/web", container: { docker: { image: "busybox" } }, instances: 0 })
      })
      expect(created.status).toBe(201)
      const zk = await Effect.runPromise(
        Effect.gen(function* () {
          const client = yield* ZooKeeperClient
          return yield* client.getChildren(`${root}/apps`)
        }).pipe(
          Effect.provide(ZooKeeperClient.layer({ connectString: requireZooKeeper().standalone.connectString })),
          Effect.scoped
        )
      )
      expect(zk.length).toBeGreaterThan(0)
    })
  }, 60_000)

  it("refuses --discovery-zk-root without --zk", () => {
    const config = AppsConfig.fromArgs(["--discovery-zk-root", "/services"])
    expect((config as Flags.ConfigError).setting).toBe("--discovery-zk-root")
  })
})
