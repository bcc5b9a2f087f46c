/**
 * Finds the Kubernetes configuration without loading the Kubernetes client: a few `existsSync` calls, so a
 * probe on a machine without Kubernetes pays nothing. The order is kubectl's, then the in-cluster config:
 * the `kubeconfig` option, else `KUBECONFIG` (a list of files), else `~/.kube/config`, else the pod's
 * service account (`KUBERNETES_SERVICE_HOST`/`_PORT` and its token file).
 */
import { existsSync } from "node:fs"
import { delimiter, join } from "node:path"

/** Where the service account's files are mounted in a pod (below an optional root prefix). */
export const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

/** What the process sees of its environment; tests pass their own. */
export interface Environment {
  readonly env: Readonly<Record<string, string | undefined>>
  /** The home directory, for `~/.kube/config`; `undefined` when there is none. */
  readonly homeDir: string | undefined
}

/** Where the configuration comes from. */
export type ConfigSource =
  /** kubeconfig files, merged in order (the first one's current context wins). */
  | { readonly _tag: "Kubeconfig"; readonly paths: ReadonlyArray<string> }
  /** The in-cluster config: the API server from the environment, the service account's token and CA. */
  | {
      readonly _tag: "InCluster"
      readonly host: string
      readonly port: string
      /** The service-account directory (its `token`, `ca.crt` and `namespace` files). */
      readonly dir: string
    }
  /** The `kubeconfig` option names a file that does not exist. */
  | { readonly _tag: "Missing"; readonly path: string }

/**
 * Finds the configuration to use, or `undefined` when there is none.
 *
 * @param kubeconfig the `kubeconfig` option (wins over everything when set)
 * @param root a prefix for the service-account files (a probe in a container may mount the host's)
 */
export const findConfig = (
  kubeconfig: string | undefined,
  root: string,
  environment: Environment,
  exists: (path: string) => boolean = existsSync
): ConfigSource | undefined => {
  if (kubeconfig !== undefined) {
    return exists(kubeconfig) ? { _tag: "Kubeconfig", paths: [kubeconfig] } : { _tag: "Missing", path: kubeconfig }
  }
  const fromEnv = (environment.env.KUBECONFIG ?? "").split(delimiter).filter((path) => path !== "" && exists(path))
  if (fromEnv.length > 0) return { _tag: "Kubeconfig", paths: fromEnv }
  if (environment.homeDir !== undefined) {
    const home = join(environment.homeDir, ".kube", "config")
    if (exists(home)) return { _tag: "Kubeconfig", paths: [home] }
  }
  const host = environment.env.KUBERNETES_SERVICE_HOST
  const port = environment.env.KUBERNETES_SERVICE_PORT
  const dir = `${root.replace(/\/+$/, "")}${serviceAccountDir}`
  if (host !== undefined && host !== "" && port !== undefined && port !== "" && exists(`${dir}/token`)) {
    return { _tag: "InCluster", host, port, dir }
  }
  return undefined
}

/** Describes a source for health messages. */
export const describeSource = (source: ConfigSource): string => {
  switch (source._tag) {
    case "Kubeconfig":
      return `kubeconfig ${source.paths.join(delimiter)}`
    case "InCluster":
      return "the in-cluster service account"
    case "Missing":
      return `kubeconfig ${source.path} (not found)`
  }
}
