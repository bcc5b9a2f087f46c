/**
 * A button that shows and hides a panel under it (the WAI-ARIA disclosure pattern): `aria-expanded` on the
 * button, Escape or a click elsewhere closes the panel, and closing with Escape gives focus back to the button.
 */
import { type Child, h } from "../Dom.js"

let nextId = 0

/** A toggle button and the panel it opens. */
export class Disclosure {
  /** The element to mount: the button with its panel. */
  readonly element: HTMLElement
  readonly button: HTMLButtonElement
  readonly panel: HTMLElement
  private readonly onOutside = (event: Event) => {
    if (event.target instanceof Node && !this.element.contains(event.target)) this.close()
  }

  /** `name` labels the panel; the button's content comes from {@link setLabel}; `onOpen` runs before it shows. */
  constructor(
    name: string,
    className: string,
    private readonly onOpen: () => void = () => {}
  ) {
    const id = `disclosure-${++nextId}`
    this.button = h("button", {
      type: "button",
      class: "disclosure-toggle",
      "aria-expanded": "false",
      "aria-controls": id
    })
    this.panel = h("div", { id, class: "disclosure-panel", role: "group", "aria-label": name, hidden: true })
    this.element = h("div", { class: `disclosure ${className}` }, this.button, this.panel)
    this.button.addEventListener("click", () => (this.isOpen ? this.close() : this.open()))
    this.element.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.isOpen) {
        event.preventDefault()
        this.close(true)
      }
    })
  }

  /** Whether the panel shows. */
  get isOpen(): boolean {
    return !this.panel.hidden
  }

  /** Replaces the button's content. */
  setLabel(...children: ReadonlyArray<Child>): void {
    this.button.replaceChildren()
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue
      this.button.append(child instanceof Node ? child : String(child))
    }
  }

  /** Opens the panel and focuses its first control. */
  open(): void {
    if (this.isOpen) return
    this.onOpen()
    this.panel.hidden = false
    this.button.setAttribute("aria-expanded", "true")
    // Open under the button's left edge, or its right edge when that would run off the window.
    this.panel.classList.remove("align-end")
    if (this.panel.getBoundingClientRect().right > document.documentElement.clientWidth - 8) {
      this.panel.classList.add("align-end")
    }
    document.addEventListener("pointerdown", this.onOutside, true)
    document.addEventListener("focusin", this.onOutside, true)
    this.panel.querySelector<HTMLElement>("input, button, select")?.focus()
  }

  /** Closes the panel (focus goes back to the button when `returnFocus`); returns whether it was open. */
  close(returnFocus = false): boolean {
    if (!this.isOpen) return false
    this.panel.hidden = true
    this.button.setAttribute("aria-expanded", "false")
    document.removeEventListener("pointerdown", this.onOutside, true)
    document.removeEventListener("focusin", this.onOutside, true)
    if (returnFocus) this.button.focus()
    return true
  }
}
