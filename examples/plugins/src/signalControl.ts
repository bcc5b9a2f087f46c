/**
 * A control that sends a signal to a process: `signal.send` on process nodes of the probe's own host, with
 * the signal chosen by the user (`args.signal`, one of the allowed ones) and its own permission name
 * (`processes:signal`). The process node id is `<host>;<pid>`.
 *
 * ```ts
 * export default { plugins: [["@orchestrator/example-plugins/signal", { allowed: ["SIGTERM", "SIGHUP"] }]] }
 * ```
 *
 * @since 0.1.0
 */
import { NodeId, type Plugin } from "@orchestrator/core"
import { definePlugin } from "@orchestrator/plugins"
import { Schema } from "effect"

/**
 * Signals a user may send.
 *
 * @since 0.1.0
 * @category models
 */
export const SignalName = Schema.Literals([
  "SIGTERM",
  "SIGINT",
  "SIGHUP",
  "SIGKILL",
  "SIGUSR1",
  "SIGUSR2",
  "SIGSTOP",
  "SIGCONT"
])

/**
 * @since 0.1.0
 * @category models
 */
export type SignalName = typeof SignalName.Type

/**
 * The plugin's options.
 *
 * @since 0.1.0
 * @category models
 */
export const Options = Schema.Struct({
  /** The signals users may send (default SIGTERM, SIGINT, SIGHUP). */
  allowed: Schema.optionalKey(Schema.Array(SignalName).check(Schema.isMinLength(1))),
  /** The permission a role needs (default `processes:signal`). */
  permission: Schema.optionalKey(Schema.String)
})

/**
 * The control's arguments.
 *
 * @since 0.1.0
 * @category models
 */
export const Args = Schema.Struct({ signal: SignalName })

/**
 * What a successful control answers.
 *
 * @since 0.1.0
 * @category models
 */
export interface Signalled {
  readonly pid: number
  readonly signal: SignalName
}

const defaultAllowed: ReadonlyArray<SignalName> = ["SIGTERM", "SIGINT", "SIGHUP"]

/**
 * The plugin. The control fails (the user sees the message) when the node is not a process of this host, the
 * signal is not allowed, or the process is gone.
 *
 * @since 0.1.0
 * @category plugins
 */
export const plugin: Plugin.Plugin<"signal", typeof Options.Type, typeof Options.Encoded> = definePlugin({
  name: "signal",
  version: "0.1.0",
  apiVersion: 1,
  description: "Send a signal to a process",
  options: Options,
  controls: [
    {
      id: "signal.send",
      label: "Send a signal",
      topologies: ["processes"],
      permission: "processes:signal",
      icon: "fa-bolt",
      confirm: true,
      run: (request, ctx): Signalled => {
        const target = NodeId.parseProcessId(request.nodeId)
        if (target === undefined) throw new Error(`"${request.nodeId}" is not a process node id (<host>;<pid>)`)
        if (target.hostId !== ctx.hostId) {
          throw new Error(`process ${target.pid} runs on ${target.hostId}, not on this probe's host ${ctx.hostId}`)
        }
        const args = Schema.decodeUnknownOption(Args)(request.args)
        const allowed = ctx.options.allowed ?? defaultAllowed
        if (args._tag === "None") throw new Error(`args.signal must be one of ${allowed.join(", ")}`)
        const signal = args.value.signal
        if (!allowed.includes(signal)) throw new Error(`${signal} is not allowed (allowed: ${allowed.join(", ")})`)
        try {
          process.kill(target.pid, signal)
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code
          throw new Error(
            code === "ESRCH" ? `no process ${target.pid}` : `cannot signal ${target.pid}: ${code ?? String(error)}`
          )
        }
        return { pid: target.pid, signal }
      }
    }
  ]
})

export default plugin
