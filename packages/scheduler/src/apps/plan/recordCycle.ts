/**
 * Dependency cycles through group records, which the apps' own graph cannot show: a group without apps orders
 * nothing, so `/a` depending on `/b` and `/b` on `/a` (both empty) passes every app check, and then refuses every
 * app later put into either. Here records and apps are nodes alike: a node waits for every node its dependencies
 * name (the node at the path and every node under it), and a record's dependencies also hold for the records
 * under it (apps carry theirs already).
 *
 * @since 0.1.0
 */
import { type Edge, layers, matchDependency, resolveDependency } from "./internal/graph.js"

/** An app or a group record: its id and its dependencies (relative ones resolve against its parent). */
export interface DependencyNode {
  readonly id: string
  readonly dependencies: ReadonlyArray<string>
}

/**
 * The cycle (node ids along it, the first repeated at the end) through the group `records` and `apps` after a
 * change, or `undefined` when there is none.
 *
 * @since 0.1.0
 * @category validation
 */
export const recordCycle = (
  records: ReadonlyArray<DependencyNode>,
  apps: ReadonlyArray<DependencyNode>
): ReadonlyArray<string> | undefined => {
  const ids = [...records.map((r) => r.id), ...apps.map((a) => a.id)]
  const edges: Array<Edge> = []
  const waitFor = (from: string, dependencies: ReadonlyArray<string>, owner: string) => {
    for (const dependency of dependencies)
      for (const to of matchDependency(resolveDependency(dependency, owner), ids))
        if (to !== from) edges.push({ from, to, field: "dependencies" })
  }
  for (const app of apps) waitFor(app.id, app.dependencies, app.id)
  for (const record of records) {
    waitFor(record.id, record.dependencies, record.id)
    // the records under it wait for the same (an enclosing group's dependencies hold for all it holds)
    for (const inner of records)
      if (inner.id.startsWith(`${record.id}/`)) waitFor(inner.id, record.dependencies, record.id)
  }
  const ordered = layers(ids, edges)
  return "cycle" in ordered ? ordered.cycle : undefined
}
