/**
 * The search language: every form, evaluated against the containers and processes of the example topology,
 * and the syntax errors with their positions.
 *
 *   npx tsx --conditions=source docs/examples/search.ts
 */
import { MergedReport, Search } from "@orchestrator/core"
import { Result } from "effect"
import { probeANodes, probeBNodes } from "./fixture.js"

const now = Date.now()
const a = probeANodes(now)
const b = probeBNodes(now)
const report = MergedReport.fromNodes([
  ...Object.values(a.containers),
  ...Object.values(b.containers),
  ...Object.values(a.processes),
  ...Object.values(b.processes)
])
const nodes = [...report.nodes("containers").values(), ...report.nodes("processes").values()]

const queries = [
  "nginx", // free text: a field value (the image), a label, an id...
  '"daemon off"', // a quoted phrase
  "tier:backend", // key:value substring (a label)
  "docker_image_name:postgres", // key:value on a latest field
  "nginx:1.25", // no field named "nginx": the whole term is free text
  "hosts:host-b", // a parents topology
  "controls:*", // has the key? (controls is not a field, so nothing)
  "tier:*", // has the key
  "app=api", // exact value
  "app!=api", // not that value, or no such key
  "cpu > 50%", // metric comparison (the latest sample)
  "memory>=400MiB", // units: KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB of 1024
  "mem < 100MB", // mem is an alias of memory
  "pid<100", // a numeric field
  "app=web OR app=db", // OR (upper case); AND binds tighter
  "(app=web OR app=db) cpu > 10", // grouping
  "label:ngin", // the display label
  "topology:processes node", // reserved keys: topology, id, label
  "" // the empty query matches everything
]

for (const q of queries) {
  const compiled = Search.compile(q)
  if (Result.isFailure(compiled)) {
    console.log(`${JSON.stringify(q).padEnd(34)} ERROR ${compiled.failure.message}`)
    continue
  }
  const hits = nodes.filter((n) => Search.matchesNode(compiled.success, n)).map((n) => n.id)
  console.log(`${JSON.stringify(q).padEnd(34)} ${hits.join(", ") || "(none)"}`)
}

console.log("\nAST of 'web cpu > 50%':", JSON.stringify(Result.getOrThrow(Search.parse("web cpu > 50%"))))

for (const bad of ["cpu >", "cpu > 5XB", "(web", "a OR", "tier:", '"open', "> 5", "cpu > fast"]) {
  const parsed = Search.parse(bad)
  if (Result.isFailure(parsed)) {
    console.log(`${JSON.stringify(bad).padEnd(14)} position ${parsed.failure.position}: ${parsed.failure.message}`)
  }
}
