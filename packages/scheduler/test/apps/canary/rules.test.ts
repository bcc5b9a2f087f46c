/**
 * Canary rules and joins without a cluster: the 422s of one app and of a change across apps, how each port of
 * a canary joins its stable app's service ports, and the weighting the load balancer gets.
 */
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import type { Backend } from "../../../src/apps/lb/Backend.js"
import { AppDefinition, appPortsOf } from "../../../src/apps/model/AppDefinition.js"
import { changeKind } from "../../../src/apps/plan/deploymentPlan.js"
import { appProblems } from "../../../src/apps/plan/validate.js"
import { canaryConflict } from "../../../src/apps/plan/internal/canaryRules.js"
import { canaryPorts, canaryWeighting, servicePortsOf } from "../../../src/apps/scheduler/Wiring.js"

const app = (json: Record<string, unknown>): AppDefinition =>
  Schema.decodeUnknownSync(AppDefinition)({ container: { docker: { image: "busybox" } }, ...json })

const http = { containerPort: 8080, labels: { mode: "http" } }
const web = app({
  id: "/prod/web",
  container: { docker: { image: "b" }, portMappings: [{ ...http, servicePort: 10001 }] }
})
const canary = (json: Record<string, unknown> = {}) =>
  app({
    id: "/prod/web-canary",
    container: { docker: { image: "b" }, portMappings: [http] },
    canary: { of: "web", weight: 20 },
    ...json
  })

describe("canary field", () => {
  it("decodes as given and refuses a weight outside 0-100 naming canary.weight", () => {
    expect(canary().canary).toEqual({ of: "web", weight: 20 })
    for (const weight of [-1, 101, Number.NaN]) {
      const decoded = Schema.decodeUnknownExit(AppDefinition)({
        id: "/c",
        container: { docker: { image: "b" } },
        canary: { of: "/web", weight }
      })
      expect(decoded._tag).toBe("Failure")
      expect(String(decoded)).toContain("weight")
    }
  })

  it("refuses a canary with service ports of its own, or pointing at itself", () => {
    const own = canary({
      container: { docker: { image: "b" }, portMappings: [{ ...http, servicePort: 10002 }] },
      canary: { of: "/prod/web-canary", weight: 5 }
    })
    expect(appProblems(own).map((p) => p.field)).toEqual(["canary.of", "container.portMappings[0].servicePort"])
    expect(appProblems(canary())).toEqual([])
  })
})

describe("changing a canary", () => {
  it("restarts no task: a weight change, adding or removing canary only update the definition", () => {
    const { canary: _c, ...plain } = canary()
    expect(changeKind(canary(), canary({ canary: { of: "web", weight: 50 } }))).toBe("update")
    expect(changeKind(canary(), plain)).toBe("update")
    expect(changeKind(plain, canary())).toBe("update")
  })
})

describe("canaryConflict", () => {
  it("accepts a canary of an existing app (relative canary.of resolves against the group)", () => {
    expect(canaryConflict([web], [web, canary()])).toBeUndefined()
  })

  it("refuses canary.of naming no app, a canary, or an app that has one", () => {
    const missing = canaryConflict([], [canary()])
    expect(missing?.field).toBe("canary.of")
    expect(missing?.appId).toBe("/prod/web-canary")
    expect(missing?.reason).toContain("/prod/web, which is not an app")

    const second = app({ id: "/prod/c2", canary: { of: "/prod/web-canary", weight: 1 } })
    const ofCanary = canaryConflict([web, canary()], [web, canary(), second])
    expect(ofCanary?.appId).toBe("/prod/c2")
    expect(ofCanary?.reason).toContain("itself a canary")

    const twice = app({ id: "/prod/zz", canary: { of: "/prod/web", weight: 1 } })
    expect(canaryConflict([web, canary()], [web, canary(), twice])?.reason).toContain("already has a canary")
  })

  it("refuses removing the stable app while its canary stays, not removing both", () => {
    const removed = canaryConflict([web, canary()], [canary()], new Set(["/prod/web"]))
    expect(removed?.field).toBe("canary.of")
    expect(removed?.reason).toContain("which this change removes")
    expect(canaryConflict([web, canary()], [], new Set(["/prod/web", "/prod/web-canary"]))).toBeUndefined()
  })

  it("refuses a second canary of an app even when only the new one changes", () => {
    const twice = app({ id: "/prod/a-second", canary: { of: "/prod/web", weight: 1 } })
    const found = canaryConflict([web, canary()], [web, canary(), twice], new Set(["/prod/a-second"]))
    expect(found?.appId).toBe("/prod/a-second")
    expect(found?.reason).toContain("already has a canary: /prod/web-canary")
  })

  it("ignores stored inconsistencies the change does not touch", () => {
    const other = app({ id: "/other" })
    expect(canaryConflict([canary(), other], [canary(), other], new Set(["/other"]))).toBeUndefined()
    expect(canaryConflict([canary(), other], [canary(), other])).toBeDefined()
  })
})

describe("canaryPorts", () => {
  it("joins port i to the stable's port i when protocol and mode agree, and says why not otherwise", () => {
    const stable = app({
      id: "/prod/web",
      container: {
        docker: { image: "b" },
        portMappings: [
          { ...http, servicePort: 10001 },
          { containerPort: 9000, servicePort: 10002 }
        ]
      }
    })
    const c = canary({
      container: {
        docker: { image: "b" },
        portMappings: [http, { containerPort: 9000, labels: { mode: "http" } }, { containerPort: 7 }]
      }
    })
    expect(canaryPorts(c, stable)).toEqual([
      { portIndex: 0, servicePort: 10001 },
      { portIndex: 1, reason: "load balancer mode http differs from /prod/web's port 1 (tcp)" },
      { portIndex: 2, reason: "/prod/web has no port 2" }
    ])
    expect(canaryPorts(c, undefined)[0]).toEqual({
      portIndex: 0,
      reason: "/prod/web is not an app without a canary of its own"
    })
    const udp = canary({
      container: { docker: { image: "b" }, portMappings: [{ containerPort: 8080, protocol: "udp" }] }
    })
    expect(canaryPorts(udp, stable)[0]).toEqual({
      portIndex: 0,
      reason: "protocol udp differs from /prod/web's port 0 (tcp)"
    })
  })

  it("gives a canary's ports no service port (none is assigned or reserved for them)", () => {
    expect(appPortsOf(canary()).map((p) => p.servicePort)).toEqual([undefined])
    expect(appPortsOf(web).map((p) => p.servicePort)).toEqual([10001])
  })

  it("gives a canary no load-balanced port of its own", () => {
    expect(
      servicePortsOf(canary({ container: { docker: { image: "b" }, portMappings: [{ ...http, servicePort: 10005 }] } }))
    ).toEqual([])
    expect(servicePortsOf(web)).toEqual([{ index: 0, servicePort: 10001 }])
  })
})

describe("canaryWeighting", () => {
  const backends: Array<Backend> = [
    { id: "s1", host: "h", port: 1 },
    { id: "s2", host: "h", port: 2 },
    { id: "c1", host: "h", port: 3 }
  ]
  const isCanary = (b: Backend) => b.id.startsWith("c")

  it("gives the canary weight% in total and the stable tasks the rest", () => {
    expect(canaryWeighting(20, isCanary)(backends)).toEqual([40, 40, 20])
    expect(canaryWeighting(100, isCanary)(backends)).toEqual([0, 0, 100])
  })

  it("gives the canary nothing at weight 0, even without stable backends", () => {
    expect(canaryWeighting(0, isCanary)(backends)).toEqual([50, 50, 0])
    expect(canaryWeighting(0, isCanary)([backends[2]!])).toEqual([0])
    expect(canaryWeighting(30, isCanary)([backends[2]!])).toEqual([undefined])
  })
})
