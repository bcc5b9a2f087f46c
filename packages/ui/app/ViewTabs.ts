/**
 * The view switcher: one button per view with its node count. One tab stop for the whole list; the arrow keys,
 * Home and End move between views (and Enter or Space picks one). Buttons are updated in place, so a count
 * refresh never takes focus away.
 */
import { h } from "./Dom.js"
import { formatCount } from "./Format.js"
import type { ViewSummary } from "./Protocol.js"

interface Tab {
  readonly item: HTMLLIElement
  readonly button: HTMLButtonElement
  readonly label: HTMLSpanElement
  readonly count: HTMLSpanElement
}

/** The list of views in the header. */
export class ViewTabs {
  /** The element to mount. */
  readonly element: HTMLElement
  private readonly list: HTMLUListElement
  private readonly tabs = new Map<string, Tab>()
  private order: ReadonlyArray<string> = []

  constructor(private readonly onPick: (view: string) => void) {
    this.list = h("ul")
    this.element = h("nav", { class: "views", "aria-label": "Views" }, this.list)
    this.list.addEventListener("keydown", (event) => this.onKey(event))
  }

  /** Draws the views; a current view the server does not list (no data yet) is shown with no count. */
  render(views: ReadonlyArray<ViewSummary>, current: string | undefined): void {
    const shown =
      current === undefined || views.some((v) => v.id === current)
        ? views
        : [...views, { id: current, label: current, count: -1 }]
    const ids = shown.map((v) => v.id)
    for (const [id, tab] of this.tabs) {
      if (!ids.includes(id)) {
        tab.item.remove()
        this.tabs.delete(id)
      }
    }
    // The tab stop: the current view, else the first one.
    const stop = ids.includes(current ?? "") ? current : ids[0]
    for (const view of shown) {
      const tab = this.tabs.get(view.id) ?? this.create(view.id)
      if (tab.label.textContent !== view.label) tab.label.textContent = view.label
      const count = view.count >= 0 ? formatCount(view.count) : ""
      if (tab.count.textContent !== count) tab.count.textContent = count
      tab.count.hidden = view.count < 0
      tab.button.title =
        view.count < 0 ? "No data for this view yet" : `${view.count} ${view.count === 1 ? "node" : "nodes"}`
      tab.button.classList.toggle("no-nodes", view.count === 0)
      if (view.id === current) tab.button.setAttribute("aria-current", "true")
      else tab.button.removeAttribute("aria-current")
      tab.button.tabIndex = view.id === stop ? 0 : -1
    }
    // Reorder only when the order changed (moving a focused button would blur it).
    if (ids.join("\u0000") !== this.order.join("\u0000")) {
      for (const id of ids) this.list.append(this.tabs.get(id)!.item)
      this.order = ids
    }
  }

  private create(id: string): Tab {
    const label = h("span", { class: "view-label" })
    const count = h("span", { class: "count" })
    const button = h("button", { type: "button", "data-view": id }, label, count)
    button.addEventListener("click", () => this.onPick(id))
    const tab = { item: h("li", {}, button), button, label, count }
    this.tabs.set(id, tab)
    return tab
  }

  private onKey(event: KeyboardEvent): void {
    const buttons = this.order.map((id) => this.tabs.get(id)!.button)
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement)
    if (at < 0) return
    const target =
      event.key === "ArrowRight" || event.key === "ArrowDown"
        ? buttons[(at + 1) % buttons.length]
        : event.key === "ArrowLeft" || event.key === "ArrowUp"
          ? buttons[(at - 1 + buttons.length) % buttons.length]
          : event.key === "Home"
            ? buttons[0]
            : event.key === "End"
              ? buttons.at(-1)
              : undefined
    if (target === undefined) return
    event.preventDefault()
    for (const b of buttons) b.tabIndex = b === target ? 0 : -1
    target.focus()
  }
}
