/**
 * A view grouped by a chosen label: one node per value of the label (containers by `team`, pods by `app`...),
 * standing for every node that carries it, with edges between groups wherever their members connect.
 *
 * ```ts
 * export default { plugins: [["@orchestrator/example-plugins/group-by-label", { label: "team" }]] }
 * ```
 *
 * @since 0.1.0
 */
import type { MergedReport, Plugin, Report, View } from "@orchestrator/core"
import { definePlugin, definePluginFactory, type PluginFactory } from "@orchestrator/plugins"
import { Schema } from "effect"

/**
 * The plugin's options.
 *
 * @since 0.1.0
 * @category models
 */
export const Options = Schema.Struct({
  /** The label to group by. */
  label: Schema.String.check(Schema.isMinLength(1)),
  /** The topology whose nodes are grouped (default `containers`). */
  topology: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  /** The view id (default `<topology>-by-<label>`). */
  id: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  /** Put nodes without the label in a group of this name (default: leave them out). */
  unlabelled: Schema.optionalKey(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Options = typeof Options.Type

const groupOf = (node: Report.Node, options: Options): string | undefined =>
  node.labels[options.label]?.value ?? options.unlabelled

/**
 * The view for some options.
 *
 * @since 0.1.0
 * @category constructors
 */
export const view = (options: Options): View.ViewDefinition => {
  const topology = options.topology ?? "containers"
  return {
    id: options.id ?? `${topology}-by-${options.label}`,
    label: `${topology} by ${options.label}`,
    reads: [topology],
    countTopology: topology,
    rank: 60,
    render: (report: MergedReport.MergedReport) => {
      const nodes = new Map<string, View.RenderedNode>()
      const groupByMember = new Map<string, string>()
      for (const node of report.nodes(topology).values()) {
        const group = groupOf(node, options)
        if (group === undefined) continue
        groupByMember.set(node.id, group)
        const id = `${options.label}=${group}`
        const existing = nodes.get(id)
        nodes.set(id, {
          id,
          topology,
          label: group,
          labelMinor: "",
          rank: group,
          shape: "heptagon",
          status: "healthy",
          pseudo: false,
          stack: (existing?.stack ?? 0) + 1,
          parents: {},
          labels: { [options.label]: group },
          metrics: {},
          members: [...(existing?.members ?? []), node.id]
        })
      }
      for (const node of nodes.values()) {
        nodes.set(node.id, { ...node, labelMinor: `${node.stack} ${node.stack === 1 ? "node" : "nodes"}` })
      }
      const edges = new Map<string, View.RenderedEdge>()
      for (const node of report.nodes(topology).values()) {
        const from = groupByMember.get(node.id)
        if (from === undefined) continue
        for (const peer of node.adjacency) {
          const to = groupByMember.get(peer)
          if (to === undefined || to === from) continue
          const source = `${options.label}=${from}`
          const target = `${options.label}=${to}`
          const id = `${source}->${target}`
          edges.set(id, { id, source, target, connections: (edges.get(id)?.connections ?? 0) + 1 })
        }
      }
      return { nodes, edges }
    }
  }
}

/**
 * The plugin factory: `groupByLabel({ label: "team" })`. Loaders validate the options before calling it.
 *
 * @since 0.1.0
 * @category plugins
 */
export const groupByLabel: PluginFactory.PluginFactory<
  "group-by-label",
  Options,
  typeof Options.Encoded,
  Plugin.Plugin<"group-by-label">
> = definePluginFactory({
  name: "group-by-label",
  options: Options,
  make: (options) =>
    definePlugin({
      name: "group-by-label",
      version: "0.1.0",
      apiVersion: 1,
      description: `${options.topology ?? "containers"} grouped by label ${options.label}`,
      views: [view(options)]
    })
})

export default groupByLabel
