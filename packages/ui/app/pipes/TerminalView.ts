/**
 * An interactive terminal (`docker.exec`, `docker.attach`) drawn by xterm.js over a pipe: keystrokes go to the
 * pipe as input, output is written as it arrives, and the fit addon sizes the terminal to its panel (each new
 * size is sent as `pipe.resize`). Loaded on demand, so the page does not carry xterm.js until a terminal opens.
 *
 * **Keyboard**: while the terminal has focus every key goes to the shell, Escape and Tab included (vi and
 * completion need them), and nothing reaches the page's shortcuts. Ctrl+] leaves the terminal (focus moves to
 * its Close button); Escape on the panel's buttons returns to the terminal while the session runs. Once the
 * session ended, Escape closes the panel. Only Close ends a live session.
 */
import { FitAddon } from "@xterm/addon-fit"
import { Terminal } from "@xterm/xterm"
import "@xterm/xterm/css/xterm.css"
import { h } from "../Dom.js"
import { StreamPanel } from "./StreamPanel.js"

/** The terminal. */
export class TerminalView extends StreamPanel {
  private readonly terminal: Terminal
  private readonly fitAddon = new FitAddon()
  private readonly host: HTMLElement
  private readonly observer: ResizeObserver
  private fitQueued = false

  constructor(key: string, title: string, onClose: (panel: StreamPanel) => void) {
    super(key, "Terminal", title, onClose)
    this.host = h("div", { class: "terminal-host" })
    this.body.append(this.host)
    this.tools.append(h("span", { class: "stream-hint muted" }, "Ctrl+] leaves the terminal"))
    this.terminal = new Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, "SFMono-Regular", "Cascadia Code", Menlo, Consolas, monospace',
      fontSize: 13,
      scrollback: 5_000,
      theme: { background: "#111827", foreground: "#e5e7eb", cursor: "#e5e7eb" }
    })
    this.terminal.loadAddon(this.fitAddon)
    this.terminal.attachCustomKeyEventHandler((event) => {
      if (event.type === "keydown" && event.ctrlKey && event.key === "]") {
        this.closeButton.focus()
        return false
      }
      // After the session ended, xterm leaves Escape alone so it reaches the panel, which closes.
      return !(event.key === "Escape" && this.status !== "live" && this.status !== "starting")
    })
    this.terminal.onData((data) => this.pipe?.write(data))
    this.terminal.onBinary((data) => this.pipe?.write(Uint8Array.from(data, (c) => c.charCodeAt(0))))
    this.terminal.onResize(({ cols, rows }) => this.pipe?.resize(cols, rows))
    // Keys typed into a live terminal belong to the shell: the page's shortcuts (Escape closes panels) stay out.
    // Once the session ended, Escape reaches the panel and closes it.
    this.host.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || this.status === "live" || this.status === "starting") event.stopPropagation()
    })
    this.observer = new ResizeObserver(() => this.fitSoon())
  }

  /** Draws the terminal; call once the panel is in the document (xterm measures its cell size there). */
  mount(): void {
    this.terminal.open(this.host)
    this.fit()
    this.observer.observe(this.host)
  }

  /** The terminal's size in characters. */
  get size(): { readonly cols: number; readonly rows: number } {
    return { cols: this.terminal.cols, rows: this.terminal.rows }
  }

  override args(): Record<string, unknown> {
    return { cols: this.terminal.cols, rows: this.terminal.rows }
  }

  override connect(pipe: Parameters<StreamPanel["connect"]>[0]): void {
    super.connect(pipe)
    pipe.resize(this.terminal.cols, this.terminal.rows)
  }

  override write(data: Uint8Array): void {
    this.terminal.write(data)
  }

  override end(reason: string): void {
    super.end(reason)
    this.terminal.options.disableStdin = true
    this.terminal.write(`\r\n\x1b[2m[${reason}]\x1b[0m\r\n`)
  }

  override fail(text: string): void {
    super.fail(text)
    this.terminal.options.disableStdin = true
    this.terminal.write(`\x1b[31m${text}\x1b[0m\r\n`)
  }

  override focus(): void {
    this.terminal.focus()
  }

  protected override onEscape(): void {
    if (this.status === "live" || this.status === "starting") this.terminal.focus()
    else this.close()
  }

  protected override dispose(): void {
    this.observer.disconnect()
    this.terminal.dispose()
  }

  private fitSoon(): void {
    if (this.fitQueued) return
    this.fitQueued = true
    requestAnimationFrame(() => {
      this.fitQueued = false
      if (!this.closed) this.fit()
    })
  }

  private fit(): void {
    // A hidden or zero-sized host proposes no size; keep the last one.
    if (this.fitAddon.proposeDimensions() !== undefined) this.fitAddon.fit()
  }
}
