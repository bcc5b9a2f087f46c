/**
 * A container's live logs (`docker.logs` with `follow`): the pipe's text appended as it arrives, scrolled to
 * the newest line while auto-scroll is on. Scrolling up pauses auto-scroll (so a line can be read while more
 * arrive); scrolling back to the bottom or the Auto-scroll button resumes it.
 */
import { h } from "../Dom.js"
import { StreamPanel } from "./StreamPanel.js"

/** How much text the viewer keeps; beyond it the oldest half is dropped. */
const maxChars = 1_000_000

/** The lines the probe sends first (older lines are not fetched). */
const tailLines = 200

/** ANSI escape sequences (colours, cursor moves), which a `<pre>` cannot show. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point.
const ansi = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-Z\\-_]/g

/** The logs viewer. */
export class LogsView extends StreamPanel {
  private readonly output: HTMLPreElement
  private readonly followButton: HTMLButtonElement
  private readonly decoder = new TextDecoder()
  private following = true
  private chars = 0

  constructor(key: string, title: string, onClose: (panel: StreamPanel) => void) {
    super(key, "Logs", title, onClose)
    this.output = h("pre", {
      class: "logs-output",
      role: "log",
      "aria-live": "off",
      "aria-label": `Log lines of ${title}`,
      tabindex: 0
    })
    this.followButton = h("button", { type: "button", class: "control small", "aria-pressed": "true" }, "Auto-scroll")
    this.followButton.addEventListener("click", () => this.setFollowing(!this.following))
    const clear = h("button", { type: "button", class: "control small" }, "Clear")
    clear.addEventListener("click", () => {
      this.output.textContent = ""
      this.chars = 0
    })
    this.tools.append(this.followButton, clear)
    this.body.append(this.output)
    this.output.addEventListener("scroll", () => {
      const atBottom = this.output.scrollTop + this.output.clientHeight >= this.output.scrollHeight - 4
      if (atBottom !== this.following) this.setFollowing(atBottom)
    })
  }

  /** Whether new lines scroll into view. */
  get autoScroll(): boolean {
    return this.following
  }

  override args(): Record<string, unknown> {
    return { follow: true, tail: tailLines }
  }

  override write(data: Uint8Array): void {
    const text = this.decoder.decode(data, { stream: true }).replace(ansi, "")
    if (text === "") return
    this.chars += text.length
    if (this.chars > maxChars) {
      const kept = ((this.output.textContent ?? "") + text).slice(-maxChars / 2)
      this.output.textContent = kept
      this.chars = kept.length
    } else this.output.append(text)
    if (this.following) this.output.scrollTop = this.output.scrollHeight
  }

  override end(reason: string): void {
    super.end(reason)
    const rest = this.decoder.decode()
    if (rest !== "") this.output.append(rest)
  }

  override focus(): void {
    this.output.focus({ preventScroll: true })
  }

  private setFollowing(following: boolean): void {
    this.following = following
    this.followButton.setAttribute("aria-pressed", following ? "true" : "false")
    if (following) this.output.scrollTop = this.output.scrollHeight
  }
}
