/**
 * The collectors and controls a probe runs unless told otherwise, chosen from its settings:
 *
 * | plugin             | what                                              | off with          |
 * |--------------------|---------------------------------------------------|-------------------|
 * | `host`             | the host node                                     | `hostCollector: false` |
 * | `process`          | every process from /proc                          | `--no-processes`  |
 * | `network`          | TCP/UDP endpoints per network namespace (+ conntrack with `--conntrack`) | `--no-processes` |
 * | `docker`           | containers and images from the Docker socket      | `--no-docker`     |
 * | `docker-controls`  | start, stop, pause, logs, exec... on containers   | `--no-docker` (refused with `--no-controls`) |
 * | `kubernetes`       | pods, services, deployments, namespaces (watches) | `--no-kubernetes` |
 *
 * Docker and Kubernetes cost nothing when absent: the Docker collector reports "socket unreachable" in its
 * health and retries with backoff; the Kubernetes collector loads its client only when a kubeconfig or an
 * in-cluster config exists.
 *
 * @since 0.1.0
 */
import type { Plugin } from "@orchestrator/core"
import * as DockerCollector from "./DockerCollector.js"
import * as DockerControls from "./DockerControls.js"
import * as HostCollector from "./HostCollector.js"
import * as KubernetesCollector from "./KubernetesCollector.js"
import * as NetworkCollector from "./NetworkCollector.js"
import * as ProcessCollector from "./ProcessCollector.js"
import type { ProbeConfig } from "./ProbeConfig.js"

/**
 * A plugin with the options to register it with.
 *
 * @since 0.1.0
 * @category models
 */
export type Entry = Plugin.AnyPlugin | readonly [plugin: Plugin.AnyPlugin, options: unknown]

/**
 * Which built-in plugins to run; every field defaults to the probe's settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface Selection
  extends Pick<
    Partial<ProbeConfig>,
    "processes" | "docker" | "kubernetes" | "conntrack" | "procRoot" | "dockerSocket" | "kubeconfig" | "controlsEnabled"
  > {
  /** Run the host collector (default true). */
  readonly host?: boolean
  /** The host id, used as the Kubernetes node name unless a kubeconfig says otherwise. */
  readonly hostname?: string
}

const entry = (plugin: Plugin.AnyPlugin, options: Record<string, unknown>): Entry =>
  Object.keys(options).length === 0 ? plugin : [plugin, options]

/**
 * The built-in plugins for these settings, in registration order.
 *
 * @since 0.1.0
 * @category constructors
 */
export const entries = (selection: Selection): ReadonlyArray<Entry> => {
  const proc = selection.procRoot !== undefined ? { procRoot: selection.procRoot } : {}
  const socket = selection.dockerSocket !== undefined ? { socketPath: selection.dockerSocket } : {}
  const out: Array<Entry> = []
  if (selection.host !== false) out.push(entry(HostCollector.plugin() as Plugin.AnyPlugin, proc))
  if (selection.processes !== false) {
    out.push(entry(ProcessCollector.plugin() as Plugin.AnyPlugin, proc))
    out.push(
      entry(NetworkCollector.plugin() as Plugin.AnyPlugin, {
        ...proc,
        ...(selection.conntrack === true ? { conntrack: true } : {})
      })
    )
  }
  if (selection.docker !== false) {
    // Container nodes list the controls they offer; none when the probe refuses controls.
    const controls = selection.controlsEnabled === false ? { controls: false } : {}
    out.push(entry(DockerCollector.plugin() as Plugin.AnyPlugin, { ...socket, ...proc, ...controls }))
    out.push(entry(DockerControls.plugin() as Plugin.AnyPlugin, socket))
  }
  if (selection.kubernetes !== false) {
    out.push(
      entry(KubernetesCollector.plugin() as Plugin.AnyPlugin, {
        ...(selection.kubeconfig !== undefined ? { kubeconfig: selection.kubeconfig } : {}),
        ...(selection.hostname !== undefined ? { nodeName: selection.hostname } : {})
      })
    )
  }
  return out
}
