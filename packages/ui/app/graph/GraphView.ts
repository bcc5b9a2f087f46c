/**
 * The topology graph: a view's nodes drawn by sigma.js (WebGL, through {@link GraphRenderer}, loaded on
 * demand) from a graphology graph that a {@link GraphStore} keeps equal to the view or its grouping. Nodes are
 * placed at once (clusters as discs) and refined by a bounded force layout in a Web Worker; an update moves
 * only what it adds, and sigma redraws once per animation frame however many nodes changed. Toolbar: grouping
 * (with a list to expand and collapse groups), node size metric, zoom and fit. Hover highlights a node's
 * neighbours; a click opens its details (ctrl/cmd/shift-click: multi-selection); a click on a group expands it.
 *
 * ```ts
 * const graph = new GraphView({ onSelect, onToggleMark, onChange })
 * layout.append(graph.element)
 * graph.dataChanged(delta) // after a delta (without: after a snapshot)
 * graph.render(model, state, markedIds) // once per animation frame
 * ```
 */
/// <reference types="vite/client" />
import { h, replaceChildren } from "../Dom.js"
import { formatBytes, formatPercent } from "../Format.js"
import type { NodeRef, SizeMetric, UiState } from "../HashState.js"
import type { ViewDelta } from "../Protocol.js"
import type { ViewModel } from "../ViewModel.js"
import { statusColors } from "./Appearance.js"
import { type GraphPatch, GraphStore, type LayoutJob, type SyncResult } from "./GraphStore.js"
import { LayoutRunner, type WorkerLike } from "./Layout.js"
import { spacing } from "./Placement.js"
import {
  type DisplayEdge,
  type DisplayNode,
  displayNodeOf,
  type GroupSummary,
  groupingChoices,
  parseGrouping,
  project
} from "./Projection.js"
import type { GraphRenderer } from "./Renderer.js"
import "./graph.css"

/** Callbacks of a {@link GraphView}. */
export interface GraphHandlers {
  /** A node was clicked: open its details. */
  readonly onSelect: (node: NodeRef) => void
  /** A node was ctrl/cmd/shift-clicked: add it to the multi-selection or take it out. */
  readonly onToggleMark: (node: NodeRef) => void
  /** The user changed a graph setting (written to the URL). */
  readonly onChange: (patch: Partial<Pick<UiState, "mode" | "group" | "open" | "size">>) => void
}

/** What the test hook exposes (test and bench builds only: `window.orchestratorGraph`). */
export interface GraphTestHook {
  readonly view: GraphView
  readonly graph: GraphStore["graph"]
  readonly renderer: GraphRenderer | undefined
  /** Frames sigma drew. */
  readonly renders: number
  /** Layout refinements finished. */
  readonly layouts: number
  /** When the current view's first frame with nodes was on screen (`performance.now()`). */
  readonly firstFrameAt: number | undefined
  /** When data last arrived. */
  readonly dataAt: number
  /** When the last frame was on screen. */
  readonly frameAt: number
  /** Nodes waiting for layout. */
  readonly pendingLayout: number
  /** Edges the flow animation draws. */
  readonly animatedEdges: number
  /** Milestones of the first frame: data, sigma, frame, layout (`performance.now()`). */
  readonly timeline: ReadonlyArray<readonly [string, number]>
  /** A node's position on screen, relative to the graph's container (CSS pixels). */
  screenPosition(id: string): { x: number; y: number } | undefined
}

declare global {
  interface Window {
    orchestratorGraph?: GraphTestHook
  }
}

/**
 * Refinement limits: the first layout of a view (after its first frame: on two cores it would slow that
 * frame down; then applied in one step), and the layout of what an update adds.
 */
const initialLayout = { iterations: 200, budgetMs: 400 }
const updateLayout = { iterations: 120, budgetMs: 60 }

/** How long an edge counts as live (animated) after its traffic or one of its ends changed. */
export const liveMs = 30_000

/** Groups listed in the group panel (the largest). */
const listedGroups = 60

const sizeLabels: Readonly<Record<SizeMetric, string>> = { cpu: "CPU", memory: "Memory", connections: "Connections" }

const counts = new Intl.NumberFormat("en-US")

/** A count with thousands separators (one formatter for every call: this runs per frame). */
const formatCount = (count: number): string => counts.format(count)

/** The graph view; see the module docs. */
export class GraphView {
  /** The element to mount (hidden in table mode). */
  readonly element: HTMLElement
  /** The Graph | Table switch, for the toolbar. */
  readonly modeToggle: HTMLElement
  private readonly container: HTMLElement
  private readonly status: HTMLElement
  private readonly empty: HTMLElement
  private readonly tooltip: HTMLElement
  private readonly groupSelect: HTMLSelectElement
  private readonly sizeSelect: HTMLSelectElement
  private readonly groupList: HTMLElement
  private readonly modeButtons: ReadonlyArray<HTMLButtonElement>
  private readonly store = new GraphStore()
  private readonly layout: LayoutRunner
  private renderer: GraphRenderer | undefined
  private rendererModule: Promise<typeof import("./Renderer.js")> | undefined
  private state: UiState | undefined
  private model: ViewModel | undefined
  private view: string | undefined
  /** What changed since the last sync: everything, or these node and edge ids (from deltas). */
  private pending: "full" | { nodes: Set<string>; edges: Set<string> } = "full"
  private syncedKey = ""
  /** When edges last carried changed traffic (or touched a changed node), for the flow animation. */
  private readonly liveUntil = new Map<string, number>()
  private groups: ReadonlyArray<GroupSummary> = []
  private groupChoicesStale = true
  private choicesScheduled = false
  private layoutRunning = false
  private layoutAgain = false
  /** Layout waits for the view's first frame. */
  private layoutDeferred = false
  private hovered: string | undefined
  private renders = 0
  private layouts = 0
  private firstFrameAt: number | undefined
  private firstFramePending = false
  private dataAt = 0
  private frameAt = 0
  private readonly timeline: Array<[string, number]> = []
  private disposed = false

  constructor(private readonly handlers: GraphHandlers) {
    this.layout = new LayoutRunner(
      typeof Worker === "undefined"
        ? undefined
        : () =>
            new Worker(new URL("./LayoutWorker.ts", import.meta.url), {
              type: "module",
              name: "graph-layout"
            }) as unknown as WorkerLike
    )
    this.modeButtons = (["graph", "table"] as const).map((mode) => {
      const button = h("button", { type: "button", "data-mode": mode }, mode === "graph" ? "Graph" : "Table")
      button.addEventListener("click", () => this.handlers.onChange({ mode }))
      return button
    })
    this.modeToggle = h(
      "div",
      { class: "segmented mode-toggle", role: "group", "aria-label": "Show as" },
      ...this.modeButtons
    )
    this.groupSelect = h("select", { "aria-label": "Group by" }, h("option", { value: "" }, "None"))
    // The menu is filled when idle; make sure it is before it opens.
    for (const type of ["pointerdown", "focus", "keydown"]) {
      this.groupSelect.addEventListener(type, () => this.refreshGroupChoices())
    }
    this.groupSelect.addEventListener("change", () =>
      this.handlers.onChange({ group: this.groupSelect.value, open: [] })
    )
    this.sizeSelect = h(
      "select",
      { "aria-label": "Size nodes by" },
      ...(["cpu", "memory", "connections"] as const).map((metric) => h("option", { value: metric }, sizeLabels[metric]))
    )
    this.sizeSelect.addEventListener("change", () =>
      this.handlers.onChange({ size: this.sizeSelect.value as SizeMetric })
    )
    const button = (label: string, title: string, action: () => void, name: string) => {
      const b = h("button", { type: "button", class: "icon", "aria-label": title, title, "data-action": name }, label)
      b.addEventListener("click", action)
      return b
    }
    this.status = h("span", { class: "graph-status", role: "status", "aria-live": "polite" })
    this.groupList = h("div", { class: "graph-groups", hidden: true })
    this.container = h("div", {
      class: "graph-canvas",
      tabindex: 0,
      role: "application",
      "aria-roledescription": "topology graph",
      "aria-label": "Topology graph: + and - zoom, 0 fits it. The Table view lists the same nodes."
    })
    this.container.addEventListener("keydown", (event) => this.onKey(event))
    this.empty = h("p", { class: "graph-empty", hidden: true })
    this.tooltip = h("div", { class: "graph-tooltip", hidden: true, role: "tooltip" })
    const legend = h(
      "ul",
      { class: "graph-legend", "aria-label": "Status colours" },
      ...(["healthy", "warning", "critical", "stopped"] as const).map((status) =>
        h("li", {}, h("span", { class: "swatch", style: `background:${statusColors[status]}` }), status)
      ),
      h("li", {}, h("span", { class: "swatch hollow" }), "outside"),
      h("li", {}, h("span", { class: "swatch ringed" }), "group")
    )
    this.element = h(
      "section",
      { class: "graph-wrap", "aria-label": "Graph", hidden: true },
      h(
        "div",
        { class: "graph-toolbar" },
        h("label", {}, "Group ", this.groupSelect),
        h("label", {}, "Size ", this.sizeSelect),
        h(
          "div",
          { class: "graph-zoom", role: "group", "aria-label": "Zoom" },
          button("+", "Zoom in", () => this.renderer?.zoomIn(), "zoom-in"),
          button("−", "Zoom out", () => this.renderer?.zoomOut(), "zoom-out"),
          button("⤢", "Fit to screen", () => this.fit(), "fit")
        ),
        this.status
      ),
      this.container,
      this.empty,
      this.tooltip,
      this.groupList,
      legend
    )
    this.layout.warm()
    if (import.meta.env.MODE !== "production") this.exposeTestHook()
  }

  /**
   * Call when the view model changed: with the delta it applied (the next {@link render} patches what it
   * names), or without after a snapshot (the next render syncs everything).
   */
  dataChanged(delta?: ViewDelta): void {
    this.dataAt = performance.now()
    if (this.firstFrameAt === undefined) this.mark("data", this.dataAt)
    if (delta === undefined) this.pending = "full"
    else if (this.pending !== "full") {
      const { nodes, edges } = this.pending
      for (const node of delta.add) nodes.add(node.id)
      for (const node of delta.update) nodes.add(node.id)
      for (const id of delta.remove) nodes.add(id)
      for (const edge of delta.addEdges) edges.add(edge.id)
      for (const edge of delta.updateEdges) edges.add(edge.id)
      for (const id of delta.removeEdges) edges.add(id)
    }
  }

  /** Brings the graph in line with the model and the state; call once per animation frame at most. */
  render(model: ViewModel, state: UiState, marked: ReadonlySet<string>): void {
    if (this.disposed) return
    this.state = state
    this.model = model
    for (const b of this.modeButtons) b.setAttribute("aria-pressed", b.dataset.mode === state.mode ? "true" : "false")
    if (state.mode !== "graph") {
      this.element.hidden = true
      // Table mode frees the WebGL context; the graph and its positions stay for the way back, and as deltas
      // are not followed meanwhile, the way back syncs everything.
      this.disposeRenderer()
      this.pending = "full"
      return
    }
    this.element.hidden = false
    this.sizeSelect.value = state.size
    if (model.view !== this.view) {
      // Another view: its nodes are others (positions stay remembered for a switch back); its picture is new.
      this.view = model.view
      this.firstFrameAt = undefined
      this.hover(undefined)
      this.disposeRenderer()
      this.store.clear()
      this.liveUntil.clear()
      this.pending = "full"
    }
    const key = JSON.stringify([state.group, state.open, state.size])
    const grouping = parseGrouping(state.group)
    const pending = this.pending
    const changed = pending === "full" || key !== this.syncedKey || pending.nodes.size + pending.edges.size > 0
    let result: SyncResult | undefined
    if (changed && (pending === "full" || key !== this.syncedKey || grouping.kind !== "none")) {
      this.groupChoicesStale = true
      this.renderGroupChoices(state.group)
      const projection = project(model.nodes.values(), model.edges.values(), grouping, new Set(state.open))
      this.groups = projection.groups
      // Filling an empty graph: a new picture draws it once, whole, instead of following every added node.
      if (this.store.graph.order === 0) this.disposeRenderer()
      result = this.store.sync(projection, state.size)
      this.renderGroupList()
    } else if (changed && typeof pending === "object") {
      result = this.store.patch(this.patchOf(model, pending.nodes, pending.edges), state.size)
    }
    this.syncedKey = key
    this.pending = { nodes: new Set(), edges: new Set() }
    // Traffic that changes after the first frame is live for a while (the flow animation shows it).
    if (result !== undefined && this.firstFrameAt !== undefined) this.markLive(result)
    this.store.select(state.node?.id)
    this.store.mark(marked)
    this.ensureRenderer()
    this.requestLayout()
    this.renderStatusText()
  }

  /** Notes a milestone of the first frame (the test hook reads them; the oldest go past 64). */
  private mark(name: string, at: number = performance.now()): void {
    this.timeline.push([name, at])
    if (this.timeline.length > 64) this.timeline.shift()
  }

  /** Moves keyboard focus to the graph. */
  focus(): void {
    this.container.focus({ preventScroll: true })
  }

  /** Fits the whole graph in view. */
  fit(animate = true): void {
    this.renderer?.fit(animate)
  }

  /** Stops the worker, the renderer and the hook. */
  dispose(): void {
    this.disposed = true
    this.disposeRenderer()
    this.layout.dispose()
    if (window.orchestratorGraph?.view === this) delete window.orchestratorGraph
  }

  /** The patch for the nodes and edges a delta named, read from the model (absent: removed). */
  private patchOf(model: ViewModel, nodeIds: ReadonlySet<string>, edgeIds: ReadonlySet<string>): GraphPatch {
    const nodes: Array<DisplayNode> = []
    const removed: Array<string> = []
    for (const id of nodeIds) {
      const node = model.nodes.get(id)
      if (node === undefined) removed.push(id)
      else nodes.push(displayNodeOf(node, 0))
    }
    const edges: Array<DisplayEdge> = []
    const removedEdges: Array<string> = []
    for (const id of edgeIds) {
      const edge = model.edges.get(id)
      if (edge === undefined || !model.nodes.has(edge.source) || !model.nodes.has(edge.target)) removedEdges.push(id)
      else edges.push(edge)
    }
    return { nodes, removed, edges, removedEdges }
  }

  /** Marks as live the edges a sync touched and those of the nodes it changed. */
  private markLive(result: SyncResult): void {
    const now = performance.now()
    const until = now + liveMs
    const graph = this.store.graph
    for (const id of result.touchedEdges) this.liveUntil.set(id, until)
    for (const ids of [result.updated, result.added]) {
      for (const id of ids) if (graph.hasNode(id)) graph.forEachEdge(id, (edge) => this.liveUntil.set(edge, until))
    }
    if (this.liveUntil.size > 50_000) for (const [id, t] of this.liveUntil) if (t < now) this.liveUntil.delete(id)
  }

  /** Whether an edge's traffic is live: it changed recently, or it belongs to the hovered or selected node. */
  private readonly isLive = (edge: string, source: string, target: string): boolean => {
    const focus = this.hovered ?? this.state?.node?.id
    if (focus !== undefined && (source === focus || target === focus)) return true
    return (this.liveUntil.get(edge) ?? 0) > performance.now()
  }

  /** Loads the renderer's chunk (once, as soon as the graph is shown) and creates the renderer once there are nodes. */
  private ensureRenderer(): void {
    if (this.renderer !== undefined) return
    this.rendererModule ??= import("./Renderer.js")
    void this.rendererModule.then((module) => {
      if (this.renderer !== undefined || this.disposed || this.state?.mode !== "graph" || this.element.hidden) return
      if (this.store.graph.order === 0) return
      this.mark("sigma-start")
      this.renderer = new module.GraphRenderer(this.store.graph, this.container, {
        onHover: (node) => this.hover(node),
        onClick: (node, event) => this.click(node, event),
        onFrame: () => this.onFrame(),
        onCamera: () => {
          this.tooltip.hidden = true
        },
        isLive: this.isLive
      })
      this.mark("sigma-done")
      // The constructor drew a frame.
      this.onFrame()
    })
  }

  private disposeRenderer(): void {
    this.renderer?.dispose()
    this.renderer = undefined
    this.hovered = undefined
    this.tooltip.hidden = true
  }

  /** Counts a frame; notes when it is on screen (the next animation frame) and the view's first with nodes. */
  private onFrame(): void {
    this.renders++
    if (this.firstFrameAt === undefined && !this.firstFramePending && this.store.graph.order > 0) {
      this.firstFramePending = true
    }
    requestAnimationFrame(() => {
      this.frameAt = performance.now()
      if (!this.firstFramePending) return
      this.firstFramePending = false
      this.firstFrameAt = this.frameAt
      this.mark("first-frame", this.frameAt)
      performance.mark("graph:first-frame")
      if (this.layoutDeferred) {
        this.layoutDeferred = false
        this.requestLayout()
      }
    })
  }

  /** Runs the refinement the store asks for, one at a time, after the view's first frame. */
  private requestLayout(): void {
    if (this.renderer === undefined || this.firstFrameAt === undefined) {
      this.layoutDeferred = this.store.pendingLayout > 0
      return
    }
    if (this.layoutRunning) {
      this.layoutAgain ||= this.store.pendingLayout > 0
      return
    }
    const job = this.store.layoutJob()
    if (job === undefined) return
    this.layoutRunning = true
    this.layoutAgain = false
    if (job.initial) this.mark("layout-start")
    const limits = job.initial ? initialLayout : updateLayout
    void this.layout
      .run(job.problem, { ...limits, spacing })
      .then((response) => this.layoutDone(job, response.xs, response.ys))
  }

  private layoutDone(job: LayoutJob, xs: Float64Array, ys: Float64Array): void {
    this.layoutRunning = false
    if (this.disposed) return
    this.layouts++
    const pendingBefore = this.store.pendingLayout
    const moved = this.store.applyLayout(job, xs, ys)
    // Nodes the job could not move (placed again meanwhile) get the next job; if there is nothing else to
    // wait for, they settle where they are rather than loop.
    if (moved === 0 && this.store.pendingLayout === pendingBefore) this.store.settle()
    if (job.initial) {
      this.mark("layout-done")
      // The first frame's picture was fitted to the placement; frame the refined layout, once.
      this.renderer?.fit(false)
    }
    if (this.layoutAgain || this.store.pendingLayout > 0) this.requestLayout()
    this.renderStatusText()
  }

  private hover(node: string | undefined): void {
    const graph = this.store.graph
    this.hovered = node !== undefined && graph.hasNode(node) ? node : undefined
    this.renderer?.highlight(this.hovered)
    if (this.hovered === undefined || this.renderer === undefined) {
      this.tooltip.hidden = true
      return
    }
    const id = this.hovered
    const a = graph.getNodeAttributes(id)
    const metrics = this.metricsOf(id)
    replaceChildren(
      this.tooltip,
      h("strong", {}, a.label),
      a.minor === "" ? null : h("span", { class: "minor" }, a.minor),
      h("span", { class: `status status-${a.status}` }, a.kind === "group" ? `group · ${a.status}` : a.status),
      metrics === "" ? null : h("span", { class: "metrics" }, metrics),
      h(
        "span",
        { class: "hint" },
        a.kind === "group" ? "Click to expand" : `${formatCount(graph.degree(id))} edges · click for details`
      )
    )
    const p = this.renderer.screenPosition(id)!
    this.tooltip.style.transform = `translate(${Math.round(p.x + 14)}px, ${Math.round(p.y + this.container.offsetTop + 8)}px)`
    this.tooltip.hidden = false
  }

  private metricsOf(id: string): string {
    const node = this.model?.nodes.get(id)
    if (node === undefined) return ""
    const parts: Array<string> = []
    if (node.metrics.cpu !== undefined) parts.push(`CPU ${formatPercent(node.metrics.cpu)}`)
    if (node.metrics.memory !== undefined) parts.push(`memory ${formatBytes(node.metrics.memory)}`)
    return parts.join(" · ")
  }

  private click(node: string, event: MouseEvent | TouchEvent): void {
    const graph = this.store.graph
    if (!graph.hasNode(node)) return
    const a = graph.getNodeAttributes(node)
    if (a.kind === "group") {
      this.setExpanded(node, true)
      return
    }
    const ref = { topology: a.topology, id: node }
    if (event.ctrlKey || event.metaKey || event.shiftKey) this.handlers.onToggleMark(ref)
    else this.handlers.onSelect(ref)
  }

  private setExpanded(id: string, expanded: boolean): void {
    const open = this.state?.open ?? []
    const next = expanded ? [...new Set([...open, id])] : open.filter((g) => g !== id)
    this.hover(undefined)
    this.handlers.onChange({ open: next })
  }

  private onKey(event: KeyboardEvent): void {
    if (this.renderer === undefined) return
    const actions: Readonly<Record<string, () => void>> = {
      "+": () => this.renderer?.zoomIn(),
      "=": () => this.renderer?.zoomIn(),
      "-": () => this.renderer?.zoomOut(),
      "0": () => this.fit()
    }
    const action = actions[event.key]
    if (action === undefined) return
    event.preventDefault()
    action()
  }

  /**
   * Fills the grouping menu. The groupings a view offers take a pass over every node's parents and labels, so
   * they are worked out when the page is idle (or when the menu is about to open), not in the frame that
   * draws the data.
   */
  private renderGroupChoices(current: string): void {
    if (this.groupChoicesStale && this.model !== undefined && !this.choicesScheduled) {
      this.choicesScheduled = true
      const run = () => {
        this.choicesScheduled = false
        this.refreshGroupChoices()
      }
      if (typeof requestIdleCallback === "function") requestIdleCallback(run, { timeout: 1_000 })
      else setTimeout(run, 200)
    }
    if (![...this.groupSelect.options].some((option) => option.value === current)) {
      this.groupSelect.append(h("option", { value: current }, current === "" ? "None" : current))
    }
    this.groupSelect.value = current
  }

  private refreshGroupChoices(): void {
    if (!this.groupChoicesStale || this.model === undefined || this.disposed) return
    this.groupChoicesStale = false
    const current = this.state?.group ?? ""
    const choices = groupingChoices(this.model.nodes.values())
    if (current !== "" && !choices.some((c) => c.value === current)) choices.push({ value: current, label: current })
    replaceChildren(
      this.groupSelect,
      h("option", { value: "" }, "None"),
      ...choices.map((choice) => h("option", { value: choice.value }, choice.label))
    )
    this.groupSelect.value = current
  }

  private renderGroupList(): void {
    const groups = this.groups
    this.groupList.hidden = groups.length === 0
    if (groups.length === 0) return
    const open = groups.filter((g) => g.expanded).length
    const allOpen = open === groups.length
    const all = h("button", { type: "button", class: "link" }, allOpen ? "Collapse all" : "Expand all")
    all.addEventListener("click", () => this.handlers.onChange({ open: allOpen ? [] : groups.map((g) => g.id) }))
    const shown = groups.slice(0, listedGroups)
    replaceChildren(
      this.groupList,
      h("div", { class: "graph-groups-head" }, h("span", {}, `${formatCount(groups.length)} groups`), all),
      h(
        "ul",
        { "aria-label": "Groups" },
        ...shown.map((group) => {
          const toggle = h(
            "button",
            {
              type: "button",
              "aria-expanded": group.expanded ? "true" : "false",
              "data-group": group.id,
              title: group.expanded ? "Collapse into one node" : "Expand into its members"
            },
            h("span", { class: "caret", "aria-hidden": "true" }, group.expanded ? "▾" : "▸"),
            h("span", { class: "name" }, group.label),
            h("span", { class: "count" }, formatCount(group.members))
          )
          toggle.addEventListener("click", () => this.setExpanded(group.id, !group.expanded))
          return h("li", {}, toggle)
        })
      ),
      groups.length > shown.length ? h("p", { class: "muted" }, `and ${groups.length - shown.length} more`) : null
    )
  }

  private renderStatusText(): void {
    const graph = this.store.graph
    const pending = this.store.pendingLayout
    this.status.textContent =
      pending > 0
        ? `${formatCount(graph.order)} shown · laying out ${formatCount(pending)}…`
        : `${formatCount(graph.order)} shown · ${formatCount(graph.size)} edges`
    const loaded = this.model?.view !== undefined
    this.empty.hidden = graph.order > 0
    this.empty.textContent = loaded ? "No nodes to draw: nothing matches, or no probe reported yet." : "Loading…"
  }

  private exposeTestHook(): void {
    const view = this
    window.orchestratorGraph = {
      view,
      get graph() {
        return view.store.graph
      },
      get renderer() {
        return view.renderer
      },
      get renders() {
        return view.renders
      },
      get layouts() {
        return view.layouts
      },
      get firstFrameAt() {
        return view.firstFrameAt
      },
      get dataAt() {
        return view.dataAt
      },
      get frameAt() {
        return view.frameAt
      },
      get pendingLayout() {
        return view.store.pendingLayout
      },
      get animatedEdges() {
        return view.renderer?.animatedEdges ?? 0
      },
      get timeline() {
        return view.timeline
      },
      screenPosition: (id) => view.renderer?.screenPosition(id)
    }
  }
}
