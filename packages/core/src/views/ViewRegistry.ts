/**
 * The view registry and its render cache: holds the built-in views and the ones plugins add, renders a view
 * at most once per change of the topologies it reads, and shares that render (and each filtered variant of
 * it) across every client. Synchronous and free of I/O, so the app server can call it on the hot path.
 *
 * Caching:
 * - one render per view, reused while the report is the same object and the `generation` of every topology
 *   in the view's `reads` is unchanged (the aggregator's report is live, so the generations are the key);
 * - filtered results per (view, filters) in a small LRU, reused while they were derived from the current
 *   render.
 *
 * @since 0.1.0
 */
import { Context, Layer, Result, Schema } from "effect"
import { valuesOf } from "../internal/views/edges.js"
import { renderedView } from "../internal/views/renderedView.js"
import type { MergedReport } from "../MergedReport.js"
import type { SearchSyntaxError } from "../Search.js"
import * as BuiltinViews from "./BuiltinViews.js"
import * as Filters from "./Filters.js"
import type { RenderedView, Rendering, ViewDefinition, ViewFilters, ViewSummary } from "./View.js"

/**
 * A view id nobody registered; `available` lists the ids that exist.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownView extends Schema.TaggedError<UnknownView>()("UnknownView", {
  view: Schema.String,
  available: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `unknown view "${this.view}" (available: ${this.available.join(", ")})`
  }
}

/**
 * A view's `render` threw (a plugin view's bug); other views keep working.
 *
 * @since 0.1.0
 * @category errors
 */
export class ViewRenderError extends Schema.TaggedError<ViewRenderError>()("ViewRenderError", {
  view: Schema.String,
  cause: Schema.Defect()
}) {
  override get message(): string {
    return `view "${this.view}" failed to render: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The views to start with (default: the built-in views). */
  readonly views?: ReadonlyArray<ViewDefinition>
  /** Views listed even when their topology is empty (default: processes, containers, hosts). */
  readonly alwaysListed?: ReadonlySet<string>
  /** How many filtered results to keep (default 128). */
  readonly filterCacheSize?: number
  /** The clock for `renderedAt` (default `Date.now`). */
  readonly now?: () => number
}

/**
 * Cache counters, for `/metrics` and tests.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  /** Calls of a view's `render`. */
  readonly renders: number
  /** Requests answered from a cached render. */
  readonly renderHits: number
  /** Filtered results answered from the LRU. */
  readonly filterHits: number
  readonly filterMisses: number
  /** Milliseconds the last render of each view took. */
  readonly lastRenderMs: Readonly<Record<string, number>>
}

/**
 * The registry's interface.
 *
 * @since 0.1.0
 * @category models
 */
export interface Registry {
  /**
   * Adds a view and returns a function that removes it. A view with the id of an existing one shadows it
   * until removed (a plugin may replace a built-in view).
   */
  readonly register: (view: ViewDefinition) => () => void
  /** The current views, by rank. */
  readonly views: () => ReadonlyArray<ViewDefinition>
  /** The current view with this id. */
  readonly get: (id: string) => ViewDefinition | undefined
  /** The view list with node counts: views with data, plus the always-listed ones. */
  readonly summaries: (report: MergedReport) => ReadonlyArray<ViewSummary>
  /** The (cached) unfiltered rendering of a view, keyed by id. */
  readonly rendering: (report: MergedReport, view: string) => Result.Result<Rendering, UnknownView | ViewRenderError>
  /** The (cached) rendered view after filters. */
  readonly render: (
    report: MergedReport,
    view: string,
    filters?: ViewFilters
  ) => Result.Result<RenderedView, UnknownView | ViewRenderError | SearchSyntaxError>
  readonly stats: () => Stats
}

interface Entry {
  readonly definition: ViewDefinition
  readonly report: MergedReport
  readonly generations: ReadonlyArray<number>
  readonly rendering: Rendering
  readonly renderedAt: number
  unfiltered: RenderedView | undefined
}

interface FilterEntry {
  readonly rendering: Rendering
  readonly view: RenderedView
}

const byRank = (a: ViewDefinition, b: ViewDefinition) => a.rank - b.rank

/**
 * Builds a registry.
 *
 * **Example**
 * ```ts
 * const views = ViewRegistry.make()
 * const result = views.render(aggregator.report, "containers", { status: "running" })
 * if (Result.isSuccess(result)) send(result.success)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Registry => {
  const registered = new Map<string, Array<ViewDefinition>>()
  const order: Array<string> = []
  const cache = new Map<string, Entry>()
  const filtered = new Map<string, FilterEntry>()
  const filterCacheSize = options.filterCacheSize ?? 128
  const alwaysListed = options.alwaysListed ?? BuiltinViews.alwaysListed
  const now = options.now ?? Date.now
  const lastRenderMs: Record<string, number> = {}
  let renders = 0
  let renderHits = 0
  let filterHits = 0
  let filterMisses = 0
  let sorted: ReadonlyArray<ViewDefinition> | undefined

  const get = (id: string) => {
    const stack = registered.get(id)
    return stack === undefined ? undefined : stack[stack.length - 1]
  }

  const views = (): ReadonlyArray<ViewDefinition> => {
    sorted ??= order.map((id) => get(id)!).sort(byRank)
    return sorted
  }

  const register = (view: ViewDefinition): (() => void) => {
    const stack = registered.get(view.id)
    if (stack === undefined) {
      registered.set(view.id, [view])
      order.push(view.id)
    } else stack.push(view)
    sorted = undefined
    let done = false
    return () => {
      if (done) return
      done = true
      const current = registered.get(view.id)!
      current.splice(current.lastIndexOf(view), 1)
      if (current.length === 0) {
        registered.delete(view.id)
        order.splice(order.indexOf(view.id), 1)
      }
      sorted = undefined
    }
  }

  for (const view of options.views ?? BuiltinViews.all) register(view)

  const unknown = (view: string) => new UnknownView({ view, available: views().map((v) => v.id) })

  const entry = (report: MergedReport, id: string): Result.Result<Entry, UnknownView | ViewRenderError> => {
    const definition = get(id)
    if (definition === undefined) return Result.fail(unknown(id))
    const generations = definition.reads.map((topology) => report.generation(topology))
    const cached = cache.get(id)
    if (
      cached !== undefined &&
      cached.definition === definition &&
      cached.report === report &&
      cached.generations.every((g, i) => g === generations[i])
    ) {
      renderHits++
      return Result.succeed(cached)
    }
    const started = performance.now()
    let rendering: Rendering
    try {
      rendering = definition.render(report)
    } catch (cause) {
      return Result.fail(new ViewRenderError({ view: id, cause }))
    }
    renders++
    lastRenderMs[id] = performance.now() - started
    const fresh: Entry = { definition, report, generations, rendering, renderedAt: now(), unfiltered: undefined }
    cache.set(id, fresh)
    return Result.succeed(fresh)
  }

  const toView = (e: Entry, filtered: Filters.FilteredMap): RenderedView =>
    renderedView(e.definition.id, filtered.nodes, filtered.edges, e.rendering.nodes.size, e.renderedAt)

  const render = (
    report: MergedReport,
    id: string,
    filters: ViewFilters = {}
  ): Result.Result<RenderedView, UnknownView | ViewRenderError | SearchSyntaxError> => {
    const found = entry(report, id)
    if (Result.isFailure(found)) return Result.fail(found.failure)
    const e = found.success
    if (Filters.isEmpty(filters)) {
      // The edges stay chunked: the flat array is built only if a caller reads it (REST), never per flush.
      e.unfiltered ??= renderedView(
        id,
        valuesOf(e.rendering.nodes),
        e.rendering.edges,
        e.rendering.nodes.size,
        e.renderedAt
      )
      return Result.succeed(e.unfiltered)
    }
    const key = `${id}\u0000${Filters.key(filters)}`
    const hit = filtered.get(key)
    if (hit !== undefined && hit.rendering === e.rendering) {
      filtered.delete(key)
      filtered.set(key, hit)
      filterHits++
      return Result.succeed(hit.view)
    }
    filterMisses++
    const applied = Filters.applyKeepingChunks(e.rendering, filters, report)
    if (Result.isFailure(applied)) return Result.fail(applied.failure)
    const view = toView(e, applied.success)
    filtered.delete(key)
    filtered.set(key, { rendering: e.rendering, view })
    while (filtered.size > filterCacheSize) filtered.delete(filtered.keys().next().value!)
    return Result.succeed(view)
  }

  return {
    register,
    views,
    get,
    summaries: (report) =>
      views()
        .map((v) => ({ id: v.id, label: v.label, count: report.nodes(v.countTopology).size }))
        .filter((s) => s.count > 0 || alwaysListed.has(s.id)),
    rendering: (report, id) => Result.map(entry(report, id), (e) => e.rendering),
    render,
    stats: () => ({ renders, renderHits, filterHits, filterMisses, lastRenderMs: { ...lastRenderMs } })
  }
}

/**
 * The registry as a service, for the app server's layers and plugins.
 *
 * @since 0.1.0
 * @category services
 */
export class ViewRegistry extends Context.Service<ViewRegistry, Registry>()("@orchestrator/core/views/ViewRegistry") {
  /**
   * A registry with the built-in views.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer: Layer.Layer<ViewRegistry> = Layer.sync(ViewRegistry, () => make())

  /**
   * A registry with custom options (views, clock, cache size).
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerWith = (options: Options): Layer.Layer<ViewRegistry> =>
    Layer.sync(ViewRegistry, () => make(options))
}
