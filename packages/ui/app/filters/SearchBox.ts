/**
 * The search box: the query input, its syntax help (opened inline under the box, examples insert themselves),
 * and the app server's error when it rejects a query, with the offending character marked.
 */
import { h, replaceChildren } from "../Dom.js"
import { syntaxForms } from "./SearchSyntax.js"

/** How a change should enter the browser history: a new entry (Back undoes it) or in place. */
export type HistoryMode = "push" | "replace"

/** A query the app server refused: its message and, when known, the 0-based offset of the bad character. */
export interface SearchError {
  readonly query: string
  readonly message: string
  readonly position?: number | undefined
}

/** Callbacks of a {@link SearchBox}. */
export interface SearchBoxHandlers {
  /** The query changed: typed (after a pause), confirmed with Enter, cleared with Escape, or picked from help. */
  readonly onSearch: (query: string, history: HistoryMode) => void
}

/** How long typing must pause before the query is sent. */
export const typingPauseMs = 250

/** The search input with syntax help and error display. */
export class SearchBox {
  /** The element to mount. */
  readonly element: HTMLElement
  /** The input (for focus and tests). */
  readonly input: HTMLInputElement
  private readonly helpButton: HTMLButtonElement
  private readonly help: HTMLElement
  private readonly error: HTMLElement
  private timer: ReturnType<typeof setTimeout> | undefined
  /** Whether the current run of typing already added a history entry (the rest of the run replaces it). */
  private pushed = false
  /** The query last handed to `onSearch` (or rendered from the state). */
  private sent = ""
  /** Closes the help when a click or focus lands outside the search box. */
  private readonly onOutside = (event: Event) => {
    if (event.target instanceof Node && !this.element.contains(event.target)) this.closeHelp()
  }

  constructor(private readonly handlers: SearchBoxHandlers) {
    this.input = h("input", {
      type: "search",
      id: "search",
      placeholder: "Search: name, label:value, cpu > 50%",
      "aria-label": "Search nodes",
      "aria-describedby": "search-error",
      autocomplete: "off",
      spellcheck: "false"
    })
    this.helpButton = h(
      "button",
      {
        type: "button",
        class: "search-help-toggle",
        "aria-expanded": "false",
        "aria-controls": "search-help",
        "aria-label": "Search syntax",
        title: "Search syntax"
      },
      "?"
    )
    this.error = h("p", { id: "search-error", class: "search-error", role: "alert", hidden: true })
    this.help = this.renderHelp()
    this.element = h(
      "div",
      { class: "searchbox", role: "search" },
      h("div", { class: "search-field" }, this.input, this.helpButton),
      this.error,
      this.help
    )
    this.input.addEventListener("input", () => {
      clearTimeout(this.timer)
      this.timer = setTimeout(() => this.emit(), typingPauseMs)
    })
    this.input.addEventListener("keydown", (event) => this.onKey(event))
    this.input.addEventListener("blur", () => {
      // A pending query is sent now, and the next typing starts a new history entry.
      if (this.timer !== undefined) this.emit()
      this.pushed = false
    })
    this.helpButton.addEventListener("click", () => this.toggleHelp())
    this.help.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault()
        this.closeHelp(true)
      }
    })
  }

  /** Whether the syntax help is open. */
  get helpOpen(): boolean {
    return !this.help.hidden
  }

  /** Shows the query of the current state, unless the user is typing in the box. */
  render(query: string): void {
    this.sent = query
    if (this.input.value !== query && document.activeElement !== this.input) this.input.value = query
  }

  /** Focuses the box and selects its text (the `/` shortcut). */
  focus(): void {
    this.input.focus()
    this.input.select()
  }

  /** Shows the server's reason for refusing a query, or hides it (`undefined`). */
  showError(error: SearchError | undefined): void {
    this.input.setAttribute("aria-invalid", error === undefined ? "false" : "true")
    this.element.classList.toggle("invalid", error !== undefined)
    if (error === undefined) {
      this.error.hidden = true
      replaceChildren(this.error)
      return
    }
    const { query, message, position } = error
    const at =
      position === undefined || position < 0 || position > query.length
        ? null
        : h(
            "code",
            { class: "search-error-query" },
            query.slice(0, position),
            h("mark", {}, position < query.length ? query[position] : " "),
            query.slice(position + 1)
          )
    replaceChildren(
      this.error,
      h("strong", {}, "The app server rejected the search: "),
      message,
      position === undefined ? "." : ` (at character ${position + 1}).`,
      at === null ? null : " ",
      at
    )
    this.error.hidden = false
  }

  /** Closes the help; returns whether it was open. */
  closeHelp(returnFocus = false): boolean {
    if (this.help.hidden) return false
    this.help.hidden = true
    this.helpButton.setAttribute("aria-expanded", "false")
    document.removeEventListener("pointerdown", this.onOutside, true)
    document.removeEventListener("focusin", this.onOutside, true)
    if (returnFocus) this.helpButton.focus()
    return true
  }

  /** Stops the pending timer (when the app stops). */
  dispose(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private toggleHelp(): void {
    if (!this.help.hidden) {
      this.closeHelp()
      return
    }
    this.help.hidden = false
    this.helpButton.setAttribute("aria-expanded", "true")
    document.addEventListener("pointerdown", this.onOutside, true)
    document.addEventListener("focusin", this.onOutside, true)
    this.help.querySelector("button")?.focus()
  }

  private onKey(event: KeyboardEvent): void {
    if (event.key === "Enter") {
      this.emit(true)
    } else if (event.key === "Escape") {
      // Escape closes the help first, then clears the box, then leaves it.
      event.preventDefault()
      if (this.closeHelp()) return
      if (this.input.value !== "") {
        this.input.value = ""
        this.emit(true)
      } else this.input.blur()
    }
  }

  /** Hands the box's query over (`done`: the user finished, so the next edit is a new history entry). */
  private emit(done = false): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const query = this.input.value
    if (query !== this.sent) {
      this.sent = query
      this.handlers.onSearch(query, this.pushed ? "replace" : "push")
      this.pushed = true
    }
    if (done) this.pushed = false
  }

  private renderHelp(): HTMLElement {
    const rows = syntaxForms.map((form) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, h("code", {}, form.form)),
        h("td", {}, form.meaning),
        h(
          "td",
          {},
          ...form.examples.map((example) => {
            const button = h("button", { type: "button", class: "example", title: "Search for this" }, example)
            button.addEventListener("click", () => {
              this.input.value = example
              this.closeHelp()
              this.input.focus()
              this.emit(true)
            })
            return button
          })
        )
      )
    )
    return h(
      "section",
      { id: "search-help", class: "search-help", "aria-label": "Search syntax help", hidden: true },
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, h("th", {}, "Form"), h("th", {}, "Matches"), h("th", {}, "Try"))),
        h("tbody", {}, ...rows)
      ),
      h(
        "p",
        { class: "muted" },
        "Spaces between terms mean AND. Quote text that has spaces or any of : = < > ( ). ",
        h("code", {}, "mem"),
        " is short for ",
        h("code", {}, "memory"),
        ". Esc clears the box; ",
        h("kbd", {}, "/"),
        " comes back to it."
      )
    )
  }
}
