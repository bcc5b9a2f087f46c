/**
 * The UI's controller: owns the shared state (kept in the URL hash), the live view model and the connection,
 * and wires the header, toolbar, table and details panel together.
 */
import { ApiError, apiUrl, getViews, socketUrl } from "./Api.js"
import { Connection, type ConnectionState } from "./Connection.js"
import { Controls } from "./controls/Controls.js"
import type { Selection } from "./controls/Selection.js"
import { DetailsPanel } from "./DetailsPanel.js"
import { h, replaceChildren } from "./Dom.js"
import { FilterBar } from "./filters/FilterBar.js"
import { GraphView } from "./graph/GraphView.js"
import { SavedFilters, storageKey as savedFiltersKey } from "./filters/SavedFilters.js"
import type { HistoryMode } from "./filters/SearchBox.js"
import {
  type FilterValues,
  filtersKey,
  filtersOf,
  formatHash,
  isUnfiltered,
  type NodeRef,
  parseHash,
  sameFilters,
  type UiState
} from "./HashState.js"
import { NodeTable } from "./NodeTable.js"
import type { RenderedNode, ServerMessage, ViewSummary } from "./Protocol.js"
import { ViewCache } from "./ViewCache.js"
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
  /** The last rendering of each view shown, drawn at once when switching back to it. */
  private readonly cache = new ViewCache()
  /** The filters the model's rows were rendered with. */
  private modelFilters = ""
  private readonly connection: Connection
  /** Multi-selection, bulk actions, confirmations, logs and terminals. */
  private readonly controls: Controls
  private readonly tabs: ViewTabs
  private readonly table: NodeTable
  private readonly details: DetailsPanel
  private readonly graph: GraphView
  private readonly filters: FilterBar
  private readonly summary: HTMLElement
  private readonly pill: HTMLElement
  private readonly banner: HTMLElement
  private readonly layout: HTMLElement
  private renderQueued = false
  private stopped = false
  private loaded = false
  private viewsTimer: ReturnType<typeof setTimeout> | undefined
  /** When the pending view-list refresh fires (ms since epoch). */
  private viewsDue = Number.POSITIVE_INFINITY
  private pillTimer: ReturnType<typeof setInterval> | undefined
  private readonly cleanups: Array<() => void> = []

  constructor(
    private readonly root: HTMLElement,
    private readonly onUnauthorized: () => void
  ) {
    // A first visit (no state in the URL) shows the map; a link that names no mode shows the table, as before.
    this.state = location.hash.length <= 1 ? { ...parseHash(""), mode: "graph" } : parseHash(location.hash)
    this.connection = new Connection(socketUrl(), {
      onMessage: (message) => this.onMessage(message),
      onState: (state) => this.showConnection(state),
      onRefused: () => this.onUnauthorized()
    })
    this.tabs = new ViewTabs((view) => this.update({ view, node: undefined }, true))
    this.controls = new Controls({
      send: (message) => this.connection.send(message),
      onUnauthorized: () => this.onUnauthorized()
    })
    this.table = new NodeTable(
      {
        onSelect: (node) => this.select(node),
        onSort: (sort, dir) => this.update({ sort, dir })
      },
      this.controls.selection
    )
    this.details = new DetailsPanel(
      {
        onOpen: (node) => this.update({ node }, true, true),
        onClose: () => this.closeDetails(),
        onUnauthorized: () => this.onUnauthorized()
      },
      this.controls
    )
    this.graph = new GraphView({
      onSelect: (node) => this.update({ node }, false, true),
      onToggleMark: (node) => this.toggleSelect(node),
      onChange: (patch) => this.update(patch, patch.mode !== undefined)
    })
    this.filters = new FilterBar(new SavedFilters(savedFiltersStorage()), {
      onChange: (patch, history) => this.updateFilters(patch, history)
    })
    this.summary = h("span", { class: "summary", "aria-live": "polite" })
    this.pill = h("span", { class: "pill", role: "status" })
    this.banner = h("p", { class: "banner", role: "alert", hidden: true })
    this.layout = h("main", { class: "layout" }, this.table.element, this.graph.element, this.details.element)
  }

  /** Draws the page, loads the views and connects. */
  start(): void {
    replaceChildren(
      this.root,
      h("header", { class: "topbar" }, h("span", { class: "brand" }, "Orchestrator"), this.tabs.element, this.pill),
      h("div", { class: "toolbar" }, this.graph.modeToggle, this.filters.element, this.summary),
      this.banner,
      ...this.controls.elements,
      this.layout
    )
    this.listen(window, "hashchange", () => this.apply(parseHash(location.hash), false))
    this.listen(document, "keydown", (event) => this.onKey(event))
    this.listen(window, "online", () => this.connection.setOnline(true))
    this.listen(window, "offline", () => this.connection.setOnline(false))
    this.listen(window, "storage", (event) => {
      if (event.key === savedFiltersKey || event.key === null) this.filters.refreshSaved()
    })
    this.cleanups.push(this.controls.selection.subscribe(() => this.scheduleRender()))
    this.connection.setOnline(navigator.onLine)
    this.connection.start()
    this.apply(this.state, false, true)
    void this.loadViews()
  }

  /** The multi-selection behind bulk actions; subscribe to it to draw what is selected (e.g. in the graph). */
  get selection(): Selection {
    return this.controls.selection
  }

  /** Adds a node to the multi-selection or takes it out (ctrl/cmd- or shift-click in the graph). */
  toggleSelect(ref: NodeRef): void {
    this.controls.selection.toggle(ref)
  }

  /** Disconnects and removes listeners (before showing the login form again). */
  stop(): void {
    this.stopped = true
    this.connection.close()
    this.filters.dispose()
    clearTimeout(this.viewsTimer)
    clearInterval(this.pillTimer)
    for (const cleanup of this.cleanups.splice(0)) cleanup()
    this.graph.dispose()
    this.controls.close()
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

  /** Changes filters; the selection stays (a node the filters hide shows as such in its panel). */
  private updateFilters(patch: Partial<FilterValues>, history: HistoryMode): void {
    this.update(patch, history === "push")
  }

  /** Brings the page in line with a state: re-subscribes when the view or filters changed. */
  private apply(next: UiState, focusDetails: boolean, first = false): void {
    const previous = this.state
    this.state = next
    const resubscribe = first || next.view !== previous.view || !sameFilters(next, previous)
    if (next.view !== undefined && resubscribe) {
      // A view shown before is drawn from memory until its snapshot arrives; a new one starts empty. New
      // filters keep the current rows until their snapshot replaces them.
      if (next.view !== this.model.view) this.switchModel(next)
      this.banner.hidden = true
      this.connection.subscribe(next.view, filtersOf(next))
    }
    this.filters.render(next)
    if (next.node === undefined) this.details.hide()
    else if (first || !sameRef(next.node, previous.node) || this.details.current === undefined) {
      this.details.show(next.node, focusDetails)
    }
    this.layout.classList.toggle("with-details", next.node !== undefined)
    this.tabs.render(this.views, next.view)
    this.scheduleRender()
  }

  /** Keeps the current rows for a later switch back, then shows the next view's last rendering (or nothing). */
  private switchModel(next: UiState): void {
    const model = this.model
    if (model.view !== undefined && this.loaded) {
      this.cache.put(this.modelFilters, {
        view: model.view,
        nodes: [...model.nodes.values()],
        edges: [...model.edges.values()],
        total: model.total,
        renderedAt: model.renderedAt
      })
    }
    const cached = next.view === undefined ? undefined : this.cache.get(next.view, filtersKey(next))
    if (cached !== undefined) {
      // Replayed as a snapshot, so everything that follows snapshots (table, graph, details) draws it.
      this.onMessage({ type: "snapshot", view: cached })
    } else {
      model.clear()
      this.loaded = false
    }
  }

  private select(node: RenderedNode): void {
    this.update({ node: { topology: node.topology, id: node.id } }, false, true)
  }

  private closeDetails(): void {
    const node = this.state.node
    this.update({ node: undefined })
    if (node !== undefined && this.state.mode === "graph") this.graph.focus()
    else if (node !== undefined) this.table.focus(node.id)
  }

  private onKey(event: KeyboardEvent): void {
    const typing =
      event.target instanceof HTMLInputElement ||
      event.target instanceof HTMLTextAreaElement ||
      event.target instanceof HTMLSelectElement
    // A control that handled the key (Escape in the search box or a menu) has the last word.
    if (event.defaultPrevented) return
    if (event.key === "Escape" && this.filters.closePanels()) {
      event.preventDefault()
    } else if (event.key === "Escape" && this.state.node !== undefined) {
      event.preventDefault()
      this.closeDetails()
    } else if (event.key === "/" && !typing) {
      event.preventDefault()
      this.filters.focusSearch()
    }
  }

  private onMessage(message: ServerMessage): void {
    switch (message.type) {
      case "snapshot":
        if (message.view.view !== this.state.view) return
        this.model.reset(message.view)
        this.graph.dataChanged()
        this.modelFilters = filtersKey(this.state)
        this.loaded = true
        this.banner.hidden = true
        this.filters.showSearchError(undefined)
        if (this.state.node !== undefined && this.model.nodes.has(this.state.node.id)) this.details.refreshSoon()
        this.scheduleRender()
        return
      case "delta": {
        if (message.view !== this.model.view) return
        const change = this.model.apply(message.delta, message.renderedAt)
        this.graph.dataChanged(message.delta)
        const selected = this.state.node?.id
        if (selected !== undefined) {
          if (change.updated.includes(selected) || change.added.includes(selected)) this.details.refreshSoon()
          if (change.removed.includes(selected)) this.details.markGone()
        }
        this.controls.nodesChanged([...change.added, ...change.updated, ...change.removed])
        this.scheduleRender()
        this.refreshViewsSoon()
        return
      }
      case "error":
        if (message.code === "bad_search") {
          void this.showSearchError(this.state.search.trim(), message, (message as { position?: unknown }).position)
          this.loaded = true
          this.scheduleRender()
          return
        }
        this.banner.hidden = false
        this.banner.textContent =
          message.code === "unknown_view"
            ? `The app server has no view "${this.state.view}". Pick one above.`
            : `The app server refused a request: ${message.message}`
        this.loaded = true
        this.scheduleRender()
        return
      case "pipe.output":
      case "pipe.closed":
        this.controls.receive(message)
        return
      case "pong":
        return
    }
  }

  /**
   * Shows why the server refused the search. When the WebSocket error carries no position, the REST search
   * answers the same error with `details.position`: ask it, to mark the offending character.
   */
  private async showSearchError(query: string, error: { readonly message: string }, known: unknown): Promise<void> {
    this.filters.showSearchError({
      query,
      message: error.message,
      position: typeof known === "number" ? known : undefined
    })
    if (typeof known === "number") return
    const position = await searchErrorPosition(query)
    if (position !== undefined && !this.stopped && this.state.search.trim() === query) {
      this.filters.showSearchError({ query, message: error.message, position })
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
    // Only what is shown is drawn: the graph (thousands of nodes) builds no table rows.
    const graphMode = this.state.mode === "graph"
    this.table.element.hidden = graphMode
    this.graph.render(this.model, this.state, new Set(this.controls.selection.refs().map((ref) => ref.id)))
    const rows = graphMode ? [] : sortRows(this.model.rows(), this.state.sort, this.state.dir)
    const count = graphMode ? this.model.nodes.size : rows.length
    const filtered = !isUnfiltered(this.state)
    const empty = !this.loaded
      ? "Loading…"
      : filtered
        ? "No nodes match the search and filters."
        : "No nodes in this view yet. Nodes appear as probes report."
    if (!graphMode) this.table.render(rows, this.state.sort, this.state.dir, this.state.node?.id, empty)
    this.summary.textContent = !this.loaded
      ? ""
      : `${count} ${count === 1 ? "node" : "nodes"}${filtered ? ` of ${this.model.total}` : ""}`
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
        this.controls.connected()
        return
      case "closed":
        text.textContent = "Disconnected"
        return
      case "offline":
        text.textContent = "Offline · no network"
        return
      case "waiting": {
        const tick = () => {
          const seconds = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000))
          text.textContent = `Offline · reconnecting in ${seconds}s`
        }
        tick()
        this.pillTimer = setInterval(tick, 1000)
      }
    }
  }
}

/** The browser's `localStorage`, or `undefined` where reading it throws (some privacy settings). */
const savedFiltersStorage = (): Storage | undefined => {
  try {
    return window.localStorage
  } catch {
    return undefined
  }
}

/** Where the app server says a query fails to parse (`GET /api/v1/query/search` answers `details.position`). */
const searchErrorPosition = async (query: string): Promise<number | undefined> => {
  try {
    const url = apiUrl("api/v1/query/search")
    url.searchParams.set("q", query)
    url.searchParams.set("limit", "1")
    const response = await fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
    const body = (await response.json()) as { error?: { details?: { position?: unknown } } }
    const position = body.error?.details?.position
    return typeof position === "number" ? position : undefined
  } catch {
    return undefined
  }
}
