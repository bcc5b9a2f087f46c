/**
 * The change between two renderings of a view, for WebSocket deltas: nodes and edges added, updated (only
 * when their content changed) and removed. Linear in the size of both views; equality is a field-by-field
 * compare that short-cuts on shared references, so diffing two renders of a 10k-node view takes a few ms.
 *
 * @since 0.1.0
 */
import type { RenderedEdge, RenderedNode, RenderedView, ViewDelta } from "./View.js"

const sameArray = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean => {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const sameRecord = <A>(
  a: Readonly<Record<string, A>>,
  b: Readonly<Record<string, A>>,
  same: (x: A, y: A) => boolean
): boolean => {
  if (a === b) return true
  let n = 0
  for (const key in a) {
    const y = b[key]
    if (y === undefined || !same(a[key]!, y)) return false
    n++
  }
  for (const _ in b) n--
  return n === 0
}

const sameValue = <A>(x: A, y: A): boolean => x === y

/**
 * Whether two rendered nodes have the same content.
 *
 * @since 0.1.0
 * @category equivalence
 */
export const nodeEquals = (a: RenderedNode, b: RenderedNode): boolean =>
  a === b ||
  (a.id === b.id &&
    a.label === b.label &&
    a.labelMinor === b.labelMinor &&
    a.status === b.status &&
    a.rank === b.rank &&
    a.shape === b.shape &&
    a.topology === b.topology &&
    a.pseudo === b.pseudo &&
    a.stack === b.stack &&
    sameRecord(a.metrics, b.metrics, sameValue) &&
    sameRecord(a.labels, b.labels, sameValue) &&
    sameArray(a.members, b.members) &&
    sameRecord(a.parents, b.parents, sameArray))

/**
 * Whether two rendered edges have the same content.
 *
 * @since 0.1.0
 * @category equivalence
 */
export const edgeEquals = (a: RenderedEdge, b: RenderedEdge): boolean =>
  a === b || (a.id === b.id && a.source === b.source && a.target === b.target && a.connections === b.connections)

/**
 * A delta that changes nothing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty: ViewDelta = { add: [], update: [], remove: [], addEdges: [], updateEdges: [], removeEdges: [] }

/**
 * Whether a delta changes nothing (no need to send it).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isEmpty = (delta: ViewDelta): boolean =>
  delta.add.length === 0 &&
  delta.update.length === 0 &&
  delta.remove.length === 0 &&
  delta.addEdges.length === 0 &&
  delta.updateEdges.length === 0 &&
  delta.removeEdges.length === 0

const diffNodes = (prev: ReadonlyArray<RenderedNode>, next: ReadonlyArray<RenderedNode>) => {
  const add: Array<RenderedNode> = []
  const update: Array<RenderedNode> = []
  const remove: Array<string> = []
  if (prev === next) return { add, update, remove }
  const before = new Map<string, RenderedNode>()
  for (const node of prev) before.set(node.id, node)
  for (const node of next) {
    const old = before.get(node.id)
    if (old === undefined) add.push(node)
    else {
      before.delete(node.id)
      if (!nodeEquals(old, node)) update.push(node)
    }
  }
  for (const id of before.keys()) remove.push(id)
  return { add, update, remove }
}

/** Edges are matched by source then target: those strings are node ids shared across renders (their hashes
 * are cached), while edge ids are fresh strings every render and would be hashed every time. */
const diffEdges = (prev: ReadonlyArray<RenderedEdge>, next: ReadonlyArray<RenderedEdge>) => {
  const add: Array<RenderedEdge> = []
  const update: Array<RenderedEdge> = []
  const remove: Array<string> = []
  if (prev === next) return { add, update, remove }
  const before = new Map<string, Map<string, RenderedEdge>>()
  for (const edge of prev) {
    let targets = before.get(edge.source)
    if (targets === undefined) {
      targets = new Map()
      before.set(edge.source, targets)
    }
    targets.set(edge.target, edge)
  }
  for (const edge of next) {
    const targets = before.get(edge.source)
    const old = targets?.get(edge.target)
    if (old === undefined) add.push(edge)
    else {
      targets!.delete(edge.target)
      if (!edgeEquals(old, edge)) update.push(edge)
    }
  }
  for (const targets of before.values()) for (const edge of targets.values()) remove.push(edge.id)
  return { add, update, remove }
}

/**
 * The delta from `prev` to `next`; with no `prev` (a new subscriber) everything in `next` is added.
 *
 * @since 0.1.0
 * @category diffing
 */
export const diff = (prev: RenderedView | undefined, next: RenderedView): ViewDelta => {
  const nodes = diffNodes(prev?.nodes ?? [], next.nodes)
  const edges = diffEdges(prev?.edges ?? [], next.edges)
  return {
    add: nodes.add,
    update: nodes.update,
    remove: nodes.remove,
    addEdges: edges.add,
    updateEdges: edges.update,
    removeEdges: edges.remove
  }
}
