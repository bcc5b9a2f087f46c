/**
 * The ports of an app, whichever way it declares them (`appPortsOf`): bridge port mappings, host-network
 * `portDefinitions` and the legacy `ports`, with `requirePorts`; the write-back of assigned service ports, the
 * validation of host-network ports, the env a task gets, the offer matching and what a port change restarts.
 */
import { describe, expect, it } from "vitest"
import type { Offer } from "../../../src/cluster/Protocol.js"
import { TaskSpec } from "../../../src/cluster/Task.js"
import { Schema } from "effect"
import {
  type AppDefinition,
  appPortsOf,
  servicePortFieldOf,
  withServicePortsOf
} from "../../../src/apps/model/AppDefinition.js"
import { changeKind } from "../../../src/apps/plan/deploymentPlan.js"
import { placementFor } from "../../../src/apps/plan/index.js"
import { appProblems } from "../../../src/apps/plan/validate.js"
import { matchOffer } from "../../../src/apps/scheduler/OfferMatcher.js"
import { portEnv, taskSpec } from "../../../src/apps/scheduler/TaskBuilder.js"
import { app } from "../plan/helpers.js"

const host = (input: Record<string, unknown> = {}): AppDefinition => app({ networks: [{ mode: "host" }], ...input })
const problems = (definition: AppDefinition) => appProblems(definition).map((p) => [p.field, p.reason])

describe("appPortsOf", () => {
  it("reads a bridge app's port mappings", () => {
    const bridge = app({
      container: {
        docker: { image: "busybox" },
        portMappings: [
          { containerPort: 80, name: "http", labels: { mode: "http" } },
          { containerPort: 53, hostPort: 5353, servicePort: 10_007, protocol: "udp" }
        ]
      }
    })
    expect(appPortsOf(bridge)).toEqual([
      {
        index: 0,
        field: "container.portMappings[0]",
        servicePort: 0,
        protocol: "tcp",
        name: "http",
        labels: { mode: "http" },
        containerPort: 80,
        hostPort: undefined
      },
      {
        index: 1,
        field: "container.portMappings[1]",
        servicePort: 10_007,
        protocol: "udp",
        name: undefined,
        labels: {},
        containerPort: 53,
        hostPort: 5353
      }
    ])
  })

  it("reads a host app's port definitions: port is the service port, any host port", () => {
    const web = host({
      portDefinitions: [
        { port: 0, name: "http", labels: { mode: "http" } },
        { port: 10_003, protocol: "udp" }
      ]
    })
    expect(appPortsOf(web)).toEqual([
      {
        index: 0,
        field: "portDefinitions[0]",
        servicePort: 0,
        protocol: "tcp",
        name: "http",
        labels: { mode: "http" },
        containerPort: undefined,
        hostPort: undefined
      },
      {
        index: 1,
        field: "portDefinitions[1]",
        servicePort: 10_003,
        protocol: "udp",
        name: undefined,
        labels: {},
        containerPort: undefined,
        hostPort: undefined
      }
    ])
    // the legacy docker.network HOST is the host network too
    expect(
      appPortsOf(app({ container: { docker: { image: "busybox", network: "HOST" } }, portDefinitions: [{ port: 0 }] }))
    ).toHaveLength(1)
  })

  it("reads the legacy ports like port definitions with only a port; one port by default, as in Marathon", () => {
    expect(
      appPortsOf(host({ ports: [0, 10_001] })).map((p) => [p.field, p.servicePort, p.protocol, p.hostPort])
    ).toEqual([
      ["ports[0]", 0, "tcp", undefined],
      ["ports[1]", 10_001, "tcp", undefined]
    ])
    // neither given: Marathon's one default port (any host port, a service port assigned); [] declares none
    expect(appPortsOf(host())).toEqual([
      {
        index: 0,
        field: "portDefinitions[0]",
        servicePort: 0,
        protocol: "tcp",
        name: undefined,
        labels: {},
        containerPort: undefined,
        hostPort: undefined
      }
    ])
    expect(appPortsOf(host({ portDefinitions: [] }))).toEqual([])
    expect(appPortsOf(host({ ports: [] }))).toEqual([])
    expect(appPortsOf(host({ portDefinitions: [], ports: [] }))).toEqual([])
    // not with requirePorts: a required host port must be named (the app has none, as before)
    expect(appPortsOf(host({ requirePorts: true }))).toEqual([])
    expect(withServicePortsOf(host({ requirePorts: true }), [])).toEqual(host({ requirePorts: true }))
  })

  it("with requirePorts makes each port the required host port, without a service port", () => {
    const fixed = host({ portDefinitions: [{ port: 31_005, name: "http" }], requirePorts: true })
    expect(appPortsOf(fixed)).toMatchObject([{ servicePort: undefined, hostPort: 31_005, name: "http" }])
    expect(appPortsOf(host({ ports: [31_005], requirePorts: true }))).toMatchObject([
      { servicePort: undefined, hostPort: 31_005 }
    ])
  })

  it("names the field of each port's service port", () => {
    const field = (definition: AppDefinition) => appPortsOf(definition).map(servicePortFieldOf)
    expect(field(app({ container: { docker: { image: "busybox" }, portMappings: [{ containerPort: 80 }] } }))).toEqual([
      "container.portMappings[0].servicePort"
    ])
    expect(field(host({ portDefinitions: [{ port: 0 }] }))).toEqual(["portDefinitions[0].port"])
    expect(field(host({ ports: [0, 0] }))).toEqual(["ports[0]", "ports[1]"])
  })
})

describe("withServicePortsOf", () => {
  it("writes assigned service ports back where the app declared its ports", () => {
    const bridge = app({ container: { docker: { image: "busybox" }, portMappings: [{ containerPort: 80 }] } })
    expect(withServicePortsOf(bridge, [10_004]).container.portMappings[0]?.servicePort).toBe(10_004)
    const defined = withServicePortsOf(
      host({ portDefinitions: [{ port: 0, name: "http" }, { port: 0 }] }),
      [10_001, 10_002]
    )
    expect(defined.portDefinitions).toEqual([
      { port: 10_001, protocol: "tcp", name: "http", labels: {} },
      { port: 10_002, protocol: "tcp", labels: {} }
    ])
    expect(withServicePortsOf(host({ ports: [0, 10_009] }), [10_000, 10_009]).ports).toEqual([10_000, 10_009])
    // Marathon's default port is written back as the port definition it is
    expect(withServicePortsOf(host(), [10_006]).portDefinitions).toEqual([
      { port: 10_006, protocol: "tcp", labels: {} }
    ])
    // a port without a service port (requirePorts) keeps its declaration
    const fixed = host({ portDefinitions: [{ port: 31_000 }], requirePorts: true })
    expect(withServicePortsOf(fixed, [undefined])).toEqual(fixed)
  })
})

describe("validation of host-network ports", () => {
  it("accepts port definitions, legacy ports and requirePorts on the host network", () => {
    expect(
      problems(
        host({
          portDefinitions: [
            { port: 0, name: "http" },
            { port: 10_050, protocol: "udp" }
          ]
        })
      )
    ).toEqual([])
    expect(problems(host({ ports: [0, 0] }))).toEqual([])
    expect(problems(host({ portDefinitions: [{ port: 31_000 }, { port: 31_001 }], requirePorts: true }))).toEqual([])
    // one host port is one offer resource: tcp and udp on the same number could never both be placed
    expect(
      problems(host({ portDefinitions: [{ port: 31_000 }, { port: 31_000, protocol: "udp" }], requirePorts: true }))
    ).toEqual([
      [
        "portDefinitions[1].port",
        "host port 31000 is already used by portDefinitions[0] (one host port per port, whatever the protocol)"
      ]
    ])
    // what Marathon exports decodes and validates
    expect(problems(host({ portDefinitions: [{ port: 10_000 }], ports: [], requirePorts: false }))).toEqual([])
  })

  it("refuses a port name that would overwrite a PORT_HOST<i> variable", () => {
    expect(
      problems(
        host({
          portDefinitions: [
            { port: 0, name: "host0" },
            { port: 0, name: "hostname" }
          ]
        })
      )
    ).toEqual([
      [
        "portDefinitions[0].name",
        'port name "host0" would overwrite the task\'s PORT_HOST0 variable (the host port of port 0); choose another name'
      ]
    ])
  })

  it("refuses port definitions on a bridge app and port mappings on a host app, naming the field", () => {
    expect(problems(app({ portDefinitions: [{ port: 0 }] }))).toEqual([
      ["portDefinitions", expect.stringMatching(/for host-network apps.*container\.portMappings/)]
    ])
    expect(problems(app({ ports: [0] }))).toEqual([["ports", expect.stringMatching(/for host-network apps/)]])
    expect(problems(app({ requirePorts: true }))).toEqual([["requirePorts", expect.stringMatching(/hostPort/)]])
    expect(
      problems(host({ container: { docker: { image: "busybox" }, portMappings: [{ containerPort: 80 }] } }))
    ).toEqual([["container.portMappings", expect.stringMatching(/declare its ports in portDefinitions/)]])
  })

  it("refuses ports and portDefinitions together, and requirePorts with port 0", () => {
    expect(problems(host({ portDefinitions: [{ port: 0 }], ports: [0] }))).toEqual([
      ["ports", "give portDefinitions or the legacy ports, not both"]
    ])
    expect(problems(host({ portDefinitions: [{ port: 31_000 }, { port: 0 }], requirePorts: true }))).toEqual([
      ["portDefinitions[1].port", expect.stringMatching(/requirePorts needs a fixed host port/)]
    ])
    expect(problems(host({ ports: [0], requirePorts: true }))).toEqual([
      ["ports[0]", expect.stringMatching(/requirePorts needs a fixed host port/)]
    ])
  })

  it("checks service ports, names and required host ports like port mappings", () => {
    expect(problems(host({ portDefinitions: [{ port: 8080 }] }))).toEqual([
      [
        "portDefinitions[0].port",
        "service port 8080 is outside the service port range 10000-10100 (use 0 to get one assigned)"
      ]
    ])
    expect(problems(host({ ports: [10_001, 10_001] }))).toEqual([
      ["ports[1]", "service port 10001 is already used by ports[0]"]
    ])
    expect(
      problems(
        host({
          portDefinitions: [
            { port: 0, name: "a" },
            { port: 0, name: "a" }
          ]
        })
      )
    ).toEqual([["portDefinitions[1].name", 'port name "a" is already used by portDefinitions[0]']])
    expect(problems(host({ portDefinitions: [{ port: 31_000 }, { port: 31_000 }], requirePorts: true }))).toEqual([
      [
        "portDefinitions[1].port",
        "host port 31000 is already used by portDefinitions[0] (one host port per port, whatever the protocol)"
      ]
    ])
    // requirePorts ports are host ports: the service port range does not apply
    expect(problems(host({ ports: [80], requirePorts: true }))).toEqual([])
  })

  it("counts health check port indexes and readiness port names over the port definitions", () => {
    expect(problems(host({ ports: [0], healthChecks: [{ protocol: "TCP", portIndex: 1 }] }))).toEqual([
      ["healthChecks[0].portIndex", "port index 1 does not exist: the app has 1 port definition(s) (indexes 0-0)"]
    ])
    expect(problems(host({ healthChecks: [{ protocol: "HTTP" }] }))).toEqual([])
    expect(problems(host({ portDefinitions: [], healthChecks: [{ protocol: "HTTP" }] }))).toEqual([
      [
        "healthChecks[0].portIndex",
        "a HTTP health check needs a port: the app has no port definitions (add one, or set port)"
      ]
    ])
    expect(
      problems(
        host({
          portDefinitions: [{ port: 0 }, { port: 0, name: "admin" }],
          healthChecks: [{ portIndex: 1 }],
          readinessChecks: [{ portName: "admin" }, { portName: "http" }]
        })
      )
    ).toEqual([["readinessChecks[1].portName", 'no port definition is named "http" (names: admin)']])
  })
})

describe("the task of a host-network app", () => {
  const web = host({
    cmd: "httpd -f -p $PORT0",
    portDefinitions: [
      { port: 10_000, name: "http" },
      { port: 10_001, name: "admin-api", protocol: "udp" }
    ]
  })

  it("gets PORT<i>, PORT_HOST<i>, PORT_<NAME> and PORTS: the host ports", () => {
    expect(portEnv(appPortsOf(web), [31_000, 31_001])).toEqual({
      PORT0: "31000",
      PORT_HOST0: "31000",
      PORT_HTTP: "31000",
      PORT1: "31001",
      PORT_HOST1: "31001",
      PORT_ADMIN_API: "31001",
      PORTS: "31000,31001"
    })
    // on the bridge network PORT<i> is the container port
    const bridge = app({
      container: { docker: { image: "busybox" }, portMappings: [{ containerPort: 8080, name: "web" }] }
    })
    expect(portEnv(appPortsOf(bridge), [31_002])).toEqual({
      PORT0: "8080",
      PORT_HOST0: "31002",
      PORT_WEB: "8080",
      PORTS: "8080"
    })
    expect(portEnv([], [])).toEqual({})
  })

  it("runs on the host network with its host ports as resources and no published container ports", () => {
    const spec = taskSpec(web, {
      taskId: "web.1",
      version: "v1",
      hostPorts: [31_000, 31_001],
      secrets: { env: {}, files: [] }
    })
    expect(Schema.decodeUnknownSync(TaskSpec)(spec)).toEqual(spec)
    expect(spec).toMatchObject({
      networkMode: "host",
      env: { PORT0: "31000", PORT_HTTP: "31000", PORTS: "31000,31001" },
      resources: {
        ports: [
          { begin: 31_000, end: 31_000 },
          { begin: 31_001, end: 31_001 }
        ]
      }
    })
    expect(spec.containerPorts).toBeUndefined()
    expect(spec.portProtocols).toBeUndefined()
  })
})

describe("offers for a host-network app", () => {
  const offer = (begin: number, end: number): Offer => ({
    offerId: "o1",
    frameworkId: "fw",
    agentId: "a1",
    hostname: "a1.example",
    attributes: {},
    resources: { cpus: 4, mem: 1000, ports: [{ begin, end }] },
    createdAt: 0
  })
  const demand = (definition: AppDefinition, count: number) => [{ app: definition, count, placed: [] }]

  it("takes any offered port per definition, or exactly the port with requirePorts", () => {
    const any = host({ portDefinitions: [{ port: 0 }, { port: 0 }], cpus: 1, mem: 10 })
    expect(matchOffer(offer(31_000, 31_003), demand(any, 1), placementFor).launches).toEqual([
      { appId: "/web", hostPorts: [31_000, 31_001] }
    ])
    const fixed = host({ portDefinitions: [{ port: 31_002 }], requirePorts: true, cpus: 1, mem: 10 })
    // one task per agent: the second would need the same port
    expect(matchOffer(offer(31_000, 31_003), demand(fixed, 2), placementFor)).toEqual({
      launches: [{ appId: "/web", hostPorts: [31_002] }],
      unfit: [{ appId: "/web", reason: "host port 31002 is not offered" }]
    })
    expect(matchOffer(offer(31_003, 31_010), demand(fixed, 1), placementFor)).toEqual({
      launches: [],
      unfit: [{ appId: "/web", reason: "host port 31002 is not offered" }]
    })
  })
})

describe("what a port definition change restarts", () => {
  const web = host({ portDefinitions: [{ port: 10_000, name: "http" }] })
  const change = (definitions: ReadonlyArray<Record<string, unknown>>, extra: Record<string, unknown> = {}) =>
    changeKind(web, host({ portDefinitions: definitions, ...extra }))

  it("applies a new service port and labels without a restart", () => {
    expect(change([{ port: 10_000, name: "http" }])).toBe("none")
    expect(change([{ port: 10_005, name: "http" }])).toBe("update")
    expect(change([{ port: 10_000, name: "http", labels: { mode: "http" } }])).toBe("update")
  })

  it("restarts on a new protocol, name, number of ports or requirePorts", () => {
    expect(change([{ port: 10_000, name: "http", protocol: "udp" }])).toBe("restart")
    expect(change([{ port: 10_000, name: "web" }])).toBe("restart")
    expect(change([{ port: 10_000, name: "http" }, { port: 0 }])).toBe("restart")
    expect(change([{ port: 31_000, name: "http" }], { requirePorts: true })).toBe("restart")
    expect(changeKind(web, host({ ports: [10_000] }))).toBe("restart")
  })
})
