/**
 * The network rules of one app, as `[field, reason]` pairs: the two ways of naming the network agree, a
 * host-network app publishes no port mappings and gives its ports in one form (`portDefinitions` or `ports`),
 * fixed when it sets `requirePorts`, and a bridge app has no port definitions.
 *
 * @internal
 */
import type { AppDefinition } from "../../model/AppDefinition.js"

const legacyMode = { BRIDGE: "container/bridge", HOST: "host", USER: "container" } as const

/** Contradicting network modes; port mappings on the host network (nothing is published there). */
export const networkProblems = (app: AppDefinition): ReadonlyArray<readonly [string, string]> => {
  const problems: Array<readonly [string, string]> = []
  const mode = app.networks?.[0]?.mode
  const legacy = app.container.docker.network
  if (mode !== undefined && legacy !== undefined && legacyMode[legacy] !== mode)
    problems.push([
      "container.docker.network",
      `${legacy} contradicts networks[0].mode ${JSON.stringify(mode)}; give one of them`
    ])
  const host = mode === "host" || (mode === undefined && legacy === "HOST")
  if (host && app.container.portMappings.length > 0)
    problems.push([
      "container.portMappings",
      "a host-network task publishes no ports (it listens on the agent's network itself); declare its ports in portDefinitions or use the bridge network"
    ])
  return [...problems, ...(host ? hostPortProblems(app) : bridgePortProblems(app))]
}

/** Port definitions (or legacy ports) on a bridge app: they describe host-network ports only. */
const bridgePortProblems = (app: AppDefinition): ReadonlyArray<readonly [string, string]> => {
  const problems: Array<readonly [string, string]> = []
  const bridge = "on the bridge network declare ports in container.portMappings (or use networks [{ mode: host }])"
  if ((app.portDefinitions?.length ?? 0) > 0)
    problems.push(["portDefinitions", `port definitions are for host-network apps; ${bridge}`])
  if ((app.ports?.length ?? 0) > 0) problems.push(["ports", `ports are for host-network apps; ${bridge}`])
  if (app.requirePorts === true)
    problems.push([
      "requirePorts",
      "requirePorts is for host-network apps; on the bridge network set container.portMappings[].hostPort"
    ])
  return problems
}

/** Both forms of ports at once; `requirePorts` with a port 0 (which would be any port). */
const hostPortProblems = (app: AppDefinition): ReadonlyArray<readonly [string, string]> => {
  const problems: Array<readonly [string, string]> = []
  const definitions = app.portDefinitions ?? []
  const ports = app.ports ?? []
  if (definitions.length > 0 && ports.length > 0)
    problems.push(["ports", "give portDefinitions or the legacy ports, not both"])
  if (app.requirePorts === true) {
    const given = definitions.length > 0 ? definitions.map((d) => d.port) : ports
    const field = definitions.length > 0 ? (i: number) => `portDefinitions[${i}].port` : (i: number) => `ports[${i}]`
    given.forEach((port, i) => {
      if (port === 0)
        problems.push([
          field(i),
          "requirePorts needs a fixed host port (1-65535) for every port; 0 would be any port (set requirePorts false)"
        ])
    })
  }
  return problems
}
