/**
 * The details of one node, rendered generically from its panels (`table`, `labels`, `metrics`, `connections`,
 * `controls`), so plugins add panels without UI changes. Unknown panel types are shown as data.
 */
import { ApiError, getNode, runControl } from "./Api.js"
import { type Child, h, replaceChildren, s } from "./Dom.js"
import { formatMetric } from "./Format.js"
import type { NodeRef } from "./HashState.js"
import type { ControlDescription, MetricSeries, NodeDetails, Panel, PanelOf } from "./Protocol.js"
import { recentWindow, sparkline } from "./Sparkline.js"

/** Callbacks of a {@link DetailsPanel}. */
export interface DetailsHandlers {
  /** A connection row was clicked: show that node instead. */
  readonly onOpen: (node: NodeRef) => void
  readonly onClose: () => void
  /** A request answered 401: the session ended. */
  readonly onUnauthorized: () => void
}

const sparkWidth = 160
const sparkHeight = 32

const directionArrow: Readonly<Record<string, string>> = { inbound: "←", outbound: "→", parent: "↑", child: "↓" }

/** Draws a metric's samples as an inline SVG: a polyline per run of samples, gaps where nothing was recorded. */
export const sparklineSvg = (series: MetricSeries): SVGSVGElement => {
  const values = recentWindow(series.values)
  const shape = sparkline(values, sparkWidth, sparkHeight)
  return s(
    "svg",
    {
      class: "sparkline",
      viewBox: `0 0 ${sparkWidth} ${sparkHeight}`,
      width: sparkWidth,
      height: sparkHeight,
      role: "img",
      "aria-label": `${series.label} over ${Math.round((values.length * series.stepMs) / 60_000)} min, latest ${formatMetric(series.latest, series.unit)}`
    },
    ...shape.lines.map((points) => s("polyline", { points })),
    ...shape.dots.map(([cx, cy]) => s("circle", { cx, cy, r: 1.5 }))
  )
}

/** The side panel with a node's details. */
export class DetailsPanel {
  /** The element to mount. */
  readonly element: HTMLElement
  private readonly heading: HTMLHeadingElement
  private readonly minor: HTMLElement
  private readonly notice: HTMLElement
  private readonly body: HTMLElement
  private node: NodeRef | undefined
  private details: NodeDetails | undefined
  private request = 0
  private refreshTimer: ReturnType<typeof setTimeout> | undefined
  private lastLoad = 0
  /** Control outcomes of the shown node, kept across reloads of its details. */
  private readonly results = new Map<string, { readonly ok: boolean | undefined; readonly text: string }>()

  constructor(private readonly handlers: DetailsHandlers) {
    this.heading = h("h2", { tabindex: -1, id: "details-title" })
    this.minor = h("p", { class: "minor" })
    this.notice = h("p", { class: "notice", role: "status", hidden: true })
    this.body = h("div", { class: "panels" })
    const close = h(
      "button",
      { type: "button", class: "icon", "aria-label": "Close details", title: "Close (Esc)" },
      "×"
    )
    close.addEventListener("click", () => this.handlers.onClose())
    this.element = h(
      "aside",
      { class: "details", "aria-labelledby": "details-title", hidden: true },
      h("header", {}, h("div", {}, this.heading, this.minor), close),
      this.notice,
      this.body
    )
  }

  /** The node shown, if any. */
  get current(): NodeRef | undefined {
    return this.node
  }

  /** Shows a node (loading its details); `focus` moves keyboard focus to the panel's title. */
  show(node: NodeRef, focus: boolean): void {
    const same = this.node?.topology === node.topology && this.node.id === node.id
    this.node = node
    this.element.hidden = false
    if (!same) {
      this.details = undefined
      this.heading.textContent = node.id
      this.minor.textContent = node.topology
      this.results.clear()
      this.setNotice(undefined)
      replaceChildren(this.body, h("p", { class: "muted" }, "Loading…"))
    }
    if (focus) this.heading.focus()
    if (!same) void this.load()
  }

  /** Hides the panel. */
  hide(): void {
    this.node = undefined
    this.details = undefined
    this.request++
    clearTimeout(this.refreshTimer)
    this.refreshTimer = undefined
    this.element.hidden = true
  }

  /** Reloads the details soon (at most once a second), e.g. because the node changed. */
  refreshSoon(): void {
    if (this.node === undefined || this.refreshTimer !== undefined) return
    const wait = Math.max(0, this.lastLoad + 1_000 - Date.now())
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined
      void this.load()
    }, wait)
  }

  /** Says that the node left the current view (it stopped, was removed, or no longer matches the filters). */
  markGone(): void {
    this.setNotice("This node is no longer in the view.")
  }

  private setNotice(text: string | undefined): void {
    this.notice.hidden = text === undefined
    this.notice.textContent = text ?? ""
  }

  private async load(): Promise<void> {
    const node = this.node
    if (node === undefined) return
    const request = ++this.request
    this.lastLoad = Date.now()
    try {
      const details = await getNode(node.topology, node.id)
      if (request !== this.request) return
      this.details = details
      this.render(details)
    } catch (error) {
      if (request !== this.request) return
      if (error instanceof ApiError && error.status === 401) return this.handlers.onUnauthorized()
      if (error instanceof ApiError && error.status === 404) {
        this.setNotice("This node is gone: the app server no longer knows it.")
        if (this.details === undefined) replaceChildren(this.body)
        return
      }
      this.setNotice(`Could not load details: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  private render(details: NodeDetails): void {
    this.heading.textContent = details.label
    this.minor.textContent = [details.topology, details.labelMinor].filter((t) => t !== "").join(" · ")
    this.setNotice(undefined)
    const focused = document.activeElement
    replaceChildren(
      this.body,
      ...details.panels.map((panel) => this.panel(panel, details)),
      details.panels.length === 0 ? h("p", { class: "muted" }, "No details for this node.") : null
    )
    // A reload must not drop keyboard focus: move it to the same button in the new panels, else to the title.
    if (focused instanceof HTMLElement && !document.contains(focused)) {
      const key = focused.dataset.focusKey
      const again = key === undefined ? null : this.body.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)
      ;(again instanceof HTMLElement ? again : this.heading).focus({ preventScroll: true })
    }
  }

  private panel(panel: Panel, details: NodeDetails): HTMLElement {
    const section = (...children: ReadonlyArray<Child>) =>
      h(
        "section",
        { class: `panel panel-${panel.type}`, "data-panel": panel.id },
        h("h3", {}, panel.title),
        ...children
      )
    switch (panel.type) {
      case "table":
        return section(
          h(
            "dl",
            { class: "kv" },
            ...panel.rows.flatMap((row) => [h("dt", { title: row.key }, row.label), h("dd", {}, row.value)])
          )
        )
      case "labels": {
        const entries = Object.entries(panel.labels).sort(([a], [b]) => a.localeCompare(b))
        return section(
          entries.length === 0
            ? h("p", { class: "muted" }, "No labels.")
            : h(
                "ul",
                { class: "chips" },
                ...entries.map(([k, v]) => h("li", {}, h("span", { class: "k" }, k), "=", h("span", { class: "v" }, v)))
              )
        )
      }
      case "metrics":
        return section(...panel.metrics.map((series) => this.metric(series)))
      case "connections":
        return section(this.connections(panel))
      case "controls":
        return section(
          h("div", { class: "controls" }, ...panel.controls.map((control) => this.control(control, panel, details)))
        )
      default: {
        const unknown: { readonly type: string; readonly title?: string } = panel
        return h(
          "section",
          { class: "panel" },
          h("h3", {}, unknown.title ?? unknown.type),
          h("pre", { class: "raw" }, JSON.stringify(unknown, null, 2))
        )
      }
    }
  }

  private metric(series: MetricSeries): HTMLElement {
    return h(
      "div",
      { class: "metric", "data-metric": series.metric },
      h("div", { class: "metric-label" }, series.label),
      sparklineSvg(series),
      h(
        "div",
        { class: "metric-values" },
        h("strong", { class: "latest", title: "latest" }, formatMetric(series.latest, series.unit)),
        h(
          "span",
          { class: "muted" },
          `min ${formatMetric(series.min, series.unit)} · max ${formatMetric(series.max, series.unit)}`
        )
      )
    )
  }

  private connections(panel: PanelOf<"connections">): HTMLElement {
    if (panel.rows.length === 0) return h("p", { class: "muted" }, "None.")
    return h(
      "ul",
      { class: "links" },
      ...panel.rows.map((row) => {
        const button = h(
          "button",
          {
            type: "button",
            class: "link",
            title: `${row.topology} ${row.nodeId}`,
            "data-focus-key": `link:${row.topology}/${row.nodeId}`
          },
          row.direction === undefined
            ? null
            : h(
                "span",
                { class: "dir", title: row.direction, "aria-label": row.direction },
                directionArrow[row.direction]
              ),
          h("span", {}, row.label),
          row.detail === undefined ? null : h("span", { class: "muted" }, row.detail)
        )
        button.addEventListener("click", () => this.handlers.onOpen({ topology: row.topology, id: row.nodeId }))
        return h("li", {}, button)
      })
    )
  }

  private control(control: ControlDescription, panel: PanelOf<"controls">, details: NodeDetails): HTMLElement {
    const output = h("output", { class: "result", "data-control": control.id })
    const paint = (target: Element, ok: boolean | undefined, text: string) => {
      target.className = ok === undefined ? "result" : ok ? "result ok" : "result failed"
      target.textContent = text
    }
    const show = (ok: boolean | undefined, text: string) => {
      this.results.set(control.id, { ok, text })
      // The details may have been redrawn while the control ran: update the output that is on screen.
      paint(this.body.querySelector(`output[data-control="${CSS.escape(control.id)}"]`) ?? output, ok, text)
    }
    const previous = this.results.get(control.id)
    if (previous !== undefined) paint(output, previous.ok, previous.text)
    const button = h(
      "button",
      {
        type: "button",
        class: control.confirm === true ? "control danger" : "control",
        "data-focus-key": `control:${control.id}`
      },
      control.label
    )
    button.addEventListener("click", async () => {
      if (control.confirm === true && !window.confirm(`${control.label} ${details.label}?`)) return
      button.disabled = true
      show(undefined, "Running…")
      try {
        const response = await runControl({
          action: control.id,
          targets: [{ probeId: panel.probeId, nodeId: details.id, topology: details.topology }]
        })
        const lines = response.results.map(({ result }) => {
          if (!result.ok) return `Failed: ${result.error ?? "no reason given"}`
          if (result.pipeId !== undefined) return `Opened ${control.stream ?? "stream"} ${result.pipeId}`
          return result.result === undefined ? "Done" : `Done: ${JSON.stringify(result.result)}`
        })
        show(
          response.results.every(({ result }) => result.ok),
          lines.join("; ")
        )
        this.refreshSoon()
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return this.handlers.onUnauthorized()
        show(false, error instanceof Error ? error.message : String(error))
      } finally {
        button.disabled = false
      }
    })
    return h("div", { class: "control-row" }, button, output)
  }
}
