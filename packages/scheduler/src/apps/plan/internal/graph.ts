/**
 * Dependency graphs between apps: resolving dependency paths, finding cycles, ordering in layers.
 *
 * @internal
 */
import { resolvePath } from "../../model/AppDefinition.js"

/** The group that holds `appId` (`/prod/web` -> `/prod`); relative dependencies resolve against it. */
export const parentOf = (appId: string): string => {
  const at = appId.lastIndexOf("/")
  return at <= 0 ? "/" : appId.slice(0, at)
}

/** The absolute path a dependency written in app (or group) `ownerId` names. */
export const resolveDependency = (dependency: string, ownerId: string): string =>
  resolvePath(dependency, parentOf(ownerId))

/** The ids among `ids` a dependency path names: the app itself, or every app under a group path. */
export const matchDependency = (path: string, ids: ReadonlyArray<string>): ReadonlyArray<string> =>
  path === "/" ? ids : ids.filter((id) => id === path || id.startsWith(`${path}/`))

/** One dependency edge: `from` needs `to` started first; `field` is where it was written. */
export interface Edge {
  readonly from: string
  readonly to: string
  readonly field: string
}

/**
 * Orders `nodes` in layers by the longest dependency path below each (Marathon's `runSpecsGroupedByLongestPath`):
 * layer 0 holds the nodes with no dependency, layer k the nodes whose longest chain of dependencies has k
 * links. Edges may point at nodes outside `nodes` (apps the plan does not change): they still count for the
 * depth. When the edges hold a cycle, the cycle is returned instead, with the edge that closes it.
 */
export const layers = (
  nodes: ReadonlyArray<string>,
  edges: ReadonlyArray<Edge>
):
  | { readonly layers: ReadonlyArray<ReadonlyArray<string>> }
  | { readonly cycle: ReadonlyArray<string>; readonly edge: Edge } => {
  const out = new Map<string, Array<Edge>>()
  for (const edge of edges) {
    const list = out.get(edge.from)
    if (list === undefined) out.set(edge.from, [edge])
    else list.push(edge)
  }
  const depth = new Map<string, number>()
  const onPath: Array<string> = []
  const visiting = new Set<string>()
  let found: { cycle: ReadonlyArray<string>; edge: Edge } | undefined
  const visit = (node: string): number => {
    const known = depth.get(node)
    if (known !== undefined) return known
    visiting.add(node)
    onPath.push(node)
    let d = 0
    for (const edge of out.get(node) ?? []) {
      if (found !== undefined) break
      if (visiting.has(edge.to)) {
        found = { cycle: [...onPath.slice(onPath.indexOf(edge.to)), edge.to], edge }
        break
      }
      d = Math.max(d, visit(edge.to) + 1)
    }
    onPath.pop()
    visiting.delete(node)
    depth.set(node, d)
    return d
  }
  for (const node of [...nodes].sort()) {
    visit(node)
    if (found !== undefined) return found
  }
  const result: Array<Array<string>> = []
  for (const node of [...nodes].sort()) {
    const d = depth.get(node)!
    while (result.length <= d) result.push([])
    result[d]!.push(node)
  }
  return { layers: result.filter((layer) => layer.length > 0) }
}
