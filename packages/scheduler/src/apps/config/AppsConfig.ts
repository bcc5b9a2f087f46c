/**
 * The master host with the app scheduler: the master's flags plus the app scheduler's, and the layer that
 * runs both (the `/v2` API on the master's port, the load balancer on the service ports, apps and
 * deployments stored in ZooKeeper when the master joins a group).
 *
 * @since 0.1.0
 */
import { Flags } from "@orchestrator/core"
import { ZooKeeperClient, type ZooKeeperUnavailable } from "@orchestrator/core/zookeeper"
import { DockerClient, type DockerUnavailable } from "@orchestrator/core/docker"
import { Effect, Layer } from "effect"
import * as HostFlags from "../../cluster/config/hostFlags.js"
import * as MasterConfig from "../../cluster/config/MasterConfig.js"
import type { ListenError } from "../../cluster/http/HttpServer.js"
import { Master } from "../../cluster/master/Master.js"
import * as AppsApi from "../api/AppsApi.js"
import { ZooKeeperRegistration } from "../discovery/ZooKeeperRegistration.js"
import * as AppServerReports from "../metrics/AppServerReports.js"
import * as DockerStats from "../metrics/DockerStats.js"
import type { MetricSources } from "../metrics/MetricSource.js"
import * as ProbeReports from "../metrics/ProbeReports.js"
import { AppScheduler, type AppSchedulerOptions } from "../scheduler/AppScheduler.js"
import { AppStore } from "../store/AppStore.js"

/**
 * A master host's settings with its app scheduler's (`apps` is absent with `--no-apps`).
 *
 * @since 0.1.0
 * @category models
 */
export interface AppsConfig {
  readonly master: MasterConfig.MasterConfig
  readonly apps?: {
    readonly options: AppSchedulerOptions
    /** The znode under which apps and deployments are stored (with `--zk`); default `<zk-root>/apps`. */
    readonly zkRoot?: string
    /** The Docker socket whose container stats feed the autoscaler's `cpu` and `mem` metrics. */
    readonly autoscaleDocker?: string
    /** The app server whose probes' reports feed the autoscaler's `cpu` and `mem` metrics (every host). */
    readonly autoscaleAppServer?: { readonly url: string; readonly token?: string }
    /** Where healthy endpoints are registered in ZooKeeper (Curator's layout), with `--zk`. */
    readonly discoveryZkRoot?: string
  }
}

/**
 * The host's usage text.
 *
 * @since 0.1.0
 * @category constants
 */
export const usage = `${MasterConfig.usage.replace(/ {2}--help[^\n]*\n$/, "")}
App scheduler (Marathon-style apps: the /v2 API on the master's port, a load balancer on the service ports):
  --no-apps                     run the master alone, without the app scheduler
  --service-ports <a-b>         the load balancer's service port range (default 10000-10100)
  --apps-role <role>            the role the app scheduler takes offers in (default *)
  --apps-domain <domain>        the domain of service names, as in web.prod.<domain> (default orchestrator)
  --apps-zk-root <path>         where apps and deployments live in ZooKeeper, with --zk (default <zk-root>/apps);
                                without --zk they live in memory and a restarted master forgets them
  --autoscale-docker <socket>   read the autoscaler's cpu and mem metrics from this Docker engine's container stats
                                (the agents' engine; without it or the next, apps with autoscale are refused)
  --autoscale-app-server <url>  read them from the probes' reports an app server holds (npm start's, every host
                                with a probe); its token, if it has one, from AUTOSCALE_APP_SERVER_TOKEN
  --discovery-zk-root <path>    also register healthy endpoints in ZooKeeper under this path, in Apache Curator's
                                service discovery layout (needs --zk)
  --help                        show this help
`

const appsFlags: Flags.Table = {
  "--no-apps": { key: "appsEnabled", kind: "switch", value: false },
  "--service-ports": { key: "servicePorts", kind: "string" },
  "--apps-role": { key: "appsRole", kind: "string" },
  "--apps-domain": { key: "appsDomain", kind: "string" },
  "--apps-zk-root": { key: "appsZkRoot", kind: "string" },
  "--autoscale-docker": { key: "autoscaleDocker", kind: "string" },
  "--autoscale-app-server": { key: "autoscaleAppServer", kind: "string" },
  "--discovery-zk-root": { key: "discoveryZkRoot", kind: "string" }
}

const range = (text: string): { readonly begin: number; readonly end: number } | Flags.ConfigError => {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim())
  const begin = Number(match?.[1])
  const end = Number(match?.[2])
  return match !== null && begin >= 1 && end <= 65_535 && begin <= end
    ? { begin, end }
    : new Flags.ConfigError({ setting: "--service-ports", reason: `expects a range like 10000-10100, got "${text}"` })
}

/** `--autoscale-app-server`: an http(s) URL; the token from the environment (never a flag, which `ps` shows). */
const appServerOf = (
  text: string,
  env: Readonly<Record<string, string | undefined>>
): { readonly url: string; readonly token?: string } | Flags.ConfigError => {
  const url = URL.canParse(text) ? new URL(text) : undefined
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:"))
    return new Flags.ConfigError({
      setting: "--autoscale-app-server",
      reason: `expects the app server's URL, like http://127.0.0.1:8080, got "${text}"`
    })
  const token = env.AUTOSCALE_APP_SERVER_TOKEN
  return { url: text, ...(token === undefined || token === "" ? {} : { token }) }
}

/**
 * Reads flags then environment (the master's variables); `Help` for `--help`, a `ConfigError` naming the
 * flag for anything wrong.
 *
 * @since 0.1.0
 * @category parsers
 */
export const fromArgs = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>> = {}
): AppsConfig | { readonly _tag: "Help" } | Flags.ConfigError => {
  const read = HostFlags.read({ ...MasterConfig.flags, ...appsFlags }, args, env, MasterConfig.envFlags)
  if (read._tag !== "Settings") return read
  const { values } = read
  const master = MasterConfig.fromValues(values)
  if (master instanceof Flags.ConfigError) return master
  if (values.appsEnabled === false) return { master }
  const servicePorts = values.servicePorts === undefined ? undefined : range(values.servicePorts as string)
  if (servicePorts instanceof Flags.ConfigError) return servicePorts
  const options: AppSchedulerOptions = {
    ...(servicePorts === undefined ? {} : { servicePortRange: servicePorts }),
    ...(values.appsRole === undefined ? {} : { role: values.appsRole as string }),
    ...(values.appsDomain === undefined ? {} : { domain: values.appsDomain as string })
  }
  const zkRoot = values.appsZkRoot as string | undefined
  const autoscaleDocker = values.autoscaleDocker as string | undefined
  const discoveryZkRoot = values.discoveryZkRoot as string | undefined
  if (discoveryZkRoot !== undefined && master.zookeeper === undefined)
    return new Flags.ConfigError({ setting: "--discovery-zk-root", reason: "needs --zk (the ensemble to register in)" })
  const appServer = values.autoscaleAppServer as string | undefined
  const autoscaleAppServer = appServer === undefined ? undefined : appServerOf(appServer, env)
  if (autoscaleAppServer instanceof Flags.ConfigError) return autoscaleAppServer
  if (autoscaleAppServer !== undefined && autoscaleDocker !== undefined)
    return new Flags.ConfigError({
      setting: "--autoscale-app-server",
      reason: "give one source of cpu and mem metrics: --autoscale-docker or --autoscale-app-server"
    })
  return {
    master,
    apps: {
      options,
      ...(zkRoot === undefined ? {} : { zkRoot }),
      ...(autoscaleDocker === undefined ? {} : { autoscaleDocker }),
      ...(autoscaleAppServer === undefined ? {} : { autoscaleAppServer }),
      ...(discoveryZkRoot === undefined ? {} : { discoveryZkRoot })
    }
  }
}

/**
 * The master, and (unless `--no-apps`) its app scheduler with the `/v2` API mounted; one ZooKeeper client
 * serves the election and the app store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: AppsConfig
): Layer.Layer<Master, ListenError | ZooKeeperUnavailable | DockerUnavailable> => {
  const zookeeper = config.master.zookeeper
  if (config.apps === undefined) return MasterConfig.layer(config.master)
  const options = config.apps.options
  const socketPath = config.apps.autoscaleDocker
  const appServer = config.apps.autoscaleAppServer
  /** The scheduler with `cpu` and `mem` from `sources` (the options' own metric sources win). */
  const withSources = <E, R>(sources: Effect.Effect<MetricSources, E, R>) =>
    Layer.unwrap(
      Effect.map(sources, (metricSources) =>
        AppScheduler.layerMasterWithServices({
          ...options,
          metricSources: { ...metricSources, ...options.metricSources }
        })
      )
    )
  const scheduler =
    appServer !== undefined
      ? withSources(Effect.map(AppServerReports.make(appServer), ProbeReports.sources))
      : socketPath !== undefined
        ? withSources(DockerStats.make).pipe(Layer.provide(DockerClient.layer({ socketPath })))
        : AppScheduler.layerMasterWithServices(options)
  /** The API over the scheduler over its store over the master. */
  const stack = <E1, R1, E2, R2>(store: Layer.Layer<AppStore, E1, R1>, master: Layer.Layer<Master, E2, R2>) =>
    AppsApi.layer.pipe(Layer.provideMerge(scheduler), Layer.provideMerge(store), Layer.provideMerge(master))
  if (zookeeper === undefined) return stack(AppStore.layerMemory(), Master.layer(config.master.options))
  const discoveryRoot = config.apps.discoveryZkRoot
  const zkClient = ZooKeeperClient.layer({
    connectString: zookeeper.connectString,
    sessionTimeoutMs: zookeeper.sessionTimeoutMs
  })
  const running = stack(
    AppStore.layerZooKeeper({ root: config.apps.zkRoot ?? `${zookeeper.root}/apps` }),
    Master.layerZooKeeper({ ...config.master.options, root: zookeeper.root })
  )
  return discoveryRoot === undefined
    ? running.pipe(Layer.provide(zkClient))
    : ZooKeeperRegistration.layer({ root: discoveryRoot }).pipe(Layer.provideMerge(running), Layer.provide(zkClient))
}
