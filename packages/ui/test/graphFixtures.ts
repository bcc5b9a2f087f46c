/** Rendered nodes and edges, as the app server sends them, for the unit tests of the views and the graph. */
import type { RenderedEdge, RenderedNode } from "../app/Protocol.js"

/** A container node; fields override the defaults. */
export const node = (id: string, fields: Partial<RenderedNode> = {}): RenderedNode => ({
  id,
  topology: "containers",
  label: id,
  labelMinor: "",
  rank: "",
  shape: "hexagon",
  status: "healthy",
  pseudo: false,
  stack: 1,
  parents: {},
  labels: {},
  metrics: {},
  members: [id],
  ...fields
})

/** An edge with the app's id format. */
export const edge = (source: string, target: string, connections = 1): RenderedEdge => ({
  id: `${source}->${target}`,
  source,
  target,
  connections
})

/** `count` containers named `<prefix>0…` on host `host`, each connected to the next. */
export const hostContainers = (host: string, count: number, prefix = host) => {
  const nodes = Array.from({ length: count }, (_, i) =>
    node(`${prefix}-c${i}`, { parents: { hosts: [host] }, labelMinor: host, metrics: { cpu: 10 * i, memory: 2 ** 26 } })
  )
  const edges = nodes.slice(1).map((n, i) => edge(nodes[i]!.id, n.id, 1 + i))
  return { nodes, edges }
}
