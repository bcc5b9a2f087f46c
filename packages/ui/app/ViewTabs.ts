/** The view switcher: one button per view with its node count. */
import { h, replaceChildren } from "./Dom.js"
import { formatCount } from "./Format.js"
import type { ViewSummary } from "./Protocol.js"

/** The list of views in the header. */
export class ViewTabs {
  /** The element to mount. */
  readonly element: HTMLElement
  private readonly list: HTMLUListElement

  constructor(private readonly onPick: (view: string) => void) {
    this.list = h("ul")
    this.element = h("nav", { class: "views", "aria-label": "Views" }, this.list)
  }

  /** Draws the views; a current view the server does not list (no data yet) is shown with no count. */
  render(views: ReadonlyArray<ViewSummary>, current: string | undefined): void {
    const shown =
      current === undefined || views.some((v) => v.id === current)
        ? views
        : [...views, { id: current, label: current, count: -1 }]
    replaceChildren(
      this.list,
      ...shown.map((view) => {
        const button = h(
          "button",
          { type: "button", "aria-current": view.id === current ? "true" : undefined, "data-view": view.id },
          view.label,
          view.count >= 0 ? h("span", { class: "count" }, formatCount(view.count)) : null
        )
        button.addEventListener("click", () => this.onPick(view.id))
        return h("li", {}, button)
      })
    )
  }
}
