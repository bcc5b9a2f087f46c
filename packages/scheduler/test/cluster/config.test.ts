import { availableParallelism, totalmem } from "node:os"
import { Flags } from "@orchestrator/core"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { AgentConfig, detectResources, MasterConfig } from "../../src/cluster/index.js"

describe("MasterConfig.fromArgs", () => {
  it("reads flags over environment, with durations in ms", () => {
    expect(
      MasterConfig.fromArgs(
        ["--port", "6060", "--zk", "zk1:2181,zk2:2181", "--zk-session-timeout", "4s", "--allocation-interval=250ms"],
        { MASTER_PORT: "7070", MASTER_HOST: "127.0.0.1" }
      )
    ).toEqual({
      options: { host: "127.0.0.1", port: 6060, allocationIntervalMs: 250 },
      zookeeper: { connectString: "zk1:2181,zk2:2181", root: "/orchestrator/scheduler", sessionTimeoutMs: 4_000 }
    })
    expect(MasterConfig.fromArgs([])).toEqual({ options: {} })
    expect(MasterConfig.fromArgs(["--help"])).toEqual({ _tag: "Help" })
  })

  it("names the flag that is wrong", () => {
    expect(MasterConfig.fromArgs(["--port", "x"])).toMatchObject({ _tag: "ConfigError", setting: "--port" })
    expect(MasterConfig.fromArgs(["--port", "70000"])).toMatchObject({ _tag: "ConfigError", setting: "--port" })
    expect(MasterConfig.fromArgs(["--agent-timeout", "soon"])).toMatchObject({ setting: "--agent-timeout" })
    const unknown = MasterConfig.fromArgs(["--bogus"])
    expect(unknown).toBeInstanceOf(Flags.ConfigError)
    expect((unknown as Flags.ConfigError).message).toBe("invalid setting --bogus: unknown flag")
  })
})

describe("AgentConfig.fromArgs", () => {
  it("reads declared resources, attributes and the master", () => {
    expect(
      AgentConfig.fromArgs([
        "--master",
        "http://m:5050",
        "--agent-id",
        "node-a",
        "--attributes",
        "rack:r1;zone:a",
        "--resources",
        "cpus:4;mem:4096;ports:[31000-31010]",
        "--kill-grace",
        "3s",
        "--docker-socket",
        "/run/docker.sock"
      ])
    ).toEqual({
      options: {
        agentId: "node-a",
        attributes: { rack: "r1", zone: "a" },
        resources: { cpus: 4, mem: 4096, ports: [{ begin: 31000, end: 31010 }] },
        killGraceSeconds: 3
      },
      dockerSocket: "/run/docker.sock",
      master: { _tag: "Url", url: "http://m:5050" }
    })
    expect(AgentConfig.fromArgs([], { AGENT_ZK: "zk:2181" })).toEqual({
      options: { attributes: {} },
      master: { _tag: "ZooKeeper", connectString: "zk:2181", root: "/orchestrator/scheduler" }
    })
  })

  it("names what is wrong in resources and attributes", () => {
    const resources = AgentConfig.fromArgs(["--resources", "cpus:-2"])
    expect(resources).toMatchObject({ _tag: "ConfigError", setting: "--resources" })
    expect((resources as Flags.ConfigError).message).toMatch(/resources\.cpus: expects a number >= 0, got "-2"/)
    expect(AgentConfig.fromArgs(["--attributes", "rack"])).toMatchObject({ setting: "--attributes" })
    expect(AgentConfig.fromArgs(["extra"])).toMatchObject({ setting: "extra", reason: "unknown argument" })
  })
})

describe("detectResources", () => {
  it("offers this machine's CPUs, most of its memory, the work directory's free disk and ports 31000-32000", async () => {
    const detected = await Effect.runPromise(detectResources("/"))
    expect(detected.cpus).toBe(availableParallelism())
    expect(detected.mem).toBeGreaterThanOrEqual(256)
    expect(detected.mem).toBeLessThan(totalmem() / 1024 / 1024)
    expect(detected.disk ?? 0).toBeGreaterThan(0)
    expect(detected.ports).toEqual([{ begin: 31_000, end: 32_000 }])
  })
})
