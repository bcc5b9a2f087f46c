/**
 * Pipes: byte streams between a control running in the probe and the UI clients attached to it through the
 * app (container logs that follow, an exec terminal with a TTY). A control opens one by returning
 * {@link stream} from its `run`: the probe opens a pipe on the control channel, answers the request with its
 * `pipeId`, then hands the {@link Pipe} to `attach`.
 *
 * ```ts
 * import { Plugin } from "@orchestrator/core"
 * import { Pipes } from "@orchestrator/probe"
 *
 * const logs: Plugin.Control = {
 *   id: "docker.logs", label: "Logs", topologies: ["containers"], permission: "containers:read", stream: "logs",
 *   run: async (request) => {
 *     const source = await docker.getContainer(request.nodeId).logs({ follow: true, stdout: true, stderr: true })
 *     return Pipes.stream((pipe) => {
 *       source.on("data", (chunk) => { if (!pipe.write(chunk)) source.pause() })
 *       pipe.onDrain(() => source.resume())
 *       pipe.onClose(() => source.destroy())
 *       source.on("end", () => pipe.close("logs ended"))
 *     })
 *   }
 * }
 * ```
 *
 * A terminal also reads `onInput` (keystrokes, already decoded from base64) and `onResize` (TTY size).
 *
 * **Gotchas**
 *
 * - Do the work that can fail (creating the exec, opening the log stream) in `run`, before returning
 *   `Pipes.stream`: a failure there is the answer to the request. Once `attach` runs the request has been
 *   answered, and failures can only close the pipe (the reason reaches the client as `pipe.closed`).
 * - A pipe lives as long as the control channel: when it drops, every pipe is closed with the reason
 *   `control channel closed` and `onClose` listeners run, so release resources there.
 * - `write` returns `false` when the channel is congested: pause the source until `onDrain`. Data written
 *   while the channel's buffer is over its hard limit is dropped.
 *
 * @since 0.1.0
 */

/**
 * One open pipe, as a control sees it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pipe {
  /** The pipe id the app and the UI clients know it by. */
  readonly id: string
  /** Whether the pipe is closed (by the control, the app, a client, or because the channel dropped). */
  readonly closed: boolean
  /** Sends bytes (strings as UTF-8) to the clients; `false` when congested (wait for `onDrain`) or closed. */
  write(data: Uint8Array | string): boolean
  /** Closes the pipe and tells the app why; idempotent. */
  close(reason?: string): void
  /** Bytes a client typed (terminals). Returns a function that removes the listener. */
  onInput(listener: (data: Uint8Array) => void): () => void
  /** A client resized its terminal. */
  onResize(listener: (size: { readonly cols: number; readonly rows: number }) => void): () => void
  /** The pipe closed, with the reason; runs once, also when the control itself closed it. */
  onClose(listener: (reason: string) => void): () => void
  /** The channel is writable again after `write` returned `false`. */
  onDrain(listener: () => void): () => void
}

const TypeId: unique symbol = Symbol.for("@orchestrator/probe/Pipes/PipeStream")

/**
 * What a control returns to open a pipe: the function that wires the pipe to its source, and an optional
 * result sent along with the `pipeId`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PipeStream {
  readonly [TypeId]: typeof TypeId
  readonly result: unknown
  readonly attach: (pipe: Pipe) => void | PromiseLike<void>
}

/**
 * Opens a pipe as the answer to a control request: `attach` receives the pipe once the request has been
 * answered with its id.
 *
 * @since 0.1.0
 * @category constructors
 */
export const stream = (
  attach: (pipe: Pipe) => void | PromiseLike<void>,
  options: { readonly result?: unknown } = {}
): PipeStream => ({ [TypeId]: TypeId, result: options.result, attach })

/**
 * Whether a control's result asks for a pipe.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isPipeStream = (u: unknown): u is PipeStream =>
  typeof u === "object" && u !== null && (u as { [TypeId]?: unknown })[TypeId] === TypeId
