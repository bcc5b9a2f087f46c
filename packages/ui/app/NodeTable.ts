/**
 * The sortable table of a view's nodes. Rows are buttons in all but name: focusable, Enter opens the details,
 * arrow keys move between rows. With a {@link Selection}, each row also has a checkbox for bulk actions: Space
 * toggles the focused row, ctrl/cmd-click toggles a row, shift-click selects the rows from the last one
 * toggled, and the checkbox in the header selects or clears every row shown.
 */
import type { Selection } from "./controls/Selection.js"
import "./controls/controls.css"
import { h, replaceChildren } from "./Dom.js"
import { formatBytes, formatCount, formatPercent } from "./Format.js"
import type { NodeRef } from "./HashState.js"
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
  /** The selectable rows in the order shown, for shift-click ranges. */
  private order: Array<NodeRef> = []
  private readonly selectAll: HTMLInputElement | undefined

  constructor(
    private readonly handlers: NodeTableHandlers,
    private readonly selection?: Selection
  ) {
    this.head = h("tr")
    this.body = h("tbody")
    this.empty = h("p", { class: "empty", hidden: true })
    this.element = h(
      "div",
      { class: "table-wrap" },
      h("table", { class: "nodes", "aria-label": "Nodes" }, h("thead", {}, this.head), this.body),
      this.empty
    )
    this.body.addEventListener("click", (event) => this.onClick(event))
    // Shift-click extends the selection: keep the browser from selecting text as well.
    this.body.addEventListener("mousedown", (event) => {
      if (event.shiftKey && this.selection !== undefined) event.preventDefault()
    })
    this.body.addEventListener("keydown", (event) => this.onKey(event))
    if (selection !== undefined) {
      this.selectAll = h("input", { type: "checkbox", class: "select", "aria-label": "Select all rows shown" })
      this.selectAll.addEventListener("change", () => {
        const all = this.order.length > 0 && this.order.every((ref) => selection.has(ref))
        selection.set(this.order, !all)
      })
      selection.subscribe(() => this.paintSelection())
    }
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
    this.order = []
    const out: Array<HTMLTableRowElement> = []
    for (const { node, inbound, outbound } of rows) {
      this.rows.set(node.id, node)
      const isSelected = node.id === selected
      const selectable = this.selection !== undefined && !node.pseudo
      const checked = selectable && this.selection!.has(node)
      if (selectable) this.order.push({ topology: node.topology, id: node.id })
      out.push(
        h(
          "tr",
          {
            "data-id": node.id,
            tabindex: 0,
            "aria-selected": isSelected ? "true" : "false",
            class: [isSelected ? "selected" : "", checked ? "checked" : ""].join(" ").trim() || undefined
          },
          h(
            "td",
            { class: "label" },
            selectable
              ? h("input", {
                  type: "checkbox",
                  class: "select",
                  tabindex: -1,
                  "aria-label": `Select ${node.label}`,
                  checked
                })
              : this.selection === undefined
                ? null
                : h("span", { class: "select-spacer", "aria-hidden": "true" }),
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
    this.paintHeadCheckbox()
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
          column.key === "label" && this.selectAll !== undefined
            ? h("div", { class: "with-select" }, this.selectAll, button)
            : button
        )
      })
    )
  }

  private select(row: HTMLTableRowElement): void {
    const node = row.dataset.id === undefined ? undefined : this.rows.get(row.dataset.id)
    if (node !== undefined) this.handlers.onSelect(node)
  }

  private refOf(row: HTMLTableRowElement): NodeRef | undefined {
    const node = row.dataset.id === undefined ? undefined : this.rows.get(row.dataset.id)
    return node === undefined || node.pseudo ? undefined : { topology: node.topology, id: node.id }
  }

  private onClick(event: MouseEvent): void {
    const target = event.target instanceof Element ? event.target : null
    const row = target?.closest("tr")
    if (row === null || row === undefined) return
    const ref = this.refOf(row)
    const onCheckbox = target instanceof HTMLInputElement && target.type === "checkbox"
    if (
      this.selection !== undefined &&
      ref !== undefined &&
      (onCheckbox || event.shiftKey || event.ctrlKey || event.metaKey)
    ) {
      if (event.shiftKey) this.selection.extendTo(this.order, ref)
      else this.selection.toggle(ref)
      // The browser flipped the checkbox already; the selection decides what it shows.
      this.paintSelection()
      return
    }
    if (!onCheckbox) this.select(row)
  }

  /** Shows the selection on the rows and the header's checkbox (checked, mixed or clear). */
  private paintSelection(): void {
    const selection = this.selection
    if (selection === undefined) return
    for (const row of this.body.rows) {
      const ref = this.refOf(row)
      const checked = ref !== undefined && selection.has(ref)
      row.classList.toggle("checked", checked)
      const box = row.querySelector<HTMLInputElement>("input.select")
      if (box !== null) box.checked = checked
    }
    this.paintHeadCheckbox()
  }

  private paintHeadCheckbox(): void {
    const selection = this.selection
    if (selection === undefined || this.selectAll === undefined) return
    const count = this.order.filter((ref) => selection.has(ref)).length
    this.selectAll.checked = count > 0 && count === this.order.length
    this.selectAll.indeterminate = count > 0 && count < this.order.length
    this.selectAll.disabled = this.order.length === 0
  }

  private onKey(event: KeyboardEvent): void {
    const row = event.target instanceof HTMLTableRowElement ? event.target : undefined
    if (row === undefined) return
    switch (event.key) {
      case "Enter":
        event.preventDefault()
        this.select(row)
        return
      case " ": {
        event.preventDefault()
        const ref = this.refOf(row)
        if (this.selection === undefined) this.select(row)
        else if (ref !== undefined) {
          if (event.shiftKey) this.selection.extendTo(this.order, ref)
          else this.selection.toggle(ref)
        }
        return
      }
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
