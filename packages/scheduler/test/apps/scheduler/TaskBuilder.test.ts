import { describe, expect, it } from "@effect/vitest"
import { secretEnvLabel, secretEnvNames } from "@orchestrator/core/docker"
import { Effect, Schema } from "effect"
import { decodeBody, withoutReadOnly } from "../../../src/apps/api/body.js"
import { AppDefinition } from "../../../src/apps/model/AppDefinition.js"
import { appProblems } from "../../../src/apps/plan/validate.js"
import { taskSpec } from "../../../src/apps/scheduler/TaskBuilder.js"
import { TaskSpec } from "../../../src/cluster/Task.js"

const app = (fields: Record<string, unknown> = {}, container: Record<string, unknown> = {}) =>
  Schema.decodeUnknownSync(AppDefinition)({
    id: "/prod/web",
    ...fields,
    container: { docker: { image: "busybox" }, ...container }
  })

const secrets = { env: { DB_PASSWORD: "s3cr3t", API_TOKEN: "tok_123" }, files: [] }

const build = (definition: AppDefinition, hostPorts: ReadonlyArray<number> = []) => {
  const spec = taskSpec(definition, { taskId: "prod.web.1", version: "v1", hostPorts, secrets })
  // what the builder makes is a valid wire spec
  expect(Schema.decodeUnknownSync(TaskSpec)(spec)).toEqual(spec)
  return spec
}

describe("TaskBuilder.taskSpec", () => {
  it("labels the container with exactly the names of the secret-backed env variables, never their values", () => {
    const spec = build(
      app({
        env: { MODE: "production", DB_PASSWORD: { secret: "db" }, API_TOKEN: { secret: "token" } },
        secrets: { db: { env: "DB" }, token: { file: "/run/token" } }
      })
    )
    expect(spec.labels?.[secretEnvLabel]).toBe("API_TOKEN,DB_PASSWORD")
    expect([...secretEnvNames(spec.labels)].sort()).toEqual(["API_TOKEN", "DB_PASSWORD"])
    const labelText = JSON.stringify(spec.labels)
    expect(labelText).not.toContain("s3cr3t")
    expect(labelText).not.toContain("tok_123")
    // the values still reach the container's environment
    expect(spec.env).toMatchObject({ DB_PASSWORD: "s3cr3t", API_TOKEN: "tok_123" })
  })

  it("puts no secret-env label on an app without secret-backed env", () => {
    const spec = build(app({ env: { MODE: "production" } }))
    expect(spec.labels).not.toHaveProperty(secretEnvLabel)
  })

  it("carries the kill grace period (rounded up to whole seconds) and forcePullImage", () => {
    expect(build(app()).killGraceSeconds).toBe(10)
    expect(build(app({ taskKillGracePeriodSeconds: 2.5 })).killGraceSeconds).toBe(3)
    expect(build(app({ taskKillGracePeriodSeconds: 0 })).killGraceSeconds).toBe(0)
    expect(build(app()).forcePullImage).toBeUndefined()
    expect(build(app({}, { docker: { image: "busybox", forcePullImage: true } })).forcePullImage).toBe(true)
  })

  it("publishes each port mapping with its protocol", () => {
    const tcpOnly = build(app({}, { portMappings: [{ containerPort: 80 }] }), [31000])
    expect(tcpOnly).toMatchObject({ containerPorts: [80] })
    expect(tcpOnly.portProtocols).toBeUndefined()
    const mixed = build(
      app({}, { portMappings: [{ containerPort: 80 }, { containerPort: 53, protocol: "udp" }] }),
      [31000, 31001]
    )
    expect(mixed).toMatchObject({ containerPorts: [80, 53], portProtocols: ["tcp", "udp"] })
  })
})

/** What `PUT /v2/apps/{id}` does with a body: `{ field, reason }` of its 422, or the decoded app. */
const put = (body: Record<string, unknown>) =>
  Effect.runSync(
    Effect.match(decodeBody(AppDefinition, { id: "/prod/web", ...body }, withoutReadOnly), {
      onFailure: (error) => ({ field: error.field, reason: error.reason }),
      onSuccess: (decoded) => decoded
    })
  )

describe("volumes and networks of an app", () => {
  it("turns container.volumes into RO/RW bind mounts", () => {
    const spec = build(
      app(
        {},
        {
          volumes: [
            { containerPath: "/etc/app", hostPath: "/srv/app/config", mode: "RO" },
            { containerPath: "/data", hostPath: "/srv/app/data", mode: "RW" }
          ]
        }
      )
    )
    expect(spec.volumes).toEqual([
      { containerPath: "/etc/app", hostPath: "/srv/app/config", mode: "RO" },
      { containerPath: "/data", hostPath: "/srv/app/data", mode: "RW" }
    ])
    expect(build(app()).volumes).toBeUndefined()
  })

  it("refuses persistent and external volumes, relative paths and a missing hostPath, naming the field", () => {
    const image = { docker: { image: "busybox" } }
    expect(
      put({ container: { ...image, volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 10 } }] } })
    ).toMatchObject({ field: "container.volumes[0].containerPath" })
    expect(
      put({ container: { ...image, volumes: [{ containerPath: "/data", mode: "RW", persistent: { size: 10 } }] } })
    ).toMatchObject({ field: "container.volumes[0]", reason: expect.stringMatching(/persistent volumes/) })
    expect(
      put({
        container: {
          ...image,
          volumes: [{ containerPath: "/data", mode: "RW", external: { name: "db", provider: "dvdi" } }]
        }
      })
    ).toMatchObject({ field: "container.volumes[0]", reason: expect.stringMatching(/external volumes/) })
    expect(put({ container: { ...image, volumes: [{ containerPath: "/data", mode: "RW" }] } })).toMatchObject({
      field: "container.volumes[0]",
      reason: expect.stringMatching(/hostPath/)
    })
    expect(
      put({ container: { ...image, volumes: [{ containerPath: "/data", hostPath: "/srv/../etc", mode: "RW" }] } })
    ).toMatchObject({ field: "container.volumes[0].hostPath" })
    expect(
      put({ container: { ...image, volumes: [{ containerPath: "/data", hostPath: "/srv", mode: "rw" }] } })
    ).toMatchObject({ field: "container.volumes[0].mode" })
  })

  it("chooses the host network from networks or the legacy docker.network; bridge stays the default", () => {
    expect(build(app()).networkMode).toBeUndefined()
    expect(build(app({ networks: [{ mode: "container/bridge" }] })).networkMode).toBeUndefined()
    expect(build(app({ networks: [{ mode: "host" }] })).networkMode).toBe("host")
    expect(build(app({}, { docker: { image: "busybox", network: "HOST" } })).networkMode).toBe("host")
    expect(build(app({}, { docker: { image: "busybox", network: "BRIDGE" } })).networkMode).toBeUndefined()
  })

  it("refuses user-defined networks, contradicting modes, port mappings on the host network and port definitions on the bridge", () => {
    expect(
      put({ container: { docker: { image: "busybox" } }, networks: [{ mode: "container", name: "dcos" }] })
    ).toMatchObject({ field: "networks[0].mode", reason: expect.stringMatching(/not supported/) })
    expect(put({ container: { docker: { image: "busybox", network: "USER" } } })).toMatchObject({
      field: "container.docker.network",
      reason: expect.stringMatching(/not supported/)
    })
    // port definitions are for the host network: on a bridge app validation names the field
    const bridgeProblems = (body: Record<string, unknown>) => appProblems(app(body)).map((p) => p.field)
    expect(bridgeProblems({ portDefinitions: [{ port: 0 }] })).toEqual(["portDefinitions"])
    expect(bridgeProblems({ ports: [8080] })).toEqual(["ports"])
    expect(bridgeProblems({ requirePorts: true })).toEqual(["requirePorts"])
    expect(put({ container: { docker: { image: "busybox" } }, ports: ["8080"] })).toMatchObject({ field: "ports[0]" })
    // what Marathon exports for a bridge app decodes
    const exported = put({
      container: { docker: { image: "busybox", network: "BRIDGE" }, volumes: [] },
      networks: [{ mode: "container/bridge" }],
      portDefinitions: [],
      requirePorts: false
    })
    expect(exported).toMatchObject({ id: "/prod/web" })
    const problems = (definition: AppDefinition) => appProblems(definition).map((p) => [p.field, p.reason])
    expect(problems(app({ networks: [{ mode: "host" }] }, { portMappings: [{ containerPort: 80 }] }))).toEqual([
      ["container.portMappings", expect.stringMatching(/host-network task publishes no ports/)]
    ])
    expect(
      problems(app({ networks: [{ mode: "host" }] }, { docker: { image: "busybox", network: "BRIDGE" } }))
    ).toEqual([["container.docker.network", expect.stringMatching(/contradicts/)]])
    expect(problems(app({ networks: [{ mode: "host" }] }, { docker: { image: "busybox", network: "HOST" } }))).toEqual(
      []
    )
  })
})
