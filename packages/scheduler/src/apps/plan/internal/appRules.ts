/**
 * The semantic rules of one app, as `[field, reason]` pairs (fields relative to the app).
 *
 * @internal
 */
import {
  type AppDefinition,
  type AppPort,
  appPortsOf,
  networkModeOf,
  servicePortFieldOf
} from "../../model/AppDefinition.js"
import type { ValidationContext } from "../validate.js"
import { resolveDependency } from "./graph.js"
import { canaryProblems } from "./canaryRules.js"
import { networkProblems } from "./networkRules.js"
import { volumeProblems } from "./volumeRules.js"
import { duplicateOf } from "./duplicates.js"
import { isProblem, parseConstraint } from "./parseConstraint.js"

const defaultServicePorts = { min: 10_000, max: 10_100 }

const servicePortField = servicePortFieldOf

/** The field of a port's required host port. */
const hostPortField = (port: AppPort) =>
  port.field.startsWith("container.") ? `${port.field}.hostPort` : servicePortField(port)

/** How problems name a port: `portMappings[0]`, `portDefinitions[0]`, `ports[0]`. */
const short = (port: AppPort | undefined) => port?.field.replace(/^container\./, "") ?? "?"

/** What the app's ports are called in messages. */
const portNoun = (app: AppDefinition) => (networkModeOf(app) === "bridge" ? "port mapping" : "port definition")

const portProblems = (app: AppDefinition, context: ValidationContext): ReadonlyArray<readonly [string, string]> => {
  const ports = appPortsOf(app)
  const range = context.servicePorts ?? defaultServicePorts
  const problems: Array<readonly [string, string]> = []
  for (const p of ports) {
    if (p.servicePort !== undefined && p.servicePort !== 0 && (p.servicePort < range.min || p.servicePort > range.max))
      problems.push([
        servicePortField(p),
        `service port ${p.servicePort} is outside the service port range ${range.min}-${range.max} (use 0 to get one assigned)`
      ])
  }
  for (const p of ports)
    if (p.name !== undefined && /^host[0-9]+$/.test(p.name))
      problems.push([
        `${p.field}.name`,
        `port name ${JSON.stringify(p.name)} would overwrite the task's PORT_${p.name.toUpperCase()} variable (the host port of port ${p.name.slice(4)}); choose another name`
      ])
  for (const d of duplicateOf(ports, (p) => p.name))
    problems.push([
      `${ports[d.index]?.field}.name`,
      `port name ${JSON.stringify(d.key)} is already used by ${short(ports[d.first])}`
    ])
  for (const d of duplicateOf(ports, (p) => (p.servicePort ? String(p.servicePort) : undefined)))
    problems.push([
      servicePortField(ports[d.index] as AppPort),
      `service port ${d.key} is already used by ${short(ports[d.first])}`
    ])
  // a host port is one resource of the offer, whatever the protocol: it can serve one port of the task only
  for (const d of duplicateOf(ports, (p) => (p.hostPort === undefined ? undefined : String(p.hostPort))))
    problems.push([
      hostPortField(ports[d.index] as AppPort),
      `host port ${d.key} is already used by ${short(ports[d.first])} (one host port per port, whatever the protocol)`
    ])
  return problems
}

const checkProblems = (app: AppDefinition): ReadonlyArray<readonly [string, string]> => {
  const ports = appPortsOf(app)
  const noun = portNoun(app)
  const problems: Array<readonly [string, string]> = []
  for (const [i, hc] of app.healthChecks.entries()) {
    const at = `healthChecks[${i}]`
    if (hc.protocol === "COMMAND") {
      if (hc.command === undefined)
        problems.push([`${at}.command`, "a COMMAND health check needs command.value (run with sh -c)"])
      continue
    }
    if (hc.command !== undefined)
      problems.push([`${at}.command`, `only COMMAND health checks take a command; this one is ${hc.protocol}`])
    if (hc.port !== undefined && hc.portIndex !== undefined)
      problems.push([`${at}.port`, "give port or portIndex, not both"])
    else if (hc.port === undefined && ports.length === 0)
      problems.push([
        `${at}.portIndex`,
        `a ${hc.protocol} health check needs a port: the app has no ${noun}s (add one, or set port)`
      ])
    else if (hc.portIndex !== undefined && hc.portIndex >= ports.length)
      problems.push([
        `${at}.portIndex`,
        `port index ${hc.portIndex} does not exist: the app has ${ports.length} ${noun}(s) (indexes 0-${ports.length - 1})`
      ])
  }
  const names = ports.map((p) => p.name).filter((n): n is string => n !== undefined)
  for (const [i, rc] of app.readinessChecks.entries()) {
    const at = `readinessChecks[${i}]`
    if (rc.portName !== undefined && !names.includes(rc.portName))
      problems.push([
        `${at}.portName`,
        `no ${noun} is named ${JSON.stringify(rc.portName)} (names: ${names.length === 0 ? "none" : names.join(", ")})`
      ])
    else if (rc.portName === undefined && ports.length === 0)
      problems.push([`${at}.portName`, `a readiness check needs a port: the app has no ${noun}s`])
    if (rc.httpStatusCodesForReady.length === 0)
      problems.push([`${at}.httpStatusCodesForReady`, "no status code would ever count as ready"])
  }
  return problems
}

const referenceProblems = (app: AppDefinition): ReadonlyArray<readonly [string, string]> => {
  const problems: Array<readonly [string, string]> = []
  const secrets = Object.keys(app.secrets)
  const known = (name: string) => Object.hasOwn(app.secrets, name)
  const listed = secrets.length === 0 ? "the app declares no secrets" : `secrets: ${secrets.join(", ")}`
  for (const [name, value] of Object.entries(app.env))
    if (typeof value === "object" && !known(value.secret))
      problems.push([
        `env.${name}`,
        `refers to secret ${JSON.stringify(value.secret)}, which is not in secrets (${listed})`
      ])
  for (const [i, file] of app.secretFiles.entries())
    if (!known(file.secret))
      problems.push([
        `secretFiles[${i}].secret`,
        `refers to secret ${JSON.stringify(file.secret)}, which is not in secrets (${listed})`
      ])
  for (const d of duplicateOf(app.secretFiles, (f) => f.containerPath))
    problems.push([`secretFiles[${d.index}].containerPath`, `${d.key} is already written by secretFiles[${d.first}]`])
  for (const [j, dependency] of app.dependencies.entries()) {
    const path = resolveDependency(dependency, app.id)
    if (path === app.id || app.id.startsWith(`${path}/`) || path === "/")
      problems.push([
        `dependencies[${j}]`,
        path === app.id ? "an app cannot depend on itself" : `depends on ${path}, a group that contains the app itself`
      ])
  }
  return problems
}

/** The checks on one app; fields relative to the app. */
export const ownProblems = (
  app: AppDefinition,
  context: ValidationContext
): ReadonlyArray<readonly [string, string]> => {
  const problems: Array<readonly [string, string]> = []
  if (app.id === "/") problems.push(["id", "an app needs a name: / is the root group"])
  if (app.cmd !== undefined && app.args !== undefined)
    problems.push(["args", "give cmd (run with sh -c) or args (replacing the image's command), not both"])
  problems.push(...portProblems(app, context), ...checkProblems(app), ...referenceProblems(app))
  problems.push(...networkProblems(app))
  problems.push(...volumeProblems(app))
  problems.push(...canaryProblems(app))
  if (app.autoscale !== undefined) {
    const { min, max } = app.autoscale
    if (min > max) problems.push(["autoscale.min", `min ${min} is above max ${max}`])
    else if (app.instances < min || app.instances > max)
      problems.push(["instances", `${app.instances} is outside the autoscale range [${min}, ${max}]`])
  }
  const unreachable = app.unreachableStrategy
  // 0 reads as "the same as inactiveAfterSeconds" (what apps stored before the default changed hold)
  if (
    unreachable !== "disabled" &&
    unreachable.expungeAfterSeconds > 0 &&
    unreachable.expungeAfterSeconds < unreachable.inactiveAfterSeconds
  )
    problems.push([
      "unreachableStrategy.expungeAfterSeconds",
      `${unreachable.expungeAfterSeconds} is below inactiveAfterSeconds ${unreachable.inactiveAfterSeconds} (a task is replaced before it is forgotten, as in Marathon)`
    ])
  for (const [i, constraint] of app.constraints.entries()) {
    const parsed = parseConstraint(constraint)
    if (isProblem(parsed)) problems.push([`constraints[${i}][2]`, parsed.reason])
  }
  problems.push(...roleProblems(app, context.role))
  return problems
}

/** Accepted resource roles named twice, or (given the scheduler's role) neither `*` nor the app's role. */
const roleProblems = (
  app: AppDefinition,
  schedulerRole: string | undefined
): ReadonlyArray<readonly [string, string]> => {
  const roles = app.acceptedResourceRoles
  const problems: Array<readonly [string, string]> = duplicateOf(roles, (r) => r).map((d) => [
    `acceptedResourceRoles[${d.index}]`,
    `${JSON.stringify(d.key)} is already acceptedResourceRoles[${d.first}]`
  ])
  if (schedulerRole === undefined) return problems
  const own = app.role ?? schedulerRole
  for (const [i, role] of roles.entries()) {
    if (role !== "*" && role !== own)
      problems.push([
        `acceptedResourceRoles[${i}]`,
        `${JSON.stringify(role)} is neither "*" (unreserved resources) nor the app's role ${JSON.stringify(own)}`
      ])
  }
  return problems
}
