/**
 * The agent host's configuration from flags and environment, and the layer it runs.
 *
 * @since 0.1.0
 */
import { Flags } from "@orchestrator/core"
import { DockerClient, type DockerUnavailable } from "@orchestrator/core/docker"
import { ZooKeeperClient, type ZooKeeperUnavailable } from "@orchestrator/core/zookeeper"
import { Layer } from "effect"
import { Agent, type AgentOptions } from "../agent/Agent.js"
import { InvalidRequest } from "../ClusterError.js"
import type { ListenError } from "../http/HttpServer.js"
import * as Resources from "../Resources.js"
import * as HostFlags from "./hostFlags.js"

/**
 * An agent host's settings: the agent's options, the Docker socket, and where the master is.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentConfig {
  readonly options: AgentOptions
  readonly dockerSocket?: string
  readonly master:
    | { readonly _tag: "Url"; readonly url: string }
    | {
        readonly _tag: "ZooKeeper"
        readonly connectString: string
        readonly root: string
        readonly sessionTimeoutMs?: number
      }
}

/**
 * The host's usage text.
 *
 * @since 0.1.0
 * @category constants
 */
export const usage = `Usage: orchestrator-agent [flags]

  --master <url>                the master (default http://127.0.0.1:5050 without --zk; env AGENT_MASTER)
  --zk <host:port,...>          follow the leader elected in ZooKeeper instead (env AGENT_ZK)
  --zk-root <path>              the masters' root znode (default /orchestrator/scheduler)
  --host <addr>                 address to listen on (default 0.0.0.0; env AGENT_HOST)
  --port <n>                    port (default 5051; env AGENT_PORT)
  --hostname <name>             the host name the master sees (default: the OS hostname)
  --advertise-url <url>         the URL the master uses (default http://<host or hostname>:<port>)
  --agent-id <id>               stable id; containers are found again by it (default: the hostname)
  --attributes <k:v;k:v>        declared attributes, e.g. "rack:r1;zone:a"
  --resources <text>            declared resources, e.g. "cpus:4;mem:4096;disk:10000;ports:[31000-32000]";
                                cpus(eng):2 reserves statically for role eng, licenses:3 is a custom scalar,
                                zones:{a,b} a set, cpus{revocable}:4 revocable
                                (default: detected)
  --work-dir <dir>              where detected disk is measured (default /)
  --docker-socket <path>        the Docker socket (default /var/run/docker.sock or DOCKER_HOST=unix://...)
  --heartbeat-interval <dur>    heartbeat period (default 5s)
  --pids-limit <n>              pids limit for tasks that set none (default 1024)
  --kill-grace <dur>            SIGTERM to SIGKILL delay for tasks that set none (default 0s)
  --pull-timeout <dur>          the most one image pull may take (default 5m)
  --help                        show this help
`

const table: Flags.Table = {
  "--master": { key: "master", kind: "string" },
  "--zk": { key: "zk", kind: "string" },
  "--zk-root": { key: "zkRoot", kind: "string" },
  "--host": { key: "host", kind: "string" },
  "--port": { key: "port", kind: "int" },
  "--hostname": { key: "hostname", kind: "string" },
  "--advertise-url": { key: "advertiseUrl", kind: "string" },
  "--agent-id": { key: "agentId", kind: "string" },
  "--attributes": { key: "attributes", kind: "string" },
  "--resources": { key: "resources", kind: "string" },
  "--work-dir": { key: "workDir", kind: "string" },
  "--docker-socket": { key: "dockerSocket", kind: "string" },
  "--heartbeat-interval": { key: "heartbeatIntervalMs", kind: "duration" },
  "--pids-limit": { key: "defaultPidsLimit", kind: "int" },
  "--kill-grace": { key: "killGraceMs", kind: "duration" },
  "--pull-timeout": { key: "pullTimeoutMs", kind: "duration" }
}

/**
 * Parses `name:value` pairs separated by `;` (`rack:r1;zone:a`).
 *
 * @since 0.1.0
 * @category parsers
 */
export const parseAttributes = (text: string): Record<string, string> | Flags.ConfigError => {
  const attributes: Record<string, string> = {}
  for (const pair of text.split(";").filter((p) => p.trim() !== "")) {
    const colon = pair.indexOf(":")
    if (colon <= 0) {
      return new Flags.ConfigError({
        setting: "--attributes",
        reason: `expects name:value pairs separated by ';', got "${pair}"`
      })
    }
    attributes[pair.slice(0, colon).trim()] = pair.slice(colon + 1).trim()
  }
  return attributes
}

/**
 * Reads flags then environment (`AGENT_MASTER`, `AGENT_ZK`, `AGENT_HOST`, `AGENT_PORT`); `Help` for `--help`,
 * a `ConfigError` naming the flag for anything wrong (bad resources name the resource).
 *
 * @since 0.1.0
 * @category parsers
 */
export const fromArgs = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>> = {}
): AgentConfig | { readonly _tag: "Help" } | Flags.ConfigError => {
  const read = HostFlags.read(table, args, env, {
    AGENT_MASTER: "--master",
    AGENT_ZK: "--zk",
    AGENT_HOST: "--host",
    AGENT_PORT: "--port"
  })
  if (read._tag !== "Settings") return read
  const { values } = read
  const badPort = HostFlags.checkPort(values)
  if (badPort !== undefined) return badPort
  const attributes = parseAttributes((values.attributes as string | undefined) ?? "")
  if (attributes instanceof Flags.ConfigError) return attributes
  const text = values.resources as string | undefined
  const resources = text === undefined ? undefined : Resources.parse(text, "resources")
  if (resources instanceof InvalidRequest)
    return new Flags.ConfigError({ setting: "--resources", reason: resources.message })
  const killGraceMs = values.killGraceMs as number | undefined
  const options = {
    ...HostFlags.pick(values, [
      "host",
      "port",
      "hostname",
      "advertiseUrl",
      "agentId",
      "workDir",
      "heartbeatIntervalMs",
      "defaultPidsLimit",
      "pullTimeoutMs"
    ]),
    attributes,
    ...(resources === undefined ? {} : { resources }),
    ...(killGraceMs === undefined ? {} : { killGraceSeconds: Math.round(killGraceMs / 1000) })
  } as AgentOptions
  const zk = values.zk as string | undefined
  const dockerSocket = values.dockerSocket as string | undefined
  return {
    options,
    ...(dockerSocket === undefined ? {} : { dockerSocket }),
    master:
      zk === undefined
        ? { _tag: "Url", url: (values.master as string | undefined) ?? "http://127.0.0.1:5050" }
        : {
            _tag: "ZooKeeper",
            connectString: zk,
            root: (values.zkRoot as string | undefined) ?? "/orchestrator/scheduler"
          }
  }
}

/**
 * The agent the configuration describes, with its Docker client (and ZooKeeper client to find the leader).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: AgentConfig
): Layer.Layer<Agent, ListenError | DockerUnavailable | ZooKeeperUnavailable> => {
  const docker = DockerClient.layer(config.dockerSocket === undefined ? {} : { socketPath: config.dockerSocket })
  return config.master._tag === "Url"
    ? Agent.layer({ ...config.options, masterUrl: config.master.url }).pipe(Layer.provide(docker))
    : Agent.layerZooKeeper({ ...config.options, root: config.master.root }).pipe(
        Layer.provide(
          Layer.merge(
            docker,
            ZooKeeperClient.layer({
              connectString: config.master.connectString,
              ...(config.master.sessionTimeoutMs === undefined
                ? {}
                : { sessionTimeoutMs: config.master.sessionTimeoutMs })
            })
          )
        )
      )
}
