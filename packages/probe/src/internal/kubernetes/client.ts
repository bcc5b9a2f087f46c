/**
 * The connection to the Kubernetes API server. `@kubernetes/client-node` is imported here, lazily, only when
 * a configuration was found: it loads kubeconfig files (contexts, merging), and resolves the TLS settings
 * and credentials of every request (tokens, token files that rotate, client certificates, exec and OIDC
 * plugins, proxies). The requests themselves go over `node:http`/`node:https` and return raw JSON, so lists
 * and watch streams are parsed once, straight into the collector's small records (the client's generated
 * models and its informer cache of whole objects would cost more CPU and memory per object).
 */
import type * as Http from "node:http"
import type * as https from "node:https"
import { http, https as loadHttps } from "../nodeHttp.js"
import type { KubeConfig } from "@kubernetes/client-node"
import type { ConfigSource } from "./config.js"

let loaded = false

/**
 * Whether this process has imported `@kubernetes/client-node` through {@link connect}. Tests use it to
 * check that a probe without a Kubernetes configuration never loads it.
 */
export const clientLoaded = (): boolean => loaded

/** An authenticated GET against the API server. */
export interface ApiClient {
  /** The API server's URL, for messages. */
  readonly server: string
  /**
   * Sends `GET <server><path>?<query>` and resolves with the response whatever its status (the caller reads
   * or drains the body); rejects when no response arrives (connection refused, TLS failure, abort).
   */
  get(path: string, query: Readonly<Record<string, string>>, signal: AbortSignal): Promise<Http.IncomingMessage>
}

type Cluster = NonNullable<ReturnType<KubeConfig["getCurrentCluster"]>>

const load = async (source: Exclude<ConfigSource, { readonly _tag: "Missing" }>): Promise<KubeConfig> => {
  const k8s = await import("@kubernetes/client-node")
  loaded = true
  const config = new k8s.KubeConfig()
  if (source._tag === "InCluster") {
    // As KubeConfig.loadFromCluster does, but from the environment the collector was given.
    const host = source.host.includes(":") && !source.host.startsWith("[") ? `[${source.host}]` : source.host
    const scheme = source.port === "80" || source.port === "8080" || source.port === "8001" ? "http" : "https"
    config.loadFromClusterAndUser(
      {
        name: "inCluster",
        server: `${scheme}://${host}:${source.port}`,
        caFile: `${source.dir}/ca.crt`,
        skipTLSVerify: false
      },
      { name: "inClusterUser", authProvider: { name: "tokenFile", config: { tokenFile: `${source.dir}/token` } } }
    )
    return config
  }
  const [first, ...rest] = source.paths
  config.loadFromFile(first!)
  // Like kubectl: the first file's current context wins, and the first definition of a name wins.
  for (const path of rest) {
    const more = new k8s.KubeConfig()
    more.loadFromFile(path)
    if (config.currentContext === "" || config.currentContext === undefined) config.currentContext = more.currentContext
    for (const cluster of more.clusters) if (config.getCluster(cluster.name) === null) config.addCluster(cluster)
    for (const user of more.users) if (config.getUser(user.name) === null) config.addUser(user)
    for (const context of more.contexts) if (config.getContextObject(context.name) === null) config.addContext(context)
  }
  return config
}

/**
 * Loads the configuration and returns a client for its current context. Rejects when the client library
 * cannot be imported or the configuration is unusable (no current cluster, unreadable files).
 */
export const connect = async (source: Exclude<ConfigSource, { readonly _tag: "Missing" }>): Promise<ApiClient> => {
  const config = await load(source)
  const cluster: Cluster | null = config.getCurrentCluster()
  if (cluster === null) throw new Error("the configuration has no current cluster")
  const base = cluster.server.replace(/\/+$/, "")
  const secure = new URL(base).protocol === "https:"
  const request = secure ? loadHttps().request : http.request
  return {
    server: base,
    get: async (path, query, signal) => {
      const options: https.RequestOptions = { method: "GET", headers: { Accept: "application/json" } }
      // Fills in the CA, client certificate, Authorization header (refreshing expiring tokens) and agent.
      await config.applyToHTTPSOptions(options)
      const url = new URL(base + path)
      for (const key in query) url.searchParams.set(key, query[key]!)
      return new Promise<Http.IncomingMessage>((resolve, reject) => {
        const req = request(url, { ...options, signal }, resolve)
        req.on("error", reject)
        req.end()
      })
    }
  }
}
