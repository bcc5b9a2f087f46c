import { Effect, Result } from "effect"
import type { AgentRegistry } from "../../AgentRegistry.js"
import type { AggregatorShape } from "../../Aggregator.js"
import type { ControlDescription } from "../../NodeDetails.js"
import type { PluginRegistryService } from "../../PluginRegistry.js"
import { type Store, toMetricSeries } from "../../TimeSeriesStore.js"
import { diff } from "../../views/Diff.js"
import { nodeDetails } from "../../views/Panels.js"
import type { RenderedNode, ViewDefinition } from "../../views/View.js"
import * as ViewRegistry from "../../views/ViewRegistry.js"
import type { ViewsFacade } from "./AppContext.js"
import { HttpError } from "./HttpError.js"

/**
 * Views, details and search over the live merged report: built-in views plus the views plugins register,
 * rendered once per change through the shared cache of the view registry.
 */
export const makeViewsFacade = (
  aggregator: AggregatorShape,
  series: Store,
  plugins: PluginRegistryService,
  agents: AgentRegistry,
  onRender: (view: string, seconds: number) => void
): ViewsFacade & { diff: typeof diff } => {
  // Every view, the built-in ones included, comes from the plugin registry (see BuiltinPlugin).
  const registry = ViewRegistry.make({ views: [] })
  const report = aggregator.report
  const pluginViews = new Map<ViewDefinition, () => void>()
  const syncPluginViews = () => {
    const current = new Set(plugins.views())
    for (const [view, unregister] of pluginViews) {
      if (!current.has(view)) {
        unregister()
        pluginViews.delete(view)
      }
    }
    for (const view of current) if (!pluginViews.has(view)) pluginViews.set(view, registry.register(view))
  }
  let lastRenders = 0

  const render: ViewsFacade["render"] = (view, filters) => {
    syncPluginViews()
    const started = performance.now()
    const result = registry.render(report, view, filters)
    const renders = registry.stats().renders
    if (renders !== lastRenders) {
      lastRenders = renders
      onRender(view, (performance.now() - started) / 1000)
    }
    if (Result.isFailure(result)) {
      const error = result.failure
      switch (error._tag) {
        case "UnknownView":
          throw new HttpError(404, "unknown_view", error.message, { available: error.available })
        case "SearchSyntaxError":
          throw new HttpError(400, "bad_search", error.message, { position: error.position })
        default:
          throw new HttpError(500, "render_failed", error.message)
      }
    }
    return result.success
  }

  const controlsOf = (topology: string, id: string, offered: ReadonlyArray<string>) => {
    const owners = aggregator.ownersOf(topology, id)
    const probeId = owners[0]
    const described = new Map<string, ControlDescription>()
    if (probeId !== undefined) for (const c of agents.controls(probeId)) described.set(c.id, c)
    const node = report.node(id, topology)
    if (node !== undefined) for (const c of plugins.controlsFor(node)) if (!described.has(c.id)) described.set(c.id, c)
    const controls = offered.map((cid) => described.get(cid) ?? { id: cid, label: cid })
    return { probeId, controls }
  }

  return {
    diff,
    summaries: () => {
      syncPluginViews()
      return registry.summaries(report)
    },
    render,
    details: async (topology, id) => {
      const node = report.node(id, topology)
      if (node === undefined) return undefined
      const { probeId, controls } = controlsOf(topology, id, node.controls)
      const details = nodeDetails(node, report, {
        series: (nodeId) => series.queryNode(nodeId).map((window) => toMetricSeries(window)),
        ...(probeId !== undefined ? { probeId } : {}),
        controls
      })
      const extra = await Effect.runPromise(plugins.panelsFor(node, { report }))
      return { ...details, panels: [...details.panels, ...extra] }
    },
    search: (query, view, limit) => {
      const views = view !== undefined ? [view] : registry.views().map((v) => v.id)
      const out: Array<RenderedNode> = []
      const seen = new Set<string>()
      for (const id of views) {
        // The search filter matches a node or any report node it stands for (a container's image fields...).
        for (const node of render(id, { search: query }).nodes) {
          if (out.length >= limit) return out
          if (seen.has(node.id)) continue
          seen.add(node.id)
          out.push(node)
        }
      }
      return out
    }
  }
}
