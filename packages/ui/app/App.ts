/**
 * The UI's controller: owns the shared state (kept in the URL hash), the live view model and the connection,
 * and wires the header, toolbar, table and details panel together.
 */
import { ApiError, getViews, socketUrl } from "./Api.js"
import { Connection, type ConnectionState } from "./Connection.js"
import { DetailsPanel } from "./DetailsPanel.js"
import { h, replaceChildren } from "./Dom.js"
import { filtersOf, formatHash, type NodeRef, parseHash, type UiState } from "./HashState.js"
import { NodeTable } from "./NodeTable.js"
import type { RenderedNode, ServerMessage, ViewSummary } from "./Protocol.js"
import { ViewModel, sortRows } from "./ViewModel.js"
import { ViewTabs } from "./ViewTabs.js"

/** The view shown when the link names none and the server lists it (else the first view listed). */
const preferredView = "containers"

/** How often the view list is refreshed when no delta arrives to trigger it. */
const viewsPollMs = 10_000

const sameRef = (a: NodeRef | undefined, b: NodeRef | undefined) =>
  a === b || (a !== undefined && b !== undefined && a.topology === b.topology && a.id === b.id)

/** The running UI. */
export class App {
  private state: UiState
  private views: ReadonlyArray<ViewSummary> = []
  private readonly model = new ViewModel()
  private readonly connection: Connection
  private readonly tabs: ViewTabs
  private readonly table: NodeTable
  private readonly details: DetailsPanel
  private readonly search: HTMLInputElement
  private readonly statusButtons: ReadonlyArray<HTMLButtonElement>
  private readonly summary: HTMLElement
  private readonly pill: HTMLElement
  private readonly banner: HTMLElement
  private readonly layout: HTMLElement
  private renderQueued = false
  private stopped = false
  private loaded = false
  private searchTimer: ReturnType<typeof setTimeout> | undefined
  private viewsTimer: ReturnType<typeof setTimeout> | undefined
  /** When the pending view-list refresh fires (ms since epoch). */
  private viewsDue = Number.POSITIVE_INFINITY
  private pillTimer: ReturnType<typeof setInterval> | undefined
  private readonly cleanups: Array<() => void> = []

  constructor(
    private readonly root: HTMLElement,
    private readonly onUnauthorized: () => void
  ) {
    this.state = parseHash(location.hash)
    this.connection = new Connection(socketUrl(), {
      onMessage: (message) => this.onMessage(message),
      onState: (state) => this.showConnection(state),
      onRefused: () => this.onUnauthorized()
    })
    this.tabs = new ViewTabs((view) => this.update({ view, node: undefined }, true))
    this.table = new NodeTable({
      onSelect: (node) => this.select(node),
      onSort: (sort, dir) => this.update({ sort, dir })
    })
    this.details = new DetailsPanel({
      onOpen: (node) => this.update({ node }, true, true),
      onClose: () => this.closeDetails(),
      onUnauthorized: () => this.onUnauthorized()
    })
    this.search = h("input", {
      type: "search",
      placeholder: "Search: name, label:value, cpu > 50%",
      "aria-label": "Search nodes",
      autocomplete: "off",
      spellcheck: "false",
      value: this.state.search
    })
    this.statusButtons = (["all", "running", "stopped"] as const).map((status) => {
      const button = h("button", { type: "button", "data-status": status }, status[0]!.toUpperCase() + status.slice(1))
      button.addEventListener("click", () => this.update({ status }))
      return button
    })
    this.summary = h("span", { class: "summary", "aria-live": "polite" })
    this.pill = h("span", { class: "pill", role: "status" })
    this.banner = h("p", { class: "banner", role: "alert", hidden: true })
    this.layout = h("main", { class: "layout" }, this.table.element, this.details.element)
  }

  /** Draws the page, loads the views and connects. */
  start(): void {
    this.search.addEventListener("input", () => {
      clearTimeout(this.searchTimer)
      this.searchTimer = setTimeout(() => this.update({ search: this.search.value }), 200)
    })
    this.search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        clearTimeout(this.searchTimer)
        this.update({ search: this.search.value })
      }
    })
    replaceChildren(
      this.root,
      h("header", { class: "topbar" }, h("span", { class: "brand" }, "Orchestrator"), this.tabs.element, this.pill),
      h(
        "div",
        { class: "toolbar" },
        this.search,
        h("div", { class: "segmented", role: "group", "aria-label": "Status" }, ...this.statusButtons),
        this.summary
      ),
      this.banner,
      this.layout
    )
    this.listen(window, "hashchange", () => this.apply(parseHash(location.hash), false))
    this.listen(document, "keydown", (event) => this.onKey(event))
    this.connection.start()
    this.apply(this.state, false, true)
    void this.loadViews()
  }

  /** Disconnects and removes listeners (before showing the login form again). */
  stop(): void {
    this.stopped = true
    this.connection.close()
    clearTimeout(this.searchTimer)
    clearTimeout(this.viewsTimer)
    clearInterval(this.pillTimer)
    for (const cleanup of this.cleanups.splice(0)) cleanup()
  }

  private listen<K extends keyof WindowEventMap>(
    target: Window | Document,
    type: K,
    handler: (event: WindowEventMap[K]) => void
  ): void {
    const listener = (event: Event) => handler(event as WindowEventMap[K])
    target.addEventListener(type, listener)
    this.cleanups.push(() => target.removeEventListener(type, listener))
  }

  /** Changes the state, writes it to the hash (`push` adds a history entry) and applies it. */
  private update(patch: Partial<UiState>, push = false, focusDetails = false): void {
    const next: UiState = { ...this.state, ...patch }
    const hash = formatHash(next)
    if (hash !== location.hash) {
      const url = `${location.pathname}${location.search}${hash}`
      if (push) history.pushState(null, "", url)
      else history.replaceState(null, "", url)
    }
    this.apply(next, focusDetails)
  }

  /** Brings the page in line with a state: re-subscribes when the view or filters changed. */
  private apply(next: UiState, focusDetails: boolean, first = false): void {
    const previous = this.state
    this.state = next
    const resubscribe =
      first ||
      next.view !== previous.view ||
      next.status !== previous.status ||
      next.search.trim() !== previous.search.trim()
    if (next.view !== undefined && resubscribe) {
      // A new view starts empty; new filters keep the current rows until their snapshot replaces them.
      if (next.view !== this.model.view) {
        this.model.clear()
        this.loaded = false
      }
      this.banner.hidden = true
      this.connection.subscribe(next.view, filtersOf(next))
    }
    if (this.search.value !== next.search && document.activeElement !== this.search) this.search.value = next.search
    for (const button of this.statusButtons) {
      button.setAttribute("aria-pressed", button.dataset.status === next.status ? "true" : "false")
    }
    if (next.node === undefined) this.details.hide()
    else if (first || !sameRef(next.node, previous.node) || this.details.current === undefined) {
      this.details.show(next.node, focusDetails)
    }
    this.layout.classList.toggle("with-details", next.node !== undefined)
    this.tabs.render(this.views, next.view)
    this.scheduleRender()
  }

  private select(node: RenderedNode): void {
    this.update({ node: { topology: node.topology, id: node.id } }, false, true)
  }

  private closeDetails(): void {
    const node = this.state.node
    this.update({ node: undefined })
    if (node !== undefined) this.table.focus(node.id)
  }

  private onKey(event: KeyboardEvent): void {
    const typing =
      event.target instanceof HTMLInputElement ||
      event.target instanceof HTMLTextAreaElement ||
      event.target instanceof HTMLSelectElement
    if (event.key === "Escape" && this.state.node !== undefined) {
      event.preventDefault()
      this.closeDetails()
    } else if (event.key === "/" && !typing) {
      event.preventDefault()
      this.search.focus()
      this.search.select()
    }
  }

  private onMessage(message: ServerMessage): void {
    switch (message.type) {
      case "snapshot":
        if (message.view.view !== this.state.view) return
        this.model.reset(message.view)
        this.loaded = true
        this.banner.hidden = true
        if (this.state.node !== undefined && this.model.nodes.has(this.state.node.id)) this.details.refreshSoon()
        this.scheduleRender()
        return
      case "delta": {
        if (message.view !== this.model.view) return
        const change = this.model.apply(message.delta, message.renderedAt)
        const selected = this.state.node?.id
        if (selected !== undefined) {
          if (change.updated.includes(selected) || change.added.includes(selected)) this.details.refreshSoon()
          if (change.removed.includes(selected)) this.details.markGone()
        }
        this.scheduleRender()
        this.refreshViewsSoon()
        return
      }
      case "error":
        this.banner.hidden = false
        this.banner.textContent =
          message.code === "unknown_view"
            ? `The app server has no view "${this.state.view}". Pick one above.`
            : `The app server refused a request: ${message.message}`
        this.loaded = true
        this.scheduleRender()
        return
      case "pong":
      case "pipe.output":
      case "pipe.closed":
        // Pipes (logs, terminals) are not attached by this UI yet.
        return
    }
  }

  private async loadViews(): Promise<void> {
    clearTimeout(this.viewsTimer)
    this.viewsDue = Number.POSITIVE_INFINITY
    try {
      this.views = await getViews()
      if (this.stopped) return
      if (this.state.view === undefined) {
        const view = this.views.find((v) => v.id === preferredView)?.id ?? this.views[0]?.id ?? preferredView
        this.update({ view })
      } else this.tabs.render(this.views, this.state.view)
    } catch (error) {
      if (this.stopped) return
      if (error instanceof ApiError && error.status === 401) return this.onUnauthorized()
      if (this.state.view === undefined) this.update({ view: preferredView })
    }
    if (this.stopped) return
    clearTimeout(this.viewsTimer)
    this.viewsDue = Date.now() + viewsPollMs
    this.viewsTimer = setTimeout(() => void this.loadViews(), viewsPollMs)
  }

  /** Refreshes the view list within 500 ms of a delta (a steady stream of deltas refreshes it twice a second). */
  private refreshViewsSoon(): void {
    const due = Date.now() + 500
    if (this.viewsDue <= due) return
    clearTimeout(this.viewsTimer)
    this.viewsDue = due
    this.viewsTimer = setTimeout(() => void this.loadViews(), 500)
  }

  private scheduleRender(): void {
    if (this.renderQueued) return
    this.renderQueued = true
    requestAnimationFrame(() => {
      this.renderQueued = false
      this.renderTable()
    })
  }

  private renderTable(): void {
    const rows = sortRows(this.model.rows(), this.state.sort, this.state.dir)
    const filtered = this.state.search.trim() !== "" || this.state.status !== "all"
    const empty = !this.loaded
      ? "Loading…"
      : filtered
        ? "No nodes match the search and status filter."
        : "No nodes in this view yet. Nodes appear as probes report."
    this.table.render(rows, this.state.sort, this.state.dir, this.state.node?.id, empty)
    this.summary.textContent = !this.loaded
      ? ""
      : `${rows.length} ${rows.length === 1 ? "node" : "nodes"}${filtered ? ` of ${this.model.total}` : ""}`
  }

  private showConnection(state: ConnectionState): void {
    clearInterval(this.pillTimer)
    const text = h("span")
    const retry = h("button", { type: "button", class: "link", hidden: state.kind !== "waiting" }, "Retry now")
    retry.addEventListener("click", () => this.connection.retryNow())
    this.pill.className = `pill pill-${state.kind}`
    // Rows shown while disconnected may be out of date: dim them until the socket is back (a snapshot follows).
    this.layout.classList.toggle("stale", state.kind !== "live")
    replaceChildren(this.pill, h("span", { class: "dot", "aria-hidden": "true" }), text, retry)
    switch (state.kind) {
      case "connecting":
        text.textContent = state.attempt > 1 ? "Reconnecting…" : "Connecting…"
        return
      case "live":
        text.textContent = "Live"
        return
      case "closed":
        text.textContent = "Disconnected"
        return
      case "waiting": {
        const tick = () => {
          const seconds = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000))
          text.textContent = `Offline · retrying in ${seconds}s`
        }
        tick()
        this.pillTimer = setInterval(tick, 1000)
      }
    }
  }
}
