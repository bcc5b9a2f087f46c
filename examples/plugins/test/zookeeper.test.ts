import { expectHealth, expectLatest, expectMetric, expectNode, testPlugin } from "@orchestrator/plugins/testing"
import { describe, expect, it } from "vitest"
import { zookeeperFixture } from "../../../test/fixtures/index.js"
import { parseMntr, plugin, topology } from "../src/zookeeper.js"

const zk = zookeeperFixture()

describe.skipIf(zk === null)("zookeeper collector against the real shared ZooKeeper", () => {
  it("reports mode, latency, outstanding requests, znode and watch counts from mntr", async () => {
    const standalone = zk!.standalone
    const server = `${standalone.host}:${standalone.clientPort}`
    const leaderOrFollower = zk!.ensemble.servers.map((member) => `${member.host}:${member.clientPort}`)
    const harness = testPlugin(plugin, { options: { servers: [server, ...leaderOrFollower] } })
    const fragment = await harness.collect(10_000)
    expectHealth(fragment.health, "zookeeper/collector/mntr", "ok")
    const node = expectNode(fragment, topology, server)
    expectLatest(node, "zk_server_state", "standalone")
    expect(expectLatest(node, "zk_version")).toMatch(/^3\./)
    expect(expectMetric(node, "zk_znode_count")).toBeGreaterThan(0)
    expect(expectMetric(node, "zk_outstanding_requests")).toBeGreaterThanOrEqual(0)
    expect(expectMetric(node, "zk_avg_latency")).toBeGreaterThanOrEqual(0)
    expect(expectMetric(node, "zk_watch_count")).toBeGreaterThanOrEqual(0)
    // The ensemble has exactly one leader.
    const modes = leaderOrFollower.map((member) =>
      expectLatest(expectNode(fragment, topology, member), "zk_server_state")
    )
    expect(modes.filter((mode) => mode === "leader")).toHaveLength(1)
    expect(modes.filter((mode) => mode === "follower")).toHaveLength(leaderOrFollower.length - 1)
    // The details panel.
    const panels = await harness.panels(node)
    expect(panels[0]).toMatchObject({ type: "table", id: "zookeeper.server", title: "ZooKeeper" })
    expect(panels[0]?.type === "table" && panels[0].rows.find((row) => row.key === "zk_server_state")?.value).toBe(
      "standalone"
    )
  })

  it("reports an unreachable server in health and keeps the others", async () => {
    const standalone = zk!.standalone
    const server = `${standalone.host}:${standalone.clientPort}`
    const harness = testPlugin(plugin, { options: { servers: [server, "127.0.0.1:1"], timeoutMs: 1_000 } })
    const fragment = await harness.collect(5_000)
    expectNode(fragment, topology, server)
    expect(expectHealth(fragment.health, "zookeeper/127.0.0.1:1", "failed").message).toMatch(/ECONNREFUSED/)
    // All down: the collector fails, and the registry says so.
    const down = testPlugin(plugin, { options: { servers: ["127.0.0.1:1"] } })
    const failed = await down.collect(5_000)
    expect(expectHealth(failed.health, "zookeeper/collector/mntr", "failed").message).toMatch(
      /no ZooKeeper server answered/
    )
  })
})

describe("zookeeper options and parsing", () => {
  it("refuses bad options naming the plugin and the option", () => {
    expect(() => testPlugin(plugin, { options: { servers: ["no-port"] } })).toThrow(
      /plugin "zookeeper": invalid option servers\.0|servers\[0\]/
    )
    expect(() => testPlugin(plugin, { options: { servers: [] } })).toThrow(/plugin "zookeeper"/)
  })

  it("parses mntr lines", () => {
    expect(parseMntr("zk_version\t3.8.0\nzk_server_state\tleader\nbad line\n")).toEqual({
      zk_version: "3.8.0",
      zk_server_state: "leader"
    })
  })
})
