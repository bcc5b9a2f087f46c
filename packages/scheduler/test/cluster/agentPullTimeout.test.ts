import { describe, expect, it } from "vitest"
import { AgentConfig } from "../../src/cluster/index.js"

describe("AgentConfig --pull-timeout", () => {
  it("reads the image pull bound as a duration in ms, and names a bad one", () => {
    expect(AgentConfig.fromArgs(["--master", "http://m:5050", "--pull-timeout", "90s"])).toMatchObject({
      options: { pullTimeoutMs: 90_000 }
    })
    expect(AgentConfig.fromArgs(["--master", "http://m:5050"])).not.toHaveProperty("options.pullTimeoutMs")
    expect(AgentConfig.fromArgs(["--pull-timeout", "soon"])).toMatchObject({
      _tag: "ConfigError",
      setting: "--pull-timeout"
    })
  })
})
