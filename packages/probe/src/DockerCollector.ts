/**
 * The Docker collector: every container of the local engine in the `containers` topology, and the images they
 * use in `container_images`, read from the engine's unix socket with node:http (no dockerode on the hot path).
 *
 * | field / set / metric                       | source                                             | notes                              |
 * |--------------------------------------------|----------------------------------------------------|------------------------------------|
 * | node id                                    | full container id                                  | images: image id (`sha256:…`)      |
 * | `docker_container_name`, `_state`          | `GET /containers/json?all=1`                       | name without `/`; running, paused, exited… |
 * | `docker_image_name`, `_tag`, `_id`         | the list (the image reference, its id)             | name without the tag               |
 * | `docker_container_created`                 | the list                                           | ISO 8601                           |
 * | `docker_network_mode`, set `ips`           | inspect `HostConfig`, `NetworkSettings.Networks`   | IPv4 and global IPv6               |
 * | labels                                     | the list's `Labels`                                | `node.labels`                      |
 * | set `ports`                                | the list's `Ports`                                 | `0.0.0.0:8080->80/tcp`, `80/tcp`   |
 * | set `mounts`                               | the list's `Mounts`, inspect `HostConfig.Tmpfs`    | `source:destination:rw\|ro`        |
 * | set `env`                                  | inspect `Config.Env`                               | `NAME=value`, secrets redacted     |
 * | {@link Keys} (limits, pid, command, status…) | inspect `HostConfig`, `State`                    | memory bytes, CPU shares/quota/period, `--cpus`, pids |
 * | metric `cpu`                               | cgroup `cpuacct.usage` / `cpu.stat` deltas         | percent of ONE core (may pass 100) |
 * | metric `memory`                            | cgroup usage minus inactive file cache             | bytes, as `docker stats`           |
 * | metrics `network_{rx,tx}_bytes_per_second` | `/proc/<pid>/net/dev` of the container's namespace | none in host network mode          |
 * | metrics `disk_{read,write}_bytes_per_second` | cgroup `blkio.throttle.io_service_bytes` / `io.stat` |                                |
 * | parents                                    | `hosts` (the probe's host id), `container_images`, `pods` (Kubernetes label) |          |
 * | controls                                   | the `docker.*` controls the container's state offers (see `DockerControls`) |           |
 *
 * **Cost**: one engine request per run in steady state (the container list); inspect only for containers that
 * are new or changed (events and state changes invalidate the cache); the image list every minute; counters
 * from cgroup files (measured here: 4.5 ms of CPU for 40 containers, against ~725 ms of machine CPU for the
 * stats API, see `internal/docker/stats.ts`), the stats API only for containers whose cgroup files cannot be
 * read (a probe without the host's /proc and /sys/fs/cgroup).
 *
 * **Events**: a streaming `GET /events` (containers only) invalidates the cache and calls `ctx.requestReport`
 * when a container is created, starts, dies, pauses, unpauses, is renamed or removed, so it shows in the next
 * report within about a second. The stream reconnects with capped, jittered backoff.
 *
 * **Gotchas**
 *
 * - An unreachable engine is not an error of the hook: the run returns no nodes and a `docker/engine` health
 *   entry with status `failed`; `docker/events` reads `degraded` while the event stream is down.
 * - Secrets in env: the values of the variables a container's `orchestrator.secret-env` label lists
 *   (`secretEnvLabel` of `@orchestrator/core/docker`; the scheduler sets it on containers whose env it filled
 *   from secrets) are always replaced by `<redacted>`, whatever their names, and those values (4 characters or
 *   more) are also replaced wherever else they occur in the node (other env values, the command, labels).
 *   Values of names that look secret (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*KEY*`, `*CREDENTIAL*`, `*AUTH*`…)
 *   and passwords in URLs are replaced too, unless `redactEnv: false`. The label itself holds names only.
 * - The plugin's tagger `secrets` replaces those listed values in the nodes of the container's processes too
 *   (a task started as `app --password "$DB"` has the value in its command line).
 * - Rates need two readings: a container's first run has only `memory`.
 * - Each {@link plugin} call keeps its own caches and event stream: register one instance per probe, and
 *   `close()` it when done (the stream also closes by itself after `idleCloseMs` without a run).
 * - In a container, mount the host's /proc and /sys/fs/cgroup and pass `procRoot` and `cgroupRoot`, or the
 *   collector falls back to the stats API (much dearer, see above).
 *
 * @since 0.1.0
 */
import { existsSync } from "node:fs"
import { Plugin, Topology } from "@orchestrator/core"
import { Schema } from "effect"
import { ContainerCollector, type CollectorStats } from "./internal/docker/collector.js"
import { defaultSocketPath as socketFromEnv } from "./internal/docker/engine.js"
import { Keys as NodeKeys } from "./internal/docker/nodes.js"
import { processContainers, scrubProcesses } from "./internal/docker/processSecrets.js"

/**
 * The plugin's name, also its collector's name: health entries read `docker/collector/docker`, and the
 * collector's own ones `docker/engine`, `docker/events` and `docker/stats`.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "docker"

/**
 * The engine socket used when the options name none: `DOCKER_HOST` when it is `unix://…`, else
 * `/var/run/docker.sock` (TCP engines are not supported).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultSocketPath = (): string => socketFromEnv()

/**
 * Whether an engine socket exists at `socketPath` (default {@link defaultSocketPath}), for hosts that register
 * the Docker plugins only where Docker is installed (an unreachable engine otherwise reads `failed` in every
 * report's health).
 *
 * @since 0.1.0
 * @category predicates
 */
export const available = (socketPath: string = defaultSocketPath()): boolean => existsSync(socketPath)

/**
 * Latest-value keys the collector writes beyond the well-known ones in `Fields.Latest` (resource limits,
 * pid, command, status, image size...).
 *
 * @since 0.1.0
 * @category constants
 */
export const Keys = NodeKeys

/**
 * The Docker collector's options; every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export const Options = Schema.Struct({
  /** The engine's unix socket (default: `DOCKER_HOST` when it is `unix://…`, else `/var/run/docker.sock`). */
  socketPath: Schema.optionalKey(Schema.String),
  /**
   * Replace the values of env variables whose names look secret (default true). The variables a container's
   * `orchestrator.secret-env` label lists are redacted whatever this says.
   */
  redactEnv: Schema.optionalKey(Schema.Boolean),
  /** List the `docker.*` controls a container's state offers on its node (default true). */
  controls: Schema.optionalKey(Schema.Boolean),
  /**
   * Where counters come from: `auto` (default: cgroup files, the stats API for containers whose files cannot be
   * read), `cgroup`, `api` or `off`.
   */
  stats: Schema.optionalKey(Schema.Literals(["auto", "cgroup", "api", "off"])),
  /** Follow the engine's event stream for early reports (default true). */
  events: Schema.optionalKey(Schema.Boolean),
  /** Where the host's /proc is mounted (default `/proc`). */
  procRoot: Schema.optionalKey(Schema.String),
  /** Where the host's cgroup hierarchy is mounted (default `/sys/fs/cgroup`). */
  cgroupRoot: Schema.optionalKey(Schema.String),
  /** The most one engine request may take, in ms (default 5,000). */
  requestTimeoutMs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0))),
  /** First and longest wait before reopening the event stream, in ms (defaults 250 and 10,000). */
  reconnectInitialMs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0))),
  reconnectMaxMs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0))),
  /** How often the image list is read again, in ms (default 60,000). */
  imagesRefreshMs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))),
  /** Close the event stream after this long without a run, in ms (default 300,000). */
  idleCloseMs: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type Options = typeof Options.Type

/**
 * The collector's counters: engine requests, runs, inspects, counter readings by source, and the event
 * stream's state.
 *
 * @since 0.1.0
 * @category models
 */
export type Stats = CollectorStats

/**
 * The plugin {@link plugin} returns: a plugin plus `stats()` and `close()`.
 *
 * @since 0.1.0
 * @category models
 */
export interface DockerCollectorPlugin extends Plugin.Plugin<typeof name, Options, typeof Options.Encoded> {
  /** Counters since the first run (zeros before it). */
  readonly stats: () => Stats
  /** Stops the event stream (a later run starts it again). */
  readonly close: () => void
}

const zeroStats: Stats = {
  requests: 0,
  runs: 0,
  inspects: 0,
  cgroupReadings: 0,
  apiReadings: 0,
  events: { connected: false, connects: 0, attempts: 0, events: 0, lastError: undefined }
}

/**
 * Makes the Docker collector plugin.
 *
 * ```ts
 * import { DockerCollector } from "@orchestrator/probe"
 * const docker = DockerCollector.plugin()
 * registry.register(docker, { socketPath: "/var/run/docker.sock" })
 * // on shutdown
 * docker.close()
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const plugin = (): DockerCollectorPlugin => {
  let state: ContainerCollector | undefined

  const collectorFor = (options: Options): ContainerCollector => {
    if (state !== undefined) return state
    state = new ContainerCollector({
      socketPath: options.socketPath ?? defaultSocketPath(),
      redactEnv: options.redactEnv ?? true,
      controls: options.controls ?? true,
      stats: options.stats ?? "auto",
      events: options.events ?? true,
      procRoot: options.procRoot ?? "/proc",
      cgroupRoot: options.cgroupRoot ?? "/sys/fs/cgroup",
      requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
      reconnectInitialMs: options.reconnectInitialMs ?? 250,
      reconnectMaxMs: options.reconnectMaxMs ?? 10_000,
      imagesRefreshMs: options.imagesRefreshMs ?? 60_000,
      idleCloseMs: options.idleCloseMs ?? 300_000
    })
    return state
  }

  const definition = Plugin.definePlugin({
    name,
    version: "0.1.0",
    apiVersion: 1,
    description:
      "Docker containers and their images: names, images, state, labels, env (secrets redacted), ports, mounts, " +
      "IPs, limits; CPU, memory, network and block-I/O rates; early reports on container events",
    options: Options,
    collectors: [
      {
        name,
        collect: (ctx) => {
          const collector = collectorFor(ctx.options)
          collector.requestReport = ctx.requestReport
          return collector.collect(ctx)
        }
      }
    ],
    taggers: [
      {
        name: "secrets",
        // a report whose process command lines could not be scrubbed goes without them
        failClosed: [Topology.Topologies.processes],
        // also when the collector never ran (disabled in the probe's config): the state is made here, and the
        // containers of the processes are inspected
        tag: async (fragment, ctx) =>
          scrubProcesses(fragment, await collectorFor(ctx.options).secretsOf(processContainers(fragment), ctx.signal))
      }
    ]
  })

  return {
    ...definition,
    stats: () => state?.stats() ?? zeroStats,
    close: () => state?.close()
  }
}
