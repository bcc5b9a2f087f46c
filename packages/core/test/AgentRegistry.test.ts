import { describe, expect, it } from "vitest"
import { AgentRegistry, TooManyAgents, UnknownAgent } from "../src/AgentRegistry.js"

describe("AgentRegistry", () => {
  it("bounds the number of agents and forgets silent ones", () => {
    const registry = new AgentRegistry(2)
    expect(registry.register({ agentId: "a", hostname: "a", version: "1" }, 0)).toMatchObject({ agentId: "a" })
    registry.register({ agentId: "b", hostname: "b", version: "1" }, 100)
    expect(registry.register({ agentId: "c", hostname: "c", version: "1" }, 200)).toEqual(
      new TooManyAgents({ limit: 2 })
    )
    registry.reported("b", 500)
    expect(registry.expire(300)).toEqual(["a"])
    expect(registry.list().map((a) => a.agentId)).toEqual(["b"])
    expect(registry.heartbeat("a", 600)).toEqual(new UnknownAgent({ agentId: "a" }))
    registry.setConnected("b", true)
    expect(registry.expire(10_000)).toEqual([])
  })

  it("keeps an agent's config and controls across re-registration", () => {
    const registry = new AgentRegistry()
    registry.register(
      { agentId: "a", hostname: "a", version: "1", controls: [{ id: "docker.stop", label: "Stop" }] },
      0
    )
    registry.updateConfig("a", { intervalMs: 1_000 })
    const again = registry.register({ agentId: "a", hostname: "a", version: "2" }, 10)
    expect(again).toMatchObject({ agentId: "a", config: { configVersion: 2, intervalMs: 1_000 } })
    expect(registry.controls("a")).toEqual([{ id: "docker.stop", label: "Stop" }])
    expect(registry.remove("a")).toBe(true)
    expect(registry.size).toBe(0)
  })
})
