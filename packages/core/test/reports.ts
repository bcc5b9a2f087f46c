import { latestFields, makeNode, type Node, type Report } from "../src/Report.js"

/** A full report holding the given nodes. */
export const fullReport = (probeId: string, seq: number, nodes: ReadonlyArray<Node>, timestamp = 1_000): Report => ({
  version: 1,
  probeId,
  hostname: `${probeId}-host`,
  kind: "full",
  seq,
  timestamp,
  topologies: group(nodes, [])
})

/** A delta with changed nodes and tombstones ({ topology, id }). */
export const deltaReport = (
  probeId: string,
  seq: number,
  nodes: ReadonlyArray<Node>,
  removed: ReadonlyArray<{ topology: string; id: string }> = [],
  timestamp = 1_000
): Report => ({
  version: 1,
  probeId,
  hostname: `${probeId}-host`,
  kind: "delta",
  seq,
  timestamp,
  topologies: group(nodes, removed)
})

const group = (nodes: ReadonlyArray<Node>, removed: ReadonlyArray<{ topology: string; id: string }>) => {
  const out: Record<string, { nodes: Record<string, Node>; removed?: Array<string> }> = {}
  for (const node of nodes) {
    out[node.topology] ??= { nodes: {} }
    out[node.topology]!.nodes[node.id] = node
  }
  for (const r of removed) {
    out[r.topology] ??= { nodes: {} }
    const entry = out[r.topology]!
    entry.removed = [...(entry.removed ?? []), r.id]
  }
  return out
}

/** A container node named `name`. */
export const container = (id: string, name: string, state = "running", t = 1_000): Node =>
  makeNode("containers", id, {
    latest: latestFields(t, { docker_container_name: name, docker_container_state: state })
  })
