import { describe, expect, it } from "vitest"
import { matchesSelector, parseLabelSelector } from "../../../src/apps/model/LabelSelector.js"

const matches = (labels: Record<string, string>, text: string): boolean => {
  const selector = parseLabelSelector(text)
  if (typeof selector === "string") throw new Error(selector)
  return matchesSelector(labels, selector)
}

describe("label selectors (Marathon's ?label= syntax)", () => {
  const web = { team: "web", tier: "front", "a,b": "x" }

  it("matches existence, ==, !=, in and notin, all requirements together", () => {
    expect(matches(web, "team")).toBe(true)
    expect(matches(web, "owner")).toBe(false)
    expect(matches(web, "team==web")).toBe(true)
    expect(matches(web, "team==db")).toBe(false)
    expect(matches(web, "team!=db")).toBe(true)
    expect(matches(web, "owner!=x")).toBe(true)
    expect(matches(web, "tier in (front, back)")).toBe(true)
    expect(matches(web, "tier in (back)")).toBe(false)
    expect(matches(web, "tier notin (back)")).toBe(true)
    expect(matches(web, "owner notin (x)")).toBe(true)
    expect(matches(web, "owner in (x)")).toBe(false)
    expect(matches(web, "team==web, tier in (front), owner!=me")).toBe(true)
    expect(matches(web, "team==web,tier==back")).toBe(false)
    // a backslash takes the next character literally
    expect(matches(web, "a\\,b==x")).toBe(true)
    expect(matches({ v: "1,2" }, "v in (1\\,2, 3)")).toBe(true)
  })

  it("names what is wrong in a selector it cannot read", () => {
    expect(parseLabelSelector("==web")).toContain("no label key")
    expect(parseLabelSelector("tier in (a, )")).toContain("empty")
    expect(parseLabelSelector("tier maybe (a)")).toContain("is not a requirement")
    expect(parseLabelSelector("a,,b")).toContain("is not a requirement")
  })
})
