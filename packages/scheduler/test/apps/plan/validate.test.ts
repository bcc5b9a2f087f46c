import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import {
  appProblems,
  flattenGroup,
  groupProblems,
  groupRecords,
  idConflict,
  InvalidApp,
  validateApp,
  validateGroup
} from "../../../src/apps/plan/index.js"
import { app, failure, group, withPorts } from "./helpers.js"

/** The problems of an app as `[field, reason]` pairs. */
const problems = (input: Record<string, unknown>, context = {}) =>
  appProblems(withPorts(1, input), context).map((p) => [p.field, p.reason])

describe("validateApp", () => {
  it("accepts a complete, consistent app and returns it unchanged", () => {
    const valid = withPorts(2, {
      id: "/prod/web",
      cmd: "httpd -f -p 8080",
      healthChecks: [
        { protocol: "HTTP", portIndex: 1 },
        { protocol: "COMMAND", command: { value: "true" } }
      ],
      readinessChecks: [{ portName: "p1" }],
      env: { A: "1", PASSWORD: { secret: "db" } },
      secrets: { db: { env: "DB" } },
      secretFiles: [{ secret: "db", containerPath: "/run/db" }],
      constraints: [
        ["hostname", "UNIQUE"],
        ["rack", "CLUSTER"],
        ["rack", "GROUP_BY", "3"],
        ["rack", "LIKE", "r-[0-9]+"],
        ["rack", "MAX_PER", "2"]
      ],
      autoscale: { metric: "cpu", target: 50, min: 1, max: 4 },
      dependencies: ["../db"],
      upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 }
    })
    expect(appProblems(valid)).toEqual([])
    expect(Effect.runSync(validateApp(valid))).toBe(valid)
  })

  it("fails with the first problem as an InvalidApp naming field and app", () => {
    const error = failure(validateApp(withPorts(1, { cmd: "x", args: ["y"] })))
    expect(error).toEqual(
      new InvalidApp({
        field: "args",
        appId: "/web",
        reason: "give cmd (run with sh -c) or args (replacing the image's command), not both"
      })
    )
    expect(error.message).toBe(
      "/web: args: give cmd (run with sh -c) or args (replacing the image's command), not both"
    )
  })

  it("refuses cmd together with args", () => {
    expect(problems({ cmd: "x", args: ["y"] }).map(([f]) => f)).toEqual(["args"])
    expect(problems({ args: ["y"] })).toEqual([])
  })

  it("checks health check ports against the port mappings", () => {
    expect(problems({ healthChecks: [{ portIndex: 1 }] })).toEqual([
      ["healthChecks[0].portIndex", "port index 1 does not exist: the app has 1 port mapping(s) (indexes 0-0)"]
    ])
    expect(problems({ healthChecks: [{ portIndex: 0 }, { protocol: "TCP" }] })).toEqual([])
    expect(appProblems(app({ healthChecks: [{ protocol: "TCP" }] })).map((p) => [p.field, p.reason])).toEqual([
      [
        "healthChecks[0].portIndex",
        "a TCP health check needs a port: the app has no port mappings (add one, or set port)"
      ]
    ])
    expect(appProblems(app({ healthChecks: [{ port: 8080 }] }))).toEqual([])
    expect(problems({ healthChecks: [{ port: 8080, portIndex: 0 }] })).toEqual([
      ["healthChecks[0].port", "give port or portIndex, not both"]
    ])
  })

  it("requires a command exactly for COMMAND health checks", () => {
    expect(problems({ healthChecks: [{ protocol: "COMMAND" }] })).toEqual([
      ["healthChecks[0].command", "a COMMAND health check needs command.value (run with sh -c)"]
    ])
    expect(problems({ healthChecks: [{ protocol: "HTTP", command: { value: "true" } }] })).toEqual([
      ["healthChecks[0].command", "only COMMAND health checks take a command; this one is HTTP"]
    ])
    expect(appProblems(app({ healthChecks: [{ protocol: "COMMAND", command: { value: "true" } }] }))).toEqual([])
  })

  it("checks readiness port names", () => {
    expect(problems({ readinessChecks: [{ portName: "admin" }] })).toEqual([
      ["readinessChecks[0].portName", 'no port mapping is named "admin" (names: p0)']
    ])
    expect(appProblems(app({ readinessChecks: [{}] })).map((p) => p.field)).toEqual(["readinessChecks[0].portName"])
    expect(problems({ readinessChecks: [{ httpStatusCodesForReady: [] }] })).toEqual([
      ["readinessChecks[0].httpStatusCodesForReady", "no status code would ever count as ready"]
    ])
  })

  it("checks that env values and secret files name declared secrets", () => {
    expect(problems({ env: { PASSWORD: { secret: "db" } } })).toEqual([
      ["env.PASSWORD", 'refers to secret "db", which is not in secrets (the app declares no secrets)']
    ])
    expect(
      problems({
        secrets: { api: { file: "/s" } },
        secretFiles: [
          { secret: "api", containerPath: "/a" },
          { secret: "tls", containerPath: "/a" }
        ]
      })
    ).toEqual([
      ["secretFiles[1].secret", 'refers to secret "tls", which is not in secrets (secrets: api)'],
      ["secretFiles[1].containerPath", "/a is already written by secretFiles[0]"]
    ])
    expect(problems({ env: { X: { secret: "constructor" } } }).map(([f]) => f)).toEqual(["env.X"])
  })

  it("checks autoscale bounds against each other and against instances", () => {
    expect(problems({ instances: 2, autoscale: { metric: "cpu", target: 50, min: 3, max: 1 } })).toEqual([
      ["autoscale.min", "min 3 is above max 1"]
    ])
    expect(problems({ instances: 5, autoscale: { metric: "cpu", target: 50, min: 1, max: 3 } })).toEqual([
      ["instances", "5 is outside the autoscale range [1, 3]"]
    ])
    expect(problems({ instances: 0, autoscale: { metric: "cpu", target: 50, min: 1, max: 3 } })).toEqual([
      ["instances", "0 is outside the autoscale range [1, 3]"]
    ])
  })

  it("accepts only * and the app's role as acceptedResourceRoles (given the scheduler's role), once each", () => {
    expect(problems({}, { role: "apps" })).toEqual([])
    expect(problems({ acceptedResourceRoles: ["apps", "*"] }, { role: "apps" })).toEqual([])
    expect(problems({ acceptedResourceRoles: ["*", "ops", "*"] }, { role: "apps" })).toEqual([
      ["acceptedResourceRoles[2]", '"*" is already acceptedResourceRoles[0]'],
      ["acceptedResourceRoles[1]", '"ops" is neither "*" (unreserved resources) nor the app\'s role "apps"']
    ])
    // the app's own role, when it has one, is the one it may name
    expect(problems({ role: "ops", acceptedResourceRoles: ["ops"] }, { role: "apps" })).toEqual([])
    expect(problems({ acceptedResourceRoles: ["apps"] }, { role: "*" })).toEqual([
      ["acceptedResourceRoles[0]", '"apps" is neither "*" (unreserved resources) nor the app\'s role "*"']
    ])
    // without the scheduler's role (plain validation) any role passes
    expect(problems({ acceptedResourceRoles: ["ops"] })).toEqual([])
  })

  it("refuses a dependency on the app itself or on a group holding it", () => {
    expect(problems({ id: "/prod/web", dependencies: ["web", "/prod/web", "/prod", "db"] })).toEqual([
      ["dependencies[0]", "an app cannot depend on itself"],
      ["dependencies[1]", "an app cannot depend on itself"],
      ["dependencies[2]", "depends on /prod, a group that contains the app itself"]
    ])
  })

  it("checks service ports against the range given in the context, and duplicate ports and names", () => {
    const mappings = (ports: ReadonlyArray<Record<string, unknown>>) =>
      appProblems(app({ container: { docker: { image: "busybox" }, portMappings: ports } }), {
        servicePorts: { min: 20_000, max: 20_010 }
      }).map((p) => [p.field, p.reason])
    expect(mappings([{ containerPort: 80, servicePort: 10_000 }])).toEqual([
      [
        "container.portMappings[0].servicePort",
        "service port 10000 is outside the service port range 20000-20010 (use 0 to get one assigned)"
      ]
    ])
    expect(mappings([{ containerPort: 80, servicePort: 20_010 }, { containerPort: 81 }])).toEqual([])
    expect(
      mappings([
        { containerPort: 80, servicePort: 20_001, hostPort: 31_000, name: "http" },
        { containerPort: 81, servicePort: 20_001, hostPort: 31_000, name: "http" },
        { containerPort: 82, hostPort: 31_000, protocol: "udp" }
      ])
    ).toEqual([
      ["container.portMappings[1].name", 'port name "http" is already used by portMappings[0]'],
      ["container.portMappings[1].servicePort", "service port 20001 is already used by portMappings[0]"],
      [
        "container.portMappings[1].hostPort",
        "host port 31000 is already used by portMappings[0] (one host port per port, whatever the protocol)"
      ],
      // the same host port for udp is the same offer resource: refused too (it could never be placed)
      [
        "container.portMappings[2].hostPort",
        "host port 31000 is already used by portMappings[0] (one host port per port, whatever the protocol)"
      ]
    ])
    expect(
      appProblems(
        app({ container: { docker: { image: "b" }, portMappings: [{ containerPort: 80, servicePort: 10_100 }] } })
      )
    ).toEqual([])
  })

  it("checks constraint values per operator", () => {
    const of = (...constraints: ReadonlyArray<ReadonlyArray<string>>) => problems({ constraints })
    expect(
      of(["hostname", "UNIQUE"], ["hostname", "UNIQUE", ""], ["rack", "CLUSTER"], ["rack", "CLUSTER", "r1"])
    ).toEqual([])
    expect(of(["hostname", "UNIQUE", "x"])).toEqual([
      ["constraints[0][2]", 'UNIQUE takes no value (got "x"): write ["hostname", "UNIQUE"]']
    ])
    expect(of(["rack", "GROUP_BY"], ["rack", "GROUP_BY", "3"])).toEqual([])
    expect(of(["rack", "GROUP_BY", "three"], ["rack", "GROUP_BY", "0"]).map(([f]) => f)).toEqual([
      "constraints[0][2]",
      "constraints[1][2]"
    ])
    expect(of(["rack", "LIKE", "r[0-9"])[0]?.[1]).toMatch(/^LIKE value "r\[0-9" is not a valid regular expression: /)
    expect(of(["rack", "UNLIKE"])).toEqual([
      ["constraints[0][2]", 'UNLIKE needs a regular expression as value (".*" matches anything)']
    ])
    expect(of(["rack", "MAX_PER", "2"])).toEqual([])
    expect(of(["rack", "MAX_PER"], ["rack", "MAX_PER", "0"], ["rack", "MAX_PER", "1.5"]).map(([, r]) => r)).toEqual([
      'MAX_PER needs a value: the most tasks per distinct field value, e.g. "2"',
      'MAX_PER takes a positive integer, got "0"',
      'MAX_PER takes a positive integer, got "1.5"'
    ])
  })

  it("accepts minimumHealthCapacity 1 with maximumOverCapacity 0, as Marathon", () => {
    expect(problems({ upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 } })).toEqual([])
  })

  it("reports every problem at once", () => {
    expect(
      problems({ cmd: "a", args: ["b"], healthChecks: [{ portIndex: 3 }], env: { X: { secret: "s" } } }).map(([f]) => f)
    ).toEqual(["args", "healthChecks[0].portIndex", "env.X"])
  })
})

describe("validateGroup", () => {
  const web = { id: "web", container: { docker: { image: "busybox" } } }

  it("flattens a valid group: absolute ids, own and inherited dependencies", () => {
    const g = group({
      id: "/prod",
      apps: [
        { ...web, dependencies: ["db"] },
        { ...web, id: "db" }
      ],
      groups: [{ id: "back", dependencies: ["../db"], apps: [{ ...web, id: "api" }] }]
    })
    const apps = Effect.runSync(validateGroup(g))
    expect(apps.map((a) => [a.id, a.dependencies])).toEqual([
      ["/prod/web", ["/prod/db"]],
      ["/prod/db", []],
      ["/prod/back/api", ["/prod/db"]]
    ])
    expect(flattenGroup(g)).toEqual(apps)
  })

  it("prefixes app problems with the app's path in the group", () => {
    const g = group({ id: "/prod", groups: [{ id: "x", apps: [{ ...web, cmd: "a", args: ["b"] }] }] })
    expect(failure(validateGroup(g))).toEqual(
      new InvalidApp({
        field: "groups[0].apps[0].args",
        appId: "/prod/x/web",
        reason: "give cmd (run with sh -c) or args (replacing the image's command), not both"
      })
    )
  })

  it("refuses duplicate app ids and an app id that is a group id", () => {
    const g = group({
      id: "/prod",
      apps: [web, { ...web, id: "/prod/web" }, { ...web, id: "x" }],
      groups: [{ id: "x" }]
    })
    expect(groupProblems(g).map((p) => [p.field, p.reason])).toEqual([
      ["apps[1].id", "duplicate app id (also apps[0])"],
      ["apps[2].id", "/prod/x is also a group (groups[0].id)"]
    ])
  })

  it("names a dependency cycle across apps and groups", () => {
    const g = group({
      id: "/prod",
      apps: [{ ...web, dependencies: ["back"] }],
      groups: [{ id: "back", apps: [{ ...web, id: "api", dependencies: ["/prod/web"] }] }]
    })
    expect(groupProblems(g)).toEqual([
      new InvalidApp({
        field: "apps[0].dependencies[0]",
        appId: "/prod/web",
        reason: "dependency cycle: /prod/back/api -> /prod/web -> /prod/back/api"
      })
    ])
  })

  it("refuses a group that depends on itself, a group holding it or /, with or without apps (once per field)", () => {
    const reasons = (input: Parameters<typeof group>[0]) => groupProblems(group(input)).map((p) => [p.field, p.reason])
    expect(reasons({ id: "/prod", dependencies: ["/prod"], apps: [web] })).toEqual([
      ["dependencies[0]", "group /prod cannot depend on itself"]
    ])
    expect(reasons({ id: "/prod/a", dependencies: ["/prod", "/", "."] })).toEqual([
      ["dependencies[0]", "group /prod/a depends on /prod, a group that contains the group itself"],
      ["dependencies[1]", "group /prod/a depends on /, a group that contains the group itself"],
      ["dependencies[2]", "group /prod/a cannot depend on itself"]
    ])
    expect(
      reasons({
        id: "/a",
        groups: [
          { id: "x", dependencies: ["/a"] },
          { id: "y", dependencies: ["../a/x"] }
        ]
      })
    ).toEqual([["groups[0].dependencies[0]", "group /a/x depends on /a, a group that contains the group itself"]])
    // an app's own dependency on its group is still the app's problem
    expect(reasons({ id: "/prod", apps: [{ ...web, dependencies: ["/prod"] }] })).toEqual([
      ["apps[0].dependencies[0]", "depends on /prod, a group that contains the app itself"]
    ])
  })

  it("refuses duplicate group ids after resolving relative ids, naming the later one", () => {
    const g = group({
      id: "/a",
      groups: [
        { id: "x", dependencies: ["/q"], apps: [{ ...web, id: "w" }] },
        { id: "/a/x", apps: [{ ...web, id: "v" }] }
      ]
    })
    expect(failure(validateGroup(g))).toEqual(
      new InvalidApp({ field: "groups[1].id", reason: "duplicate group id /a/x (also groups[0].id)" })
    )
    expect(groupRecords(g).map((r) => r.id)).toEqual(["/a", "/a/x", "/a/x"])
    const nested = group({ id: "/a", groups: [{ id: "b", groups: [{ id: "/a" }, { id: "../b" }] }] })
    expect(groupProblems(nested).map((p) => [p.field, p.reason])).toEqual([
      ["groups[0].groups[0].id", "group /a is not inside the group /a/b that lists it"],
      ["groups[0].groups[0].id", "duplicate group id /a (also id)"],
      ["groups[0].groups[1].id", "duplicate group id /a/b (also groups[0].id)"]
    ])
  })

  it("refuses apps and groups written with an absolute id outside the group that lists them", () => {
    const g = group({
      id: "/a",
      apps: [
        { ...web, id: "/b/web" },
        { ...web, id: "/a/in" }
      ],
      groups: [{ id: "/b" }, { id: "/a/c", apps: [{ ...web, id: "/a/other" }] }]
    })
    expect(groupProblems(g).map((p) => [p.field, p.reason])).toEqual([
      ["apps[0].id", "app /b/web is not inside the group /a that lists it"],
      ["groups[0].id", "group /b is not inside the group /a that lists it"],
      ["groups[1].apps[0].id", "app /a/other is not inside the group /a/c that lists it"]
    ])
    expect(failure(validateGroup(g))).toMatchObject({ field: "apps[0].id" })
    expect(groupProblems(group({ id: "/", groups: [{ id: "/x", apps: [{ ...web, id: "/x/y" }] }] }))).toEqual([])
  })

  it("checks that dependencies exist when the known ids outside the group are given", () => {
    const g = group({ id: "/prod", apps: [{ ...web, dependencies: ["/shared/db", "/cache"] }] })
    expect(groupProblems(g)).toEqual([])
    expect(groupProblems(g, { knownIds: ["/shared/db"] }).map((p) => [p.field, p.reason])).toEqual([
      ["apps[0].dependencies[1]", "depends on /cache, which is neither an app nor a group"]
    ])
  })
})

describe("idConflict", () => {
  const existing = { apps: ["/db", "/prod/web"], groups: ["/prod", "/prod/empty"] }

  it("refuses an app at a group's id (a record, or apps or records under it)", () => {
    expect(idConflict("/prod/empty", "app", existing)).toBe(
      "/prod/empty is a group: an app and a group cannot share an id"
    )
    expect(idConflict("/prod", "app", { apps: ["/prod/web"], groups: [] })).toBe(
      "/prod is a group: an app and a group cannot share an id"
    )
  })

  it("refuses a group at an app's id, and anything under an app", () => {
    expect(idConflict("/db", "group", existing)).toBe("/db is an app: an app and a group cannot share an id")
    expect(idConflict("/prod/web/x", "app", existing)).toBe("/prod/web is an app, which cannot hold apps")
    expect(idConflict("/db/x/y", "group", existing)).toBe("/db is an app, which cannot hold groups")
  })

  it("accepts new ids, an app replacing itself, and a group replacing a group", () => {
    expect(idConflict("/prod/web", "app", existing)).toBeUndefined()
    expect(idConflict("/prod/api", "app", existing)).toBeUndefined()
    expect(idConflict("/prod", "group", existing)).toBeUndefined()
    expect(idConflict("/other", "group", existing)).toBeUndefined()
    expect(idConflict("/", "group", existing)).toBeUndefined()
  })
})
