/**
 * The Docker controls: actions on the `containers` nodes of this probe's engine, run through the Engine API
 * on its unix socket (node:http, hijacked connections for terminals; no dockerode).
 *
 * | id               | permission         | offered when (state)            | args                                        | answer                    |
 * |------------------|--------------------|---------------------------------|---------------------------------------------|---------------------------|
 * | `docker.start`   | `containers:write` | created, exited                 |                                             | `{ container, name, state, changed }` |
 * | `docker.stop`    | `containers:write` | running, paused, restarting     | `timeoutSeconds` (grace before SIGKILL)     | same                      |
 * | `docker.restart` | `containers:write` | running, exited                 | `timeoutSeconds`                            | same                      |
 * | `docker.pause`   | `containers:write` | running                         |                                             | same                      |
 * | `docker.unpause` | `containers:write` | paused                          |                                             | same                      |
 * | `docker.remove`  | `containers:write` | created, exited, dead (confirm) | `force`, `volumes`                          | `{ container, name, removed: true }` |
 * | `docker.logs`    | `containers:read`  | any but removing                | `follow` (default true), `tail` (N or `all`, default 200), `timestamps` | a pipe (stdout and stderr) |
 * | `docker.exec`    | `containers:exec`  | running                         | `command` (argv, default a shell), `cols`, `rows` | a terminal pipe (TTY; input, resize) |
 * | `docker.attach`  | `containers:exec`  | running                         | `cols`, `rows`                              | a terminal pipe on the container's own stdio |
 * | `docker.inspect` | `containers:read`  | any                             |                                             | the inspect JSON (secrets redacted) |
 *
 * Each request names one container (`nodeId`: its id; a name works too). A bulk request from the app names
 * many containers and reaches the probe as one request per container, each answered on its own: one that
 * fails (a container gone, a state that refuses the action) does not affect the others.
 *
 * **Gotchas**
 *
 * - Secrets are kept out of control answers: `docker.inspect` redacts `Config.Env` like the collector does (the
 *   values of the variables the container's `orchestrator.secret-env` label lists, always; secret-looking
 *   names unless `redactEnv: false`) and removes the listed values from the rest of the answer; the output of
 *   `docker.logs`, `docker.attach` and `docker.exec` has the listed values (4 characters or more) replaced by
 *   `<redacted>` (output that ends with the start of a value waits for the next bytes, or the end of the
 *   stream, to tell). A user allowed to exec can still read the environment in another form (`env | base64`):
 *   grant `containers:exec` only to those who may see the container's secrets.
 * - Errors name the container: `docker.stop on container "web" (1a2b3c4d5e6f): No such container: 1a2b…`.
 * - A state change also shows through the collector's event stream; controls call `ctx.requestReport` too.
 * - Closing an `attach` pipe leaves the container running, but a container created with `StdinOnce` (as
 *   `docker run -i` in the foreground does) gets its stdin closed; and Docker's detach keys (ctrl-p ctrl-q)
 *   typed into an attached terminal end the attachment.
 * - Logs and attach of a container without a TTY are demultiplexed (Docker's 8-byte frame headers removed);
 *   stdout and stderr arrive interleaved on one pipe.
 *
 * @since 0.1.0
 */
import { type ControlProtocol, Fields, Plugin, type Report, Topology } from "@orchestrator/core"
import { Schema } from "effect"
import { ControlIds, controlsForState } from "./internal/docker/actions.js"
import {
  containerRef,
  DockerEngineError,
  defaultSocketPath,
  type Engine,
  engineMessage,
  type Hijacked,
  makeEngine
} from "./internal/docker/engine.js"
import { pump } from "./internal/docker/pump.js"
import { inspectSecretValues, redactInspect } from "./internal/docker/redact.js"
import { type StreamScrubber, streamScrubber } from "./internal/docker/scrubStream.js"
import * as Pipes from "./Pipes.js"

/**
 * The plugin's name. Its control ids are `docker.*` (see {@link Ids}), the collector's plugin being `docker`.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "docker-controls"

/**
 * The control ids.
 *
 * @since 0.1.0
 * @category constants
 */
export const Ids = ControlIds

/**
 * The controls a container in a given state offers (what `appliesTo` checks and the collector lists).
 *
 * @since 0.1.0
 * @category getters
 */
export const forState: (state: string | undefined) => ReadonlyArray<string> = controlsForState

/**
 * The Docker controls' options; every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export const Options = Schema.Struct({
  /** The engine's unix socket (default: `DOCKER_HOST` when it is `unix://…`, else `/var/run/docker.sock`). */
  socketPath: Schema.optionalKey(Schema.String),
  /**
   * Redact env values of secret-looking names in `docker.inspect` answers (default true). The variables a
   * container's `orchestrator.secret-env` label lists are redacted whatever this says.
   */
  redactEnv: Schema.optionalKey(Schema.Boolean),
  /** The shell `docker.exec` runs when the request names no `command` (default: bash when present, else sh). */
  shell: Schema.optionalKey(Schema.Array(Schema.String))
})

/**
 * @since 0.1.0
 * @category models
 */
export type Options = typeof Options.Type

/**
 * A control failed on a container; `message` names the action and the container.
 *
 * @since 0.1.0
 * @category errors
 */
export class DockerControlError extends Schema.TaggedError<DockerControlError>()("DockerControlError", {
  action: Schema.String,
  /** The container as the request named it (an id or a name). */
  container: Schema.String,
  /** The engine's status, when it answered. */
  status: Schema.optionalKey(Schema.Number),
  message: Schema.String
}) {}

/**
 * What a state-changing control answers.
 *
 * @since 0.1.0
 * @category models
 */
export interface ActionResult {
  /** The full container id. */
  readonly container: string
  readonly name: string | undefined
  /** The state after the action (`exited`, `running`...). */
  readonly state: string | undefined
  /** `false` when the container already was in the requested state (the engine answered 304). */
  readonly changed: boolean
}

const defaultShell = ["/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"]

interface Target {
  readonly ref: string
  /** `"web" (1a2b3c4d5e6f)` or the id as given. */
  readonly label: string
  readonly name: string | undefined
}

const short = (id: string): string => (/^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id)

const targetOf = (action: string, request: ControlProtocol.ControlRequest, node: Report.Node | undefined): Target => {
  const raw = request.nodeId
  const nameField = node?.latest[Fields.Latest.containerName]?.value
  const name = nameField?.startsWith("/") === true ? nameField.slice(1) : nameField
  const label = name !== undefined && name !== "" ? `"${name}" (${short(raw)})` : short(raw)
  const ref = containerRef(raw)
  if (ref === undefined) {
    throw new DockerControlError({
      action,
      container: raw,
      message: `${action}: ${JSON.stringify(raw)} is not a container id or name`
    })
  }
  return { ref, label, name }
}

const failure = (action: string, target: Target, error: unknown): DockerControlError => {
  if (error instanceof DockerControlError) return error
  const status = error instanceof DockerEngineError ? error.status : undefined
  const detail = error instanceof Error ? error.message : String(error)
  return new DockerControlError({
    action,
    container: target.ref,
    ...(status !== undefined ? { status } : {}),
    message: `${action} on container ${target.label}: ${detail}`
  })
}

const bool = (value: unknown, fallback: boolean): boolean =>
  typeof value === "boolean" ? value : value === "true" ? true : value === "false" ? false : fallback

const intArg = (value: unknown, min: number, max: number): number | undefined => {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value
  return typeof n === "number" && Number.isInteger(n) && n >= min && n <= max ? n : undefined
}

interface TerminalSize {
  readonly cols: number
  readonly rows: number
}

/** The terminal size a request asks for (`cols` and `rows`, both or none). */
const sizeArg = (args: Readonly<Record<string, unknown>>): TerminalSize | undefined => {
  const cols = intArg(args.cols, 1, 1000)
  const rows = intArg(args.rows, 1, 1000)
  return cols !== undefined && rows !== undefined ? { cols, rows } : undefined
}

/**
 * A terminal pipe on a hijacked connection (exec or attach): sized first when the request gave a size, then
 * input goes to the connection (when `input`), resizes to `resize`, and the output to the pipe until it ends.
 */
const terminal = async (
  { socket, head }: Hijacked,
  options: {
    readonly size: TerminalSize | undefined
    readonly input: boolean
    readonly resize: (size: TerminalSize) => Promise<unknown>
    readonly demux: boolean
    readonly ended: () => string | Promise<string>
    readonly result: unknown
    readonly scrub: StreamScrubber
  }
): Promise<Pipes.PipeStream> => {
  if (options.size !== undefined) await options.resize(options.size)
  return Pipes.stream(
    (pipe) => {
      pipe.onInput((data) => {
        if (options.input) socket.write(data)
      })
      pipe.onResize((size) => {
        void options.resize(size)
      })
      pump(socket, pipe, { head, demux: options.demux, ended: options.ended, scrub: options.scrub })
    },
    { result: options.result }
  )
}

const appliesIn =
  (id: string) =>
  (node: Report.Node): boolean =>
    controlsForState(node.latest[Fields.Latest.containerState]?.value).includes(id)

/**
 * Makes the Docker controls plugin.
 *
 * ```ts
 * import { DockerControls } from "@orchestrator/probe"
 * registry.register(DockerControls.plugin(), { socketPath: "/var/run/docker.sock" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const plugin = () => {
  const engines = new Map<string, Engine>()
  const engineFor = (options: Options): Engine => {
    const socketPath = options.socketPath ?? defaultSocketPath()
    let engine = engines.get(socketPath)
    if (engine === undefined) {
      engine = makeEngine(socketPath, { timeoutMs: 10_000 })
      engines.set(socketPath, engine)
    }
    return engine
  }

  const inspect = async (engine: Engine, target: Target, signal?: AbortSignal): Promise<Record<string, unknown>> =>
    (await engine.json("GET", `/containers/${target.ref}/json`, { signal })) as Record<string, unknown>

  const stateOf = (json: Record<string, unknown>): string | undefined => {
    const state = json.State as { Status?: unknown } | undefined
    return typeof state?.Status === "string" ? state.Status : undefined
  }

  const nameOf = (json: Record<string, unknown>, fallback: string | undefined): string | undefined =>
    typeof json.Name === "string" ? json.Name.replace(/^\//, "") : fallback

  /**
   * A control on the container a request names: resolves it and its engine, and turns any failure of `run`
   * into a `DockerControlError` that names the action and the container.
   */
  const containerControl = (
    spec: Omit<Plugin.Control<Options>, "topologies" | "appliesTo" | "run">,
    run: (
      target: Target,
      engine: Engine,
      request: ControlProtocol.ControlRequest,
      ctx: Plugin.ControlContext<Options>
    ) => Promise<unknown>
  ): Plugin.Control<Options> => ({
    ...spec,
    topologies: [Topology.Topologies.containers],
    appliesTo: appliesIn(spec.id),
    run: async (request, ctx) => {
      const target = targetOf(spec.id, request, ctx.node)
      const engine = engineFor(ctx.options)
      try {
        return await run(target, engine, request, ctx)
      } catch (error) {
        throw failure(spec.id, target, error)
      }
    }
  })

  /** A control that sends one state-changing request and answers the container's state after it. */
  const lifecycle = (spec: {
    readonly id: string
    readonly label: string
    readonly icon: string
    readonly confirm?: boolean
    readonly timeoutMs: number
    readonly method: "POST" | "DELETE"
    readonly path: (ref: string, args: Readonly<Record<string, unknown>>) => string
  }): Plugin.Control<Options> =>
    containerControl(
      {
        id: spec.id,
        label: spec.label,
        icon: spec.icon,
        permission: "containers:write",
        timeoutMs: spec.timeoutMs,
        ...(spec.confirm === true ? { confirm: true } : {})
      },
      async (
        target,
        engine,
        request,
        ctx
      ): Promise<ActionResult | { container: string; name: string | undefined; removed: true }> => {
        const answer = await engine.send(spec.method, spec.path(target.ref, request.args), {
          signal: ctx.signal,
          timeoutMs: spec.timeoutMs
        })
        if (answer.status >= 300 && answer.status !== 304) {
          throw new DockerEngineError({
            operation: `${spec.method} ${spec.id}`,
            reason: "status",
            status: answer.status,
            message: engineMessage(answer.body)
          })
        }
        ctx.requestReport?.()
        if (spec.method === "DELETE") return { container: request.nodeId, name: target.name, removed: true }
        const after = await inspect(engine, target, ctx.signal)
        return {
          container: typeof after.Id === "string" ? after.Id : request.nodeId,
          name: nameOf(after, target.name),
          state: stateOf(after),
          changed: answer.status !== 304
        }
      }
    )

  const stopQuery = (args: Readonly<Record<string, unknown>>): string => {
    const t = intArg(args.timeoutSeconds, 0, 100)
    return t === undefined ? "" : `?t=${t}`
  }

  const logs = containerControl(
    {
      id: ControlIds.logs,
      label: "Logs",
      icon: "logs",
      permission: "containers:read",
      stream: "logs"
    },
    async (target, engine, request, ctx) => {
      const follow = bool(request.args.follow, true)
      const tailArg = request.args.tail
      const tail = tailArg === "all" ? "all" : String(intArg(tailArg, 0, 1_000_000) ?? 200)
      const timestamps = bool(request.args.timestamps, false)
      const details = await inspect(engine, target, ctx.signal)
      const tty = (details.Config as { Tty?: unknown } | undefined)?.Tty === true
      const query = new URLSearchParams({
        stdout: "1",
        stderr: "1",
        follow: follow ? "1" : "0",
        tail,
        timestamps: timestamps ? "1" : "0"
      })
      const response = await engine.stream("GET", `/containers/${target.ref}/logs?${query.toString()}`)
      const container = typeof details.Id === "string" ? details.Id : request.nodeId
      return Pipes.stream(
        (pipe) =>
          pump(response, pipe, {
            demux: !tty,
            ended: () => (follow ? "the container's log stream ended" : "end of logs"),
            scrub: streamScrubber(inspectSecretValues(details))
          }),
        { result: { container, name: nameOf(details, target.name), follow, tail, tty } }
      )
    }
  )

  const exec = containerControl(
    {
      id: ControlIds.exec,
      label: "Exec shell",
      icon: "terminal",
      permission: "containers:exec",
      stream: "terminal"
    },
    async (target, engine, request, ctx) => {
      const given = request.args.command
      const command =
        Array.isArray(given) && given.length > 0 && given.every((part) => typeof part === "string")
          ? (given as ReadonlyArray<string>)
          : typeof given === "string" && given.trim() !== ""
            ? ["/bin/sh", "-c", given]
            : (ctx.options.shell ?? defaultShell)
      const size = sizeArg(request.args)
      const details = await inspect(engine, target, ctx.signal)
      const consoleSize = size !== undefined ? { ConsoleSize: [size.rows, size.cols] } : {}
      const created = (await engine.json("POST", `/containers/${target.ref}/exec`, {
        signal: ctx.signal,
        body: {
          AttachStdin: true,
          AttachStdout: true,
          AttachStderr: true,
          Tty: true,
          Cmd: command,
          Env: ["TERM=xterm-256color"],
          ...consoleSize
        }
      })) as { Id?: unknown } | undefined
      const execId = typeof created?.Id === "string" ? created.Id : undefined
      if (execId === undefined) throw new Error("the engine created no exec instance")
      const hijacked = await engine.hijack("POST", `/exec/${execId}/start`, {
        signal: ctx.signal,
        body: { Detach: false, Tty: true, ...consoleSize }
      })
      return terminal(hijacked, {
        size,
        input: true,
        resize: (to) => engine.send("POST", `/exec/${execId}/resize?h=${to.rows}&w=${to.cols}`).catch(() => undefined),
        demux: false,
        ended: async () => {
          try {
            const info = (await engine.json("GET", `/exec/${execId}/json`, { timeoutMs: 2_000 })) as {
              ExitCode?: unknown
            }
            return typeof info.ExitCode === "number" ? `exited with code ${info.ExitCode}` : "exited"
          } catch {
            return "exited"
          }
        },
        result: { container: request.nodeId, name: target.name, exec: execId, tty: true, command },
        scrub: streamScrubber(inspectSecretValues(details))
      })
    }
  )

  const attach = containerControl(
    {
      id: ControlIds.attach,
      label: "Attach",
      icon: "attach",
      permission: "containers:exec",
      stream: "terminal"
    },
    async (target, engine, request, ctx) => {
      const size = sizeArg(request.args)
      const details = await inspect(engine, target, ctx.signal)
      if (stateOf(details) !== "running") throw new Error(`it is ${stateOf(details) ?? "not running"}`)
      const config = (details.Config ?? {}) as { Tty?: unknown; OpenStdin?: unknown }
      const tty = config.Tty === true
      const stdin = config.OpenStdin === true
      const query = `stream=1&stdout=1&stderr=1${stdin ? "&stdin=1" : ""}`
      const hijacked = await engine.hijack("POST", `/containers/${target.ref}/attach?${query}`, {
        signal: ctx.signal
      })
      return terminal(hijacked, {
        size,
        input: stdin,
        resize: (to) =>
          tty
            ? engine.send("POST", `/containers/${target.ref}/resize?h=${to.rows}&w=${to.cols}`).catch(() => undefined)
            : Promise.resolve(undefined),
        demux: !tty,
        ended: () => "detached: the container's output ended",
        scrub: streamScrubber(inspectSecretValues(details)),
        result: {
          container: typeof details.Id === "string" ? details.Id : request.nodeId,
          name: nameOf(details, target.name),
          tty,
          stdin
        }
      })
    }
  )

  const inspectControl = containerControl(
    {
      id: ControlIds.inspect,
      label: "Inspect",
      icon: "info",
      permission: "containers:read"
    },
    async (target, engine, _request, ctx) => {
      const json = await inspect(engine, target, ctx.signal)
      return redactInspect(json, ctx.options.redactEnv !== false)
    }
  )

  return Plugin.definePlugin({
    name,
    version: "0.1.0",
    apiVersion: 1,
    description: "Container start, stop, restart, pause, unpause, remove, logs, exec and attach terminals, inspect",
    options: Options,
    controls: [
      lifecycle({
        id: ControlIds.start,
        label: "Start",
        icon: "play",
        timeoutMs: 60_000,
        method: "POST",
        path: (ref) => `/containers/${ref}/start`
      }),
      lifecycle({
        id: ControlIds.stop,
        label: "Stop",
        icon: "stop",
        timeoutMs: 120_000,
        method: "POST",
        path: (ref, args) => `/containers/${ref}/stop${stopQuery(args)}`
      }),
      lifecycle({
        id: ControlIds.restart,
        label: "Restart",
        icon: "restart",
        timeoutMs: 120_000,
        method: "POST",
        path: (ref, args) => `/containers/${ref}/restart${stopQuery(args)}`
      }),
      lifecycle({
        id: ControlIds.pause,
        label: "Pause",
        icon: "pause",
        timeoutMs: 30_000,
        method: "POST",
        path: (ref) => `/containers/${ref}/pause`
      }),
      lifecycle({
        id: ControlIds.unpause,
        label: "Unpause",
        icon: "play",
        timeoutMs: 30_000,
        method: "POST",
        path: (ref) => `/containers/${ref}/unpause`
      }),
      lifecycle({
        id: ControlIds.remove,
        label: "Remove",
        icon: "trash",
        confirm: true,
        timeoutMs: 60_000,
        method: "DELETE",
        path: (ref, args) =>
          `/containers/${ref}?force=${bool(args.force, false) ? "1" : "0"}&v=${bool(args.volumes, false) ? "1" : "0"}`
      }),
      logs,
      exec,
      attach,
      inspectControl
    ]
  })
}
