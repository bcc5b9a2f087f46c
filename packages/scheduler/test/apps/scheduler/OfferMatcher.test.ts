import { describe, expect, it } from "vitest"
import type { Offer } from "../../../src/cluster/Protocol.js"
import { placementFor } from "../../../src/apps/plan/index.js"
import { matchOffer } from "../../../src/apps/scheduler/OfferMatcher.js"
import { taskSpec } from "../../../src/apps/scheduler/TaskBuilder.js"
import { app } from "./cluster.js"

const offer = (resources: Offer["resources"], agentId = "a1", attributes: Record<string, string> = {}): Offer => ({
  offerId: "o1",
  frameworkId: "fw",
  agentId,
  hostname: `${agentId}.example`,
  attributes,
  resources,
  createdAt: 0
})

const web = (extra: Record<string, unknown> = {}) =>
  app({
    id: "/prod/web",
    cmd: "serve",
    container: { docker: { image: "busybox" }, portMappings: [{ containerPort: 80 }, { containerPort: 81 }] },
    cpus: 0.5,
    mem: 100,
    instances: 5,
    ...extra
  })

describe("matchOffer", () => {
  it("launches as many tasks as the offer holds, one host port per port mapping", () => {
    const match = matchOffer(
      offer({ cpus: 1.2, mem: 1000, ports: [{ begin: 31000, end: 31010 }] }),
      [{ app: web(), count: 5, placed: [] }],
      placementFor
    )
    expect(match.launches).toEqual([
      { appId: "/prod/web", hostPorts: [31000, 31001] },
      { appId: "/prod/web", hostPorts: [31002, 31003] }
    ])
    expect(match.unfit).toEqual([{ appId: "/prod/web", reason: "not enough cpus (0.5 needed, 0.2 offered)" }])
  })

  it("takes an exact host port only when it is offered, and says which resource is missing", () => {
    const fixed = web({
      container: { docker: { image: "busybox" }, portMappings: [{ containerPort: 80, hostPort: 8080 }] }
    })
    const no = matchOffer(
      offer({ cpus: 4, mem: 1000, ports: [{ begin: 31000, end: 31010 }] }),
      [{ app: fixed, count: 1, placed: [] }],
      placementFor
    )
    expect(no).toEqual({ launches: [], unfit: [{ appId: "/prod/web", reason: "host port 8080 is not offered" }] })
    const yes = matchOffer(
      offer({ cpus: 4, mem: 1000, ports: [{ begin: 8080, end: 8080 }] }),
      [{ app: fixed, count: 2, placed: [] }],
      placementFor
    )
    expect(yes.launches).toEqual([{ appId: "/prod/web", hostPorts: [8080] }])
    const mem = matchOffer(
      offer({ cpus: 4, mem: 50, ports: [{ begin: 8080, end: 8080 }] }),
      [{ app: fixed, count: 1, placed: [] }],
      placementFor
    )
    expect(mem.unfit[0]!.reason).toBe("not enough mem (100 needed, 50 offered)")
  })

  it("respects constraints against the app's placed tasks (UNIQUE hostname)", () => {
    const unique = web({ constraints: [["hostname", "UNIQUE"]], container: { docker: { image: "busybox" } } })
    const match = matchOffer(offer({ cpus: 8, mem: 8000 }), [{ app: unique, count: 3, placed: [] }], placementFor)
    expect(match.launches).toHaveLength(1)
    expect(match.unfit[0]!.reason).toMatch(/^constraint: /)
    const elsewhere = matchOffer(
      offer({ cpus: 8, mem: 8000 }),
      [{ app: unique, count: 1, placed: [{ agentId: "a2", hostname: "a1.example", attributes: {} }] }],
      placementFor
    )
    expect(elsewhere.launches).toEqual([])
  })
})

describe("matchOffer with reserved resources (acceptedResourceRoles)", () => {
  const one = (extra: Record<string, unknown> = {}) =>
    web({ container: { docker: { image: "busybox" }, portMappings: [{ containerPort: 80 }] }, ...extra })
  const reserved = (role: string, cpus: number, mem: number, ports?: { begin: number; end: number }) => ({
    role,
    type: "static" as const,
    resources: { cpus, mem, ...(ports === undefined ? {} : { ports: [ports] }) }
  })

  it("takes reserved resources only for an app that accepts the role, ports from the reserved part", () => {
    const onlyReserved = offer({ reserved: [reserved("apps", 1, 256, { begin: 32000, end: 32009 })] })
    const own = matchOffer(
      onlyReserved,
      [{ app: one({ acceptedResourceRoles: ["apps"] }), count: 3, placed: [] }],
      placementFor
    )
    expect(own.launches).toEqual([
      { appId: "/prod/web", hostPorts: [32000], reservation: { role: "apps", type: "static" } },
      { appId: "/prod/web", hostPorts: [32001], reservation: { role: "apps", type: "static" } }
    ])
    expect(own.unfit).toEqual([
      { appId: "/prod/web", reason: "not enough cpus (0.5 needed, 0 offered) (reserved for apps)" }
    ])

    // the default (["*"]) waits, and says the resources that would fit are another role's
    const byDefault = matchOffer(onlyReserved, [{ app: one(), count: 1, placed: [] }], placementFor)
    expect(byDefault.launches).toEqual([])
    expect(byDefault.unfit).toEqual([
      {
        appId: "/prod/web",
        reason: 'only resources of roles it does not accept fit (reserved for apps; acceptedResourceRoles ["*"])'
      }
    ])
  })

  it("takes only unreserved resources by default, and none of another role's reservation", () => {
    const both = offer({
      cpus: 0.5,
      mem: 100,
      ports: [{ begin: 31000, end: 31000 }],
      reserved: [reserved("apps", 4, 1000, { begin: 32000, end: 32009 })]
    })
    const match = matchOffer(both, [{ app: one(), count: 2, placed: [] }], placementFor)
    expect(match.launches).toEqual([{ appId: "/prod/web", hostPorts: [31000] }])
    expect(match.unfit[0]!.reason).toBe(
      'only resources of roles it does not accept fit (reserved for apps; acceptedResourceRoles ["*"])'
    )
    // a role whose resources are not in the offer: nothing to take, and the reason says so
    const other = matchOffer(
      both,
      [{ app: one({ acceptedResourceRoles: ["ops"] }), count: 1, placed: [] }],
      placementFor
    )
    expect(other.launches).toEqual([])
    expect(other.unfit[0]!.reason).toMatch(
      /^only resources of roles it does not accept fit \(reserved for apps, unreserved;/
    )
    const none = matchOffer(
      offer({ reserved: [reserved("apps", 0.1, 10)] }),
      [{ app: one({ acceptedResourceRoles: ["ops"] }), count: 1, placed: [] }],
      placementFor
    )
    expect(none.unfit[0]!.reason).toBe('no resources of its accepted roles offered (acceptedResourceRoles ["ops"])')
  })

  it("with both accepted, fills the reservation first, then unreserved resources; never splits a task", () => {
    const both = offer({
      cpus: 1,
      mem: 1000,
      ports: [{ begin: 31000, end: 31009 }],
      reserved: [reserved("apps", 0.75, 1000, { begin: 32000, end: 32009 })]
    })
    const match = matchOffer(
      both,
      [{ app: one({ acceptedResourceRoles: ["apps", "*"] }), count: 5, placed: [] }],
      placementFor
    )
    // 0.75 reserved cpus hold one task of 0.5 (the 0.25 left is not combined with unreserved cpus)
    expect(match.launches).toEqual([
      { appId: "/prod/web", hostPorts: [32000], reservation: { role: "apps", type: "static" } },
      { appId: "/prod/web", hostPorts: [31000] },
      { appId: "/prod/web", hostPorts: [31001] }
    ])
    expect(match.unfit[0]!.reason).toBe(
      "not enough cpus (0.5 needed, 0.25 offered) (reserved for apps); not enough cpus (0.5 needed, 0 offered)"
    )
    // a reservation of a parent role serves an app of a sub-role; revocable reserved parts are not used
    const parent = matchOffer(
      offer({ reserved: [reserved("apps", 1, 1000), { ...reserved("apps/web", 1, 1000), revocable: true }] }),
      [
        {
          app: web({ acceptedResourceRoles: ["apps/web"], container: { docker: { image: "busybox" } } }),
          count: 3,
          placed: []
        }
      ],
      placementFor
    )
    expect(parent.launches).toEqual([
      { appId: "/prod/web", hostPorts: [], reservation: { role: "apps", type: "static" } },
      { appId: "/prod/web", hostPorts: [], reservation: { role: "apps", type: "static" } }
    ])
  })
})

describe("taskSpec", () => {
  it("runs cmd with sh -c, publishes the container ports on the chosen host ports, labels the app", () => {
    const spec = taskSpec(web({ labels: { team: "a" } }), {
      taskId: "prod.web.1",
      version: "v1",
      hostPorts: [31000, 31001],
      secrets: { env: { A: "1" }, files: [{ path: "/run/s", content: "eA==" }] }
    })
    expect(spec).toMatchObject({
      taskId: "prod.web.1",
      image: "busybox",
      command: ["sh", "-c", "serve"],
      env: { A: "1", MARATHON_APP_ID: "/prod/web", MARATHON_APP_VERSION: "v1", PORT0: "80", PORT_HOST0: "31000" },
      labels: { team: "a", "orchestrator.app-id": "/prod/web", "orchestrator.app-version": "v1" },
      resources: {
        cpus: 0.5,
        mem: 100,
        ports: [
          { begin: 31000, end: 31000 },
          { begin: 31001, end: 31001 }
        ]
      },
      containerPorts: [80, 81],
      files: [{ path: "/run/s", content: "eA==", mode: 0o400 }]
    })
  })

  it("names the reservation a task's resources come from", () => {
    const spec = taskSpec(web(), {
      taskId: "prod.web.2",
      version: "v1",
      hostPorts: [32000, 32001],
      secrets: { env: {}, files: [] },
      reservation: { role: "apps", type: "dynamic" }
    })
    expect(spec.resources).toEqual({
      reserved: [
        {
          role: "apps",
          type: "dynamic",
          resources: {
            cpus: 0.5,
            mem: 100,
            ports: [
              { begin: 32000, end: 32000 },
              { begin: 32001, end: 32001 }
            ]
          }
        }
      ]
    })
  })
})
