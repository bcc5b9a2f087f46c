/**
 * The bulk bar: shown while nodes are multi-selected, it lists the actions they offer (from each node's
 * controls panel), runs one on every node that offers it with a single `POST /api/v1/control`, after a
 * confirmation when {@link needsConfirmation} says so, and shows one result per node.
 */
import { ApiError, getNode, runControl } from "../Api.js"
import { h, replaceChildren } from "../Dom.js"
import type { NodeRef } from "../HashState.js"
import type { ControlCall, ControlCallResponse, NodeDetails } from "../Protocol.js"
import {
  type Actionable,
  actionableOf,
  type BulkAction,
  bulkActions,
  confirmQuestion,
  describeResult,
  needsConfirmation
} from "./Bulk.js"
import type { ConfirmRequest } from "./ConfirmDialog.js"
import { refKey, type Selection } from "./Selection.js"
import "./controls.css"

/** What the bar needs from the app. */
export interface BulkBarOptions {
  readonly selection: Selection
  readonly confirm: (request: ConfirmRequest) => Promise<boolean>
  /** A request answered 401: the session ended. */
  readonly onUnauthorized: () => void
  /** Loads a node's details (defaults to `GET /api/v1/query/nodes/:topology/:id`). */
  readonly load?: (ref: NodeRef) => Promise<NodeDetails>
  /** Runs a control (defaults to `POST /api/v1/control`). */
  readonly run?: (call: ControlCall) => Promise<ControlCallResponse>
}

/** What the bar knows about one selected node. */
type Known =
  | { readonly kind: "loading"; readonly label: string }
  | { readonly kind: "ready"; readonly label: string; readonly actionable: Actionable | undefined }
  | { readonly kind: "gone"; readonly label: string }
  | { readonly kind: "failed"; readonly label: string; readonly error: string }

/** The most nodes a bulk action is offered for (the app takes 500 targets per call). */
export const maxBulkNodes = 500

/** How many details requests run at once while a selection resolves. */
const concurrentLoads = 6

const shortId = (id: string): string => (/^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id)

/** The bulk actions bar. */
export class BulkBar {
  /** The element to mount (hidden while nothing is selected and no result is shown). */
  readonly element: HTMLElement
  private readonly count: HTMLElement
  private readonly actions: HTMLElement
  private readonly notes: HTMLElement
  private readonly results: HTMLElement
  private readonly known = new Map<string, Known>()
  private readonly queue: Array<NodeRef> = []
  private loading = 0
  private running = false
  private reloadTimer: ReturnType<typeof setTimeout> | undefined
  private readonly pendingReload = new Set<string>()
  private readonly load: (ref: NodeRef) => Promise<NodeDetails>
  private readonly run: (call: ControlCall) => Promise<ControlCallResponse>
  private readonly unsubscribe: () => void

  constructor(private readonly options: BulkBarOptions) {
    this.load = options.load ?? ((ref) => getNode(ref.topology, ref.id))
    this.run = options.run ?? runControl
    this.count = h("strong", { class: "bulk-count" })
    this.actions = h("div", { class: "bulk-actions", role: "group", "aria-label": "Actions on the selected nodes" })
    this.notes = h("span", { class: "bulk-notes muted" })
    this.results = h("div", { class: "bulk-results", hidden: true })
    const clear = h("button", { type: "button", class: "link" }, "Clear selection")
    clear.addEventListener("click", () => options.selection.clear())
    this.element = h(
      "section",
      { class: "bulkbar", "aria-label": "Bulk actions", hidden: true },
      h("div", { class: "bulk-row" }, this.count, this.actions, this.notes, clear),
      this.results
    )
    this.unsubscribe = options.selection.subscribe(() => this.sync())
  }

  /** Reloads what the bar knows about these nodes soon (their state, hence their controls, may have changed). */
  nodesChanged(ids: ReadonlyArray<string>): void {
    let any = false
    for (const ref of this.options.selection.refs()) {
      if (ids.includes(ref.id)) {
        this.pendingReload.add(refKey(ref))
        any = true
      }
    }
    if (!any || this.reloadTimer !== undefined) return
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined
      const keys = new Set(this.pendingReload)
      this.pendingReload.clear()
      for (const ref of this.options.selection.refs()) if (keys.has(refKey(ref))) this.enqueue(ref)
    }, 300)
  }

  /** Stops listening to the selection. */
  dispose(): void {
    this.unsubscribe()
    clearTimeout(this.reloadTimer)
  }

  private sync(): void {
    const refs = this.options.selection.refs()
    const keys = new Set(refs.map(refKey))
    for (const key of [...this.known.keys()]) if (!keys.has(key)) this.known.delete(key)
    for (const ref of refs.slice(0, maxBulkNodes)) if (!this.known.has(refKey(ref))) this.enqueue(ref)
    this.render()
  }

  private enqueue(ref: NodeRef): void {
    const previous = this.known.get(refKey(ref))
    if (previous === undefined) this.known.set(refKey(ref), { kind: "loading", label: shortId(ref.id) })
    if (!this.queue.some((queued) => refKey(queued) === refKey(ref))) this.queue.push(ref)
    this.pump()
  }

  private pump(): void {
    while (this.loading < concurrentLoads && this.queue.length > 0) {
      const ref = this.queue.shift()!
      this.loading++
      void this.resolve(ref).finally(() => {
        this.loading--
        this.pump()
        if (this.loading === 0 && this.queue.length === 0) this.render()
      })
    }
  }

  private async resolve(ref: NodeRef): Promise<void> {
    const key = refKey(ref)
    const label = this.known.get(key)?.label ?? shortId(ref.id)
    let known: Known
    try {
      const details = await this.load(ref)
      known = { kind: "ready", label: details.label, actionable: actionableOf(details) }
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return this.options.onUnauthorized()
      known =
        error instanceof ApiError && error.status === 404
          ? { kind: "gone", label }
          : { kind: "failed", label, error: error instanceof Error ? error.message : String(error) }
    }
    // The node may have been unselected meanwhile.
    if (this.known.has(key)) this.known.set(key, known)
  }

  private render(): void {
    const selected = this.options.selection.size
    this.element.hidden = selected === 0 && this.results.hidden
    this.count.textContent = `${selected} selected`
    const states = [...this.known.values()]
    const loading = states.some((k) => k.kind === "loading")
    const ready = states.flatMap((k) => (k.kind === "ready" && k.actionable !== undefined ? [k.actionable] : []))
    const actions = loading ? [] : bulkActions(ready)
    const notes: Array<string> = []
    if (loading) notes.push("Loading actions…")
    else if (selected > 0 && actions.length === 0) notes.push("The selected nodes offer no common action.")
    const gone = states.filter((k) => k.kind === "gone").length
    if (gone > 0) notes.push(`${gone} no longer known`)
    const failed = states.filter((k) => k.kind === "failed").length
    if (failed > 0) notes.push(`${failed} could not be loaded`)
    if (selected > maxBulkNodes) notes.push(`only the first ${maxBulkNodes} are acted on`)
    this.notes.textContent = notes.join(" · ")
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.focusKey : undefined
    replaceChildren(this.actions, ...actions.map((action) => this.button(action, ready.length)))
    if (focused !== undefined) {
      this.actions.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus()
    }
  }

  private button(action: BulkAction, of: number): HTMLButtonElement {
    const { control, targets } = action
    const button = h(
      "button",
      {
        type: "button",
        class: control.confirm === true ? "control danger" : "control",
        "data-action": control.id,
        "data-focus-key": `bulk:${control.id}`,
        disabled: this.running,
        title: action.all ? `${control.label} all ${targets.length}` : `${control.label} ${targets.length} of ${of}`
      },
      control.label,
      action.all ? null : h("span", { class: "bulk-partial" }, ` (${targets.length})`)
    )
    button.addEventListener("click", () => void this.execute(action))
    return button
  }

  private async execute(action: BulkAction): Promise<void> {
    if (this.running) return
    const { control, targets } = action
    const labels = targets.map((t) => t.label)
    if (
      needsConfirmation(control, targets.length) &&
      !(await this.options.confirm({
        title: confirmQuestion(control, labels),
        items: labels,
        confirmLabel: control.label,
        danger: control.confirm === true
      }))
    ) {
      return
    }
    this.running = true
    this.render()
    const heading = h("p", { class: "bulk-summary", role: "status" }, `${control.label}: running on ${targets.length}…`)
    const list = h(
      "ul",
      { class: "bulk-result-list" },
      ...targets.map((t) =>
        h(
          "li",
          { "data-node": t.ref.id },
          h("span", { class: "bulk-node" }, t.label),
          h("output", { class: "result" }, "Running…")
        )
      )
    )
    const dismiss = h("button", { type: "button", class: "link" }, "Dismiss")
    dismiss.addEventListener("click", () => {
      this.results.hidden = true
      replaceChildren(this.results)
      this.render()
    })
    replaceChildren(this.results, h("div", { class: "bulk-results-head" }, heading, dismiss), list)
    this.results.hidden = false
    this.element.hidden = false
    let ok = 0
    try {
      for (let from = 0; from < targets.length; from += maxBulkNodes) {
        const chunk = targets.slice(from, from + maxBulkNodes)
        const response = await this.run({
          action: control.id,
          targets: chunk.map((t) => ({ probeId: t.probeId, nodeId: t.ref.id, topology: t.ref.topology }))
        })
        chunk.forEach((target, i) => {
          // Answers come in the order of the targets; match by node anyway, in case an app reorders them.
          const answer =
            response.results.find((r) => r.nodeId === target.ref.id && r.topology === target.ref.topology) ??
            response.results[i]
          const shown = answer === undefined ? { ok: false, text: "Failed: no answer" } : describeResult(answer.result)
          if (shown.ok) ok++
          const output = list.children[from + i]?.querySelector("output")
          if (output !== null && output !== undefined) {
            output.className = shown.ok ? "result ok" : "result failed"
            output.textContent = shown.text
          }
        })
      }
      heading.textContent = `${control.label}: ${ok} of ${targets.length} succeeded`
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.options.onUnauthorized()
        return
      }
      heading.textContent = `${control.label} failed: ${error instanceof Error ? error.message : String(error)}`
      for (const output of list.querySelectorAll("output")) {
        if (output.textContent === "Running…") {
          output.className = "result failed"
          output.textContent = "Not run"
        }
      }
    } finally {
      this.running = false
      for (const target of targets) if (this.options.selection.has(target.ref)) this.enqueue(target.ref)
      this.render()
    }
  }
}
