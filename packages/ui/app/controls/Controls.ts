/**
 * Everything about acting on nodes, behind one object the app wires in: the multi-selection and its bulk bar,
 * the confirmation dialog, and streams (logs, terminals) opened from a node's controls into the dock over the
 * app's WebSocket.
 *
 * ```ts
 * const controls = new Controls({ send: (m) => connection.send(m), onUnauthorized })
 * mount(...controls.elements)
 * // in the socket's message handler: if (controls.receive(message)) return
 * // when the socket is live again: controls.connected()
 * ```
 */
import { ApiError, runControl } from "../Api.js"
import type { NodeRef } from "../HashState.js"
import type { ClientMessage, ControlCall, ControlCallResponse, ControlDescription, ServerMessage } from "../Protocol.js"
import { LogsView } from "../pipes/LogsView.js"
import { PipeClient } from "../pipes/PipeClient.js"
import { PipeDock } from "../pipes/PipeDock.js"
import type { StreamPanel } from "../pipes/StreamPanel.js"
import { describeResult } from "./Bulk.js"
import { BulkBar } from "./BulkBar.js"
import { ConfirmDialog, type ConfirmRequest } from "./ConfirmDialog.js"
import { refKey, Selection } from "./Selection.js"

/** What {@link Controls} needs from the app. */
export interface ControlsOptions {
  /** Sends a message on the app's WebSocket now; false when it is not open. */
  readonly send: (message: ClientMessage) => boolean
  /** A request answered 401: the session ended. */
  readonly onUnauthorized: () => void
  /** Runs a control (defaults to `POST /api/v1/control`). */
  readonly run?: (call: ControlCall) => Promise<ControlCallResponse>
}

/** The node a control runs on: which probe runs it, and its name for people. */
export interface ControlTarget {
  readonly probeId: string
  readonly ref: NodeRef
  readonly label: string
}

/** A control's outcome as a line of text. */
export interface Outcome {
  readonly ok: boolean
  readonly text: string
}

/** Selection, bulk actions, confirmations and streams. */
export class Controls {
  /** The nodes multi-selected for bulk actions (the table's checkboxes, shift/ctrl-clicks in the graph). */
  readonly selection = new Selection()
  readonly dialog = new ConfirmDialog()
  readonly bulkBar: BulkBar
  readonly dock = new PipeDock()
  readonly pipes: PipeClient
  private readonly run: (call: ControlCall) => Promise<ControlCallResponse>

  constructor(private readonly options: ControlsOptions) {
    this.run = options.run ?? runControl
    this.pipes = new PipeClient({ send: options.send })
    this.bulkBar = new BulkBar({
      selection: this.selection,
      confirm: (request) => this.confirm(request),
      onUnauthorized: options.onUnauthorized,
      run: this.run
    })
  }

  /** The elements to mount: the bulk bar (above the table), the dock and the dialog. */
  get elements(): ReadonlyArray<HTMLElement> {
    return [this.bulkBar.element, this.dock.element, this.dialog.element]
  }

  /** Asks for a confirmation in the page's dialog. */
  confirm(request: ConfirmRequest): Promise<boolean> {
    return this.dialog.ask(request)
  }

  /** Handles a message of the app's WebSocket; true when it was about a pipe. */
  receive(message: ServerMessage): boolean {
    return this.pipes.receive(message)
  }

  /** The WebSocket is live again: attach the open pipes again. */
  connected(): void {
    this.pipes.reconnected()
  }

  /** Nodes changed in the view (their state, hence their controls, may differ). */
  nodesChanged(ids: ReadonlyArray<string>): void {
    if (ids.length > 0 && this.selection.size > 0) this.bulkBar.nodesChanged(ids)
  }

  /**
   * Opens a stream control (`stream: "logs"` or `"terminal"`) on a node in the dock: the panel first (a
   * terminal's size goes with the request), then the control, then the pipe. Opening a stream that is still
   * running focuses its panel. `opener` gets the focus back when the panel closes. `onUpdate` hears what
   * happens later: the stream ended (with the reason), or the panel closed (`undefined`).
   */
  async openStream(
    control: ControlDescription,
    target: ControlTarget,
    opener?: HTMLElement,
    onUpdate?: (outcome: Outcome | undefined) => void
  ): Promise<Outcome> {
    const key = `${control.id}\u0000${refKey(target.ref)}`
    const existing = this.dock.find(key)
    if (existing !== undefined && (existing.status === "live" || existing.status === "starting")) {
      existing.focus()
      return { ok: true, text: "Already open below" }
    }
    existing?.close()
    const onClose = (panel: StreamPanel) => {
      this.dock.remove(panel)
      onUpdate?.(undefined)
      // The details may have been redrawn since: then focus the same control in the new panels.
      const key = opener?.dataset.focusKey
      const again =
        opener?.isConnected === true || key === undefined
          ? opener
          : document.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(key)}"]`)
      again?.focus()
    }
    let panel: StreamPanel
    if (control.stream === "terminal") {
      const { TerminalView } = await import("../pipes/TerminalView.js")
      const terminal = new TerminalView(key, target.label, onClose)
      this.dock.add(terminal)
      terminal.mount()
      panel = terminal
    } else {
      panel = new LogsView(key, target.label, onClose)
      this.dock.add(panel)
    }
    panel.focus()
    try {
      const response = await this.run({
        action: control.id,
        targets: [{ probeId: target.probeId, nodeId: target.ref.id, topology: target.ref.topology }],
        args: panel.args()
      })
      const result = response.results[0]?.result
      if (result === undefined) {
        panel.fail("Failed: no answer")
        return { ok: false, text: "Failed: no answer" }
      }
      if (result.ok && result.pipeId !== undefined) {
        if (panel.closed) {
          // Closed while the control ran: release the stream at once.
          this.pipes.attach(result.pipeId, { onData: () => {}, onClosed: () => {} }).close()
          return { ok: true, text: "Closed" }
        }
        const open = panel
        const ended = (reason: string) => {
          open.end(reason)
          onUpdate?.({ ok: true, text: `Ended: ${reason}` })
        }
        open.connect(this.pipes.attach(result.pipeId, { onData: (d) => open.write(d), onClosed: ended }))
        return { ok: true, text: control.stream === "terminal" ? "Terminal open below" : "Streaming below" }
      }
      const shown = describeResult(result)
      panel.fail(shown.text)
      return shown
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.options.onUnauthorized()
      const text = `Failed: ${error instanceof Error ? error.message : String(error)}`
      panel.fail(text)
      return { ok: false, text }
    }
  }

  /** Closes every stream and stops listening (the app is stopping). */
  close(): void {
    this.dock.closeAll()
    this.pipes.closeAll()
    this.bulkBar.dispose()
    if (this.dialog.element.open) this.dialog.element.close()
  }
}
