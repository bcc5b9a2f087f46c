/**
 * The Promise facade: start an app server with createApp, feed it one report in-process and one over HTTP
 * (as a probe would), print a view, a node's details and a search, then shut down.
 *
 *   npx tsx --conditions=source docs/examples/create-app.ts
 */
import { createApp } from "@orchestrator/core"
import { containerIds, fullReportA, fullReportB } from "./fixture.js"

const app = await createApp({ port: 0 }) // 127.0.0.1 on a free port
console.log("listening on", app.url)
app.on("probeAdded", (probeId) => console.log("event probeAdded", probeId))
app.on("change", (event) => console.log("event change", event._tag, event.probeId, event.topologies.join(",")))

try {
  const now = Date.now()

  // In-process: the report is validated like POST /api/v1/reports validates it.
  console.log("ingest A", await app.aggregator.ingest(fullReportA(now)))

  // Over HTTP, as a probe does: register, then publish.
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${app.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    })
    return { status: res.status, body: await res.json() }
  }
  console.log(
    "register B",
    await post("/api/v1/agents/register", { agentId: "probe-b", hostname: "host-b", version: "0.1.0" })
  )
  console.log("publish B", await post("/api/v1/reports", fullReportB(now)))

  console.log("views", app.aggregator.views())
  const view = app.aggregator.topology("containers", { hidePseudo: true })
  console.log(
    "containers",
    view.nodes.map((n) => `${n.label} (${n.status}, cpu ${n.metrics.cpu ?? "-"}%)`),
    view.edges.map((e) => `${e.source} -> ${e.target}`)
  )

  const details = await app.aggregator.node("containers", containerIds.web)
  console.log("details of web:", details?.label, "/", details?.labelMinor)
  for (const panel of details?.panels ?? []) console.log(`  panel ${panel.id} (${panel.type})`)

  console.log(
    "search 'tier:backend'",
    app.aggregator.search("tier:backend", "containers").map((n) => n.label)
  )
  console.log(
    "probes",
    app.aggregator.probes().map((p) => `${p.probeId}@${p.hostname} seq ${p.seq}, ${p.nodeCount} nodes`)
  )
  console.log(
    "agents",
    app.agents().map((a) => a.agentId)
  )

  // A report that does not decode is rejected with the Schema error, naming the field.
  await app.aggregator
    .ingest({ ...fullReportA(now), seq: -1 })
    .catch((error: Error) => console.log("rejected:", error.message))

  // Unknown views throw.
  try {
    app.aggregator.topology("nope")
  } catch (error) {
    console.log("unknown view:", (error as Error).message)
  }
} finally {
  await app.close()
  console.log("closed")
}
