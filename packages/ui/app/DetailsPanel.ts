/**
 * The details of one node, rendered generically from its panels (`table`, `labels`, `metrics`, `connections`,
 * `controls`), so plugins add panels without UI changes. Unknown panel types are shown as data.
 *
 * What the app describes for a container, in its order: controls, metrics (15-second sparklines with the latest
 * value and the min/max of the window drawn), info (metadata), labels, connections (peers), relatives (parents
 * and children), environment, ports and mounts. Every connection row opens that node. Controls run on the
 * node (streams open in the dock), destructive ones after a confirmation in the page.
 */
import { ApiError, getNode, runControl } from "./Api.js"
import { confirmQuestion, describeResult } from "./controls/Bulk.js"
import type { Controls } from "./controls/Controls.js"
import { type Child, h, replaceChildren, s } from "./Dom.js"
import { formatMetric } from "./Format.js"
import type { NodeRef } from "./HashState.js"
import type { ControlDescription, MetricSeries, NodeDetails, Panel, PanelOf } from "./Protocol.js"
import { recentWindow, sparkline } from "./Sparkline.js"
import "./details.css"

/** Callbacks of a {@link DetailsPanel}. */
export interface DetailsHandlers {
  /** A connection row was clicked: show that node instead. */
  readonly onOpen: (node: NodeRef) => void
  readonly onClose: () => void
  /** A request answered 401: the session ended. */
  readonly onUnauthorized: () => void
}

/** What a control answered, as shown under the controls: a line, and the whole answer when the line is cut. */
interface ControlOutcome {
  readonly ok: boolean | undefined
  readonly text: string
  readonly full?: string
}

/** The topology of pseudo nodes (The Internet, unknown peers), which have no details. */
const pseudoTopology = "pseudo"

const sparkWidth = 160
const sparkHeight = 32

const directionArrow: Readonly<Record<string, string>> = { inbound: "←", outbound: "→", parent: "↑", child: "↓" }

/** A window's length for people: `45 s`, `5 min`, `1 h`. */
export const windowLabel = (ms: number): string =>
  ms < 60_000
    ? `${Math.round(ms / 1000)} s`
    : ms < 3_600_000
      ? `${Math.round(ms / 60_000)} min`
      : `${Math.round(ms / 3_600_000)} h`

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
      "aria-label": `${series.label} over the last ${windowLabel(values.length * series.stepMs)}, latest ${formatMetric(series.latest, series.unit)}`
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
  private readonly results = new Map<string, ControlOutcome>()

  constructor(
    private readonly handlers: DetailsHandlers,
    private readonly controls: Controls
  ) {
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
        this.setNotice(
          node.topology === pseudoTopology
            ? "This node stands for traffic to or from outside what the probes see; it has no details."
            : "This node is gone: the app server no longer knows it."
        )
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
          h(
            "div",
            { class: "controls control-grid", role: "group", "aria-label": `Controls of ${details.label}` },
            ...panel.controls.map((control) => this.control(control, panel, details))
          ),
          h("div", { class: "control-results" }, ...panel.controls.map((control) => this.controlResult(control)))
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
    // Min and max of the samples drawn, so the numbers describe the line next to them.
    const values = recentWindow(series.values)
    const range = sparkline(values, sparkWidth, sparkHeight).range
    return h(
      "div",
      { class: "metric", "data-metric": series.metric },
      h(
        "div",
        { class: "metric-head" },
        h("span", { class: "metric-label" }, series.label),
        h("strong", { class: "latest", title: "latest" }, formatMetric(series.latest, series.unit))
      ),
      sparklineSvg(series),
      h(
        "div",
        { class: "metric-values muted" },
        h(
          "span",
          { class: "range" },
          `min ${formatMetric(range?.[0], series.unit)} · max ${formatMetric(range?.[1], series.unit)}`
        ),
        h(
          "span",
          { class: "metric-window" },
          `last ${windowLabel(values.length * series.stepMs)} · ${windowLabel(series.stepMs)} steps`
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
        const content = [
          row.direction === undefined
            ? null
            : h(
                "span",
                { class: "dir", title: row.direction, "aria-label": row.direction },
                directionArrow[row.direction]
              ),
          h("span", {}, row.label),
          row.detail === undefined ? null : h("span", { class: "muted" }, row.detail)
        ]
        // Pseudo nodes (The Internet, unknown peers) stand for traffic and have no details to open.
        if (row.topology === pseudoTopology) return h("li", {}, h("span", { class: "link pseudo-link" }, ...content))
        const button = h(
          "button",
          {
            type: "button",
            class: "link",
            title: `${row.topology} ${row.nodeId}`,
            "data-focus-key": `link:${row.topology}/${row.nodeId}`
          },
          ...content
        )
        button.addEventListener("click", () => this.handlers.onOpen({ topology: row.topology, id: row.nodeId }))
        return h("li", {}, button)
      })
    )
  }

  /** A control's outcome under the buttons (hidden until it ran), kept across reloads. */
  private controlResult(control: ControlDescription): HTMLElement {
    const row = h("div", { class: "control-result", "data-for": control.id, hidden: true })
    this.paintResult(row, control, this.results.get(control.id))
    return row
  }

  private paintResult(row: HTMLElement, control: ControlDescription, outcome: ControlOutcome | undefined): void {
    row.hidden = outcome === undefined
    if (outcome === undefined) {
      replaceChildren(row)
      return
    }
    const output = h(
      "output",
      {
        class: outcome.ok === undefined ? "result" : outcome.ok ? "result ok" : "result failed",
        "data-control": control.id
      },
      outcome.text
    )
    replaceChildren(
      row,
      h("span", { class: "muted" }, `${control.label}: `),
      output,
      outcome.full === undefined
        ? null
        : h(
            "details",
            { class: "raw-result" },
            h("summary", {}, "Whole answer"),
            h("pre", { class: "raw" }, outcome.full)
          )
    )
  }

  private control(control: ControlDescription, panel: PanelOf<"controls">, details: NodeDetails): HTMLElement {
    const show = (outcome: ControlOutcome | undefined) => {
      if (outcome === undefined) this.results.delete(control.id)
      else this.results.set(control.id, outcome)
      // The details may have been redrawn while the control ran: update the row that is on screen.
      const row = this.body.querySelector<HTMLElement>(`.control-result[data-for="${CSS.escape(control.id)}"]`)
      if (row !== null) this.paintResult(row, control, outcome)
    }
    const button = h(
      "button",
      {
        type: "button",
        class: control.confirm === true ? "control danger" : "control",
        "data-control": control.id,
        "data-focus-key": `control:${control.id}`
      },
      control.label
    )
    const target = {
      probeId: panel.probeId,
      ref: { topology: details.topology, id: details.id },
      label: details.label
    }
    button.addEventListener("click", async () => {
      if (control.stream !== undefined) {
        show({ ok: undefined, text: "Opening…" })
        // Later news (the stream ended, its panel closed) concerns this node only while it is shown.
        const node = this.node
        const update = (outcome: ControlOutcome | undefined) => {
          if (this.node === node) show(outcome)
        }
        update(await this.controls.openStream(control, target, button, update))
        return
      }
      if (
        control.confirm === true &&
        !(await this.controls.confirm({
          title: confirmQuestion(control, [details.label]),
          items: [],
          confirmLabel: control.label,
          danger: true
        }))
      ) {
        return
      }
      button.disabled = true
      show({ ok: undefined, text: "Running…" })
      try {
        const response = await runControl({
          action: control.id,
          targets: [{ probeId: panel.probeId, nodeId: details.id, topology: details.topology }]
        })
        const answer = response.results[0]
        if (answer === undefined) show({ ok: false, text: "Failed: no answer" })
        else {
          const shown = describeResult(answer.result)
          const full = answer.result.result === undefined ? undefined : JSON.stringify(answer.result.result, null, 2)
          show(shown.text.endsWith("…") && full !== undefined ? { ...shown, full } : shown)
        }
        this.refreshSoon()
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return this.handlers.onUnauthorized()
        show({ ok: false, text: error instanceof Error ? error.message : String(error) })
      } finally {
        button.disabled = false
      }
    })
    return button
  }
}
