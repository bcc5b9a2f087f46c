/**
 * The saved-filters menu: save the current filters under a name, list the saved ones (the one in use is
 * marked), apply one, delete one. The list lives in `localStorage` ({@link SavedFilters}).
 */
import { h, replaceChildren } from "../Dom.js"
import { type FilterValues, isUnfiltered, sameFilters } from "../HashState.js"
import { Disclosure } from "./Disclosure.js"
import { describeFilters, maxNameLength, type SavedFilters } from "./SavedFilters.js"

/** Callbacks of a {@link SavedFiltersMenu}. */
export interface SavedFiltersMenuHandlers {
  readonly onApply: (filters: FilterValues) => void
}

/** The "Saved" button and its panel. */
export class SavedFiltersMenu {
  /** The element to mount. */
  readonly element: HTMLElement
  private readonly disclosure: Disclosure
  private readonly list: HTMLUListElement
  private readonly name: HTMLInputElement
  private readonly save: HTMLButtonElement
  private readonly status: HTMLOutputElement
  private current: FilterValues | undefined

  constructor(
    private readonly store: SavedFilters,
    private readonly handlers: SavedFiltersMenuHandlers
  ) {
    this.disclosure = new Disclosure("Saved filters", "saved-filters", () => {
      this.status.textContent = ""
      this.renderList()
    })
    this.list = h("ul", { class: "saved-list" })
    this.name = h("input", {
      type: "text",
      class: "saved-name",
      placeholder: "Name",
      maxlength: maxNameLength,
      "aria-label": "Saved filter name",
      autocomplete: "off"
    })
    this.save = h("button", { type: "submit", class: "primary" }, "Save current")
    this.status = h("output", { class: "saved-status", "aria-live": "polite" })
    const form = h("form", { class: "saved-form" }, this.name, this.save)
    form.addEventListener("submit", (event) => {
      event.preventDefault()
      this.saveCurrent()
    })
    replaceChildren(this.disclosure.panel, h("h3", {}, "Saved filters"), this.list, form, this.status)
    this.element = this.disclosure.element
    this.renderButton()
  }

  /** Whether the panel is open. */
  get isOpen(): boolean {
    return this.disclosure.isOpen
  }

  /** Closes the panel; returns whether it was open. */
  close(returnFocus = false): boolean {
    return this.disclosure.close(returnFocus)
  }

  /** Follows the current filters (to mark the saved filter in use and enable saving). */
  render(filters: FilterValues): void {
    if (this.current !== undefined && sameFilters(this.current, filters)) return
    this.current = filters
    this.renderButton()
    if (this.disclosure.isOpen) this.renderList()
  }

  /** Draws the list again (after another tab changed it). */
  refresh(): void {
    this.renderButton()
    if (this.disclosure.isOpen) this.renderList()
  }

  private renderButton(): void {
    const saved = this.store.list()
    const inUse = this.current === undefined ? undefined : saved.find((f) => sameFilters(f.filters, this.current!))
    this.disclosure.setLabel(
      "Saved",
      inUse === undefined ? null : h("span", { class: "in-use" }, `: ${inUse.name}`),
      h("span", { class: "count", "aria-label": `${saved.length} saved` }, String(saved.length))
    )
    this.save.disabled = this.current === undefined || isUnfiltered(this.current)
    this.save.title = this.save.disabled ? "Set a search or filter first" : "Save the current filters under this name"
  }

  private renderList(): void {
    const saved = this.store.list()
    if (saved.length === 0) {
      replaceChildren(this.list, h("li", { class: "muted" }, "No saved filters yet."))
      return
    }
    replaceChildren(
      this.list,
      ...saved.map((entry) => {
        const inUse = this.current !== undefined && sameFilters(entry.filters, this.current)
        const apply = h(
          "button",
          { type: "button", class: "saved-apply", "aria-current": inUse ? "true" : undefined, "data-name": entry.name },
          h("span", { class: "saved-title" }, entry.name),
          h("span", { class: "muted" }, describeFilters(entry.filters))
        )
        apply.addEventListener("click", () => {
          this.disclosure.close(true)
          this.handlers.onApply(entry.filters)
        })
        const remove = h(
          "button",
          { type: "button", class: "icon", "aria-label": `Delete saved filter ${entry.name}`, title: "Delete" },
          "×"
        )
        remove.addEventListener("click", () => {
          this.store.remove(entry.name)
          this.status.textContent = `Deleted “${entry.name}”.`
          this.renderList()
          this.renderButton()
          this.name.focus()
        })
        return h("li", {}, apply, remove)
      })
    )
  }

  private saveCurrent(): void {
    if (this.current === undefined) return
    const outcome = this.store.save(this.name.value, this.current)
    switch (outcome.kind) {
      case "saved":
      case "replaced":
        this.status.textContent = `${outcome.kind === "saved" ? "Saved" : "Replaced"} “${outcome.name}”.`
        this.status.className = "saved-status"
        this.name.value = ""
        break
      case "invalid":
      case "failed":
        this.status.textContent = outcome.message
        this.status.className = "saved-status failed"
    }
    this.renderList()
    this.renderButton()
  }
}
