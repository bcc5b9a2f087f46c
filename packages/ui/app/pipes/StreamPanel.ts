/**
 * The frame around one open stream in the dock (a container's logs, a terminal): a title, the stream's
 * status, tools, a close button, and the pipe it reads. Closing the panel closes the pipe, which stops the
 * stream in the probe.
 */
import { h } from "../Dom.js"
import type { Pipe } from "./PipeClient.js"
import "./pipes.css"

/** What a panel shows while its stream is opened, runs, or after it ended. */
export type StreamStatus = "starting" | "live" | "ended" | "failed"

/** The frame and life cycle shared by the logs viewer and the terminal. */
export abstract class StreamPanel {
  /** The element to mount in the dock. */
  readonly element: HTMLElement
  protected readonly body: HTMLElement
  protected readonly tools: HTMLElement
  protected readonly closeButton: HTMLButtonElement
  private readonly statusText: HTMLElement
  private pipeOf: Pipe | undefined
  private statusOf: StreamStatus = "starting"
  private disposed = false

  constructor(
    /** Identifies the stream (action and node) so opening it again focuses this panel. */
    readonly key: string,
    kind: string,
    title: string,
    private readonly onClose: (panel: StreamPanel) => void
  ) {
    const heading = h("h2", { class: "stream-title" }, h("span", { class: "stream-kind" }, kind), " ", title)
    this.statusText = h("span", { class: "stream-status", role: "status" }, "Starting…")
    this.tools = h("div", { class: "stream-tools" })
    this.closeButton = h(
      "button",
      { type: "button", class: "icon", "aria-label": `Close ${kind.toLowerCase()} of ${title}`, title: "Close" },
      "×"
    )
    this.closeButton.addEventListener("click", () => this.close())
    this.body = h("div", { class: "stream-body" })
    this.element = h(
      "section",
      { class: `stream stream-${kind.toLowerCase()}`, "aria-label": `${kind}: ${title}`, "data-stream": key },
      h("header", { class: "stream-head" }, heading, this.statusText, this.tools, this.closeButton),
      this.body
    )
    this.element.addEventListener("keydown", (event) => this.onKey(event))
  }

  /** The stream's state. */
  get status(): StreamStatus {
    return this.statusOf
  }

  /** Whether the panel was closed. */
  get closed(): boolean {
    return this.disposed
  }

  /** The control answered a pipe: from now on output arrives through {@link write}. */
  connect(pipe: Pipe): void {
    this.pipeOf = pipe
    this.setStatus("live", "Live")
  }

  /** The control failed before a pipe was opened. */
  fail(text: string): void {
    this.setStatus("failed", text)
  }

  /** The pipe ended (the stream finished or the probe closed it). */
  end(reason: string): void {
    this.pipeOf = undefined
    this.setStatus("ended", `Ended: ${reason}`)
  }

  /** Closes the pipe (if still open) and removes the panel. */
  close(): void {
    if (this.disposed) return
    this.disposed = true
    this.pipeOf?.close()
    this.pipeOf = undefined
    this.dispose()
    this.onClose(this)
  }

  /** Output of the pipe. */
  abstract write(data: Uint8Array): void

  /** Moves keyboard focus into the panel. */
  abstract focus(): void

  /** The control's arguments for opening the stream (e.g. a terminal's size). */
  abstract args(): Record<string, unknown>

  /** Releases what the panel holds (observers, a terminal). */
  protected dispose(): void {}

  /** The open pipe, if any. */
  protected get pipe(): Pipe | undefined {
    return this.pipeOf
  }

  /** Escape on the panel: closes it. Terminals override this so Escape never ends a live session. */
  protected onEscape(): void {
    this.close()
  }

  private onKey(event: KeyboardEvent): void {
    if (event.key !== "Escape") return
    // Handled here: the details panel behind must not close as well.
    event.stopPropagation()
    event.preventDefault()
    this.onEscape()
  }

  private setStatus(status: StreamStatus, text: string): void {
    this.statusOf = status
    this.statusText.textContent = text
    this.element.dataset.status = status
  }
}
