/**
 * The sortable table of a view's nodes. Rows are buttons in all but name: focusable, Enter or Space opens the
 * details, arrow keys move between rows.
 */
import { h, replaceChildren } from "./Dom.js"
import { formatBytes, formatCount, formatPercent } from "./Format.js"
import type { RenderedNode } from "./Protocol.js"
import type { NodeRow, SortDirection, SortKey } from "./ViewModel.js"

/** Callbacks of a {@link NodeTable}. */
export interface NodeTableHandlers {
  readonly onSelect: (node: RenderedNode) => void
  readonly onSort: (key: SortKey, direction: SortDirection) => void
}

const columns: ReadonlyArray<{ key: SortKey; title: string; numeric: boolean; firstDirection: SortDirection }> = [
  { key: "label", title: "Name", numeric: false, firstDirection: "asc" },
  { key: "labelMinor", title: "Detail", numeric: false, firstDirection: "asc" },
  { key: "status", title: "Status", numeric: false, firstDirection: "asc" },
  { key: "cpu", title: "CPU", numeric: true, firstDirection: "desc" },
  { key: "memory", title: "Memory", numeric: true, firstDirection: "desc" },
  { key: "inbound", title: "In", numeric: true, firstDirection: "desc" },
  { key: "outbound", title: "Out", numeric: true, firstDirection: "desc" }
]

const metricCell = (value: number | undefined, format: (n: number) => string) =>
  h("td", { class: "num" }, value === undefined ? h("span", { class: "muted" }, "–") : format(value))

/** The node table; call {@link render} with already sorted rows. */
export class NodeTable {
  /** The element to mount. */
  readonly element: HTMLElement
  private readonly head: HTMLTableRowElement
  private readonly body: HTMLTableSectionElement
  private readonly empty: HTMLElement
  private rows = new Map<string, RenderedNode>()

  constructor(private readonly handlers: NodeTableHandlers) {
    this.head = h("tr")
    this.body = h("tbody")
    this.empty = h("p", { class: "empty", hidden: true })
    this.element = h(
      "div",
      { class: "table-wrap" },
      h("table", { class: "nodes", "aria-label": "Nodes" }, h("thead", {}, this.head), this.body),
      this.empty
    )
    this.body.addEventListener("click", (event) => {
      const row = event.target instanceof Element ? event.target.closest("tr") : null
      if (row !== null) this.select(row)
    })
    this.body.addEventListener("keydown", (event) => this.onKey(event))
  }

  /** Draws the rows (in the given order) and the header's sort state; keeps keyboard focus on the same node. */
  render(
    rows: ReadonlyArray<NodeRow>,
    sort: SortKey,
    direction: SortDirection,
    selected: string | undefined,
    emptyText: string
  ): void {
    this.renderHead(sort, direction)
    const focused =
      document.activeElement instanceof HTMLTableRowElement && this.body.contains(document.activeElement)
        ? document.activeElement.dataset.id
        : undefined
    this.rows = new Map()
    const out: Array<HTMLTableRowElement> = []
    for (const { node, inbound, outbound } of rows) {
      this.rows.set(node.id, node)
      const isSelected = node.id === selected
      out.push(
        h(
          "tr",
          {
            "data-id": node.id,
            tabindex: 0,
            "aria-selected": isSelected ? "true" : "false",
            class: isSelected ? "selected" : undefined
          },
          h(
            "td",
            { class: "label" },
            h("span", { class: `shape shape-${node.shape}`, "aria-hidden": "true" }),
            h("span", { class: node.pseudo ? "pseudo" : undefined }, node.label),
            node.stack > 1 ? h("span", { class: "badge", title: `${node.stack} nodes` }, `×${node.stack}`) : null
          ),
          h("td", { class: "minor" }, node.labelMinor),
          h("td", {}, h("span", { class: `status status-${node.status}` }, node.status)),
          metricCell(node.metrics.cpu, formatPercent),
          metricCell(node.metrics.memory, formatBytes),
          h("td", { class: "num" }, formatCount(inbound)),
          h("td", { class: "num" }, formatCount(outbound))
        )
      )
    }
    this.body.replaceChildren(...out)
    this.empty.hidden = rows.length > 0
    this.empty.textContent = emptyText
    if (focused !== undefined) this.rowById(focused)?.focus({ preventScroll: true })
  }

  /** Moves keyboard focus to a node's row, if it is shown. */
  focus(id: string): void {
    this.rowById(id)?.focus()
  }

  private rowById(id: string): HTMLTableRowElement | undefined {
    for (const row of this.body.rows) if (row.dataset.id === id) return row
    return undefined
  }

  private renderHead(sort: SortKey, direction: SortDirection): void {
    replaceChildren(
      this.head,
      ...columns.map((column) => {
        const active = column.key === sort
        const button = h(
          "button",
          { type: "button", class: "sort" },
          column.title,
          h("span", { class: "arrow", "aria-hidden": "true" }, active ? (direction === "asc" ? "▲" : "▼") : "")
        )
        button.addEventListener("click", () => {
          const next = active ? (direction === "asc" ? "desc" : "asc") : column.firstDirection
          this.handlers.onSort(column.key, next)
        })
        return h(
          "th",
          {
            scope: "col",
            class: column.numeric ? "num" : undefined,
            "aria-sort": active ? (direction === "asc" ? "ascending" : "descending") : "none"
          },
          button
        )
      })
    )
  }

  private select(row: HTMLTableRowElement): void {
    const node = row.dataset.id === undefined ? undefined : this.rows.get(row.dataset.id)
    if (node !== undefined) this.handlers.onSelect(node)
  }

  private onKey(event: KeyboardEvent): void {
    const row = event.target instanceof HTMLTableRowElement ? event.target : undefined
    if (row === undefined) return
    switch (event.key) {
      case "Enter":
      case " ":
        event.preventDefault()
        this.select(row)
        return
      case "ArrowDown":
      case "ArrowUp": {
        event.preventDefault()
        const next = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling
        if (next instanceof HTMLTableRowElement) next.focus()
        return
      }
      case "Home":
      case "End": {
        event.preventDefault()
        const rows = this.body.rows
        rows[event.key === "Home" ? 0 : rows.length - 1]?.focus()
      }
    }
  }
}
