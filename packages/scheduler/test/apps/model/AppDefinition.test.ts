import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { AppDefinition, dnsName, Group, resolvePath } from "../../../src/apps/model/AppDefinition.js"

const decode = Schema.decodeUnknownSync(AppDefinition)
const failure = (input: unknown): string => {
  try {
    decode(input)
  } catch (error) {
    return String(error)
  }
  throw new Error("expected a decoding failure")
}

describe("AppDefinition", () => {
  it("decodes Marathon's app JSON and fills Marathon's defaults", () => {
    const app = decode({
      id: "/prod/web",
      cmd: "httpd -f -p 8080",
      container: { type: "DOCKER", docker: { image: "busybox" }, portMappings: [{ containerPort: 8080 }] },
      healthChecks: [
        { protocol: "MESOS_HTTP", path: "/health" },
        { protocol: "TCP", portIndex: 0 }
      ],
      constraints: [
        ["hostname", "UNIQUE"],
        ["rack", "GROUP_BY", "3"]
      ],
      env: { LOG: "info", PASSWORD: { secret: "db" } },
      secrets: { db: { env: "DB_PASSWORD" } }
    })
    expect(app.instances).toBe(1)
    expect(app.cpus).toBe(1)
    expect(app.mem).toBe(128)
    expect(app.upgradeStrategy).toEqual({
      minimumHealthCapacity: 1,
      maximumOverCapacity: 1,
      deadlineSeconds: 600,
      rollbackOnFailure: false
    })
    expect([app.backoffSeconds, app.backoffFactor, app.maxLaunchDelaySeconds]).toEqual([1, 1.15, 300])
    expect(app.container.portMappings[0]).toMatchObject({
      containerPort: 8080,
      hostPort: 0,
      servicePort: 0,
      protocol: "tcp"
    })
    expect(app.healthChecks[0]).toMatchObject({
      protocol: "HTTP",
      path: "/health",
      gracePeriodSeconds: 300,
      intervalSeconds: 60,
      timeoutSeconds: 20,
      maxConsecutiveFailures: 3
    })
    expect(app.healthChecks[1]?.protocol).toBe("TCP")
    expect(app.env.PASSWORD).toEqual({ secret: "db" })
    expect(app.acceptedResourceRoles).toEqual(["*"])
  })

  it("names the field of a bad definition", () => {
    expect(failure({ id: "/Prod/Web", container: { docker: { image: "x" } } })).toMatch(/\["id"\]/)
    expect(failure({ id: "/prod/web", container: { docker: { image: "x" } }, instances: -1 })).toMatch(
      /\["instances"\]/
    )
    expect(failure({ id: "/prod/web", container: { docker: { image: "" } } })).toMatch(
      /\["container"\]\["docker"\]\["image"\]/
    )
    expect(
      failure({ id: "/a", container: { docker: { image: "x" } }, upgradeStrategy: { minimumHealthCapacity: 1.5 } })
    ).toMatch(/minimumHealthCapacity/)
    expect(failure({ id: "/a", container: { docker: { image: "x" } }, constraints: [["hostname", "NEAR"]] })).toMatch(
      /constraints/
    )
    // a value of the wrong type is named as such, not as an excess element
    const numeric = failure({ id: "/a", container: { docker: { image: "x" } }, constraints: [["rack", "LIKE", 3]] })
    expect(numeric).toMatch(/Expected string/)
    expect(numeric).toMatch(/\[2\]/)
    expect(
      failure({ id: "/a", container: { docker: { image: "x" } }, constraints: [["a", "LIKE", "b", "c"]] })
    ).toMatch(/\[3\]/)
    expect(failure({ id: "/a", container: { docker: { image: "x" } }, healthChecks: [{ protocol: "UDP" }] })).toMatch(
      /healthChecks/
    )
    expect(failure({ id: "/a", container: { docker: { image: "x" } }, acceptedResourceRoles: [] })).toMatch(
      /\["acceptedResourceRoles"\]/
    )
    expect(failure({ id: "/a", container: { docker: { image: "x" } }, acceptedResourceRoles: ["*", ""] })).toMatch(
      /\["acceptedResourceRoles"\]\[1\]/
    )
  })

  it("decodes nested groups with relative ids", () => {
    const group = Schema.decodeUnknownSync(Group)({
      id: "/prod",
      apps: [{ id: "web", container: { docker: { image: "x" } }, dependencies: ["../shared/db"] }],
      groups: [{ id: "jobs", apps: [{ id: "cron", container: { docker: { image: "x" } } }] }]
    })
    expect(group.apps[0]?.id).toBe("web")
    expect(group.groups[0]?.apps[0]?.instances).toBe(1)
    expect(group.dependencies).toEqual([])
  })

  it("resolves paths and names apps the DNS way", () => {
    expect(resolvePath("web", "/prod")).toBe("/prod/web")
    expect(resolvePath("../db", "/prod/web")).toBe("/prod/db")
    expect(resolvePath("/abs/x", "/prod")).toBe("/abs/x")
    expect(resolvePath("./a/./b", "/")).toBe("/a/b")
    expect(dnsName("/prod/web")).toBe("web.prod.orchestrator")
    expect(dnsName("/prod/web", "svc.local")).toBe("web.prod.svc.local")
  })
})
