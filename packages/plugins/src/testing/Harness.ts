/**
 * Runs one plugin the way a host would, without a host: its collectors, taggers, views, panels and controls
 * through a real plugin registry (the same ordering, timeouts, isolation and health), against a recorded
 * report. Works under any test runner.
 *
 * ```ts
 * import { testPlugin, recordedReport } from "@orchestrator/plugins/testing"
 *
 * const harness = testPlugin(myPlugin, { label: "team" }, { report: recordedReport(json) })
 * const fragment = await harness.collect()
 * const rendering = harness.render("by-team")
 * ```
 *
 * @since 0.1.0
 */
import { MergedReport, type NodeDetails, type Plugin, PluginRegistry, Report, type View } from "@orchestrator/core"
import { Schema } from "effect"

/**
 * A recorded report: what probes sent (one or more `Report`s as JSON, e.g. saved from
 * `GET /api/v1/report`), or plain nodes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Recorded {
  readonly nodes: ReadonlyArray<Report.Node>
  readonly merged: MergedReport.MergedReport
}

/**
 * Decodes recorded probe reports (a `Report`, an array of them, or an array of nodes) into a report plugins
 * can run against. Throws a `SchemaError` naming the bad field when the recording is not a report.
 *
 * @since 0.1.0
 * @category constructors
 */
export const recordedReport = (recording: unknown): Recorded => {
  const items = Array.isArray(recording) ? recording : [recording]
  const nodes: Array<Report.Node> = []
  for (const item of items) {
    if (typeof item === "object" && item !== null && "topologies" in item && "probeId" in item) {
      const report = Report.decodeSync(item)
      for (const topology of Object.values(report.topologies)) nodes.push(...Object.values(topology.nodes))
    } else nodes.push(Schema.decodeUnknownSync(Report.Node)(item))
  }
  return { nodes, merged: MergedReport.fromNodes(nodes) }
}

/**
 * Settings of a harness.
 *
 * @since 0.1.0
 * @category models
 */
export interface HarnessOptions extends PluginRegistry.PluginRegistryOptions {
  /** The report taggers, views and panels read (an empty one by default). */
  readonly report?: Recorded
  readonly hostId?: string
  readonly probeId?: string
}

/**
 * A plugin under test.
 *
 * @since 0.1.0
 * @category models
 */
export interface Harness {
  /** The registry the plugin is registered in (to register companions, read `health()`...). */
  readonly host: PluginRegistry.PluginHost
  /** Runs the collectors (all registered plugins'), as the probe does on each report. */
  collect(budgetMs?: number): Promise<PluginRegistry.CollectedFragment>
  /** Runs the taggers on a fragment (default: the recorded report's nodes). */
  tag(fragment?: Plugin.ReportFragment, budgetMs?: number): Promise<PluginRegistry.CollectedFragment>
  /** Renders a view over the recorded report (or `report`); throws when no view has that id. */
  render(viewId: string, report?: Recorded): View.Rendering
  /** The panels the plugins add to a node (found in the recorded report by id, or given). */
  panels(node: string | Report.Node, budgetMs?: number): Promise<ReadonlyArray<NodeDetails.Panel>>
  /** Runs a control on a node (found in the recorded report by id, or given). */
  control(action: string, node: string | Report.Node, args?: Record<string, unknown>): Promise<unknown>
  /** Per-hook health. */
  health(): ReadonlyArray<Plugin.HookHealth>
}

/**
 * The settings `testPlugin` takes: the harness's, plus the plugin's `options` (required when the plugin
 * requires options, typed by its options Schema).
 *
 * @since 0.1.0
 * @category type-level
 */
export type TestPluginArgs<P extends Plugin.AnyPlugin> =
  Plugin.RegisterArgs<P> extends [options: infer Input]
    ? [settings: HarnessOptions & { readonly options: Input }]
    : [settings?: HarnessOptions & { readonly options?: Plugin.OptionsInput<P> }]

/**
 * Registers a plugin in a fresh registry and returns its harness. Throws the `PluginError` when the plugin
 * or its options are refused, exactly as a host would.
 *
 * @since 0.1.0
 * @category constructors
 */
export const testPlugin = <P extends Plugin.AnyPlugin>(plugin: P, ...args: TestPluginArgs<P>): Harness => {
  const settings: HarnessOptions & { readonly options?: unknown } = args[0] ?? {}
  const {
    report: recorded = recordedReport([]),
    hostId = "test-host",
    probeId = "test-probe",
    options,
    ...registry
  } = settings
  const host = new PluginRegistry.PluginHost(registry)
  host.register(plugin as Plugin.AnyPlugin, options)
  const probe = { hostId, probeId }
  const find = (node: string | Report.Node): Report.Node => {
    if (typeof node !== "string") return node
    const found = recorded.merged.node(node)
    if (found === undefined) {
      const ids = recorded.nodes.map((candidate) => `${candidate.topology}/${candidate.id}`)
      throw new Error(
        `no node "${node}" in the recorded report (it has ${ids.length === 0 ? "none" : ids.slice(0, 10).join(", ")})`
      )
    }
    return found
  }
  return {
    host,
    collect: (budgetMs) => host.runCollectors(probe, budgetMs),
    tag: (fragment, budgetMs) => {
      const topologies: Record<string, Record<string, Report.Node>> = {}
      for (const node of recorded.nodes) topologies[node.topology] = { ...topologies[node.topology], [node.id]: node }
      return host.runTaggers(fragment ?? { topologies }, probe, budgetMs)
    },
    render: (viewId, report = recorded) => {
      const view = host.views().find((candidate) => candidate.id === viewId)
      if (view === undefined) {
        throw new Error(
          `no view "${viewId}" (registered: ${
            host
              .views()
              .map((candidate) => candidate.id)
              .join(", ") || "none"
          })`
        )
      }
      return view.render(report.merged)
    },
    panels: async (node, budgetMs) =>
      host.panelsFor(find(node), { report: recorded.merged, ...(budgetMs !== undefined ? { budgetMs } : {}) }),
    control: async (action, node, args = {}) => {
      const target = find(node)
      return host.runControl(
        { id: `test-${Date.now()}`, nodeId: target.id, topology: target.topology, action, args },
        { ...probe, node: target }
      )
    },
    health: () => host.health()
  }
}
