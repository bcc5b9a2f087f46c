/**
 * The filter toolbar: the search box, running/stopped, application/system, which node types show, and the
 * saved filters. It draws the filter part of the state and reports changes; the app keeps the state (in the
 * URL) and asks the server for the filtered view.
 */
import "./filters.css"
import { h } from "../Dom.js"
import {
  type FilterValues,
  type HideableType,
  hideableTypes,
  type KindFilter,
  type StatusFilter
} from "../HashState.js"
import { Disclosure } from "./Disclosure.js"
import type { SavedFilters } from "./SavedFilters.js"
import { SavedFiltersMenu } from "./SavedFiltersMenu.js"
import { type HistoryMode, SearchBox, type SearchError } from "./SearchBox.js"

/** Callbacks of a {@link FilterBar}. */
export interface FilterBarHandlers {
  /** Some filters changed; `history` says whether Back should undo the change on its own. */
  readonly onChange: (patch: Partial<FilterValues>, history: HistoryMode) => void
}

const statuses: ReadonlyArray<{ value: StatusFilter; label: string; title: string }> = [
  { value: "all", label: "All", title: "Running and stopped nodes" },
  { value: "running", label: "Running", title: "Hide stopped nodes" },
  { value: "stopped", label: "Stopped", title: "Only stopped nodes" }
]

const kinds: ReadonlyArray<{ value: KindFilter; label: string; title: string }> = [
  { value: "all", label: "Both", title: "Application and system nodes" },
  { value: "application", label: "Apps", title: "Application nodes only" },
  { value: "system", label: "System", title: "System nodes only (kernel threads, the probe itself...)" }
]

const types: Readonly<Record<HideableType, { label: string; detail: string }>> = {
  pseudo: { label: "Pseudo nodes", detail: "The Internet, unknown peers, Uncontained" },
  unconnected: { label: "Unconnected nodes", detail: "nodes without connections" }
}

/** A group of toggle buttons of which one is pressed. */
const segmented = <A extends string>(
  name: string,
  options: ReadonlyArray<{ value: A; label: string; title: string }>,
  onPick: (value: A) => void
) => {
  const buttons = options.map((option) => {
    const button = h("button", { type: "button", "data-value": option.value, title: option.title }, option.label)
    button.addEventListener("click", () => onPick(option.value))
    return button
  })
  return {
    element: h("div", { class: "segmented", role: "group", "aria-label": name }, ...buttons),
    render: (value: A) => {
      for (const button of buttons) button.setAttribute("aria-pressed", String(button.dataset.value === value))
    }
  }
}

/** The toolbar's filter controls. */
export class FilterBar {
  /** The element to mount. */
  readonly element: HTMLElement
  private readonly search: SearchBox
  private readonly status: ReturnType<typeof segmented<StatusFilter>>
  private readonly kind: ReturnType<typeof segmented<KindFilter>>
  private readonly types: Disclosure
  private readonly typeBoxes: ReadonlyArray<HTMLInputElement>
  private readonly saved: SavedFiltersMenu
  private hidden: ReadonlyArray<HideableType> = []

  constructor(store: SavedFilters, handlers: FilterBarHandlers) {
    this.search = new SearchBox({ onSearch: (search, history) => handlers.onChange({ search }, history) })
    this.status = segmented("Status", statuses, (status) => handlers.onChange({ status }, "push"))
    this.kind = segmented("Application or system nodes", kinds, (kind) => handlers.onChange({ kind }, "push"))
    this.types = new Disclosure("Node types shown", "node-types")
    this.typeBoxes = hideableTypes.map((type) => {
      const box = h("input", { type: "checkbox", "data-type": type })
      box.addEventListener("change", () => {
        const hide = hideableTypes.filter((t) => (t === type ? !box.checked : this.hidden.includes(t)))
        handlers.onChange({ hide }, "push")
      })
      return box
    })
    this.types.panel.append(
      ...this.typeBoxes.map((box) => {
        const type = types[box.dataset.type as HideableType]
        return h(
          "label",
          { class: "check" },
          box,
          h("span", {}, type.label, h("span", { class: "muted" }, ` · ${type.detail}`))
        )
      })
    )
    this.saved = new SavedFiltersMenu(store, { onApply: (filters) => handlers.onChange(filters, "push") })
    this.element = h(
      "div",
      { class: "filters" },
      this.search.element,
      this.status.element,
      h(
        "div",
        { class: "labelled" },
        h("span", { class: "seg-label", "aria-hidden": "true" }, "Kind"),
        this.kind.element
      ),
      this.types.element,
      this.saved.element
    )
  }

  /** Draws the filters of the current state. */
  render(filters: FilterValues): void {
    this.search.render(filters.search)
    this.status.render(filters.status)
    this.kind.render(filters.kind)
    this.hidden = filters.hide
    for (const box of this.typeBoxes) box.checked = !filters.hide.includes(box.dataset.type as HideableType)
    const count = filters.hide.length
    this.types.setLabel("Types", count === 0 ? null : h("span", { class: "count hidden-types" }, `${count} hidden`))
    this.saved.render(filters)
  }

  /** Shows (or with `undefined`, clears) the app server's error for the search. */
  showSearchError(error: SearchError | undefined): void {
    this.search.showError(error)
  }

  /** Focuses the search box (the `/` shortcut). */
  focusSearch(): void {
    this.search.focus()
  }

  /** Closes whatever panel is open (help, types, saved filters); returns whether one was. */
  closePanels(): boolean {
    const help = this.search.closeHelp()
    const typesPanel = this.types.close()
    const saved = this.saved.close()
    return help || typesPanel || saved
  }

  /** Draws the saved filters again (another tab changed them). */
  refreshSaved(): void {
    this.saved.refresh()
  }

  /** Stops timers. */
  dispose(): void {
    this.search.dispose()
    this.closePanels()
  }
}
