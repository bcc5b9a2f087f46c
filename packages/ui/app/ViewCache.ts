/**
 * The last rendering of each view the page showed, so switching back to a view draws it at once (from memory)
 * while the fresh snapshot is on its way, instead of a blank "Loading…". Pure, so it is tested directly.
 */
import type { RenderedView } from "./Protocol.js"

/** How many renderings are kept (views × filter combinations), least recently used dropped first. */
export const defaultCapacity = 16

/** Renderings keyed by view and filters. */
export class ViewCache {
  private readonly entries = new Map<string, RenderedView>()

  constructor(private readonly capacity: number = defaultCapacity) {}

  /** Keeps `view` as the last rendering of its view under `filtersKey` (see `HashState.filtersKey`). */
  put(filtersKey: string, view: RenderedView): void {
    const key = `${view.view}\u0000${filtersKey}`
    this.entries.delete(key)
    this.entries.set(key, view)
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!)
  }

  /** The last rendering of `view` with these filters, if the page showed it. */
  get(view: string, filtersKey: string): RenderedView | undefined {
    const key = `${view}\u0000${filtersKey}`
    const found = this.entries.get(key)
    if (found !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, found)
    }
    return found
  }

  /** How many renderings are kept. */
  get size(): number {
    return this.entries.size
  }
}
