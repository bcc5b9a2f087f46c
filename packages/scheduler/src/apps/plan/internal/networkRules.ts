/**
 * The network rules of one app, as `[field, reason]` pairs: the two ways of naming the network agree, and a
 * host-network app publishes no port mappings.
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
      "a host-network task publishes no ports (it listens on the agent's network itself); remove the port mappings or use the bridge network"
    ])
  return problems
}
