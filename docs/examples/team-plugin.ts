/**
 * An example plugin (apiVersion 1) with one hook of every kind: a collector, a tagger, a view, a panel and a
 * control. Used by plugin.ts and embed-effect.ts.
 */
import { definePlugin, Fields, Report, type View } from "@orchestrator/core"
import { Effect, Schema } from "effect"

/** Options are a Schema: the host's input is decoded before any hook runs; defaults make them optional. */
const Options = Schema.Struct({
  team: Schema.String.pipe(Schema.withDecodingDefaultKey(Effect.succeed("platform")))
})

/** A view: one node per `tier` label value among containers, stacked. */
const tiersView: View.ViewDefinition = {
  id: "tiers",
  label: "Tiers",
  reads: ["containers"],
  countTopology: "containers",
  rank: 50,
  render: (report) => {
    const nodes = new Map<string, View.RenderedNode>()
    for (const container of report.nodes("containers").values()) {
      const tier = container.labels.tier?.value
      if (tier === undefined) continue
      const existing = nodes.get(tier)
      nodes.set(tier, {
        id: tier,
        topology: "containers",
        label: tier,
        labelMinor: "",
        rank: tier,
        shape: "hexagon",
        status: "healthy",
        pseudo: false,
        stack: (existing?.stack ?? 0) + 1,
        parents: {},
        labels: { tier },
        metrics: {},
        members: [...(existing?.members ?? []), container.id]
      })
    }
    for (const node of nodes.values()) nodes.set(node.id, { ...node, labelMinor: `${node.stack} containers` })
    return { nodes, edges: new Map() }
  }
}

export const teamPlugin = definePlugin({
  name: "team",
  version: "1.0.0",
  apiVersion: 1,
  description: "Tags containers with their owning team and shows them by tier",
  options: Options,
  collectors: [
    {
      name: "uptime",
      intervalMs: 60_000, // the registry reuses the last fragment for a minute
      collect: (ctx) => ({
        topologies: {
          hosts: {
            [ctx.hostId]: Report.makeNode("hosts", ctx.hostId, {
              latest: Report.latestFields(ctx.now, { probe_uptime_seconds: Math.round(process.uptime()) })
            })
          }
        }
      })
    }
  ],
  taggers: [
    {
      name: "team-label",
      order: "post",
      // A tagger returns the whole fragment, changed; here an async one.
      tag: async (fragment, ctx) => {
        const containers = fragment.topologies.containers ?? {}
        const tagged: Record<string, Report.Node> = {}
        for (const [id, node] of Object.entries(containers)) {
          tagged[id] = { ...node, labels: { ...node.labels, team: { value: ctx.options.team, timestamp: ctx.now } } }
        }
        return { topologies: { ...fragment.topologies, containers: tagged } }
      }
    }
  ],
  views: [tiersView],
  panels: [
    {
      name: "owner",
      topologies: ["containers"],
      panels: (node, ctx) => [
        {
          type: "table",
          id: "team.owner",
          title: "Ownership",
          rows: [{ key: "team", label: "Team", value: node.labels.team?.value ?? ctx.options.team }]
        }
      ]
    }
  ],
  controls: [
    {
      id: "team.page",
      label: "Page the owning team",
      topologies: ["containers"],
      permission: "containers:write",
      confirm: true,
      appliesTo: (node) => Report.latest(node, Fields.Latest.containerState) === "running",
      // An Effect-returning hook: Effect.log lines carry the plugin and hook names.
      run: (request, ctx) =>
        Effect.log(`paging ${ctx.options.team} about ${request.nodeId}`).pipe(
          Effect.as({ paged: ctx.options.team, node: request.nodeId })
        )
    }
  ]
})
