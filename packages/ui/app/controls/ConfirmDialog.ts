/**
 * The in-page confirmation for destructive and bulk actions: a modal `<dialog>` (the browser makes the page
 * behind it inert and keeps focus inside), naming the action and every node it applies to. Cancel has the
 * focus first, so Enter on a stray keypress does not run anything; Escape cancels.
 */
import { h, replaceChildren } from "../Dom.js"
import "./controls.css"

/** What the dialog asks. */
export interface ConfirmRequest {
  /** The question, e.g. `Stop 2 nodes?`. */
  readonly title: string
  /** The nodes it applies to (listed, at most the first 20; none when the title names the only one). */
  readonly items: ReadonlyArray<string>
  /** The label of the button that runs it, e.g. `Stop`. */
  readonly confirmLabel: string
  /** Draw the confirm button as dangerous. */
  readonly danger: boolean
}

const shownItems = 20

/** One dialog, reused for every question. */
export class ConfirmDialog {
  /** The element to mount (anywhere in the document). */
  readonly element: HTMLDialogElement
  private readonly title: HTMLHeadingElement
  private readonly list: HTMLUListElement
  private readonly confirmButton: HTMLButtonElement
  private readonly cancelButton: HTMLButtonElement
  private answer: ((ok: boolean) => void) | undefined

  constructor() {
    this.title = h("h2", { id: "confirm-title" })
    this.list = h("ul", { class: "confirm-items", id: "confirm-items" })
    this.confirmButton = h("button", { type: "button", class: "control" })
    this.cancelButton = h("button", { type: "button", class: "control" }, "Cancel")
    this.element = h(
      "dialog",
      { class: "confirm", "aria-labelledby": "confirm-title" },
      this.title,
      this.list,
      h("div", { class: "confirm-buttons" }, this.cancelButton, this.confirmButton)
    )
    this.confirmButton.addEventListener("click", () => this.finish(true))
    this.cancelButton.addEventListener("click", () => this.finish(false))
    // Escape cancels here and goes no further: it must not also close the details panel behind the dialog.
    this.element.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return
      event.preventDefault()
      event.stopPropagation()
      this.finish(false)
    })
    this.element.addEventListener("cancel", (event) => {
      event.preventDefault()
      this.finish(false)
    })
  }

  /** Whether a question is on screen. */
  get open(): boolean {
    return this.answer !== undefined
  }

  /** Asks; resolves true when confirmed, false when cancelled (a newer question cancels an older one). */
  ask(request: ConfirmRequest): Promise<boolean> {
    this.finish(false)
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : undefined
    this.title.textContent = request.title
    const extra = request.items.length - shownItems
    this.list.hidden = request.items.length === 0
    if (this.list.hidden) this.element.removeAttribute("aria-describedby")
    else this.element.setAttribute("aria-describedby", "confirm-items")
    replaceChildren(
      this.list,
      ...request.items.slice(0, shownItems).map((item) => h("li", {}, item)),
      extra > 0 ? h("li", { class: "muted" }, `and ${extra} more`) : null
    )
    this.confirmButton.textContent = request.confirmLabel
    this.confirmButton.className = request.danger ? "control danger solid" : "control solid"
    if (!this.element.open) this.element.showModal()
    this.cancelButton.focus()
    return new Promise<boolean>((resolve) => {
      this.answer = (ok) => {
        if (opener?.isConnected === true) opener.focus()
        resolve(ok)
      }
    })
  }

  private finish(ok: boolean): void {
    const answer = this.answer
    this.answer = undefined
    if (this.element.open) this.element.close()
    answer?.(ok)
  }
}
