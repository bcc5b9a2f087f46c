/**
 * The process collector: one node in the `processes` topology per process of the host, read straight from
 * /proc, incrementally (one small file per process per run; what rarely changes is read once per process).
 *
 * | field / metric / parent | source                                                          | unit / form                 |
 * |-------------------------|-----------------------------------------------------------------|-----------------------------|
 * | id                      | `NodeId.processId(hostId, pid)`                                 | `<host id>;<pid>`           |
 * | `pid`, `ppid`           | /proc/<pid>/stat                                                |                             |
 * | `name`                  | `comm` of /proc/<pid>/stat (the program's base name when `comm` was cut at 15 characters) |   |
 * | `cmdline`               | /proc/<pid>/cmdline, arguments joined by spaces, cut at `maxCommandLength` | read once per process |
 * | `uid`, `user`           | `Uid:` (real uid) of /proc/<pid>/status; the name from /etc/passwd, or from the container's own /etc/passwd for processes in containers | read once per process |
 * | `cwd`                   | link /proc/<pid>/cwd                                            | refreshed with `open_files` |
 * | `threads`               | /proc/<pid>/stat                                                | count                       |
 * | `open_files`            | entries of /proc/<pid>/fd                                       | count, every `openFilesEvery` runs |
 * | `system`                | `"true"` for kernel threads (with `kernelThreads: "system"`) and the probe itself |   |
 * | metric `cpu`            | `utime + stime` deltas of /proc/<pid>/stat                      | percent of ONE core         |
 * | metric `memory`         | RSS of /proc/<pid>/stat x the page size                         | bytes                       |
 * | parent `hosts`          | the probe's host id                                             |                             |
 * | parent `containers`     | the container id in /proc/<pid>/cgroup (Docker, containerd, CRI-O, Podman; cgroup v1 and v2) | 64 hex digits |
 * | parent `pods`           | the pod uid in a Kubernetes cgroup path (`kubepods…/pod<uid>/…`) | Kubernetes uid             |
 *
 * Parent-child relationships between processes are the `ppid` field (views group by it).
 *
 * **Gotchas**
 *
 * - `cpu` needs two readings: a process has no `cpu` sample on its first run.
 * - Zombies are skipped; kernel threads are skipped by default (`kernelThreads: "system"` reports them,
 *   marked `system`).
 * - Reading another user's `cwd`, `fd` or `root/etc/passwd` needs root (or `CAP_SYS_PTRACE`); without it
 *   those fields are simply absent.
 * - In a container, run with the host's pid namespace and mount the host's /proc and /etc (`procRoot`,
 *   `etcRoot`).
 * - Each {@link plugin} call keeps its own process table: register one instance per probe.
 * - Command lines are reported as they are; the Docker plugin's tagger (`docker/tagger/secrets`) replaces the
 *   secret values of a container that has an `orchestrator.secret-env` label in its processes' nodes.
 *
 * @since 0.1.0
 */
import { Fields, NodeId, Plugin, Report, Topology } from "@orchestrator/core"
import { Schema } from "effect"
import { type ProcessInfo, ProcessScanner } from "./internal/proc/processes.js"

/**
 * The plugin's name, also its collector's name: health entries read `process/collector/process`.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "process"

/**
 * The latest-value key of the numeric uid (not among the core's well-known `Fields.Latest` names).
 *
 * @since 0.1.0
 * @category constants
 */
export const uidField = "uid"

/**
 * The process collector's options; every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export const Options = Schema.Struct({
  /** Where the host's /proc is mounted (default `/proc`). */
  procRoot: Schema.optionalKey(Schema.String),
  /** Where the host's /etc is mounted, for /etc/passwd (default `/etc`). */
  etcRoot: Schema.optionalKey(Schema.String),
  /** Kernel threads: `skip` them (default) or report them marked `system`. */
  kernelThreads: Schema.optionalKey(Schema.Literals(["skip", "system"])),
  /** Count each process's open files every this many runs (default 4); new processes are counted at once. */
  openFilesEvery: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  /** Longest command line kept, in characters (default 4096). */
  maxCommandLength: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(16))),
  /** Clock ticks per second of /proc/<pid>/stat times (default 100, `getconf CLK_TCK`). */
  clockTicks: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type Options = typeof Options.Type

/**
 * Builds the report node of one process.
 *
 * @since 0.1.0
 * @category constructors
 */
export const processNode = (hostId: string, now: number, process: ProcessInfo): Report.Node => {
  const parents: Record<string, ReadonlyArray<string>> = { [Topology.Topologies.hosts]: [hostId] }
  if (process.owner.containerId !== undefined) parents[Topology.Topologies.containers] = [process.owner.containerId]
  if (process.owner.podUid !== undefined) parents[Topology.Topologies.pods] = [process.owner.podUid]
  const metrics: Record<string, ReadonlyArray<Report.Sample>> = {
    [Fields.Metrics.memory]: [[now, process.rssBytes]]
  }
  if (process.cpuPercent !== undefined) metrics[Fields.Metrics.cpu] = [[now, process.cpuPercent]]
  return Report.makeNode(Topology.Topologies.processes, NodeId.processId(hostId, process.pid), {
    latest: Report.latestFields(now, {
      [Fields.Latest.name]: process.name,
      [Fields.Latest.pid]: process.pid,
      [Fields.Latest.ppid]: process.ppid,
      [Fields.Latest.command]: process.cmdline === "" ? undefined : process.cmdline,
      [Fields.Latest.user]: process.user,
      [uidField]: process.uid,
      [Fields.Latest.cwd]: process.cwd,
      [Fields.Latest.threads]: process.threads,
      [Fields.Latest.openFiles]: process.openFiles,
      [Fields.Latest.system]: process.kernelThread || process.self ? "true" : undefined
    }),
    metrics,
    parents
  })
}

/**
 * Makes the process collector plugin.
 *
 * ```ts
 * import { ProcessCollector } from "@orchestrator/probe"
 * registry.register(ProcessCollector.plugin(), { kernelThreads: "system" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const plugin = () => {
  let scanner: { readonly key: string; readonly scanner: ProcessScanner } | undefined

  const scannerFor = (options: Options): ProcessScanner => {
    const key = JSON.stringify(options)
    if (scanner === undefined || scanner.key !== key) {
      scanner = {
        key,
        scanner: new ProcessScanner({
          procRoot: options.procRoot ?? "/proc",
          passwdPath: `${options.etcRoot ?? "/etc"}/passwd`,
          clockTicks: options.clockTicks ?? 100,
          openFilesEvery: options.openFilesEvery ?? 4,
          maxCommandLength: options.maxCommandLength ?? 4096,
          kernelThreads: options.kernelThreads === "system"
        })
      }
    }
    return scanner.scanner
  }

  return Plugin.definePlugin({
    name,
    version: "0.1.0",
    apiVersion: 1,
    description: "Every process from /proc: command line, user, cwd, CPU, memory, threads, open files, container",
    options: Options,
    collectors: [
      {
        name,
        collect: (ctx) => {
          const processes = scannerFor(ctx.options).scan(performance.now())
          const nodes: Record<string, Report.Node> = {}
          for (const process of processes) {
            const node = processNode(ctx.hostId, ctx.now, process)
            nodes[node.id] = node
          }
          return { topologies: { [Topology.Topologies.processes]: nodes } }
        }
      }
    ]
  })
}
