/**
 * Tasks: what a framework asks to run ({@link TaskSpec}), the states a task goes through and the status the
 * agent reports ({@link TaskStatus}). The same schemas are the wire format between framework, master and agent.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Resources } from "./Resources.js"

/**
 * A task's state. `staging`: the master sent it to the agent; `starting`: the agent is creating its container;
 * `running`; then one terminal state: `finished` (exit code 0), `failed` (non-zero exit, or the container could
 * not start), `killed` (on request), `lost` (its agent went away, or the container vanished).
 *
 * @since 0.1.0
 * @category models
 */
export const TaskState = Schema.Literals(["staging", "starting", "running", "finished", "failed", "killed", "lost"])

/**
 * @since 0.1.0
 * @category models
 */
export type TaskState = typeof TaskState.Type

const terminal: ReadonlySet<TaskState> = new Set(["finished", "failed", "killed", "lost"])

/**
 * Whether a state is final (the task's resources are free again).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isTerminal = (state: TaskState): boolean => terminal.has(state)

/**
 * Ids of tasks, agents and frameworks: letters, digits, `.`, `_`, `-`, at most 128 characters (they become
 * Docker labels, container names and znode names).
 *
 * @since 0.1.0
 * @category models
 */
export const Id = Schema.String.check(
  Schema.makeFilter(
    (id) =>
      /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id) || "expects letters, digits, '.', '_' or '-' (1-128 characters)"
  )
)

/**
 * The most a task's {@link TaskSpec} `files` may hold, decoded, all files together: 512 KiB. Their base64 form
 * travels in the launch request, whose body the master and the agent cap at 1 MB.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxFilesBytes = 512 * 1024

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * Why `path` cannot be a task file's path, or `undefined` when it can: absolute, no empty, `.` or `..`
 * segments, no NUL, at most 4,096 bytes.
 *
 * @since 0.1.0
 * @category predicates
 */
export const invalidFilePath = (path: string): string | undefined => {
  if (!path.startsWith("/")) return "expects an absolute path (starting with '/')"
  if (Buffer.byteLength(path) > 4_096) return "expects a path of at most 4096 bytes"
  if (path.includes("\0")) return "expects a path without NUL characters"
  const segments = path.slice(1).split("/")
  if (segments.some((segment) => segment === "" || segment === "." || segment === ".."))
    return "expects a normalized path to a file: no empty, '.' or '..' segments, no trailing '/'"
  return undefined
}

/**
 * Why `path` cannot be a bind mount's host or container path, or `undefined` when it can: what
 * {@link invalidFilePath} refuses, and `:` or `,` (Docker's bind syntax `host:container:mode` would misread them).
 *
 * @since 0.1.0
 * @category predicates
 */
export const invalidMountPath = (path: string): string | undefined =>
  invalidFilePath(path) ?? (/[:,]/.test(path) ? "expects a path without ':' or ','" : undefined)

/**
 * A file the agent writes into a task's container before it starts (secret files, configs): `content` is
 * base64, `mode` the permission bits (default `0o644`), owned by root.
 *
 * **Gotchas**: the content is never logged nor returned by any API, and validation errors never quote it.
 *
 * @since 0.1.0
 * @category models
 */
export const TaskFile = Schema.Struct({
  path: Schema.String.check(Schema.makeFilter((path) => invalidFilePath(path) ?? true)),
  content: Schema.String.check(
    Schema.makeFilter((content) => base64Pattern.test(content) || "expects base64 content (RFC 4648, padded)")
  ),
  mode: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(0o7777)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type TaskFile = typeof TaskFile.Type

/**
 * The files of a task: distinct paths, at most {@link maxFilesBytes} decoded in all.
 *
 * @since 0.1.0
 * @category models
 */
export const TaskFiles = Schema.Array(TaskFile).check(
  Schema.makeFilter((files) => {
    const seen = new Map<string, number>()
    let total = 0
    for (const [i, file] of files.entries()) {
      const first = seen.get(file.path)
      if (first !== undefined) return `files[${i}] has the same path as files[${first}]`
      seen.set(file.path, i)
      total += Buffer.byteLength(file.content, "base64")
    }
    return total <= maxFilesBytes || `expects at most ${maxFilesBytes} bytes of files in all, got ${total}`
  })
)

/**
 * The protocol a container port is published with.
 *
 * @since 0.1.0
 * @category models
 */
export const PortProtocol = Schema.Literals(["tcp", "udp"])

/**
 * @since 0.1.0
 * @category models
 */
export type PortProtocol = typeof PortProtocol.Type

/**
 * A host folder (or file) bind-mounted into a task's container: `RO` read-only, `RW` read-write. Both paths
 * are absolute.
 *
 * @since 0.1.0
 * @category models
 */
export const TaskVolume = Schema.Struct({
  containerPath: Schema.String.check(Schema.makeFilter((path) => invalidMountPath(path) ?? true)),
  hostPath: Schema.String.check(Schema.makeFilter((path) => invalidMountPath(path) ?? true)),
  mode: Schema.Literals(["RO", "RW"])
})

/**
 * @since 0.1.0
 * @category models
 */
export type TaskVolume = typeof TaskVolume.Type

/**
 * What a framework asks an agent to run: a container `image` with its `command`, `env`, the `resources` it
 * takes from an offer (cpus -> CPU shares and quota, mem in MB -> memory limit, ports -> host ports), the
 * container ports to publish on those host ports (in order; `portProtocols[i]` is the protocol of
 * `containerPorts[i]`, default `tcp`), a pids limit, and files written into the container before it starts.
 *
 * Optional, for long-running services: `killGraceSeconds` (a kill sends SIGTERM, then SIGKILL after this many
 * seconds; default the agent's `--kill-grace`), `forcePullImage` (pull the image before every launch; without
 * it the agent pulls only an image it does not have), `volumes` (bind mounts) and `networkMode` (`bridge`,
 * the default, or `host`: the container shares the agent's network, nothing is published, and the task
 * listens on its `resources.ports` itself).
 *
 * @since 0.1.0
 * @category models
 */
export const TaskSpec = Schema.Struct({
  taskId: Id,
  name: Schema.optionalKey(Schema.String),
  image: Schema.String.check(Schema.isMinLength(1)),
  command: Schema.optionalKey(Schema.Array(Schema.String)),
  env: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  labels: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  resources: Resources,
  containerPorts: Schema.optionalKey(
    Schema.Array(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1), Schema.isLessThanOrEqualTo(65_535)))
  ),
  portProtocols: Schema.optionalKey(Schema.Array(PortProtocol)),
  pidsLimit: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  files: Schema.optionalKey(TaskFiles),
  killGraceSeconds: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  forcePullImage: Schema.optionalKey(Schema.Boolean),
  volumes: Schema.optionalKey(Schema.Array(TaskVolume)),
  networkMode: Schema.optionalKey(Schema.Literals(["bridge", "host"]))
}).check(
  Schema.makeFilter((spec) => {
    const protocols = spec.portProtocols?.length ?? 0
    const ports = spec.containerPorts?.length ?? 0
    if (protocols > ports) return `expects at most one portProtocols entry per containerPorts entry (${ports})`
    if (spec.networkMode === "host" && ports > 0)
      return "expects no containerPorts with networkMode host (the task listens on its resources.ports)"
    return true
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type TaskSpec = typeof TaskSpec.Type

/**
 * A task's current status as the agent (or, for `staging` and `lost`, the master) reports it.
 *
 * @since 0.1.0
 * @category models
 */
export const TaskStatus = Schema.Struct({
  taskId: Id,
  frameworkId: Id,
  agentId: Id,
  state: TaskState,
  resources: Resources,
  /** Why it is in this state, for people. */
  message: Schema.optionalKey(Schema.String),
  exitCode: Schema.optionalKey(Schema.Int),
  containerId: Schema.optionalKey(Schema.String),
  /** Host port for each of the spec's `containerPorts`. */
  hostPorts: Schema.optionalKey(Schema.Array(Schema.Int)),
  /** Milliseconds since the Unix epoch. */
  updatedAt: Schema.Finite
})

/**
 * @since 0.1.0
 * @category models
 */
export type TaskStatus = typeof TaskStatus.Type
