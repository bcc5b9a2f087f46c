/**
 * Out-of-process plugins: a plugin that runs in a child process and speaks a small JSON protocol on its stdin
 * and stdout, one JSON object per line. A plugin that crashes, leaks or blocks its event loop then cannot take
 * the host down with it: its calls fail (and the registry's timeouts and failure policy apply), and the next
 * call starts it again.
 *
 * The protocol (requests from the host, answers from the plugin, matched by `id`):
 *
 * ```text
 * > {"id":1,"method":"describe"}
 * < {"id":1,"result":{"version":"1.0.0","collectors":[{"name":"load"}],"controls":[{"id":"x.restart","label":"Restart","topologies":["hosts"],"permission":"hosts:write"}]}}
 * > {"id":2,"method":"collect","params":{"collector":"load","hostId":"h","probeId":"p","now":1795760000000}}
 * < {"id":2,"result":{"topologies":{"hosts":{"h":{...node...}}}}}
 * > {"id":3,"method":"control","params":{"control":"x.restart","request":{...ControlRequest...},"hostId":"h","probeId":"p"}}
 * < {"id":3,"error":"not allowed"}
 * ```
 *
 * Lines that are not JSON (a plugin's own logging) are passed to the host's logger; stderr is too.
 *
 * @since 0.1.0
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as readline from "node:readline"
import type { Plugin } from "@orchestrator/core"
import { Effect, Predicate, Schema, type Scope } from "effect"

/**
 * How to start the plugin process.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProcessPluginOptions {
  /** The plugin's name in the registry. */
  readonly name: string
  readonly command: string
  readonly args?: ReadonlyArray<string>
  readonly cwd?: string
  readonly env?: Readonly<Record<string, string>>
  /** How long `describe` may take when the process starts, in ms (default 5,000). */
  readonly startTimeoutMs?: number
  /** The timeout of every hook, in ms (default: the registry's). */
  readonly timeoutMs?: number
}

/**
 * The plugin process could not be started or described itself wrongly.
 *
 * @since 0.1.0
 * @category errors
 */
export class ProcessPluginError extends Schema.TaggedError<ProcessPluginError>()("ProcessPluginError", {
  plugin: Schema.String,
  message: Schema.String
}) {}

const Description = Schema.Struct({
  version: Schema.String,
  description: Schema.optionalKey(Schema.String),
  collectors: Schema.optionalKey(
    Schema.Array(Schema.Struct({ name: Schema.String, intervalMs: Schema.optionalKey(Schema.Finite) }))
  ),
  controls: Schema.optionalKey(
    Schema.Array(
      Schema.Struct({
        id: Schema.String,
        label: Schema.String,
        topologies: Schema.Array(Schema.String),
        permission: Schema.String,
        icon: Schema.optionalKey(Schema.String),
        confirm: Schema.optionalKey(Schema.Boolean)
      })
    )
  )
})

interface Pending {
  readonly resolve: (value: unknown) => void
  readonly reject: (error: Error) => void
}

/** One running child and its pending calls. */
class Connection {
  private readonly pending = new Map<number, Pending>()
  private next = 1
  exited = false

  constructor(
    readonly child: ChildProcess,
    private readonly label: string,
    log: (line: string) => void
  ) {
    const lines = readline.createInterface({ input: child.stdout! })
    lines.on("line", (line) => this.onLine(line, log))
    readline.createInterface({ input: child.stderr! }).on("line", log)
    const fail = (reason: string) => {
      this.exited = true
      for (const pending of this.pending.values()) pending.reject(new Error(`${this.label} ${reason}`))
      this.pending.clear()
    }
    child.on("exit", (code, signal) => fail(`exited (${signal ?? `code ${code}`})`))
    child.on("error", (error) => fail(`could not run: ${error.message}`))
    child.stdin!.on("error", () => {})
  }

  private onLine(line: string, log: (line: string) => void) {
    let message: unknown
    try {
      message = JSON.parse(line)
    } catch {
      return log(line)
    }
    if (!Predicate.isObject(message) || typeof (message as { id?: unknown }).id !== "number") return log(line)
    const { id, result, error } = message as {
      readonly id: number
      readonly result?: unknown
      readonly error?: unknown
    }
    const pending = this.pending.get(id)
    if (pending === undefined) return
    this.pending.delete(id)
    if (error !== undefined) pending.reject(new Error(typeof error === "string" ? error : JSON.stringify(error)))
    else pending.resolve(result)
  }

  call(method: string, params: unknown, signal?: AbortSignal): Promise<unknown> {
    if (this.exited) return Promise.reject(new Error(`${this.label} is not running`))
    const id = this.next++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      signal?.addEventListener("abort", () => {
        this.pending.delete(id)
        reject(new Error(`${this.label}: ${method} aborted`))
      })
      this.child.stdin!.write(`${JSON.stringify({ id, method, ...(params !== undefined ? { params } : {}) })}\n`)
    })
  }
}

/**
 * Starts a plugin process, asks it to describe itself, and returns the plugin that forwards its hooks to it.
 * The process is stopped when the scope closes; a process that exits is started again on the next call.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: ProcessPluginOptions): Effect.Effect<Plugin.AnyPlugin, ProcessPluginError, Scope.Scope> =>
  Effect.gen(function* () {
    const label = `plugin process "${options.name}"`
    let logLine: (line: string) => void = () => {}
    let connection: Connection | undefined
    const connect = () => {
      if (connection === undefined || connection.exited) {
        const child = spawn(options.command, [...(options.args ?? [])], {
          cwd: options.cwd,
          env: { ...process.env, ...options.env },
          stdio: ["pipe", "pipe", "pipe"]
        })
        connection = new Connection(child, label, (line) => logLine(line))
      }
      return connection
    }
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        if (connection !== undefined && !connection.exited) connection.child.kill("SIGTERM")
      })
    )
    const startTimeoutMs = options.startTimeoutMs ?? 5_000
    const raw = yield* Effect.tryPromise({
      try: (signal) => connect().call("describe", undefined, signal),
      catch: (error) =>
        new ProcessPluginError({
          plugin: options.name,
          message: `${label}: describe failed: ${(error as Error).message}`
        })
    }).pipe(
      Effect.timeoutOrElse({
        duration: startTimeoutMs,
        orElse: () =>
          Effect.fail(
            new ProcessPluginError({
              plugin: options.name,
              message: `${label} did not describe itself within ${startTimeoutMs} ms`
            })
          )
      })
    )
    const description = yield* Schema.decodeUnknownEffect(Description)(raw).pipe(
      Effect.mapError(
        (error) =>
          new ProcessPluginError({
            plugin: options.name,
            message: `${label} described itself wrongly: ${error.message}`
          })
      )
    )
    const settings = options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}
    const plugin: Plugin.AnyPlugin = {
      name: options.name,
      version: description.version,
      apiVersion: 1,
      ...(description.description !== undefined ? { description: description.description } : {}),
      collectors: (description.collectors ?? []).map((collector) => ({
        name: collector.name,
        ...(collector.intervalMs !== undefined ? { intervalMs: collector.intervalMs } : {}),
        ...settings,
        collect: (ctx) => {
          logLine = (line) => ctx.logger.info(line)
          return connect().call(
            "collect",
            { collector: collector.name, hostId: ctx.hostId, probeId: ctx.probeId, now: ctx.now },
            ctx.signal
          ) as Promise<Plugin.ReportFragment>
        }
      })),
      controls: (description.controls ?? []).map((control) => ({
        ...control,
        ...settings,
        run: (request, ctx) =>
          connect().call(
            "control",
            { control: control.id, request, hostId: ctx.hostId, probeId: ctx.probeId },
            ctx.signal
          )
      }))
    }
    return plugin
  })
