import { describe, expect, it } from "vitest"
import { secretEnvLabel, secretEnvNames } from "../src/docker/index.js"

describe("secretEnvLabel", () => {
  it("lists the secret variables' names, trimmed, empty entries dropped", () => {
    expect([...secretEnvNames({ [secretEnvLabel]: "DB, TOKEN,,API_KEY " })]).toEqual(["DB", "TOKEN", "API_KEY"])
  })
  it("is empty for containers without the label or with an empty one", () => {
    expect(secretEnvNames(undefined).size).toBe(0)
    expect(secretEnvNames({ other: "x" }).size).toBe(0)
    expect(secretEnvNames({ [secretEnvLabel]: "" }).size).toBe(0)
  })
})
