import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { decodeBody, groupWithoutReadOnly, withoutReadOnly } from "../../../src/apps/api/body.js"
import { errorResponse } from "../../../src/apps/api/errors.js"
import { AppDefinition, Group } from "../../../src/apps/model/AppDefinition.js"
import { appProblems } from "../../../src/apps/plan/validate.js"
import { marathonExport } from "./marathonExport.js"

/** What `PUT /v2/apps/{id}` does with a body: strip GET's read-only fields, decode strictly. */
const put = (body: unknown) =>
  Effect.runSync(
    Effect.match(decodeBody(AppDefinition, body, withoutReadOnly), {
      onFailure: (error) => ({ ok: false as const, response: errorResponse(error) }),
      onSuccess: (app) => ({ ok: true as const, app })
    })
  )

describe("Marathon app JSON", () => {
  it("accepts a Marathon 1.x GET export unchanged and keeps what it means", () => {
    const result = put(marathonExport)
    if (!result.ok) throw new Error(JSON.stringify(result.response.body))
    const app = result.app
    expect(app.id).toBe("/prod/web")
    expect(app.cmd).toBe("httpd -f -p 8080 -h /www")
    expect(app.args).toBeUndefined()
    expect(app.instances).toBe(3)
    expect(app.maxLaunchDelaySeconds).toBe(3600)
    expect(app.taskKillGracePeriodSeconds).toBe(10)
    expect(app.healthChecks[0]?.protocol).toBe("HTTP")
    expect(app.unreachableStrategy).toEqual({ inactiveAfterSeconds: 0, expungeAfterSeconds: 0 })
    expect(app.killSelection).toBe("YOUNGEST_FIRST")
    expect(app.labels).toEqual({ HAPROXY_GROUP: "external" })
    expect(app.version).toBeUndefined()
  })

  it("fills Marathon's defaults for unreachableStrategy and killSelection, and takes their other forms", () => {
    const minimal = { id: "/a", container: { docker: { image: "busybox" } } }
    const plain = put(minimal)
    expect(plain.ok && plain.app.unreachableStrategy).toEqual({ inactiveAfterSeconds: 0, expungeAfterSeconds: 0 })
    expect(plain.ok && plain.app.killSelection).toBe("YOUNGEST_FIRST")
    const other = put({ ...minimal, unreachableStrategy: "disabled", killSelection: "OLDEST_FIRST" })
    expect(other.ok && other.app.unreachableStrategy).toBe("disabled")
    expect(other.ok && other.app.killSelection).toBe("OLDEST_FIRST")
    const partial = put({ ...minimal, unreachableStrategy: { inactiveAfterSeconds: 30 } })
    // expungeAfterSeconds may not be below inactiveAfterSeconds: absent, it takes that value; below it, a 422
    expect(partial.ok && partial.app.unreachableStrategy).toEqual({ inactiveAfterSeconds: 30, expungeAfterSeconds: 30 })
    const below = put({ ...minimal, unreachableStrategy: { inactiveAfterSeconds: 30, expungeAfterSeconds: 10 } })
    if (!below.ok) throw new Error(JSON.stringify(below.response.body))
    expect(appProblems(below.app).map((p) => p.field)).toEqual(["unreachableStrategy.expungeAfterSeconds"])
    // 0 reads as inactiveAfterSeconds: apps stored before that default (expunge 0) still validate
    const stored = put({ ...minimal, unreachableStrategy: { inactiveAfterSeconds: 30, expungeAfterSeconds: 0 } })
    if (!stored.ok) throw new Error(JSON.stringify(stored.response.body))
    expect(appProblems(stored.app)).toEqual([])
  })

  it.each([
    ["gpus", { gpus: 1 }, "gpus"],
    ["fetch", { fetch: [{ uri: "https://example.com/app.tgz", extract: true }] }, "fetch"],
    ["uris", { uris: ["https://example.com/app.tgz"] }, "uris"],
    ["storeUrls", { storeUrls: ["https://store.example.com/x"] }, "storeUrls"],
    ["user", { user: "nobody" }, "user"],
    ["executor", { executor: "//cmd" }, "executor"],
    ["residency", { residency: { taskLostBehavior: "WAIT_FOREVER" } }, "residency"],
    ["ipAddress", { ipAddress: { networkName: "dcos" } }, "ipAddress"],
    ["tty", { tty: true }, "tty"],
    [
      "healthChecks[].ipProtocol",
      { healthChecks: [{ protocol: "HTTP", ipProtocol: "IPv6" }] },
      "healthChecks[0].ipProtocol"
    ]
  ])("refuses %s used with a value we cannot honour: 422 naming the field", (_, change, field) => {
    const result = put({ ...marathonExport, ...change })
    if (result.ok) throw new Error(`${field} was accepted`)
    expect(result.response.status).toBe(422)
    const body = result.response.body as { field: string; message: string }
    expect(body.field).toBe(field)
    expect(body.message).toContain("not supported")
  })

  it("refuses a command-only app: every task runs in a Docker container", () => {
    const { container: _, ...commandOnly } = marathonExport
    for (const body of [commandOnly, { ...marathonExport, container: null }]) {
      const result = put(body)
      if (result.ok) throw new Error("a command-only app was accepted")
      expect(result.response.status).toBe(422)
      const answer = result.response.body as { field: string; message: string }
      expect(answer.field).toBe("container")
      expect(answer.message).toContain("container.docker.image is required")
    }
  })

  it("accepts a Marathon group export (empty pods, enforceRole false) and refuses pods", () => {
    const groupExport = {
      id: "/prod",
      apps: [],
      groups: [
        {
          id: "/prod/front",
          apps: [{ ...marathonExport, id: "/prod/front/web" }],
          groups: [],
          pods: [],
          dependencies: [],
          enforceRole: false
        }
      ],
      pods: [],
      dependencies: [],
      version: "2018-03-01T10:12:13.456Z",
      enforceRole: false
    }
    const decodeGroup = (body: unknown) =>
      Effect.runSync(
        Effect.match(decodeBody(Group, body, groupWithoutReadOnly), {
          onFailure: (error) => error.field,
          onSuccess: (group) => group.groups[0]?.apps[0]?.id
        })
      )
    expect(decodeGroup(groupExport)).toBe("/prod/front/web")
    expect(decodeGroup({ ...groupExport, pods: [{ id: "/prod/pod" }] })).toBe("pods")
  })

  it("still refuses a field nobody knows, naming it", () => {
    const result = put({ ...marathonExport, instancez: 2 })
    expect(result.ok).toBe(false)
    if (!result.ok) expect((result.response.body as { field: string }).field).toBe("instancez")
  })
})
