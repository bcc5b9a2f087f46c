/**
 * View filters: what a client asks to see of a rendered view (running or stopped nodes, application or
 * system nodes, labels, a search, without pseudo or unconnected nodes). Pure; applied after the shared,
 * cached render, so many clients with different filters cost one render.
 *
 * Rules:
 * - `status`, `kind` and `labels` apply to every node except those standing for the outside (The Internet,
 *   unknown peers), which stay unless `hidePseudo`. The per-host Uncontained/Unmanaged nodes count as
 *   running application nodes without labels.
 * - `status: "running"` keeps nodes whose status is not `stopped`; `"stopped"` keeps only `stopped` ones.
 * - `kind` reads the `system` field of the report nodes a rendered node stands for (a group is a system node
 *   when all its members are); without a report every node counts as an application node.
 * - `labels` keeps nodes carrying every given label; the value `*` matches any value.
 * - `search` (see `Search`) applies to every node, each term matching the rendered node or one of its
 *   report nodes.
 * - Edges whose ends are gone are dropped; then pseudo nodes without edges go, and with `hideUnconnected`
 *   every node without edges.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { isSystem } from "../internal/views/describe.js"
import { ChunkedList, chunksOf, ListMap, valuesOf } from "../internal/views/edges.js"
import type { MergedReport } from "../MergedReport.js"
import type { Node } from "../Report.js"
import * as Search from "../Search.js"
import * as Pseudo from "./Pseudo.js"
import type { RenderedEdge, RenderedNode, Rendering, ViewFilters } from "./View.js"

/**
 * The nodes and edges left after filtering.
 *
 * @since 0.1.0
 * @category models
 */
export interface Filtered {
  readonly nodes: ReadonlyArray<RenderedNode>
  readonly edges: ReadonlyArray<RenderedEdge>
}

/**
 * Whether the filters keep everything (no filter set, or every filter at its default).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isEmpty = (filters: ViewFilters): boolean =>
  (filters.status === undefined || filters.status === "all") &&
  (filters.kind === undefined || filters.kind === "all") &&
  filters.hideUnconnected !== true &&
  filters.hidePseudo !== true &&
  (filters.labels === undefined || Object.keys(filters.labels).length === 0) &&
  (filters.search === undefined || filters.search.trim() === "")

/**
 * A stable cache key for a set of filters: equal for filters that keep the same nodes by default values
 * (`{}` and `{ status: "all" }` share a key).
 *
 * @since 0.1.0
 * @category getters
 */
export const key = (filters: ViewFilters): string => {
  const labels =
    filters.labels === undefined ? [] : Object.entries(filters.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return JSON.stringify([
    filters.status ?? "all",
    filters.kind ?? "all",
    filters.hideUnconnected === true,
    filters.hidePseudo === true,
    filters.search?.trim() ?? "",
    labels
  ])
}

const membersOf = (report: MergedReport | undefined, node: RenderedNode): ReadonlyArray<Node> => {
  if (report === undefined || node.members.length === 0) return []
  const out: Array<Node> = []
  for (const id of node.members) {
    const member = report.node(id, node.topology)
    if (member !== undefined) out.push(member)
  }
  return out
}

/**
 * Applies filters to a rendering; fails only when `search` does not parse.
 *
 * @since 0.1.0
 * @category filtering
 */
export const apply = (
  rendering: Rendering,
  filters: ViewFilters,
  report?: MergedReport
): Result.Result<Filtered, Search.SearchSyntaxError> =>
  Result.map(applyKeepingChunks(rendering, filters, report), (filtered) => ({
    nodes: filtered.nodes,
    edges: valuesOf(filtered.edges)
  }))

/**
 * What {@link applyKeepingChunks} returns: the edges stay a map, chunked like the rendering's when it is.
 *
 * @since 0.1.0
 * @category models
 */
export interface FilteredMap {
  readonly nodes: ReadonlyArray<RenderedNode>
  readonly edges: ReadonlyMap<string, RenderedEdge>
}

/** Keeps the edges of `chunks` whose ends are both `kept`: a chunk kept whole is the same object. */
const keepChunks = (
  chunks: ReadonlyArray<ReadonlyArray<RenderedEdge>>,
  kept: ReadonlySet<string>,
  connected: Set<string>
): ChunkedList<RenderedEdge> => {
  const out: Array<ReadonlyArray<RenderedEdge>> = []
  let size = 0
  for (const chunk of chunks) {
    let part: Array<RenderedEdge> | undefined
    for (let k = 0; k < chunk.length; k++) {
      const edge = chunk[k]!
      if (kept.has(edge.source) && kept.has(edge.target)) {
        connected.add(edge.source)
        connected.add(edge.target)
        part?.push(edge)
      } else part ??= chunk.slice(0, k)
    }
    const result = part ?? chunk
    if (result.length > 0) {
      out.push(result)
      size += result.length
    }
  }
  return new ChunkedList(out, size)
}

/**
 * {@link apply} for the view cache: when the rendering's edges are chunked (the built-in views), so are the
 * filtered ones, and a chunk whose edges all stay is the rendering's own chunk object. A filter that keeps most
 * nodes then allocates little per render, and a WebSocket diff of two filtered renders skips shared chunks.
 *
 * @since 0.1.0
 * @category filtering
 */
export const applyKeepingChunks = (
  rendering: Rendering,
  filters: ViewFilters,
  report?: MergedReport
): Result.Result<FilteredMap, Search.SearchSyntaxError> => {
  if (isEmpty(filters)) return Result.succeed({ nodes: valuesOf(rendering.nodes), edges: rendering.edges })
  let query: Search.CompiledQuery | undefined
  const search = filters.search?.trim() ?? ""
  if (search !== "") {
    const compiled = Search.compile(search)
    if (Result.isFailure(compiled)) return Result.fail(compiled.failure)
    query = compiled.success
  }
  const status = filters.status ?? "all"
  const kind = filters.kind ?? "all"
  const labels = filters.labels === undefined ? [] : Object.entries(filters.labels)
  const kept = new Set<string>()
  for (const node of rendering.nodes.values()) {
    if (node.pseudo && filters.hidePseudo === true) continue
    if (!node.pseudo || !Pseudo.isOutsideId(node.id)) {
      if (status === "running" && node.status === "stopped") continue
      if (status === "stopped" && node.status !== "stopped") continue
      if (
        labels.length > 0 &&
        !labels.every(([k, v]) => node.labels[k] !== undefined && (v === "*" || node.labels[k] === v))
      )
        continue
      if (kind !== "all") {
        const members = membersOf(report, node)
        const system = members.length > 0 && members.every(isSystem)
        if (system !== (kind === "system")) continue
      }
    }
    if (query !== undefined && !Search.matchesWithMembers(query, node, membersOf(report, node))) continue
    kept.add(node.id)
  }
  const connected = new Set<string>()
  const chunks = chunksOf(rendering.edges)
  let edges: ReadonlyMap<string, RenderedEdge> | Array<RenderedEdge>
  if (chunks !== undefined) edges = keepChunks(chunks, kept, connected)
  else {
    const list: Array<RenderedEdge> = []
    for (const edge of rendering.edges.values()) {
      if (!kept.has(edge.source) || !kept.has(edge.target)) continue
      list.push(edge)
      connected.add(edge.source)
      connected.add(edge.target)
    }
    edges = new ListMap(list)
  }
  const nodes: Array<RenderedNode> = []
  for (const node of rendering.nodes.values()) {
    if (!kept.has(node.id)) continue
    if ((node.pseudo || filters.hideUnconnected === true) && !connected.has(node.id)) continue
    nodes.push(node)
  }
  return Result.succeed({ nodes, edges })
}
