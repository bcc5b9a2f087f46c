/**
 * The master host's configuration from flags and environment, and the layer it runs.
 *
 * @since 0.1.0
 */
import type { Flags } from "@orchestrator/core"
import { ZooKeeperClient, type ZooKeeperUnavailable } from "@orchestrator/core/zookeeper"
import { Layer } from "effect"
import type { ListenError } from "../http/HttpServer.js"
import { Master, type MasterOptions } from "../master/Master.js"
import * as HostFlags from "./hostFlags.js"

/**
 * A master host's settings: the master's options, and the ZooKeeper group to join (if any).
 *
 * @since 0.1.0
 * @category models
 */
export interface MasterConfig {
  readonly options: MasterOptions
  readonly zookeeper?: { readonly connectString: string; readonly root: string; readonly sessionTimeoutMs: number }
}

/**
 * The host's usage text.
 *
 * @since 0.1.0
 * @category constants
 */
export const usage = `Usage: orchestrator-master [flags]

  --host <addr>                 address to listen on (default 0.0.0.0; env MASTER_HOST)
  --port <n>                    port (default 5050; env MASTER_PORT)
  --hostname <name>             this master's host name (default: the OS hostname)
  --advertise-url <url>         the URL agents and frameworks use (default http://<host or hostname>:<port>)
  --master-id <id>              id in logs, offer and framework ids (default <hostname>-<pid>)
  --zk <host:port,...>          ZooKeeper ensemble: run as one of several masters (env MASTER_ZK)
  --zk-root <path>              root znode (default /orchestrator/scheduler)
  --zk-session-timeout <dur>    ZooKeeper session timeout: how fast a dead leader is replaced (default 10s)
  --allocation-interval <dur>   time between allocation cycles (default 1s)
  --agent-timeout <dur>         an agent silent this long is lost (default 15s)
  --offer-timeout <dur>         an unanswered offer is rescinded after this (default 60s)
  --help                        show this help
`

/**
 * The master's flags (for hosts that add flags of their own, such as the app scheduler's).
 *
 * @since 0.1.0
 * @category constants
 */
export const flags: Flags.Table = {
  "--host": { key: "host", kind: "string" },
  "--port": { key: "port", kind: "int" },
  "--hostname": { key: "hostname", kind: "string" },
  "--advertise-url": { key: "advertiseUrl", kind: "string" },
  "--master-id": { key: "masterId", kind: "string" },
  "--zk": { key: "zk", kind: "string" },
  "--zk-root": { key: "zkRoot", kind: "string" },
  "--zk-session-timeout": { key: "zkSessionTimeoutMs", kind: "duration" },
  "--allocation-interval": { key: "allocationIntervalMs", kind: "duration" },
  "--agent-timeout": { key: "agentTimeoutMs", kind: "duration" },
  "--offer-timeout": { key: "offerTimeoutMs", kind: "duration" }
}

/**
 * Reads flags then environment (`MASTER_HOST`, `MASTER_PORT`, `MASTER_ZK`); `Help` for `--help`, a
 * `ConfigError` naming the flag for anything wrong.
 *
 * @since 0.1.0
 * @category parsers
 */
export const fromArgs = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>> = {}
): MasterConfig | { readonly _tag: "Help" } | Flags.ConfigError => {
  const read = HostFlags.read(flags, args, env, envFlags)
  return read._tag === "Settings" ? fromValues(read.values) : read
}

/**
 * The environment variables the master reads, by the flag each stands for.
 *
 * @since 0.1.0
 * @category constants
 */
export const envFlags: Readonly<Record<string, string>> = {
  MASTER_HOST: "--host",
  MASTER_PORT: "--port",
  MASTER_ZK: "--zk"
}

/**
 * The configuration from settings read with {@link flags}.
 *
 * @since 0.1.0
 * @category parsers
 */
export const fromValues = (values: Readonly<Record<string, unknown>>): MasterConfig | Flags.ConfigError => {
  const badPort = HostFlags.checkPort(values)
  if (badPort !== undefined) return badPort
  const options = HostFlags.pick(values, [
    "host",
    "port",
    "hostname",
    "advertiseUrl",
    "masterId",
    "allocationIntervalMs",
    "agentTimeoutMs",
    "offerTimeoutMs"
  ]) as MasterOptions
  const zk = values.zk as string | undefined
  return zk === undefined
    ? { options }
    : {
        options,
        zookeeper: {
          connectString: zk,
          root: (values.zkRoot as string | undefined) ?? "/orchestrator/scheduler",
          sessionTimeoutMs: (values.zkSessionTimeoutMs as number | undefined) ?? 10_000
        }
      }
}

/**
 * The master the configuration describes, with its ZooKeeper client when it joins a group.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: MasterConfig): Layer.Layer<Master, ListenError | ZooKeeperUnavailable> =>
  config.zookeeper === undefined
    ? Master.layer(config.options)
    : Master.layerZooKeeper({ ...config.options, root: config.zookeeper.root }).pipe(
        Layer.provide(
          ZooKeeperClient.layer({
            connectString: config.zookeeper.connectString,
            sessionTimeoutMs: config.zookeeper.sessionTimeoutMs
          })
        )
      )
