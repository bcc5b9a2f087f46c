/**
 * The dock along the bottom of the page that holds the open streams (logs viewers, terminals) side by side.
 * While it holds any, the page's root carries the `dock-open` class so the table and details make room.
 */
import { h } from "../Dom.js"
import type { StreamPanel } from "./StreamPanel.js"
import "./pipes.css"

/** The dock. */
export class PipeDock {
  /** The element to mount. */
  readonly element: HTMLElement
  private readonly panels: Array<StreamPanel> = []

  constructor() {
    this.element = h("section", { class: "dock", "aria-label": "Logs and terminals", hidden: true })
  }

  /** The panel of a stream key, if open. */
  find(key: string): StreamPanel | undefined {
    return this.panels.find((panel) => panel.key === key)
  }

  /** How many panels are open. */
  get size(): number {
    return this.panels.length
  }

  /** Shows a panel (after the others). */
  add(panel: StreamPanel): void {
    this.panels.push(panel)
    this.element.append(panel.element)
    this.layout()
  }

  /** Takes a panel out (it was closed). */
  remove(panel: StreamPanel): void {
    const at = this.panels.indexOf(panel)
    if (at >= 0) this.panels.splice(at, 1)
    panel.element.remove()
    this.layout()
  }

  /** Closes every panel (and its pipe). */
  closeAll(): void {
    for (const panel of [...this.panels]) panel.close()
  }

  private layout(): void {
    this.element.hidden = this.panels.length === 0
    document.documentElement.classList.toggle("dock-open", this.panels.length > 0)
  }
}
