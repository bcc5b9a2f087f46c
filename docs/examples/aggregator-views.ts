/**
 * In-process aggregator + views, with Effect: ingest reports from two probes, watch the change stream, walk
 * the delta protocol (accepted, duplicate, resync), render views with filters, diff two renders, search.
 *
 *   npx tsx --conditions=source docs/examples/aggregator-views.ts
 */
import { Aggregator, Search, ViewDiff, ViewRegistry } from "@orchestrator/core"
import { Effect, Fiber, Layer, Result, Stream } from "effect"
import { containerIds, deltaReportA, fullReportA, fullReportB } from "./fixture.js"

const program = Effect.gen(function* () {
  const aggregator = yield* Aggregator.Aggregator
  const views = yield* ViewRegistry.ViewRegistry

  // Changes are published from the moment of subscription: start listening before ingesting.
  const changes = yield* aggregator.changes.pipe(Stream.take(3), Stream.runCollect, Effect.forkChild)
  yield* Effect.yieldNow

  const now = Date.now()
  console.log("full A      ", yield* aggregator.ingest(fullReportA(now)))
  console.log("full B      ", yield* aggregator.ingest(fullReportB(now)))

  // The endpoint both probes reported is one merged node: parents from probe-a, adjacency from both.
  const merged = aggregator.report.node(";10.0.0.1;40002", "endpoints")!
  console.log("merged node  parents:", merged.parents, "adjacency:", merged.adjacency)
  console.log("owners      ", aggregator.ownersOf("endpoints", ";10.0.0.1;40002"))

  // Views: the list with counts, then one view.
  console.log("views       ", views.summaries(aggregator.report))
  const containers = views.render(aggregator.report, "containers")
  if (Result.isFailure(containers)) return yield* Effect.die(containers.failure)
  const view = containers.success
  console.log(`containers   ${view.nodes.length} nodes of ${view.total}, ${view.edges.length} edges`)
  for (const n of view.nodes)
    console.log(`  ${n.id.padEnd(24)} ${n.label.padEnd(14)} ${n.status.padEnd(9)} pseudo=${n.pseudo}`)
  for (const e of view.edges) console.log(`  ${e.source} -> ${e.target} (${e.connections})`)

  // The delta protocol: seq must be exactly one more than the last accepted report.
  console.log("delta seq 1 ", yield* aggregator.ingest(deltaReportA(now + 15_000, 1)))
  console.log("delta seq 1 ", yield* aggregator.ingest(deltaReportA(now + 15_000, 1)), "(a retried publish)")
  console.log("delta seq 5 ", yield* aggregator.ingest(deltaReportA(now + 30_000, 5)))
  console.log("expectedSeq ", aggregator.expectedSeq("probe-a"), aggregator.expectedSeq("probe-unknown"))

  const events = yield* Fiber.join(changes)
  console.log(
    "changes     ",
    Array.from(events).map((e) => `${e._tag}(${e.probeId}: ${e.topologies.join(",")})`)
  )

  // Filters are applied to the shared render: running application nodes with tier=backend, no pseudo nodes.
  const backend = views.render(aggregator.report, "containers", {
    status: "running",
    labels: { tier: "backend" },
    hidePseudo: true
  })
  if (Result.isSuccess(backend))
    console.log(
      "tier=backend ",
      backend.success.nodes.map((n) => n.label)
    )

  // A search filter; a bad one fails with the position of the offending character.
  const hot = views.render(aggregator.report, "containers", { search: "cpu > 90%" })
  if (Result.isSuccess(hot))
    console.log(
      "cpu > 90%   ",
      hot.success.nodes.map((n) => n.label)
    )
  const bad = views.render(aggregator.report, "containers", { search: "cpu >" })
  if (Result.isFailure(bad)) console.log("bad search  ", bad.failure._tag, bad.failure.message)

  // Grouped views: processes by name, containers by image.
  const byName = views.render(aggregator.report, "processes-by-name", { kind: "application" })
  if (Result.isSuccess(byName))
    console.log(
      "by name     ",
      byName.success.nodes.map((n) => `${n.label}×${n.stack}`)
    )

  // Diffs are what the WebSocket sends: the render before the delta against the one after it.
  const after = views.render(aggregator.report, "containers")
  if (Result.isSuccess(after)) {
    const delta = ViewDiff.diff(view, after.success)
    console.log(
      "diff         update:",
      delta.update.map((n) => n.id),
      "removeEdges:",
      delta.removeEdges
    )
  }

  // Search over report nodes directly.
  const query = Search.compile("docker_image_name:nginx OR app=db")
  if (Result.isSuccess(query)) {
    const found = [...aggregator.report.nodes("containers").values()].filter((n) =>
      Search.matchesNode(query.success, n)
    )
    console.log(
      "search      ",
      found.map((n) => n.id)
    )
  }

  // Removing a probe removes what only it reported.
  yield* aggregator.removeProbe("probe-b")
  console.log(
    "after B gone",
    aggregator.report.node(containerIds.db, "containers") === undefined ? "db gone" : "db kept"
  )
  console.log("stats       ", aggregator.stats())
  console.log("cache       ", views.stats())
})

const layer = Layer.mergeAll(
  Aggregator.Aggregator.layer({ staleNodeThresholdMs: 60_000 }),
  ViewRegistry.ViewRegistry.layer
)

Effect.runPromise(program.pipe(Effect.provide(layer)))
